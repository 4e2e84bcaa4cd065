"""A real local Prefect server for end-to-end tests: started in its own home, always stopped.

The server runs `prefect server start` from this environment in a new process group
(loopback only, no analytics; SQLite in its own PREFECT_HOME unless given a database URL),
and is stopped by killing that group, so uvicorn and the services go with it. The API is
read with the standard library (`urllib`), so the test process never imports Prefect.

Long-running helpers (a worker, `python -m etl.serve`) run through `background`, which
stops them as a user would (Ctrl-C first) and reports how they went. A PostgreSQL backend
gets a fresh database per test from `fresh_postgres_database` (asyncpg, Prefect's driver).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pytest

from devkit.render import BIN, clean_env

PREFECT = BIN / "prefect"
POSTGRES_URL = "TEMPLATE_TEST_POSTGRES_URL"
"""postgresql+asyncpg://user:password@host:port/db of a server where user may CREATE DATABASE."""


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def postgres_url_or_skip(what: str) -> str:
    """The server URL for PostgreSQL cases; skipped without it, but a failure in CI, so
    the PostgreSQL cases can never be silently left out there."""
    url = os.environ.get(POSTGRES_URL)
    if not url:
        reason = f"{POSTGRES_URL} is not set (.ci/run installs PostgreSQL and sets it)"
        if in_ci():
            pytest.fail(f"CI is set, so {what} may not be skipped: {reason}")
        pytest.skip(reason)
    return url


T = TypeVar("T")


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PrefectServer:
    """A running server: its API URL, home, log file and process."""

    api_url: str
    home: Path
    log: Path
    process: subprocess.Popen
    startup_seconds: float = 0.0

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def request(self, method: str, path: str, body: object | None = None) -> object:
        """Call the REST API (`path` relative to `/api`) and return the decoded JSON."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.api_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        for delay in (0.5, 1, 2, 4, 8, None):
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return json.loads(response.read() or b"null")
            except urllib.error.HTTPError as error:
                # 503: a SQLite server's database was busy and nothing was written; Prefect's
                # own client retries these too (PrefectHQ/prefect#18934).
                if error.code != 503 or delay is None:
                    raise
                time.sleep(delay)
        raise AssertionError("unreachable")

    def healthy(self) -> bool:
        try:
            return self.request("GET", "/health") is True
        except (OSError, urllib.error.URLError, ValueError):
            return False

    def stop(self) -> None:
        """Kill the server's process group: SIGTERM, then SIGKILL if it lingers."""
        stop_group(self.process, ((signal.SIGTERM, 15), (signal.SIGKILL, 10)))

    def wait_for_state(self, run_id: str, timeout: float = 180) -> dict:
        """The flow run once it reaches a final state (or the last seen, after `timeout`)."""

        def final() -> dict | None:
            run = self.request("GET", f"/flow_runs/{run_id}")
            return run if (run["state"] or {}).get("type") in FINAL_STATES else None

        return wait_for(final, timeout) or self.request("GET", f"/flow_runs/{run_id}")

    def flow_runs(self, deployment_id: str) -> list[dict]:
        """Every flow run of a deployment, oldest first."""
        body = {"deployments": {"id": {"any_": [deployment_id]}}, "sort": "EXPECTED_START_TIME_ASC"}
        return self.request("POST", "/flow_runs/filter", body)  # type: ignore[return-value]

    def deployment(self, flow_name: str, name: str) -> dict | None:
        """A deployment by `flow/name`, or None while it does not exist."""
        try:
            return self.request("GET", f"/deployments/name/{flow_name}/{name}")  # type: ignore[return-value]
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise


FINAL_STATES = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def wait_for(probe: Callable[[], T | None], timeout: float, interval: float = 1.0) -> T | None:
    """Call `probe` until it returns something other than None, for up to `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found is not None or time.monotonic() > deadline:
            return found
        time.sleep(interval)


def healthy(api_url: str) -> bool:
    """The server at `api_url` answers its health check now (one try)."""
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=5) as response:
            return json.loads(response.read()) is True
    except (OSError, ValueError):
        return False


def stop_group(
    process: subprocess.Popen, steps: Sequence[tuple[signal.Signals, float]]
) -> tuple[signal.Signals | None, float]:
    """Signal the process's group step by step until it exits: (last signal, seconds taken)."""
    started = time.monotonic()
    for sig, grace in steps:
        if process.poll() is not None:
            break
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=grace)
            return sig, time.monotonic() - started
        except subprocess.TimeoutExpired:
            continue
    return None, time.monotonic() - started


