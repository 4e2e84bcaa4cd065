"""`python -m etl.serve` end to end: serve, run on demand, stop with Ctrl-C, nothing left.

The rendered project's serve entry point runs as a user starts it (from the project root,
against a real local server), registers its `served` deployments, and runs a flow run
created through the API in its own process. Ctrl-C (SIGINT to its process group) must
stop it, exit 0, and leave no process behind: not the runner, not a flow run. It stops in
about a second; two minutes is a ceiling for a machine whose cores are all busy.
"""

from __future__ import annotations

import signal
import sqlite3
import sys
import time

import pytest

from devkit.prefect_server import background, prefect_server, wait_for
from devkit.render import clean_env, render

STOP_CEILING = 120  # seconds for Ctrl-C to stop everything (it takes about one)

pytestmark = pytest.mark.slow

SAMPLE_ROWS, SAMPLE_MALFORMED = 201, 5


def test_serve_runs_a_deployment_and_stops_on_ctrl_c(tmp_path):
    project = render(tmp_path / "rendered")
    slug = project.name
    warehouse = tmp_path / "warehouse" / "warehouse.db"
    with prefect_server(tmp_path / "server-home") as server:
        print(f"[serve] server start: {server.startup_seconds:.1f} s", flush=True)
        env = clean_env(
            PREFECT_API_URL=server.api_url,
            PREFECT_HOME=str(tmp_path / "serve-home"),
            PREFECT_RUNNER_POLL_FREQUENCY="2",  # default 10 s; only to keep the test short
            ETL_DATABASE_PATH=str(warehouse),
        )
        started = time.monotonic()
        command = [sys.executable, "-m", "etl.serve"]
        with background(command, project, env, tmp_path / "serve.log") as serve:
            served = wait_for(lambda: server.deployment("example-etl", "served"), 120)
            assert served, f"example-etl/served never appeared:\n{serve.output()}"
            # serve() registers its deployments one after the other: wait for the second too.
            assert wait_for(lambda: server.deployment("orders-report", "served"), 60)
            assert set(served["tags"]) == {slug, "served"}
            assert served["work_pool_name"] is None  # served, not pulled by a worker
            print(f"[serve] deployments registered: {time.monotonic() - started:.1f} s")

            started = time.monotonic()
            params = {"params": {"source": "sample", "batch_size": 50}}
            run = server.request(
                "POST", f"/deployments/{served['id']}/create_flow_run", {"parameters": params}
            )
            run = server.wait_for_state(run["id"])
            state = run["state"] or {}
            assert state.get("type") == "COMPLETED", (
                f"served run is {state.get('type')} ({state.get('message')}):\n{serve.output()}"
            )
            print(f"[serve] run to Completed: {time.monotonic() - started:.1f} s")

            serve.stop(interrupt_grace=STOP_CEILING)
            print(f"[serve] stopped by {serve.how_stopped}")
            assert serve.stopped_by == signal.SIGINT, serve.output()[-3000:]
            assert serve.stop_seconds < STOP_CEILING
            assert serve.process.returncode == 0, serve.output()[-3000:]
            assert not serve.leftovers, f"left running: {serve.leftovers}"

    with sqlite3.connect(warehouse) as db:
        orders = db.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
    assert orders == SAMPLE_ROWS - SAMPLE_MALFORMED
