"""Picture the Artifacts tab of a real example-etl run, for the docs.

    uv run python -m scripts.screenshot_artifacts [--output docs/images/run-artifacts.png]

Renders the template with the default answers, starts a local Prefect server (its UI
included), runs the example flow against it from the rendered project, and takes a
screenshot of that run's Artifacts tab with headless Chromium (Debian's `chromium`
package: `apt-get install chromium`). The UI is a single-page app that opens on the Logs
tab, so Chromium is driven through its DevTools protocol (the `websockets` package that
Prefect installs): open the run's page, click "Artifacts", wait for the summary, capture.
Nothing leaves loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from devkit.prefect_server import free_port, prefect_server, wait_for
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
    "--window-size=1400,1100",
]
CLICK_ARTIFACTS = """
(tab => tab ? (tab.click(), 'clicked') : 'no tab')(
  [...document.querySelectorAll('button, a, [role=tab], li')]
    .find(e => e.textContent.trim() === 'Artifacts'))
"""
SUMMARY_SHOWN = "document.body.innerText.includes('example-etl-summary')"


async def capture(devtools: str, url: str, output: Path, seconds: float = 60) -> None:
    """Open `url` in the page behind `devtools`, show the Artifacts tab, save a PNG."""
    import base64
    import itertools
    import json
    import urllib.request

    import websockets

    with urllib.request.urlopen(f"{devtools}/json/list", timeout=10) as response:
        page = next(t for t in json.load(response) if t["type"] == "page")
    counter = itertools.count(1)
    async with websockets.connect(page["webSocketDebuggerUrl"], max_size=None) as socket:

        async def call(method: str, **params):
            number = next(counter)
            await socket.send(json.dumps({"id": number, "method": method, "params": params}))
            while True:
                message = json.loads(await socket.recv())
                if message.get("id") == number:
                    return message.get("result", {})

        async def evaluate(expression: str):
            found = await call("Runtime.evaluate", expression=expression, returnByValue=True)
            return found.get("result", {}).get("value")

        await call("Page.navigate", url=url)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while await evaluate(CLICK_ARTIFACTS) == "no tab":
            if loop.time() > deadline:
                raise RuntimeError("the run's page showed no Artifacts tab")
            await asyncio.sleep(0.5)
        while not await evaluate(SUMMARY_SHOWN):
            if loop.time() > deadline:
                raise RuntimeError("the Artifacts tab showed no run summary")
            await asyncio.sleep(0.5)
        await asyncio.sleep(1)  # let the tables draw
        shot = await call("Page.captureScreenshot", format="png")
        output.write_bytes(base64.b64decode(shot["data"]))


def healthy_devtools(devtools: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"{devtools}/json/version", timeout=5):
            return True
    except OSError:
        return False


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
            port = free_port()
            browser = subprocess.Popen(
                [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={work / 'chromium'}",
                 f"--remote-debugging-port={port}", "about:blank"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            try:
                devtools = f"http://127.0.0.1:{port}"
                if not wait_for(lambda: healthy_devtools(devtools) or None, 60, 0.5):
                    sys.exit("error: chromium's DevTools did not answer")
                asyncio.run(capture(devtools, url, args.output))
            finally:
                browser.terminate()
                browser.wait(timeout=30)
    print(f"{args.output}: the Artifacts tab of run {run['name']} ({url})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
