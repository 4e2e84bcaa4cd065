"""Run the template's whole test suite (what CI runs): `python scripts/run_tests.py`.

Needs only Python 3.11+ and pip; uv is installed on first use if missing. Syncs the
locked development environment with the running Python, then runs pytest on all cores.
Extra arguments go to pytest, e.g. `python scripts/run_tests.py -k render`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from _uv import ROOT, run, uv

if sys.version_info < (3, 11):  # noqa: UP036 - this script runs before any environment exists
    sys.exit("The template's tests need Python 3.11 or newer (prefect-kubernetes does).")

tool = uv()
# The tests run uv themselves (fresh installs of rendered projects): put this one, and
# nothing else of its folder, on PATH.
shim = ROOT / ".tools" / "uv-on-path"
shim.mkdir(parents=True, exist_ok=True)
link = shim / Path(tool).name
if not link.exists() and Path(tool).resolve() != link.resolve():
    link.symlink_to(Path(tool).resolve())
env = dict(os.environ, PATH=os.pathsep.join([str(shim), os.environ.get("PATH", "")]))
run(tool, "sync", "--frozen", "--python", sys.executable, env=env)
pytest = ["pytest", "-n", "auto", *sys.argv[1:]]
run(tool, "run", "--frozen", "--python", sys.executable, *pytest, env=env)
print(f"template tests passed ({ROOT})")
