"""Shared fixtures.

Unit tests call task logic directly (`task.fn(...)` or the plain functions) and need no
server. Flow tests share one Prefect server for the whole session, because starting one
costs seconds: request the `prefect_server` fixture. It starts before collection, and the
tests that need no server run first, while it boots.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.util
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest


def isolate_from_the_callers_prefect() -> Path:
    """The caller's Prefect settings are not the tests'. A shell that exported
    PREFECT_API_URL for a server since stopped, or PREFECT_PROFILE for a workspace, would
    send the tests' runs there (or wait for a server that never answers): every
    `PREFECT_` variable goes, and Prefect's home (its profiles) is this session's own
    temporary folder. Runs before anything imports Prefect, which reads them once."""
    for name in [name for name in os.environ if name.startswith("PREFECT_")]:
        del os.environ[name]
    home = Path(tempfile.mkdtemp(prefix="prefect-tests-home-"))
    os.environ["PREFECT_HOME"] = str(home)
    return home


PREFECT_HOME = isolate_from_the_callers_prefect()

from tests.server import TestServer  # noqa: E402 - after the isolation: it reads os.environ

PROJECT_ROOT = Path(__file__).resolve().parents[1]
TEST_SERVER = pytest.StashKey["TestServer"]()
POSTGRES_SKIPPED = (
    "ETL_WAREHOUSE_URL does not point at a PostgreSQL server: set it to "
    "postgresql+psycopg://user:password@host:5432/db to run the PostgreSQL cases"
)


def pytest_sessionstart(session):
    """Start the session's Prefect server now: it boots while pytest collects and runs
    the tests that need none (see tests/server.py). Not for `-m "not server"` or
    `--collect-only`, nor when the command line names single tests (`file.py::test`, as
    editors and mutmut run them): the first test that needs the server starts it then."""
    config = session.config
    if "not server" in (config.option.markexpr or "") or config.option.collectonly:
        return
    if any("::" in arg for arg in config.args):
        return
    start_server(config)


def start_server(config) -> TestServer:
    cache = getattr(config, "cache", None)  # absent under `-p no:cacheprovider`
    seeds = cache.mkdir("prefect-test-server") if cache is not None else None
    config.stash[TEST_SERVER] = server = TestServer(PROJECT_ROOT, seeds)
    return server


def pytest_collection_finish(session):
    """No selected test needs the server (or nothing runs): stop it now.

    What collection imported (Prefect, pydantic, SQLAlchemy: some 500,000 objects) stays
    for the session, yet each full collection Python ran during the tests walked all of
    it: six of them, 1.1 s of a 17 s run. Frozen here, a full collection walks only what
    the tests made since, which is still collected."""
    needed = any(needs_server(item) for item in session.items)
    if session.config.option.collectonly or not needed:
        stop_server(session.config)
    gc.freeze()


def pytest_sessionfinish(session):
    stop_server(session.config)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    shutil.rmtree(PREFECT_HOME, ignore_errors=True)
    # The session ends holding some 600,000 objects, and the collections Python runs as
    # it exits went through all of them: 1.8 s of a 23 s run, after the last test. Frozen
    # (those made since collection too), they are left to the exit; atexit handlers and
    # `weakref.finalize` callbacks still run, and new objects are still collected.
    gc.freeze()


def stop_server(config) -> None:
    server = config.stash.get(TEST_SERVER, None)
    if server is not None:
        server.stop()
        del config.stash[TEST_SERVER]


@pytest.fixture(scope="session")
def prefect_server(request) -> Iterator[str]:
    """The session's Prefect server and its temporary database, shared by every flow test;
    yields its API URL, which is this process's PREFECT_API_URL from here on.

    Flow-run heartbeats are off here: they tell a server that a deployed run is still
    alive, and every flow run waits up to a second for its heartbeat thread to stop.

    The server reads the project's `prefect.toml`, which has it record task runs in
    batches: one event at a time, they collide with the next flow run on SQLite, and each
    such run waits 2 s for the client's retry.

    One API client serves the session (Prefect's `SyncClientContext`, which a flow run
    already shares with its tasks and subflows): Prefect builds a new client for each run
    and for each `get_client()`, and each loads the whole CA bundle into a TLS context,
    even for a plain-HTTP server on 127.0.0.1 (about 20 ms: 109 of them were 2.2 s of an
    18 s run). A test that points Prefect at another server must enter a client context
    of its own.
    """
    import prefect.context
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogHandler
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        temporary_settings,
    )

    server = request.config.stash.get(TEST_SERVER, None) or start_server(request.config)
    api_url = server.api_url()
    settings = {PREFECT_API_URL: api_url, PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
    # The global settings too, for threads a test starts, as prefect_test_harness does
    # (Prefect 3.8.8 and later; before that, start them with `copy_context().run`).
    global_settings = getattr(prefect.context, "_temporary_global_settings_context", None)
    with (
        temporary_settings(updates=settings),
        global_settings(prefect.context.get_settings_context())
        if global_settings
        else contextlib.nullcontext(),
        prefect.context.SyncClientContext.get_or_create(),
    ):
        yield api_url
        # Send what is still queued while the server is up, as the harness does.
        APILogHandler().flush()
        EventsWorker.drain_all()


def retrying_tasks() -> dict[str, object]:
    """Every task of `etl.tasks` that retries, by its qualified name."""
    import importlib
    import pkgutil

    from prefect.tasks import Task

    import etl.tasks

    found = {}
    for info in pkgutil.iter_modules(etl.tasks.__path__):
        module = importlib.import_module(f"etl.tasks.{info.name}")
        for name, value in vars(module).items():
            if isinstance(value, Task) and value.retries:
                found[f"{module.__name__}.{name}"] = value
    return found


@pytest.fixture(scope="session", autouse=True)
def real_retry_delays() -> Iterator[dict[str, list[float]]]:
    """Retry delays cut to a hundredth for the tests, and the real ones for checking.

    The flow tests prove that a failed task is retried, with growing delays, and then
    succeeds or fails whole; that does not need seconds of waiting per retry. The real
    delays (what workers wait) are yielded, so a test can hold them to the policy.
    """
    tasks = retrying_tasks()
    real = {name: list(task.retry_delay_seconds) for name, task in tasks.items()}
    for name, task in tasks.items():
        task.retry_delay_seconds = [delay / 100 for delay in real[name]]
    yield real
    for name, task in tasks.items():
        task.retry_delay_seconds = real[name]


def postgres_url() -> str | None:
    """ETL_WAREHOUSE_URL (environment or `.env`) when it names a PostgreSQL server."""
    from etl.utils.settings import get_settings

    url = get_settings().warehouse_url
    text = url.get_secret_value().strip() if url else ""
    return text if text.startswith("postgresql") else None


WAREHOUSES = ["sqlite", "postgres"]


@contextlib.contextmanager
def fresh_warehouse(kind: str, folder: Path) -> Iterator[str]:
    """A fresh, empty warehouse: a SQLite file in `folder`, or a PostgreSQL schema of its
    own on the server ETL_WAREHOUSE_URL names (its URL selects it through `search_path`),
    dropped afterwards; skipped, with the reason, when that variable does not point at
    PostgreSQL."""
    if kind == "sqlite":
        yield str(folder / "warehouse.db")
        return
    base = postgres_url()
    if base is None:
        pytest.skip(POSTGRES_SKIPPED)
    if importlib.util.find_spec("psycopg") is None:
        pytest.skip("psycopg is not installed: install the project's `postgres` extra")
    from tests.faults import fresh_schema

    with fresh_schema(base) as url:
        yield url


@contextlib.contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[int]:
    """An HTTP server on a free loopback port, answering with `handler`; yields the port.
    Its loop looks for shutdown every 0.05 s (every 0.5 s by default, a wait per test)."""
    server = HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(params=WAREHOUSES)
def database(request, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty warehouse for one test; every test that takes it runs on both
    databases (see `fresh_warehouse`)."""
    with fresh_warehouse(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture
def failing_params(tmp_path: Path):
    """Flow parameters whose warehouse cannot be created: a file sits where its folder goes."""
    from etl.flows.example_etl import EtlParams

    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the warehouse directory should be")
    return EtlParams(database=str(blocker / "warehouse.db"))


@pytest.fixture
def run_logs():
    """Read back the log messages a flow run sent to the server."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogHandler

    def read(flow_run_id) -> list[str]:
        APILogHandler().flush()
        with get_client(sync_client=True) as client:
            logs = client.read_logs(
                log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id]))
            )
        return [log.message for log in logs]

    return read


def pytest_addoption(parser):
    parser.addoption(
        "--slow", action="store_true", help="also run the slow tier (CI does: pytest --slow)"
    )


def needs_server(item) -> bool:
    """The test uses the session's server (directly or through another fixture)."""
    return "prefect_server" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(config, items):
    """Mark every test that needs the server, so `pytest -m "not server"` runs in seconds,
    run those tests last, and skip the slow tier (a Dask cluster of processes, a killed
    flow process, the linters) unless `--slow` is given: `pytest` stays quick to run after
    every change, and CI runs every tier."""
    slow = pytest.mark.skip(reason="slow tier: run `uv run pytest --slow` (CI does)")
    for item in items:
        if needs_server(item):
            item.add_marker(pytest.mark.server)
        if "slow" in item.keywords and not config.getoption("--slow"):
            item.add_marker(slow)
    # Tests that need no server first (in their order), while the server boots.
    items.sort(key=needs_server)
