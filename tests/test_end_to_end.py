"""End to end, on loopback: render → git push → real server → blocks → deploy → worker runs.

What a user does after `cookiecutter`, with nothing mocked: the rendered project is pushed
to a local bare repository (so the deployment's `git_clone` pull step works offline), its
own block script creates the blocks, `prefect deploy --all` registers every deployment
(and report-prod's event trigger), and a process worker started in an unrelated directory
clones the repository and runs `example-etl/dev`, then `example-etl/prod`. Only prod's
completion may start `orders-report/report-prod` through the trigger, with the prod run's
id as a parameter; the same worker runs that report too. The warehouse and the CSV
report are then read. The slug starts with "prefect", which the server reserves for pool
names: the names made from it must all be accepted.

The server runs on PostgreSQL as the rendered docker-compose.yml runs it (its database URL
is taken from that file); on a laptop without TEMPLATE_TEST_POSTGRES_URL, on SQLite (in
CI that is a failure: the PostgreSQL backend must be proven). A SQLite server with a
deployed run and a worker is what the rendered README's "deploy by hand" and `etl-dev`
run (test_readme_commands.py, test_first_deploy.py). The worker is started with the
compose file's own command and polling settings, and both health checks of the compose
file are run against the server and the worker.

Deploying again from a copy of the project at another path must store the same pull
steps, with no absolute path of either checkout: the deployments are portable.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from answer_model import work_pool_name
from devkit.compose import env_example, healthcheck_command, load_compose
from devkit.prefect_server import (
    POSTGRES_URL,
    PREFECT,
    PostgresDatabase,
    background,
    free_port,
    fresh_postgres_database,
    in_ci,
    postgres_url_or_skip,
    prefect_server,
    wait_for,
)
from devkit.render import DEFAULTS, clean_env, render, run_rendered

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


@pytest.fixture
def backend() -> Iterator[PostgresDatabase | None]:
    """A fresh PostgreSQL database, dropped after the test; None (SQLite) on a laptop
    without TEMPLATE_TEST_POSTGRES_URL. In CI (`CI` set) its absence is a failure: there
    the backend must be proven, never silently left out."""
    if not os.environ.get(POSTGRES_URL) and not in_ci():
        yield None
        return
    with fresh_postgres_database(postgres_url_or_skip("the postgres backend")) as database:
        yield database


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


def compose_database_url(project: Path, database: PostgresDatabase) -> str:
    """The server's database URL exactly as docker-compose.yml builds it from `.env`,
    pointed at `database` instead of the stack's `postgres` service."""
    settings = env_example(project) | {
        "POSTGRES_USER": database.user,
        "POSTGRES_PASSWORD": database.password,
        "POSTGRES_DB": database.name,
    }
    server = load_compose(project, settings)["services"]["server"]
    url = server["environment"]["PREFECT_SERVER_DATABASE_CONNECTION_URL"]
    assert url.startswith("postgresql+asyncpg://") and "@postgres:5432/" in url, url
    return url.replace("@postgres:5432/", f"@{database.host}:{database.port}/")


def healthy(command: list[str]) -> bool:
    return subprocess.run(command, capture_output=True, timeout=30).returncode == 0


