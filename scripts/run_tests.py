"""Run the template's whole test suite (what CI runs): `python scripts/run_tests.py`.

Needs only Python 3.11+ and pip; uv is installed on first use if missing. Syncs the
locked development environment with the running Python, then runs pytest on all cores.
Extra arguments go to pytest, e.g. `python scripts/run_tests.py -k render`.

The tests run uv and uvx themselves (fresh installs of rendered projects, the documented
`uvx` commands): the folder with those two, and nothing else, goes first on PATH, and
`TEMPLATE_TEST_UV_FOLDER` names it, so tests that run documented commands can give them
a PATH of the system's folders plus that one (tests/shell.py). Phase timings are printed
as `[ci] phase: ...` lines, and appended to the file `CI_PHASES` names, if set.
"""

from __future__ import annotations

import os
import sys
import time

from _uv import ROOT, run, uv, uv_folder

if sys.version_info < (3, 11):  # noqa: UP036 - this script runs before any environment exists
    sys.exit("The template's tests need Python 3.11 or newer (prefect-kubernetes does).")


def phase(name: str, started: float) -> None:
    line = f"[ci] phase: {name} {time.monotonic() - started:.0f} s"
    print(line, flush=True)
    if os.environ.get("CI_PHASES"):
        with open(os.environ["CI_PHASES"], "a", encoding="utf-8") as phases:
            phases.write(line + "\n")


started = time.monotonic()
tool = uv()
folder = uv_folder()
env = dict(
    os.environ,
    PATH=os.pathsep.join([str(folder), os.environ.get("PATH", "")]),
    TEMPLATE_TEST_UV_FOLDER=str(folder),
)
run(tool, "sync", "--frozen", "--python", sys.executable, env=env)
phase("environment (uv, locked sync)", started)
started = time.monotonic()
pytest = ["pytest", "-n", "auto", *sys.argv[1:]]
try:
    run(tool, "run", "--frozen", "--python", sys.executable, *pytest, env=env)
finally:
    phase("pytest", started)
print(f"template tests passed ({ROOT})")
