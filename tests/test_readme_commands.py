"""Both READMEs' commands, exactly as written, on a machine that has only `python3`.

`python3` is a fresh virtual environment (with pip), PATH has no uv, HOME is empty: what
a new user starts from. The package caches stay warm. Each ```bash block runs in order in
one shell; blocks marked `<!-- not run by tests: reason -->` are listed with the reason.
The only things the test adds are what the READMEs ask a person to do in words: fill in
`.env` after copying it, and (for the rendered README) create the empty remote repository
that `git push` goes to, here a local bare repository named by `repository_url`.

Both tests use port 4200 as the READMEs do, so they never run at the same time: each
holds a lock file for the whole test, whichever worker runs it.
"""

from __future__ import annotations

import fcntl
import re
import subprocess
import tempfile
from pathlib import Path

import pytest

from devkit.readme import (
    processes_mentioning,
    python_only_machine,
    run_script,
    script,
    shell_blocks,
)
from devkit.render import SAMPLE_ORDERS, copy_template, orders_in, render

pytestmark = pytest.mark.slow
PORT_LOCK = Path(tempfile.gettempdir()) / "prefect-template-tests-port-4200.lock"


@pytest.fixture(autouse=True)
def port_4200():
    """One README test at a time on this machine (they all use the README's port 4200)."""
    with PORT_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# What a person types into .env after `cp .env.example .env`: values that are not
# placeholders (nothing is ever sent to them).
# The repository is public (a local bare one) and the team has no Slack webhook yet: the
# token and the webhook are left empty, as .env.example allows.
FILL_ENV = """python3 - <<'PY'
from pathlib import Path
env = Path(".env")
text = env.read_text()
for placeholder, value in {
    "GIT_ACCESS_TOKEN=change-me": "GIT_ACCESS_TOKEN=",
    "SLACK_WEBHOOK_URL=https://hooks.slack.com/services/change-me": "SLACK_WEBHOOK_URL=",
    "change-me-postgres-password": "readmetestpassword",
}.items():
    text = text.replace(placeholder, value)
env.write_text(text)
PY"""


def report_skipped(readme: Path) -> list[str]:
    blocks = shell_blocks(readme.read_text(encoding="utf-8"))
    skipped = [f"{readme.name}:{b.line}: skipped: {b.skip_reason}" for b in blocks if b.skip_reason]
    print("\n".join(skipped))
    assert any(not b.skip_reason for b in blocks), f"{readme} has no command to run"
    return skipped


def test_template_readme_commands_work_as_written(tmp_path, reap):
    template = copy_template(tmp_path / "template")  # a clone, as the README assumes
    readme = template / "README.md"
    report_skipped(readme)
    env = python_only_machine(tmp_path)
    code, output = run_script(
        script(shell_blocks(readme.read_text())), template, env, tmp_path / "readme.sh"
    )
    assert code == 0, output[-8000:]
    assert "uv not found: installing it into" in output  # quickstart on a bare machine
    assert "which is not on your PATH: export PATH=" in output  # and it says so
    home = Path(env["HOME"])
    for project in (template / "quickstart", home / "projects"):
        project = project / "my-prefect-pipelines"
        assert orders_in(project / "data" / "warehouse.db") == SAMPLE_ORDERS, project
        assert (project / "uv.lock").is_file(), "the install writes the lock users commit"
    assert output.count(": Completed\n") >= 2, output[-6000:]
    assert output.count("schedules fire: scheduled runs") == 2, output[-6000:]
    assert "Traceback" not in output, output
    assert processes_mentioning(tmp_path) == []


def test_rendered_readme_commands_work_as_written(tmp_path, reap):
    """Every block as written, then the tests again in the shell the other sections used:
    "deploy by hand" leaves PREFECT_API_URL exported for a server it stopped, and the
    suite must not depend on the caller's Prefect settings."""
    origin = tmp_path / "origin.git"  # the empty repository a user creates on their forge
    subprocess.run(["git", "init", "--quiet", "--bare", str(origin)], check=True)
    project = render(tmp_path / "out", repository_url=origin.as_uri())
    readme = project / "README.md"
    report_skipped(readme)
    env = python_only_machine(tmp_path, system_python=True)  # Debian's/Ubuntu's python3
    blocks = shell_blocks(readme.read_text())
    text = script(blocks, after={"cp .env.example .env": FILL_ENV})
    again = next(b for b in blocks if b.text.startswith("uv run pytest"))
    text += 'cd "$README_DIR"\necho "again, in the used shell: PREFECT_API_URL=$PREFECT_API_URL"\n'
    text += again.text
    code, output = run_script(text, project, env, tmp_path / "readme.sh")
    assert code == 0, output[-8000:]

    # The README's first lines, on a bare machine whose python3 refuses `pip install`.
    assert (Path(env["HOME"]) / ".local" / "bin" / "uv").resolve().is_file()
    # Empty token and webhook: what follows is said, and the deployed run still completes.
    assert "saved secret/my-prefect-pipelines-git-token (GIT_ACCESS_TOKEN is empty" in output
    assert "skipped slack-webhook/my-prefect-pipelines-slack (SLACK_WEBHOOK_URL is empty" in output
    # etl-dev: the dev deployment ran to Completed and the prod schedule fired.
    assert "[etl-dev] schedules fire: scheduled runs" in output, output[-6000:]
    assert orders_in(project / "data" / "warehouse.db") == SAMPLE_ORDERS
    # By hand: the worker cloned the pushed repository and ran dev; its data outlives the
    # run's temporary directory, under ~/.local/share/<slug>/ (the run's log says where).
    kept = Path(env["HOME"]) / ".local/share/my-prefect-pipelines/data/warehouse.db"
    assert f"warehouse: {kept}" in output, output[-6000:]
    assert orders_in(kept) == SAMPLE_ORDERS
    assert "Finished in state Completed()" in output
    assert "Traceback" not in output, output
    rerun = output.split("\nagain, in the used shell: PREFECT_API_URL=http://127.0.0.1:4200/api")
    assert len(rerun) == 2 and re.search(r"\d+ passed", rerun[1]), output[-4000:]
    assert processes_mentioning(tmp_path) == []
