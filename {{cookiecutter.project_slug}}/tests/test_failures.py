"""Pipelines fail safely, shown on a real (temporary) Prefect server.

The failures are real, not mocked: a source file that arrives late, and a database that
refuses a write (a trigger, as a full disk or a lock would). Every test that takes the
`database` fixture runs on SQLite and, when ETL_WAREHOUSE_URL names one, on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
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
            time.sleep(0.05)


class RetryWatch:
    """Copies the sample to `source` once the server streams extract's AwaitingRetry event,
    from a thread subscribed before the flow starts; leaving the `with` stops it.

    The server's event stream (`/events/out`) carries a state as soon as the run reports
    it; its task-run table holds it up to a second later (the recorder writes in batches),
    which made this test wait for a second retry. The stream also replays the last
    minute, so events from before the watch began are ignored, and the flow run each
    delivery answered is kept for the test to check.
    """

    def __init__(self, source: Path):
        self.source = source
        self.answered: list[str] = []  # the flow-run resource ids of the events acted on
        self._connected = threading.Event()
        self._error: BaseException | None = None
        self._loop = asyncio.new_event_loop()
        self._task = self._loop.create_task(self._watch(datetime.now(timezone.utc)))
        # In this context, so the thread reads from the test server.
        self._thread = threading.Thread(target=contextvars.copy_context().run, args=(self._run,))

    def __enter__(self) -> RetryWatch:
        self._thread.start()
        if not self._connected.wait(30):
            self.__exit__()
            raise AssertionError("the server's event stream did not accept a subscriber")
        return self

    def __exit__(self, *exc_info) -> None:
        with contextlib.suppress(RuntimeError):  # the watch ended and closed its loop
            self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        try:
            self._loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            self._error = error
        finally:
            self._loop.close()

    async def _watch(self, since: datetime) -> None:
        from prefect.events.clients import get_events_subscriber
        from prefect.events.filters import EventFilter, EventNameFilter

        waiting = EventFilter(event=EventNameFilter(name=["prefect.task-run.AwaitingRetry"]))
        async with get_events_subscriber(filter=waiting) as events:
            self._connected.set()
            async for event in events:
                if event.occurred >= since and (event.resource.name or "").startswith("extract"):
                    self.answered += [r.id for r in event.related if r.role == "flow-run"]
                    shutil.copy(resolve_source("sample"), self.source)
                    return


def test_a_late_source_is_retried_and_every_row_loads_once(tmp_path, database, monkeypatch):
    # Half-second delays: the file arrives once the server has streamed extract's retry,
    # which a hundredth of a second would not leave time to see.
    monkeypatch.setattr(extract, "retry_delay_seconds", [0.5, 1, 2])
    monkeypatch.setattr(extract, "retry_jitter_factor", None)
    source = tmp_path / "late" / "orders.csv"
    source.parent.mkdir()
    with RetryWatch(source) as watch:
        state = example_etl(EtlParams(source=str(source), database=database), return_state=True)

    assert state.is_completed(), state.message
    assert watch.answered == [f"prefect.flow-run.{state.state_details.flow_run_id}"]
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
    allow_orders(database)  # the disk has space again

    second = example_etl(EtlParams(database=database, batch_size=batch_size), return_state=True)

    assert second.is_completed()
    assert count_rows(Target.of(database), "orders") == 196
    # The server records task runs in batches, a second apart: both runs are read back
    # now, so the test waits for that once.
    # The first run's clean-up task ran although a load failed (wait_for + allow_failure).
    [cleanup] = task_runs(first.state_details.flow_run_id, "optimize_warehouse", 1)
    assert cleanup.state.is_completed()
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
