"""Find uv, or install it into `.tools/` with pip: the scripts need nothing but Python.

Shared by `quickstart.py` and `run_tests.py`. Standard library only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / ".tools"


def uv() -> str:
    """The path of a uv executable, installed on first use if the machine has none."""
    found = shutil.which("uv")
    if found:
        return found
    scripts = TOOLS / ("Scripts" if os.name == "nt" else "bin")
    local = scripts / ("uv.exe" if os.name == "nt" else "uv")
    if not local.exists():
        print("uv not found: installing it into .tools/ with pip", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(TOOLS)], check=True)
        python = scripts / ("python.exe" if os.name == "nt" else "python")
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "uv"], check=True)
    return str(local)


def run(*command: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> None:
    """Run a command, echoing it; stop with its exit code if it fails."""
    print(f"$ {' '.join(command)}", flush=True)
    result = subprocess.run(command, cwd=cwd, env=env)
    if result.returncode:
        sys.exit(result.returncode)
