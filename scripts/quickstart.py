"""Render the template with the default answers, install the result, deploy and run it.

    python3 scripts/quickstart.py [--output DIR]

Needs only Python (3.11+): uv is installed on first use if missing, where the READMEs'
install line puts it (`_uv.py`), and the end says how to put it on PATH. The rendered
project is installed into its own virtual environment with the Python running this
script (nothing is downloaded but packages), then its `etl-dev --once` starts a local
Prefect server, deploys the project, runs the `dev` deployment on a worker to Completed
and prints where the rows landed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from _uv import ROOT, on_path_hint, run, uv

COOKIECUTTER = "cookiecutter==2.7.1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "quickstart", help="parent directory")
    args = parser.parse_args()
    slug = "my-prefect-pipelines"
    defaults = json.loads((ROOT / "cookiecutter.json").read_text())
    if defaults["project_name"] != "My Prefect Pipelines":  # keep the slug above honest
        sys.exit("cookiecutter.json's default project_name changed; update quickstart.py")
    project = args.output.resolve() / slug
    if project.exists():
        sys.exit(f"{project} already exists: remove it or pass --output to another directory")

    tool = uv()
    python = sys.executable
    run(tool, "tool", "run", "--python", python, "--from", COOKIECUTTER,
        "cookiecutter", "--no-input", "-o", str(args.output), str(ROOT))  # fmt: skip
    run(tool, "sync", "--python", python, "--all-extras", cwd=project)
    run(tool, "run", "--python", python, "etl-dev", "--once", cwd=project)
    print(f"\nYour project is in {project}; its README says what to do next.")
    hint = on_path_hint(tool)
    if hint:  # the README's commands start with `uv`
        print(f"{hint} (and add that line to your shell's profile)")


if __name__ == "__main__":
    main()
