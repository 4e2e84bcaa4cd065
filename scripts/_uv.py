"""Find uv, or install it where the READMEs' install line puts it: the scripts need
nothing but Python.

`~/.local/uv` is a virtual environment of uv's own (so it works where the system Python
refuses `pip install`, as Debian's and Ubuntu's do), and `uv`/`uvx` are linked into
`~/.local/bin`, which Debian and Ubuntu put on PATH at login once it exists. Shared by
`quickstart.py`, `run_tests.py` and `smoke.py`. Standard library only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / ".tools"
UV_VENV = Path.home() / ".local" / "uv"
BIN = Path.home() / ".local" / "bin"
# The folder that holds only uv and uvx (links to the ones found or installed): what a
# reader who followed the README's install line has on PATH, and nothing else of `.tools/`.
ON_PATH = TOOLS / "uv-on-path"
EXE = ".exe" if os.name == "nt" else ""


def uv() -> str:
    """The path of a uv executable, installed on first use if the machine has none."""
    found = shutil.which("uv") or shutil.which("uv", path=str(BIN))
    if found:
        return found
    print(f"uv not found: installing it into {UV_VENV} (linked into {BIN})", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(UV_VENV)], check=True)
    scripts = UV_VENV / ("Scripts" if os.name == "nt" else "bin")
    python = scripts / f"python{EXE}"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "uv"], check=True)
    BIN.mkdir(parents=True, exist_ok=True)
    for name in ("uv", "uvx"):
        link = BIN / f"{name}{EXE}"
        link.unlink(missing_ok=True)
        link.symlink_to(scripts / f"{name}{EXE}")
    return str(BIN / f"uv{EXE}")


def on_path_hint(tool: str) -> str | None:
    """How to reach `tool` from the reader's shell, if its folder is not on PATH."""
    folder = Path(tool).parent
    if shutil.which("uv") and Path(shutil.which("uv")).parent == folder:
        return None
    return f'uv is in {folder}, which is not on your PATH: export PATH="{folder}:$PATH"'


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
