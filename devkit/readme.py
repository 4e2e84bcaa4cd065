"""Run a README's shell blocks exactly as written, the way a new user would type them.

Every fenced ```bash block runs, in order, in one bash session (so `export`s carry over),
with `set -ex`: each command is echoed and the first failure stops the run. Each block
starts in the README's own directory, as a reader of a repository's README assumes; a
`cd` holds until the end of its block.
A block right after an HTML comment `<!-- not run by tests: <reason> -->` is skipped and
reported with its reason. `after` inserts the human steps the README asks for in words
(for example filling `.env` after `cp .env.example .env`); nothing else is changed.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
import venv
from dataclasses import dataclass
from pathlib import Path

from devkit.shell import missing_tool, system_path, uv_cache

FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.M | re.S)
SKIP = re.compile(r"<!--\s*not run by tests[^:]*:\s*(.*?)\s*-->\s*$", re.S)


@dataclass
class Block:
    line: int
    text: str
    skip_reason: str | None


def shell_blocks(markdown: str) -> list[Block]:
    blocks = []
    for match in FENCE.finditer(markdown):
        if match.group(1) != "bash":
            continue
        before = markdown[: match.start()].rstrip("\n")
        skip = SKIP.search(before.splitlines()[-1] if before else "")
        line = markdown.count("\n", 0, match.start()) + 1
        blocks.append(Block(line, match.group(2), skip.group(1) if skip else None))
    return blocks


def script(blocks: list[Block], after: dict[str, str] | None = None, preamble: str = "") -> str:
    """One bash script of the runnable blocks; `after[line]` runs right after that line,
    `preamble` before the first (what an earlier session left in the shell)."""
    lines = ["set -ex", 'README_DIR="$PWD"', *preamble.splitlines()]
    for block in blocks:
        if block.skip_reason:
            continue
        lines.append('cd "$README_DIR"')
        for line in block.text.splitlines():
            lines.append(line)
            command = line.split("#")[0].strip()
            if after and command in after:
                lines.append(after[command])
    return "\n".join(lines) + "\n"


def python_only_machine(root: Path, system_python: bool = False) -> dict[str, str]:
    """An environment whose PATH is the system's folders (devkit/shell.py) and no uv: what
    a new user starts from. Its `python3` is a fresh venv (with pip), or with
    `system_python` the system's own `python3` (Debian's and Ubuntu's refuse `pip install`:
    PEP 668). HOME is fresh too (no Prefect profile, no ~/.local data), but the package
    caches stay warm."""
    bin_dir = None
    if not system_python:
        python_dir = root / "python"
        venv.create(python_dir, with_pip=True, symlinks=os.name != "nt")
        bin_dir = python_dir / ("Scripts" if os.name == "nt" else "bin")
    home = root / "home"
    home.mkdir()
    drop = ("PREFECT_", "UV_", "VIRTUAL", "ETL_", "XDG_DATA_HOME")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(
        HOME=str(home),
        PATH=os.pathsep.join([*([str(bin_dir)] if bin_dir else []), *system_path()]),
        UV_CACHE_DIR=uv_cache(),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        GIT_AUTHOR_NAME="New User",
        GIT_AUTHOR_EMAIL="new.user@example.com",
        GIT_COMMITTER_NAME="New User",
        GIT_COMMITTER_EMAIL="new.user@example.com",
    )
    env.pop("PYTHONPATH", None)
    return env


def run_script(text: str, cwd: Path, env: dict[str, str], path: Path, timeout: int = 1500):
    """Write the script to `path`, run it; its exit code and combined output (with a first
    line naming the tool, when a command was not found)."""
    path.write_text(text, encoding="utf-8")
    result = subprocess.run(
        ["bash", str(path)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )
    problem = missing_tool(result.stdout, env.get("PATH", ""))
    return result.returncode, f"{problem}\n{result.stdout}" if problem else result.stdout


def processes_mentioning(path: Path, settle: float = 60) -> list[str]:
    """Command lines of processes that name `path` and are still running after `settle`
    seconds: what a test left running. (`prefect server stop` returns while the server is
    still shutting down; a process that ends within the ceiling is not a leftover.)"""
    deadline = time.monotonic() + settle
    while (found := _mentioning(path)) and time.monotonic() < deadline:
        time.sleep(1)
    return found


def _mentioning(path: Path) -> list[str]:
    return [cmdline for _, cmdline in _mentioning_pids(path)]


def _mentioning_pids(path: Path) -> list[tuple[str, str]]:
    """Processes that name `path` in their command line or run inside it: a server that
    `etl-dev` started (`prefect server start --port N`, its own session) names no path,
    but its working directory is the project."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
            cwd = os.readlink(cmdline.parent / "cwd")
        except OSError:
            continue
        inside = cwd == str(path) or cwd.startswith(f"{path}/")
        if (str(path) in text or inside) and int(cmdline.parent.name) != os.getpid():
            found.append((cmdline.parent.name, text.strip()))
    return found


def reap(path: Path) -> None:
    """Kill whatever still names `path`: a failed test must not leave servers behind."""
    for pid in {int(p) for p, _ in _mentioning_pids(path)}:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