def test_render_deploy_and_run_on_a_real_server(tmp_path, backend):
    timings: dict[str, float] = {}
    origin = tmp_path / "origin.git"
    started = time.monotonic()
    # A slug that starts with "prefect" (the server reserves such pool names): the pool,
    # block and deployment names made from it must all be accepted.
    project = render(
        tmp_path / "rendered", repository_url=origin.as_uri(), project_name="Prefect Lab"
    )
    slug = project.name
    pool, flow_name = work_pool_name(slug, DEFAULTS["work_pool_type"][0]), "example-etl"
    assert not pool.lower().startswith("prefect")
    publish(project, origin)
    timed(timings, "render + git push", started)

    database_url = None
    if backend is not None:
        database_url = compose_database_url(project, backend)
        assert database_url == backend.url  # the compose form, on this machine's server

    with prefect_server(tmp_path / "server-home", database_url) as server:
        timings["server start"] = server.startup_seconds
        kind = "postgres" if backend else "sqlite"
        print(f"[e2e] server start ({kind}): {server.startup_seconds:.1f} s", flush=True)
        api = {"PREFECT_API_URL": server.api_url}
        port = int(server.api_url.split(":")[-1].split("/")[0])
        # The stack as Compose would run it, with the worker pointed at this server.
        stack = load_compose(project, env_example(project) | {"WORKER_API_URL": server.api_url})
        services = stack["services"]
        assert healthy(healthcheck_command(services["server"], sys.executable, port, 4200))

        def prefect(cwd: Path, *args: str, **env: str) -> str:
            result = run_rendered(cwd, str(PREFECT), *args, timeout=180, **api, **env)
            return check(result, "prefect " + " ".join(args))

        # Blocks from the project's own script, then the pool, then every deployment.
        started = time.monotonic()
        blocks = run_rendered(
            project, sys.executable, "-m", "etl_tools.blocks", **api, **DUMMY_SECRETS
        )
        out = check(blocks, "python -m etl_tools.blocks")
        assert f"saved secret/{slug}-git-token" in out
        assert f"saved slack-webhook/{slug}-slack" in out
        prefect(project, "work-pool", "create", pool, "--type", "process")
        timed(timings, "blocks + work pool", started)

        started = time.monotonic()
        prefect(project, "--no-prompt", "deploy", "--all")
        timed(timings, "deploy", started)
        names = {"dev": flow_name, "prod": flow_name, "report-prod": "orders-report"}
        deployed = {name: server.deployment(flow, name) for name, flow in names.items()}

        # The same deploy from a copy elsewhere: identical pull steps, no path of either tree.
        started = time.monotonic()
        elsewhere = tmp_path / "elsewhere" / "checkout"
        shutil.copytree(project, elsewhere, symlinks=True)
        prefect(elsewhere, "--no-prompt", "deploy", "--all")
        timed(timings, "deploy from a copy", started)
        for name, first in deployed.items():
            again = server.deployment(names[name], name)
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
        report = deployed["report-prod"]
        # `prefect deploy` made the trigger an automation; deploying twice did not double it.
        related = f"/automations/related-to/prefect.deployment.{report['id']}"
        automations = server.request("GET", related)
        assert len(automations) == 1, automations
        assert automations[0]["trigger"]["expect"] == ["prefect.flow-run.Completed"]

        # One long-running worker, started with the compose file's own command and polling
        # settings, in an empty directory: the code can only come from the clone. The
        # triggered report gets no database parameter: it reads ETL_DATABASE_PATH.
        warehouse = tmp_path / "warehouse" / "warehouse.db"
        worker_spec = services["worker"]
        program, *arguments = worker_spec["command"]
        assert program == "prefect" and arguments[:4] == ["worker", "start", "--pool", pool]
        webserver = free_port()
        worker_env = {key: str(value) for key, value in worker_spec["environment"].items()}
        assert worker_env["PREFECT_API_URL"] == server.api_url
        worker_env.update(
            PREFECT_HOME=str(tmp_path / "worker" / "home"),  # the stack's is inside the image
            PREFECT_WORKER_WEBSERVER_PORT=str(webserver),
            ETL_DATABASE_PATH=str(warehouse),
        )
        workdir = tmp_path / "worker" / "cwd"
        workdir.mkdir(parents=True)
        started = time.monotonic()
        with background(
            [str(PREFECT), *arguments], workdir, clean_env(**worker_env), tmp_path / "worker.log"
        ) as worker:
            probe = healthcheck_command(worker_spec, sys.executable, webserver, 8080)
            assert wait_for(lambda: healthy(probe) or None, 90, 1), worker.output()
            timed(timings, "worker start (healthy)", started)

            def run_to_completion(deployment: str, params: dict) -> str:
                out = prefect(
                    project, "deployment", "run", f"{flow_name}/{deployment}",
                    "--params", json.dumps(params),
                )  # fmt: skip
                match = re.search(r"UUID:\s*([0-9a-f-]{36})", out)
                assert match, f"no flow run id in:\n{out}"
                run = server.wait_for_state(match.group(1))
                state = run["state"] or {}
                assert state.get("type") == "COMPLETED", (
                    f"flow run is {state.get('type')} ({state.get('message')}):\n"
                    f"{worker.output()[-6000:]}\n{server.output()[-4000:]}"
                )
                assert run["deployment_id"] == deployed[deployment]["id"]
                return run["id"]

            # dev first: its Completed event must not start the prod report.
            params = {"params": {"source": "sample", "batch_size": 50, "database": str(warehouse)}}
            started = time.monotonic()
            dev_run_id = run_to_completion("dev", params)
            timed(timings, "dev run to Completed", started)
            started = time.monotonic()
            run_id = run_to_completion("prod", params)
            timed(timings, "prod run to Completed", started)

            # prod's Completed event fires report-prod's trigger: a run of that deployment.
            started = time.monotonic()
            triggered = wait_for(lambda: server.flow_runs(report["id"]) or None, 60, 1)
            assert triggered, f"no report-prod run within 60 s:\n{server.output()[-4000:]}"
            timed(timings, "trigger created report-prod run", started)
            report_run = triggered[0]
            assert report_run["parameters"]["upstream_flow_run"] == f"prefect.flow-run.{run_id}"
            assert report_run["parameters"]["upstream_flow_run"] != f"prefect.flow-run.{dev_run_id}"
            assert report_run["parameters"]["output"] == "csv"
            started = time.monotonic()
            report_run = server.wait_for_state(report_run["id"])
            state = report_run["state"] or {}
            assert state.get("type") == "COMPLETED", (
                f"report run is {state.get('type')} ({state.get('message')}):\n"
                f"{worker.output()[-6000:]}"
            )
            timed(timings, "report-prod run to Completed", started)
            # The dev run finished before prod started: had it fired the trigger, its report
            # would be here by now. One prod run, one report; the dev run, none.
            assert len(server.flow_runs(report["id"])) == 1, "a dev run started a prod report"

        assert not worker.leftovers, f"worker left processes: {worker.leftovers}"
        print(f"[e2e] worker stopped by {worker.how_stopped}", flush=True)
        if backend is not None:  # the runs are rows in PostgreSQL, not only API answers
            rows = dict(
                backend.query(
                    "SELECT id::text, state_type::text FROM flow_run WHERE id = ANY($1::uuid[])",
                    [dev_run_id, run_id, report_run["id"]],
                )
            )
            expected = {dev_run_id: "COMPLETED", run_id: "COMPLETED", report_run["id"]: "COMPLETED"}
            assert rows == expected, rows

    assert warehouse.exists(), f"the run did not write {warehouse}"
    with sqlite3.connect(warehouse) as db:
        orders = db.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
        rejects = db.execute("SELECT COUNT(*) FROM rejects").fetchone()[0]
        revenue = db.execute("SELECT SUM(total_cents) FROM orders").fetchone()[0]
    assert (orders, rejects) == (SAMPLE_ROWS - SAMPLE_MALFORMED, SAMPLE_MALFORMED)
    csv_report = warehouse.parent / "reports" / "orders-by-month.csv"
    assert csv_report.is_file(), f"the triggered report did not write {csv_report}"
    with csv_report.open(newline="") as handle:
        months = list(csv.DictReader(handle))
    assert months and sum(int(m["orders"]) for m in months) == orders
    assert sum(int(m["revenue_cents"]) for m in months) == revenue
    assert not (project / "data").exists() and not (elsewhere / "data").exists()
    print(
        "[e2e] phases: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.items())
    )
