"""Pipelines fail safely, shown on a real (temporary) Prefect server.

The failures are real, not mocked: a source file that arrives late, and a database that
refuses a write (a SQLite trigger, as a full disk or a lock would).
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterId,
    TaskRunFilter,
    TaskRunFilterName,
    TaskRunFilterState,
    TaskRunFilterStateName,
)
from prefect.settings import PREFECT_API_URL

from etl.flows.example_etl import EtlParams, example_etl
from etl.tasks.extract import extract, resolve_source
from etl.warehouse import count_rows, create_schema

pytestmark = pytest.mark.usefixtures("prefect_server")


def task_runs(flow_run_id, name: str, count: int) -> list:
    """The `count` task runs called `name` of one flow run, once the server has them all.

    Task runs reach the server as events, recorded a moment after the flow returns, so
    this polls until all of them are there in a final state.
    """
    deadline = time.monotonic() + 60
    with get_client(sync_client=True) as client:
        while True:
            runs = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
                task_run_filter=TaskRunFilter(name=TaskRunFilterName(like_=name)),
            )
            found = [r for r in runs if r.name.rsplit("-", 1)[0] == name]
            if len(found) >= count and all(r.state and r.state.is_final() for r in found):
                return found
            assert time.monotonic() < deadline, f"{len(found)} of {count} {name} runs recorded"
            time.sleep(0.2)


def deliver_after_first_failure(source, stop: threading.Event) -> None:
    """Copy the sample to `source` once the server shows extract waiting to retry."""
    retrying = TaskRunFilter(
        name=TaskRunFilterName(like_="extract"),
        state=TaskRunFilterState(name=TaskRunFilterStateName(any_=["AwaitingRetry"])),
    )
    with get_client(sync_client=True) as client:
        while not stop.wait(0.1):
            if client.read_task_runs(task_run_filter=retrying):
                shutil.copy(resolve_source("sample"), source)
                return


def test_a_late_source_is_retried_and_every_row_loads_once(tmp_path, database, monkeypatch):
    # Real-sized delays here: the file arrives once the server shows extract waiting to
    # retry, which a hundredth of a second would not leave time to see.
    monkeypatch.setattr(extract, "retry_delay_seconds", [1, 2, 4])
    source = tmp_path / "late" / "orders.csv"
    source.parent.mkdir()
    stop = threading.Event()
    upstream = threading.Thread(target=deliver_after_first_failure, args=(source, stop))
    upstream.start()
    try:
        state = example_etl(EtlParams(source=str(source), database=database), return_state=True)
    finally:
        stop.set()
        upstream.join()

    assert state.is_completed(), state.message
    [extract_run] = task_runs(state.state_details.flow_run_id, "extract", 1)
    assert extract_run.run_count >= 2  # failed, backed off, then read the file
    assert count_rows(database, "orders") == 196
    assert count_rows(database, "rejects") == 5


def refuse_order(database: str, order_id: int) -> None:
    """Make the database refuse one row, as a full disk or a held lock would."""
    create_schema(database)
    with sqlite3.connect(database) as connection:
        connection.execute(
            f"CREATE TRIGGER refuse BEFORE INSERT ON orders WHEN NEW.order_id = {order_id} "
            "BEGIN SELECT RAISE(ABORT, 'disk I/O error (injected)'); END"
        )


def test_a_failed_load_keeps_whole_batches_and_a_rerun_completes_the_table(database):
    batch_size = 25
    refuse_order(database, 1120)  # in the fifth batch of valid rows
    first = example_etl(EtlParams(database=database, batch_size=batch_size), return_state=True)

    assert first.is_failed()
    with sqlite3.connect(database) as connection:
        loaded = {row[0] for row in connection.execute("SELECT order_id FROM orders")}
    # Every other batch committed; the refused batch was rolled back whole.
    assert len(loaded) == 196 - batch_size
    assert 1120 not in loaded
    # The clean-up task ran although a load failed (wait_for + allow_failure).
    [cleanup] = task_runs(first.state_details.flow_run_id, "optimize_warehouse", 1)
    assert cleanup.state.is_completed()
    with sqlite3.connect(database) as connection:
        connection.execute("DROP TRIGGER refuse")  # the disk has space again

    second = example_etl(EtlParams(database=database, batch_size=batch_size), return_state=True)

    assert second.is_completed()
    assert count_rows(database, "orders") == 196
    # The pure transform step was not recomputed: its persisted results were reused.
    transforms = task_runs(second.state_details.flow_run_id, "transform_batch", 8)
    assert {run.state.name for run in transforms} == {"Cached"}
    with sqlite3.connect(database) as connection:
        ids = [row[0] for row in connection.execute("SELECT order_id FROM orders")]
    assert len(ids) == len(set(ids)) == 196


def test_malformed_rows_are_rejected_with_reasons_and_counts_add_up(database):
    summary = example_etl(EtlParams(database=database))

    assert summary["read"] == summary["loaded"] + summary["rejected"]
    with sqlite3.connect(database) as connection:
        reasons = dict(connection.execute("SELECT line, reason FROM rejects"))
    assert len(reasons) == summary["rejected"] == 5
    assert any(r.startswith("quantity") for r in reasons.values())  # wrong type
    assert any(r.startswith("country") for r in reasons.values())  # missing field
    assert any(r.startswith("duplicate order_id") for r in reasons.values())


RUN_IN_SUBPROCESS = """
import sys
from etl.flows.example_etl import EtlParams, example_etl
example_etl(EtlParams(database=sys.argv[1], batch_size=10))
"""


def stall_after_first_batch(database: str) -> None:
    """Once one batch is committed, the next batch's first insert never finishes.

    The trigger's query (a cross join of a thousand-row table with itself four times)
    keeps that batch's transaction open, holding SQLite's write lock, so the other loads
    wait on the lock: the process is killed with exactly one batch committed.
    """
    create_schema(database)
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE spin (n INTEGER)")
        connection.executemany("INSERT INTO spin VALUES (?)", [(n,) for n in range(1000)])
        connection.execute(
            "CREATE TRIGGER stall BEFORE INSERT ON orders "
            "WHEN (SELECT COUNT(*) FROM orders) >= 10 "
            "BEGIN SELECT COUNT(*) FROM spin a, spin b, spin c, spin d; END"
        )


def committed_orders(database: str) -> int:
    with sqlite3.connect(database, timeout=5) as connection:
        return connection.execute("SELECT COUNT(*) FROM orders").fetchone()[0]


def test_a_crash_mid_load_then_a_rerun_completes_the_table(database):
    """Kill the flow's process while a batch is being written, then run it again."""
    stall_after_first_batch(database)
    project = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "PYTHONPATH": str(project)}
    process = subprocess.Popen(
        [sys.executable, "-c", RUN_IN_SUBPROCESS, database], cwd=project, env=env
    )
    try:
        deadline = time.monotonic() + 120
        while committed_orders(database) == 0:  # wait for the first committed batch
            assert process.poll() is None, "the flow ended before loading anything"
            assert time.monotonic() < deadline, "no batch was committed in time"
            time.sleep(0.05)
        time.sleep(0.5)  # the next batch is now stalled mid-insert, holding the write lock
        assert process.poll() is None, "the flow ended instead of stalling mid-load"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    # Exactly one whole batch survived; the one being written was rolled back.
    assert committed_orders(database) == 10
    with sqlite3.connect(database) as connection:
        connection.execute("DROP TRIGGER stall")
        connection.execute("DROP TABLE spin")

    rerun = example_etl(EtlParams(database=database, batch_size=10), return_state=True)

    assert rerun.is_completed()
    with sqlite3.connect(database) as connection:
        ids = [row[0] for row in connection.execute("SELECT order_id FROM orders")]
    assert len(ids) == len(set(ids)) == 196
    transforms = task_runs(rerun.state_details.flow_run_id, "transform_batch", 20)
    assert {run.state.name for run in transforms} == {"Cached"}  # no transform was redone
