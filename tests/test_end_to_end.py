"""End to end, on loopback: render → git push → real server → blocks → deploy → worker run.

What a user does after `cookiecutter`, with nothing mocked: the rendered project is pushed
to a local bare repository (so the deployment's `git_clone` pull step works offline), its
own block script creates the blocks, `prefect deploy --all` registers both deployments,
and a process worker started in an unrelated directory clones the repository and runs
`example-etl/dev`. The warehouse it writes is then opened and counted.

Deploying again from a copy of the project at another path must store the same pull
steps, with no absolute path of either checkout: the deployments are portable.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import DEFAULTS, render, run_rendered
from tests.prefect_server import PREFECT, prefect_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("git") is None, reason="the git_clone pull step needs git"),
]

SAMPLE_ROWS, SAMPLE_MALFORMED = 201, 5
# Non-placeholder values for the block script; nothing is ever sent to them.
DUMMY_SECRETS = {
    "GIT_ACCESS_TOKEN": "e2e-dummy-token",
    "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T000/B000/e2edummy",
}
GIT = ["git", "-c", "user.name=E2E Test", "-c", "user.email=e2e@example.com"]
GIT += ["-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"]


def timed(timings: dict[str, float], phase: str, started: float) -> None:
    timings[phase] = time.monotonic() - started
    print(f"[e2e] {phase}: {timings[phase]:.1f} s", flush=True)


def check(result: subprocess.CompletedProcess, what: str) -> str:
    """The command's stdout; on failure, fail the test with everything it printed."""
    assert result.returncode == 0, (
        f"{what} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    )
    return result.stdout


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run([*GIT, *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    return check(result, "git " + " ".join(args))


def publish(project: Path, origin: Path) -> None:
    """`git init` the project, commit everything, push it to `origin` on branch `main`."""
    git(origin.parent, "init", "--bare", "--quiet", str(origin))
    git(project, "init", "--quiet")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "--no-verify", "-m", "Rendered project")
    git(project, "push", "--quiet", str(origin), "HEAD:refs/heads/main")


def test_render_deploy_and_run_on_a_real_server(tmp_path):
    timings: dict[str, float] = {}
    origin = tmp_path / "origin.git"
    started = time.monotonic()
    project = render(tmp_path / "rendered", repository_url=origin.as_uri())
    slug = project.name
    pool, flow_name = f"{slug}-{DEFAULTS['work_pool_type'][0]}", "example-etl"
    publish(project, origin)
    timed(timings, "render + git push", started)

    with prefect_server(tmp_path / "server-home") as server:
        timings["server start"] = server.startup_seconds
        print(f"[e2e] server start: {server.startup_seconds:.1f} s", flush=True)
        api = {"PREFECT_API_URL": server.api_url}

        def prefect(cwd: Path, *args: str, **env: str) -> str:
            result = run_rendered(cwd, str(PREFECT), *args, timeout=180, **api, **env)
            return check(result, "prefect " + " ".join(args))

        # Blocks from the project's own script, then the pool, then both deployments.
        started = time.monotonic()
        blocks = run_rendered(
            project, sys.executable, "-m", "etl.utils.blocks", **api, **DUMMY_SECRETS
        )
        out = check(blocks, "python -m etl.utils.blocks")
        assert f"saved secret/{slug}-git-token" in out
        assert f"saved slack-webhook/{slug}-slack" in out
        prefect(project, "work-pool", "create", pool, "--type", "process")
        timed(timings, "blocks + work pool", started)

        started = time.monotonic()
        prefect(project, "--no-prompt", "deploy", "--all")
        timed(timings, "deploy", started)
        deployed = {
            name: server.request("GET", f"/deployments/name/{flow_name}/{name}")
            for name in ("dev", "prod")
        }

        # The same deploy from a copy elsewhere: identical pull steps, no path of either tree.
        started = time.monotonic()
        elsewhere = tmp_path / "elsewhere" / "checkout"
        shutil.copytree(project, elsewhere, symlinks=True)
        prefect(elsewhere, "--no-prompt", "deploy", "--all")
        timed(timings, "deploy from a copy", started)
        for name, first in deployed.items():
            again = server.request("GET", f"/deployments/name/{flow_name}/{name}")
            assert again["id"] == first["id"]
            assert again["pull_steps"] == first["pull_steps"]
            stored = json.dumps(again)
            for path in (project, elsewhere, project.parent, elsewhere.parent):
                assert str(path) not in stored, f"{name} stores the path {path}: {stored}"
            for secret in DUMMY_SECRETS.values():
                assert secret not in stored, f"{name} stores a secret value: {stored}"
            assert again["work_pool_name"] == pool
        clone, chdir = deployed["dev"]["pull_steps"]
        assert clone["prefect.deployments.steps.git_clone"]["repository"] == origin.as_uri()
        assert clone["prefect.deployments.steps.git_clone"]["branch"] == "main"
        assert chdir["prefect.deployments.steps.set_working_directory"] == {
            "directory": "{{ clone.directory }}"
        }
        assert deployed["prod"]["schedules"], "prod lost its schedule"

        # One run of `dev`, into a warehouse outside every checkout.
        warehouse = tmp_path / "warehouse" / "warehouse.db"
        params = {"params": {"source": "sample", "batch_size": 50, "database": str(warehouse)}}
        started = time.monotonic()
        out = prefect(
            project, "deployment", "run", f"{flow_name}/dev", "--params", json.dumps(params)
        )
        timed(timings, "deployment run", started)
        match = re.search(r"UUID:\s*([0-9a-f-]{36})", out)
        assert match, f"no flow run id in:\n{out}"
        run_id = match.group(1)

        # The worker starts in an empty directory: the code can only come from the clone.
        started = time.monotonic()
        workdir = tmp_path / "worker" / "cwd"
        workdir.mkdir(parents=True)
        worker = run_rendered(
            workdir, str(PREFECT), "worker", "start", "--pool", pool, "--run-once", **api
        )
        timed(timings, "worker run", started)
        run = server.request("GET", f"/flow_runs/{run_id}")
        state = run["state"] or {}
        assert state.get("type") == "COMPLETED", (
            f"flow run is {state.get('type')} ({state.get('message')}):\n"
            f"{worker.stdout}\n{worker.stderr}\n{server.output()[-4000:]}"
        )
        check(worker, "prefect worker start --run-once")
        assert run["deployment_id"] == deployed["dev"]["id"]

    assert warehouse.exists(), f"the run did not write {warehouse}"
    with sqlite3.connect(warehouse) as db:
        orders = db.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
        rejects = db.execute("SELECT COUNT(*) FROM rejects").fetchone()[0]
    assert (orders, rejects) == (SAMPLE_ROWS - SAMPLE_MALFORMED, SAMPLE_MALFORMED)
    assert not (project / "data").exists() and not (elsewhere / "data").exists()
    print(
        "[e2e] phases: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.items())
    )
