"""Run the template's whole test suite (what CI runs): `python scripts/run_tests.py`.

Needs only Python 3.11+ and pip; uv is installed on first use if missing. Syncs the
locked development environment with the running Python, then runs pytest on all cores.
Extra arguments go to pytest, e.g. `python scripts/run_tests.py -k render`.
"""

from __future__ import annotations

import sys

from _uv import ROOT, run, uv

if sys.version_info < (3, 11):  # noqa: UP036 - this script runs before any environment exists
    sys.exit("The template's tests need Python 3.11 or newer (prefect-kubernetes does).")

tool = uv()
run(tool, "sync", "--frozen", "--python", sys.executable)
run(tool, "run", "--frozen", "--python", sys.executable, "pytest", "-n", "auto", *sys.argv[1:])
print(f"template tests passed ({ROOT})")
