"""Find uv, or install it into `.tools/` with pip: the scripts need nothing but Python.

Shared by `quickstart.py`, `run_tests.py` and `smoke.py`. Standard library only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / ".tools"
# The folder that holds only uv and uvx (links to the ones found or installed): what a
# reader who followed the README's install line has on PATH, and nothing else of `.tools/`.
ON_PATH = TOOLS / "uv-on-path"
EXE = ".exe" if os.name == "nt" else ""


def uv() -> str:
    """The path of a uv executable, installed on first use if the machine has none."""
    found = shutil.which("uv")
    if found:
        return found
    scripts = TOOLS / ("Scripts" if os.name == "nt" else "bin")
    local = scripts / f"uv{EXE}"
    if not local.exists():
        print("uv not found: installing it into .tools/ with pip", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(TOOLS)], check=True)
        python = scripts / f"python{EXE}"
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "uv"], check=True)
    return str(local)


def uv_folder() -> Path:
    """A folder holding `uv` and `uvx` (and nothing else), to put on PATH."""
    tool = Path(uv()).resolve()
    ON_PATH.mkdir(parents=True, exist_ok=True)
    for name in ("uv", "uvx"):
        target, link = tool.with_name(f"{name}{EXE}"), ON_PATH / f"{name}{EXE}"
        if not target.exists():
            sys.exit(f"{target} is missing beside {tool}: reinstall uv (pip install uv)")
        if link.is_symlink() or link.exists():
            if link.resolve() == target:
                continue
            link.unlink()
        link.symlink_to(target)
    return ON_PATH


def run(*command: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> None:
    """Run a command, echoing it; stop with its exit code if it fails."""
    print(f"$ {' '.join(command)}", flush=True)
    result = subprocess.run(command, cwd=cwd, env=env)
    if result.returncode:
        sys.exit(result.returncode)
