"""Smoke-test the template for the answers you care about: render, commit, run its CI.

    python3 scripts/smoke.py                                   # the default answers
    python3 scripts/smoke.py --answer ci_provider=gitlab --answer code_storage=s3
    python3 scripts/smoke.py --answer python_version=3.13 --python /usr/bin/python3.13

Needs only Python 3.11+ and git: uv is installed on first use if missing (`_uv.py`), the
template's locked development environment is synced, and the smoke test runs there
(`devkit/smoke.py`, which says what it does), with uv on its PATH.
"""

from __future__ import annotations

import os
import sys

from _uv import ROOT, run, uv, uv_folder

tool = uv()
env = dict(os.environ, PATH=os.pathsep.join([str(uv_folder()), os.environ.get("PATH", "")]))
run(tool, "sync", "--frozen", "--python", sys.executable, env=env)
command = [tool, "run", "--frozen", "--python", sys.executable, "python", "-m", "devkit.smoke"]
run(*command, *sys.argv[1:], cwd=ROOT, env=env)
