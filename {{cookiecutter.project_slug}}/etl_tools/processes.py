"""Background processes that `etl-dev` starts and must stop again, with all their children.

Each runs in its own process group (a worker's flow-run processes included), writes its
output to a log file, and is stopped with SIGTERM, then SIGKILL, so nothing is left behind.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

PREFECT = [sys.executable, "-m", "prefect"]


class Background:
    """One started command; `stop()` ends it and its whole process group."""

    def __init__(self, name: str, command: list[str], cwd: Path, env: dict, log: Path):
        self.name, self.log = name, log
        log.parent.mkdir(parents=True, exist_ok=True)
        self._log_file: IO[bytes] = log.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - our own command line, no shell
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=os.name != "nt",
        )

    def running(self) -> bool:
        return self.process.poll() is None

    def output_tail(self, lines: int = 30) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, grace: float = 20.0) -> None:
        if os.name == "nt":  # no process groups: end the process tree's root
            self.process.terminate()
            self.process.wait(timeout=grace)
            self._log_file.close()
            return
        # A process worker starts each flow run in a session of its own and does not pass
        # signals on: note every descendant now, and end their groups after the worker.
        groups = {_group(pid) for pid in descendants(self.process.pid)} - {None, os.getpgrp()}
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.process.pid, sig)
            except (ProcessLookupError, PermissionError):
                break
            try:
                self.process.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        for group in groups | {self.process.pid}:
            _kill_group(group)  # children that outlived the leader, flow runs included
        self._log_file.close()


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (Linux /proc; elsewhere none are known)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], list(children.get(pid, []))
    while todo:
        child = todo.pop()
        found.append(child)
        todo.extend(children.get(child, []))
    return found


def _group(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except (ProcessLookupError, PermissionError):
        return None  # already gone


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def port_is_free(port: int) -> bool:
    """Nothing listens on `port` (a socket of a stopped server in TIME_WAIT does not count)."""
    with socket.socket() as probe:
        if os.name != "nt":  # on Windows it would let us bind beside a listener
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(preferred: int) -> int:
    """`preferred` when nothing listens there, else any free port on loopback."""
    if preferred and port_is_free(preferred):
        return preferred
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


RETRY_STATUS = {429, 502, 503, 504}  # a busy server (SQLite locked): ask again, as Prefect does


def api(url: str, method: str = "GET", body: Any = None, timeout: float = 30) -> Any:
    """One JSON call to the Prefect REST API; None for a 404.

    A busy server answers 503 (or 429) while SQLite is locked; such answers are retried with
    a growing pause for up to about a minute, as Prefect's own client does."""
    data = None if body is None else json.dumps(body).encode()
    for pause in (0.5, 1, 2, 4, 8, 15, 30, None):
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - loopback
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                payload = response.read()
            return json.loads(payload) if payload else None
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            if error.code not in RETRY_STATUS or pause is None:
                detail = error.read().decode(errors="replace")[:500]
                raise RuntimeError(f"{method} {url} answered {error.code}: {detail}") from error
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            if pause is None:  # refused, reset or slow for a minute: the server is gone
                raise RuntimeError(f"{method} {url} failed: {error}") from error
        time.sleep(pause)
    raise AssertionError("unreachable: the last pause is None")


def healthy(api_url: str) -> bool:
    """The server answers its health check now (one try: callers poll, and `api`'s retries
    would report a server that is up only on their next pause, up to 15 s late)."""
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=5) as response:  # noqa: S310
            return json.loads(response.read()) is True
    except (OSError, ValueError, http.client.HTTPException):
        return False


def wait_until(check: Callable[[], Any], seconds: float, every: float = 0.5) -> Any:
    """The first truthy result of `check` within `seconds`, else None."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result or None
        time.sleep(every)
