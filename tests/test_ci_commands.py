"""The rendered CI's commands, executed: `scripts/smoke.py` for a GitHub and a GitLab project.

Each run renders the template, runs `uv lock`, `git init` and commits (what a user does),
then executes every `run:` script of the generated workflow, or every `script:` line of the
generated pipeline, in order, each job in a fresh clone, with actions and images replaced
by local equivalents (scripts/ci_local.py). A command that fails as written fails here.
Only commands that need a Docker engine, a registry login or a real Prefect workspace
(and steps whose `if:` is false here) may be skipped; the table of what ran and what was
skipped is printed. Needs the package registry for `uv lock` and the installs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from devkit.prefect_server import free_port
from devkit.render import TEMPLATE

CASES = {
    "github-default": [],
    # S3 code and an ECS pool: etl-dev stands in for both (the mirror for the upload and
    # download, a process pool for ECS), in a project resolved fresh, as first_deploy did;
    # no notifications: the flow tests without a failure hook run in its `pytest --slow`.
    "gitlab-s3-ecs-no-slack": [
        "ci_provider=gitlab",
        "code_storage=s3",
        "work_pool_type=ecs",
        "notifications=none",
    ],
}
ALLOWED_SKIPS = (
    "needs a Docker engine",
    "logs in to a registry",
    "deploys to a real Prefect workspace",
    "if: hashFiles('.cruft.json') != '' is false here",  # tests/test_cruft.py covers cruft
)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_every_generated_ci_command_runs(name, tmp_path, capsys):
    command = [sys.executable, str(TEMPLATE / "scripts/smoke.py"), "--output", str(tmp_path)]
    for answer in CASES[name]:
        command += ["--answer", answer]
    # etl-dev's server on a free port: the README tests hold 4200 (the README's port).
    env = {**os.environ, "ETL_DEV_PORT": str(free_port())}
    result = subprocess.run(command, capture_output=True, text=True, timeout=1800, env=env)
    output = result.stdout + result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    with capsys.disabled():
        print(f"\n{name}: the rendered CI, executed here\n" + "\n".join(rows))
        print("\n".join(line for line in output.splitlines() if line.startswith("[smoke] ")))
    assert result.returncode == 0, output[-6000:]
    table = [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows[2:]]
    assert table, "no CI steps found"
    statuses = {row[3] for row in table}
    assert statuses <= {"ran", "skipped", "local"}, statuses
    for row in table:
        if row[3] == "skipped":
            assert any(reason in row[5] for reason in ALLOWED_SKIPS), row
    commands_ran = re.search(r"(github|gitlab) commands ran: (\d+)", output)
    assert commands_ran and int(commands_ran.group(2)) >= 5, output[-2000:]
    # The commands that prove the project: install from the lock, lint, checks, tests.
    ran = {row[2] for row in table if row[3] == "ran"}
    if name.startswith("github"):
        proof = {"Lint", "Project checks", "Tests", "First deploy (etl-dev --once)"}
        assert {"uv sync --locked --all-extras", *proof} <= ran, ran
    else:
        expected = {"uv sync --locked --all-extras", "uv run pytest --slow"}
        assert expected | {"uv run etl-dev --once"} <= ran
