"""A real local Prefect server for end-to-end tests: started in its own home, always stopped.

The server runs `prefect server start` from this environment in a new process group
(SQLite in its own PREFECT_HOME, loopback only, no analytics), and is stopped by killing
that group, so uvicorn and the services go with it. The API is read with the standard
library (`urllib`), so the test process never imports Prefect.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import BIN, clean_env

PREFECT = BIN / "prefect"


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
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def healthy(self) -> bool:
        try:
            return self.request("GET", "/health") is True
        except (OSError, urllib.error.URLError, ValueError):
            return False

    def stop(self) -> None:
        """Kill the server's process group: SIGTERM, then SIGKILL if it lingers."""
        if self.process.poll() is not None:
            return
        for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(timeout=grace)
                return
            except subprocess.TimeoutExpired:
                continue


@contextmanager
def prefect_server(home: Path, timeout: float = 90) -> Iterator[PrefectServer]:
    """Start a server with SQLite in `home`, wait until `/api/health` answers, stop it after."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = clean_env(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{home / 'prefect.db'}",
        # No scheduled runs of the `prod` deployment may land in the worker's prefetch window.
        PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED="false",
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
