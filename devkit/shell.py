"""The shell a documented command runs in: the system's folders plus the uv a reader has.

A test that runs a command from the docs must not pass because of a tool that happens to
be on the developer's PATH (a uv in ~/.cargo/bin, a pyenv shim). `documented_path()` is
the system's own folders plus one folder holding `uv` and `uvx`, where the README's
install line (`python3 -m pip install uv`) puts them beside `python3`; `.ci/run` names it
in TEMPLATE_TEST_UV_FOLDER (scripts/run_tests.py). `missing_tool` turns bash's
"command not found" into one line that names the tool and the PATH searched.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

SYSTEM_FOLDERS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
NOT_FOUND = re.compile(r"(?:^|\n)(?:bash: )?(?:line \d+: )?([\w.+-]+): command not found")


# Settings of the machine the tests run on that a user's machine does not have. The CI
# image sets PYTHONDONTWRITEBYTECODE=1: every Python process then compiles the modules it
# imports anew, and a Prefect server, worker or `uv run prefect ...` spent about a third of
# its import time on that (8.7 s to import Prefect's server app, 5.7 s with bytecode, on two
# busy cores). A user's first import writes the bytecode and later processes reuse it.
MACHINE_ONLY_SETTINGS = ("PYTHONDONTWRITEBYTECODE",)


def run_as_on_a_users_machine() -> None:
    """Drop MACHINE_ONLY_SETTINGS from this process's environment, which every command a
    test or a benchmark starts inherits."""
    for name in MACHINE_ONLY_SETTINGS:
        os.environ.pop(name, None)


def uv_folder() -> Path:
    """The folder with `uv` and `uvx`: the one .ci/run made, else the one uv is in.

    Without uv the tests that need it fail (in CI) or skip (on a laptop) with the reason.
    """
    named = os.environ.get("TEMPLATE_TEST_UV_FOLDER")
    if named and (Path(named) / "uv").exists():
        return Path(named)
    found = shutil.which("uv")
    if found and (Path(found).parent / "uvx").exists():
        return Path(found).parent
    reason = "needs uv and uvx: run the tests with `python3 scripts/run_tests.py` (it installs uv)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def uv_cache() -> str:
    """The machine's uv cache: tests that give a command a fresh HOME keep it warm."""
    result = subprocess.run(
        [str(uv_folder() / "uv"), "cache", "dir"], capture_output=True, text=True
    )
    return result.stdout.strip()


def system_path() -> list[str]:
    return [folder for folder in SYSTEM_FOLDERS if Path(folder).is_dir()]


def documented_path(*first: Path | str) -> str:
    """`first` (e.g. a fresh python3's folder), the uv folder, then the system's folders."""
    return os.pathsep.join([*map(str, first), str(uv_folder()), *system_path()])


def documented_env(**extra: str) -> dict[str, str]:
    """This process's environment with the documented PATH and no Prefect, uv or venv
    settings of the caller's shell."""
    drop = ("PREFECT_", "UV_", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env["PATH"] = documented_path()
    env.update(extra)
    return env


def missing_tool(result: subprocess.CompletedProcess | str, path: str) -> str | None:
    """One line naming the tool a command did not find on `path`, or None."""
    output = result if isinstance(result, str) else f"{result.stdout or ''}\n{result.stderr or ''}"
    match = NOT_FOUND.search(output)
    if not match:
        return None
    return (
        f"the documented command needs `{match.group(1)}`, which is not on its PATH ({path}): "
        "install it where the docs say, or add it to tests/shell.py if the docs install it"
    )


def bash(script: str, cwd: Path, env: dict[str, str], timeout: int = 600):
    """Run `script` with `bash -euo pipefail`; a missing tool fails the test by name."""
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    problem = missing_tool(result, env.get("PATH", ""))
    if problem:
        pytest.fail(problem)
    return result
