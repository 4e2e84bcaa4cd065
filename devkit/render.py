"""Rendering the template, as the tests, scripts and benchmarks do.

`render` calls cookiecutter in-process (fast, for the option matrix); `render_cli` runs
the real command line in a subprocess, as a user would, to see its messages and exit code.
Rendered projects run in this same environment (it carries every integration), with the
rendered directory as the working directory so its own `etl` package is the one imported.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]
DEFAULTS = json.loads((TEMPLATE / "cookiecutter.json").read_text())
BIN = Path(sys.executable).parent


def copy_template(destination: Path) -> Path:
    """A copy of this checkout as a fresh clone has it: without its environments, caches
    and build output (the README's quickstart folder, the docs site)."""
    ignore = shutil.ignore_patterns(".venv", ".git", ".tools", "quickstart", "site", "*cache*")
    shutil.copytree(TEMPLATE, destination, ignore=ignore)
    return destination


def render(output_dir: Path, **answers: str) -> Path:
    """Render the template with the default answers overridden by `answers`."""
    project = cookiecutter(
        str(TEMPLATE), no_input=True, extra_context=answers, output_dir=str(output_dir)
    )
    return Path(project)


def render_cli(output_dir: Path, *args: str, **answers: str) -> subprocess.CompletedProcess:
    """Run the `cookiecutter` command line with `--no-input`, as CI would."""
    command = [str(BIN / "cookiecutter"), "--no-input", "-o", str(output_dir), *args, str(TEMPLATE)]
    command += [f"{key}={value}" for key, value in answers.items()]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a subprocess that talks to Prefect: its own home, no analytics."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_CLI_PROMPT="false", **extra)
    return env


def run_rendered(project: Path, *command: str, timeout: int = 600, **env: str):
    """Run a command inside a rendered project with this environment's tools."""
    return subprocess.run(
        list(command),
        cwd=project,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=clean_env(PREFECT_HOME=str(project.parent / f"{project.name}-prefect-home"), **env),
    )


SAMPLE_ORDERS = 196  # valid orders in the example flow's sample CSV (5 more are rejected)


def orders_in(database: Path) -> int:
    """Rows of the `orders` table of a SQLite warehouse."""
    import sqlite3

    with sqlite3.connect(database) as db:
        return db.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
