"""The Prefect server of a test session: started before collection, on a database that
Prefect migrated once for its version.

Prefect's `prefect_test_harness` starts its server when the first flow test asks for it,
and has it migrate an empty database every time: on two cores that was more than half of
a `pytest` run. This runs the same server process (the command the harness runs: Prefect's
API app under uvicorn, in ephemeral mode) while pytest collects and runs the tests that
need no server, on a copy of a database that already holds Prefect's schema. The copy is
kept in pytest's cache, one file per Prefect version, and the server still applies any
migration it lacks. Its `503` answers carry a `Retry-After` header, so the client retries
a locked SQLite write at once instead of after 2 s (tests/server_app.py). Everything else
is what the harness gives: a real server on SQLite in a temporary folder, stopped with the
session.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

from etl_tools.processes import Background, free_port, healthy, wait_until

# Only a ceiling for a server that hangs: one that exits fails at once. A cold start (an
# empty database to migrate) took more than 120 s on two cores at a load average of 8.
STARTUP_SECONDS = 600


def seed_name() -> str:
    """The migrated copy's file name: one per Prefect version, whose migrations it holds."""
    return f"prefect-{version('prefect')}.db"


class TestServer:
    """One Prefect server process on SQLite; `api_url()` waits until it answers."""

    __test__ = False  # not a test class, despite its name

    def __init__(self, cwd: Path, seeds: Path | None):
        self.folder = Path(tempfile.mkdtemp(prefix="prefect-test-server-"))
        database = self.folder / "prefect.db"
        self.seed = seeds / seed_name() if seeds else None
        self.seeded = self.seed is not None and self.seed.is_file()
        if self.seeded:
            shutil.copyfile(self.seed, database)
        self._database, self._ready = database, False
        port = str(free_port(0))
        self._url = f"http://127.0.0.1:{port}/api"
        env = {
            **os.environ,
            "PREFECT_HOME": str(self.folder / "home"),
            "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{database}",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_ENABLED": "false",
            "PREFECT__SERVER_EPHEMERAL": "1",
            "PREFECT__SERVER_FINAL": "1",
        }
        command = [
            *(sys.executable, "-m", "uvicorn", "--factory", "tests.server_app:create_app"),
            *("--host", "127.0.0.1", "--port", port, "--log-level", "error", "--lifespan", "on"),
        ]
        # The working directory is the project, so the server reads its prefect.toml.
        self._process = Background("test-server", command, cwd, env, self.folder / "server.log")

    def api_url(self) -> str:
        """The server's API URL once it answers; RuntimeError, with its log, if it cannot."""
        if not self._ready:
            wait_until(lambda: healthy(self._url) or not self._process.running(),
                       STARTUP_SECONDS, every=0.1)  # fmt: skip
            problem = None
            if not self._process.running():
                problem = "stopped"
            elif not healthy(self._url):
                problem = f"did not answer within {STARTUP_SECONDS} s"
            if problem:
                hint = (
                    f" (it started on {self.seed}: `pytest --cache-clear` starts it on an "
                    "empty database)"
                    if self.seeded
                    else ""
                )
                raise RuntimeError(
                    f"the test server {problem}{hint}:\n{self._process.output_tail()}"
                )
            self._ready = True
            if self.seed is not None and not self.seeded:
                self._keep_as_seed()
        return self._url

    def _keep_as_seed(self) -> None:
        """Copy the freshly migrated database (no test has written to it yet) for the next
        sessions; SQLite's backup gives a consistent copy while the server has it open."""
        assert self.seed is not None
        self.seed.parent.mkdir(parents=True, exist_ok=True)
        partial = self.seed.with_name(f"{self.seed.name}.{os.getpid()}.partial")
        source = sqlite3.connect(f"file:{self._database}?mode=ro", uri=True)
        with contextlib.closing(source), contextlib.closing(sqlite3.connect(partial)) as copy:
            source.backup(copy)
        os.replace(partial, self.seed)

    def stop(self) -> None:
        self._process.stop(grace=10)
        shutil.rmtree(self.folder, ignore_errors=True)
