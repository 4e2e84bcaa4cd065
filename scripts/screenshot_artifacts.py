"""Picture the Artifacts tab of a real example-etl run, for the docs.

    uv run python -m scripts.screenshot_artifacts [--output docs/images/run-artifacts.png]

Renders the template with the default answers, starts a local Prefect server (its UI
included), runs the example flow against it from the rendered project, and takes a
screenshot of that run's Artifacts tab with headless Chromium (Debian's `chromium`
package: `apt-get install chromium`). The UI is a single-page app: Chromium is given a
virtual-time budget to draw it. Nothing leaves loopback.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from devkit.prefect_server import prefect_server
from devkit.render import TEMPLATE, render, run_rendered

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--virtual-time-budget=20000",
    "--window-size=1400,1000",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output", type=Path, default=TEMPLATE / "docs" / "images" / "run-artifacts.png"
    )
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("error: chromium is not installed: `apt-get install chromium` (Debian)")
    with tempfile.TemporaryDirectory(prefix="artifacts-") as tmp:
        work = Path(tmp)
        project = render(work / "render")
        with prefect_server(work / "server") as server:
            ran = run_rendered(
                project, sys.executable, "-m", "etl.flows.example_etl",
                "--database", str(work / "warehouse.db"), PREFECT_API_URL=server.api_url,
            )  # fmt: skip
            if ran.returncode:
                sys.exit(f"error: the flow run failed:\n{ran.stdout[-2000:]}{ran.stderr[-2000:]}")
            body = {"sort": "START_TIME_DESC", "limit": 1}
            [run] = server.request("POST", "/flow_runs/filter", body)
            url = f"{server.api_url.removesuffix('/api')}/runs/flow-run/{run['id']}?tab=Artifacts"
            args.output.parent.mkdir(parents=True, exist_ok=True)
            shot = subprocess.run(
                [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={work / 'chromium'}",
                 f"--screenshot={args.output}", url],
                capture_output=True, text=True, timeout=180,
            )  # fmt: skip
            if shot.returncode or not args.output.is_file():
                sys.exit(f"error: chromium took no screenshot:\n{shot.stderr[-2000:]}")
    print(f"{args.output}: the Artifacts tab of run {run['name']} ({url})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
