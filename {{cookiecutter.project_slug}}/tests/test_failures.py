"""Pipelines fail safely, shown on a real (temporary) Prefect server.

The failures are real, not mocked: a source file that arrives late, and a database that
refuses a write (a trigger, as a full disk or a lock would). Every test that takes the
`database` fixture runs on SQLite and, when ETL_WAREHOUSE_URL names one, on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterId,
    TaskRunFilter,
    TaskRunFilterName,
)
from prefect.settings import PREFECT_API_URL

from etl.flows.example_etl import EtlParams, example_etl
from etl.target import Target
from etl.tasks.extract import extract, resolve_source
from etl.warehouse import count_rows
from tests.faults import allow_orders, order_ids, refuse_order, rejects, stall_a_batch, unstall

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


def deliver_on_the_first_retry(source, connected: threading.Event) -> None:
    """Copy the sample to `source` once the server streams extract's AwaitingRetry event.

    The server's event stream (`/events/out`) carries a state as soon as the run reports
    it; its task-run table holds it up to a second later (the recorder writes in batches),
    which made this test wait for a second retry."""
    asyncio.run(asyncio.wait_for(_deliver_on_the_first_retry(source, connected), 60))


async def _deliver_on_the_first_retry(source, connected: threading.Event) -> None:
    from prefect.events.clients import get_events_subscriber
    from prefect.events.filters import EventFilter, EventNameFilter, EventOccurredFilter

    waiting = EventFilter(
        occurred=EventOccurredFilter(since=datetime.now(timezone.utc)),
        event=EventNameFilter(name=["prefect.task-run.AwaitingRetry"]),
    )
    async with get_events_subscriber(filter=waiting) as events:
        connected.set()
        async for event in events:
            if (event.resource.name or "").startswith("extract"):
                shutil.copy(resolve_source("sample"), source)
                return


def test_a_late_source_is_retried_and_every_row_loads_once(tmp_path, database, monkeypatch):
    # Half-second delays: the file arrives once the server has streamed extract's retry,
    # which a hundredth of a second would not leave time to see.
    monkeypatch.setattr(extract, "retry_delay_seconds", [0.5, 1, 2])
    source = tmp_path / "late" / "orders.csv"
    source.parent.mkdir()
    connected = threading.Event()
    upstream = threading.Thread(  # in this context: it reads from the test server
        target=contextvars.copy_context().run, args=(deliver_on_the_first_retry, source, connected)
    )
    upstream.start()
    try:
        assert connected.wait(30), "the server's event stream did not accept a subscriber"
        state = example_etl(EtlParams(source=str(source), database=database), return_state=True)
    finally:
        upstream.join()

    assert state.is_completed(), state.message
    [extract_run] = task_runs(state.state_details.flow_run_id, "extract", 1)
    assert extract_run.run_count >= 2  # failed, backed off, then read the file
    assert count_rows(Target.of(database), "orders") == 196
    assert count_rows(Target.of(database), "rejects") == 5


def test_a_failed_load_keeps_whole_batches_and_a_rerun_completes_the_table(database):
    batch_size = 25
    refuse_order(database, 1120)  # in the fifth batch of valid rows
    first = example_etl(EtlParams(database=database, batch_size=batch_size), return_state=True)

    assert first.is_failed()
    loaded = set(order_ids(database))
    # Every other batch committed; the refused batch was rolled back whole.
    assert len(loaded) == 196 - batch_size
    assert 1120 not in loaded
    # The clean-up task ran although a load failed (wait_for + allow_failure).
    [cleanup] = task_runs(first.state_details.flow_run_id, "optimize_warehouse", 1)
    assert cleanup.state.is_completed()
    allow_orders(database)  # the disk has space again

    second = example_etl(EtlParams(database=database, batch_size=batch_size), return_state=True)

    assert second.is_completed()
    assert count_rows(Target.of(database), "orders") == 196
    # Every batch was loaded again (an upsert): the rerun converged, nothing doubled.
    loads = task_runs(second.state_details.flow_run_id, "load_batch", 8)
    assert {run.state.name for run in loads} == {"Completed"}
    ids = order_ids(database)
    assert len(ids) == len(set(ids)) == 196


def test_malformed_rows_are_rejected_with_reasons_and_counts_add_up(database):
    summary = example_etl(EtlParams(database=database))

    assert summary["read"] == summary["loaded"] + summary["rejected"]
    reasons = rejects(database)
    assert len(reasons) == summary["rejected"] == 5
    assert any(r.startswith("quantity") for r in reasons.values())  # wrong type
    assert any(r.startswith("country") for r in reasons.values())  # missing field
    assert any(r.startswith("duplicate order_id") for r in reasons.values())


RUN_IN_SUBPROCESS = """
import sys
from etl.flows.example_etl import EtlParams, example_etl
example_etl(EtlParams(database=sys.argv[1], batch_size=10))
"""


@pytest.mark.slow  # a second Python process imports Prefect: seconds
def test_a_crash_mid_load_then_a_rerun_completes_the_table(database):
    """Kill the flow's process while a batch is being written, then run it again."""
    committed = stall_a_batch(database, 1120)
    project = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "PYTHONPATH": str(project)}
    process = subprocess.Popen(
        [sys.executable, "-c", RUN_IN_SUBPROCESS, database], cwd=project, env=env
    )
    try:
        deadline = time.monotonic() + 120
        while count_rows(Target.of(database), "orders") < committed:  # wait for the other batches
            assert process.poll() is None, "the flow ended before loading anything"
            assert time.monotonic() < deadline, "no batch was committed in time"
            time.sleep(0.05)
        time.sleep(0.5)  # the stalled batch is now mid-insert (on SQLite, holding the lock)
        assert process.poll() is None, "the flow ended instead of stalling mid-load"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    unstall(database)
    # Whole batches only survived; the one being written was rolled back.
    assert count_rows(Target.of(database), "orders") == committed

    rerun = example_etl(EtlParams(database=database, batch_size=10), return_state=True)

    assert rerun.is_completed()
    ids = order_ids(database)
    assert len(ids) == len(set(ids)) == 196
    loads = task_runs(rerun.state_details.flow_run_id, "load_batch", 20)
    assert {run.state.name for run in loads} == {"Completed"}  # every batch, upserted again