def group_alive(pgid: int) -> bool:
    """Whether any process is left in the process group `pgid`."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def processes_with(marker: str) -> list[int]:
    """Pids whose environment holds `marker` (Linux /proc; empty elsewhere)."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker.encode() in environ.read_bytes():
                found.append(int(environ.parent.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


@dataclass
class Background:
    """A long-running command started by `background`; `stop()` ends it like Ctrl-C."""

    process: subprocess.Popen
    log: Path
    marker: str
    stopped_by: signal.Signals | None = None
    stop_seconds: float = 0.0
    leftovers: list[int] = field(default_factory=list)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    @property
    def how_stopped(self) -> str:
        """E.g. 'SIGINT in 0.8 s', for the test's timing lines."""
        name = self.stopped_by.name if self.stopped_by else "no signal"
        return f"{name} in {self.stop_seconds:.1f} s"

    def stop(self, interrupt_grace: float = 30) -> None:
        """SIGINT to the group (what Ctrl-C sends), then SIGTERM, then SIGKILL.

        Records which signal ended it, how long that took, and any process left behind
        (in its group, or anywhere carrying its environment marker), then kills those.
        """
        if self.process.poll() is None:
            steps = ((signal.SIGINT, interrupt_grace), (signal.SIGTERM, 15), (signal.SIGKILL, 10))
            self.stopped_by, self.stop_seconds = stop_group(self.process, steps)
        time.sleep(0.5)  # let children that are already exiting finish
        self.leftovers = [pid for pid in processes_with(self.marker) if pid != os.getpid()]
        if group_alive(self.process.pid):
            self.leftovers.append(-self.process.pid)
            stop_group(self.process, ((signal.SIGKILL, 5),))
        for pid in self.leftovers:
            if pid > 0:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


@contextmanager
def background(
    command: Sequence[str], cwd: Path, env: dict[str, str], log: Path
) -> Iterator[Background]:
    """Run `command` in its own process group, output to `log`; always stopped after."""
    marker = f"bg-{uuid.uuid4().hex}"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as sink:
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env={**env, "TEMPLATE_TEST_PROCESS_MARKER": marker},
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    job = Background(process, log, marker)
    try:
        yield job
    finally:
        job.stop()


@dataclass(frozen=True)
class PostgresDatabase:
    """One PostgreSQL database: the parts of the URL the server is given."""

    user: str
    password: str
    host: str
    port: int
    name: str

    @property
    def url(self) -> str:
        """The SQLAlchemy URL Prefect takes (the form docker-compose.yml builds)."""
        auth = f"{urllib.parse.quote(self.user)}:{urllib.parse.quote(self.password)}"
        return f"postgresql+asyncpg://{auth}@{self.host}:{self.port}/{self.name}"

    @classmethod
    def from_url(cls, url: str) -> PostgresDatabase:
        parts = urllib.parse.urlsplit(url)
        if not parts.scheme.startswith("postgresql") or not parts.path.strip("/"):
            raise ValueError(f"not a postgresql://user:password@host:port/database URL: {url}")
        return cls(
            urllib.parse.unquote(parts.username or ""),
            urllib.parse.unquote(parts.password or ""),
            parts.hostname or "127.0.0.1",
            parts.port or 5432,
            parts.path.strip("/"),
        )

    def query(self, sql: str, *args: object) -> list[tuple]:
        """Run one statement with asyncpg and return its rows as tuples."""

        async def run() -> list[tuple]:
            import asyncpg  # Prefect's PostgreSQL driver, in the environment with it

            connection = await asyncpg.connect(
                user=self.user,
                password=self.password,
                host=self.host,
                port=self.port,
                database=self.name,
                timeout=15,
            )
            try:
                return [tuple(row) for row in await connection.fetch(sql, *args)]
            finally:
                await connection.close()

        return asyncio.run(run())


@contextmanager
def fresh_postgres_database(url: str) -> Iterator[PostgresDatabase]:
    """A new, empty database on the server `url` points at, dropped afterwards.

    The URL's user needs CREATEDB (`.ci/run` grants it). A unique name per test run means
    reruns and parallel runs never see each other's tables.
    """
    admin = PostgresDatabase.from_url(url)
    name = f"prefect_e2e_{uuid.uuid4().hex[:12]}"
    admin.query(f'CREATE DATABASE "{name}"')
    try:
        yield PostgresDatabase(admin.user, admin.password, admin.host, admin.port, name)
    finally:
        admin.query(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def prefect_server(
    home: Path, database_url: str | None = None, timeout: float = 120, **settings: str
) -> Iterator[PrefectServer]:
    """Start a server, wait until `/api/health` answers, stop it after.

    Its database is `database_url` (e.g. PostgreSQL) or, by default, SQLite in `home`;
    `settings` are extra PREFECT_* variables for the server process.
    """
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = clean_env(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_DATABASE_CONNECTION_URL=(
            database_url or f"sqlite+aiosqlite:///{home / 'prefect.db'}"
        ),
        # No scheduled runs of the `prod` deployment may land in the worker's prefetch window.
        PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED="false",
        # Triggers and their actions (run a deployment on an event) are what report-prod uses.
        PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED="true",
        # The UI asks this API (else port 4200's, whatever --port says).
        PREFECT_UI_API_URL=f"http://127.0.0.1:{port}/api",
        **settings,
    )
    log = home / "server.log"
    started = time.monotonic()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(PREFECT), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            cwd=home,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed as one in stop()
        )
    server = PrefectServer(f"http://127.0.0.1:{port}/api", home, log, process)
    try:
        while not server.healthy():
            if process.poll() is not None:
                raise RuntimeError(
                    f"prefect server exited with {process.returncode}:\n{server.output()}"
                )
            if time.monotonic() - started > timeout:
                raise RuntimeError(
                    f"prefect server not healthy after {timeout:.0f} s:\n{server.output()}"
                )
            time.sleep(0.5)
        server.startup_seconds = time.monotonic() - started
        yield server
    finally:
        server.stop()
