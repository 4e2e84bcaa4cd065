"""Shared helpers: timing, statistics, environments, a local Prefect server, the machine."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PYTHON = sys.executable


# --- statistics -----------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def spread(values: Sequence[float]) -> float:
    """max / min of a sample: 1.0 is perfectly steady; above ~1.3 the machine was noisy."""
    return max(values) / min(values) if values and min(values) > 0 else float("nan")


def least_squares(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """(slope, intercept) of the least-squares line through the points."""
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
    return slope, mean_y - slope * mean_x


# --- processes ------------------------------------------------------------------------


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without PREFECT_* settings, analytics off, no prompts."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.pop("PYTHONPATH", None)
    env.update(PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_CLI_PROMPT="false", **extra)
    return env


def run_timed(
    command: Sequence[str], *, cwd: Path | None = None, env: dict | None = None, timeout: int = 900
) -> tuple[float, subprocess.CompletedProcess]:
    """Wall-clock seconds of one subprocess, and its result."""
    start = time.perf_counter()
    result = subprocess.run(
        list(command), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    return time.perf_counter() - start, result


def check(result: subprocess.CompletedProcess, what: str) -> None:
    if result.returncode != 0:
        tail = (result.stdout[-2000:] + "\n" + result.stderr[-3000:]).strip()
        raise RuntimeError(f"{what} failed (exit {result.returncode}):\n{tail}")


def interleaved(
    repeats: int, cases: dict[str, Callable[[int], float]], progress: Callable[[str], None]
) -> dict[str, list[float]]:
    """Run every case `repeats` times, rotating the order each round, so that drift in the
    machine's load falls on every case alike. Each case returns seconds."""
    names = list(cases)
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(repeats):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            seconds = cases[name](round_)
            times[name].append(seconds)
            progress(f"  {name} #{round_ + 1}: {seconds:.2f} s")
    return times


# --- a local Prefect server -----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def fresh_postgres(url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on the server `url` points at (dropped after):
    the tests' own helper, so the benchmark's server starts as theirs does."""
    sys.path.insert(0, str(REPO))
    try:
        from tests.prefect_server import fresh_postgres_database
    finally:
        sys.path.pop(0)
    with fresh_postgres_database(url) as database:
        yield database.url


@contextlib.contextmanager
def prefect_server(
    home: Path, database_url: str | None = None, timeout: float = 180
) -> Iterator[dict]:
    """`prefect server start` on a free loopback port with its own home; its database is
    `database_url` (PostgreSQL) or, by default, a SQLite file in `home`.

    Yields {"api_url", "startup_s", "retried"}: `retried()` counts the requests the server
    has answered with 503 so far. The server (its own process group) is stopped on exit.
    """
    port = free_port()
    home.mkdir(parents=True, exist_ok=True)
    env = clean_env(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_DATABASE_CONNECTION_URL=database_url
        or f"sqlite+aiosqlite:///{home / 'prefect.db'}",
        # Log each request answered with 503 (and retried by the client), so they can be counted.
        PREFECT_API_LOG_RETRYABLE_ERRORS="true",
    )
    log = (home / "server.log").open("w")
    start = time.perf_counter()
    process = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: uvicorn runs as a child
    )
    api_url = f"http://127.0.0.1:{port}/api"
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"prefect server exited; see {home / 'server.log'}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{api_url}/health", timeout=2) as response,
            ):
                if response.status == 200:
                    break
            if time.perf_counter() - start > timeout:
                raise RuntimeError(f"prefect server not healthy after {timeout} s")
            time.sleep(0.25)

        def retried() -> int:
            text = (home / "server.log").read_text(errors="replace")
            return text.count("Encountered retryable exception")

        yield {"api_url": api_url, "startup_s": time.perf_counter() - start, "retried": retried}
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        log.close()


# --- rendering ------------------------------------------------------------------------


def cookiecutter_config(directory: Path) -> Path:
    """A cookiecutter user config whose replay and clone folders live in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "cookiecutter-config.yaml"
    config.write_text(
        f"cookiecutters_dir: {json.dumps(str(directory / 'cookiecutters'))}\n"
        f"replay_dir: {json.dumps(str(directory / 'replay'))}\n"
    )
    return config


def render_default(template: Path, output_dir: Path, config_dir: Path) -> Path:
    """Render `template` with the default answers (the CLI, as a user would); the project."""
    output_dir.mkdir(parents=True, exist_ok=True)
    env = clean_env(COOKIECUTTER_CONFIG=str(cookiecutter_config(config_dir)))
    _, result = run_timed(
        [str(BIN / "cookiecutter"), "--no-input", "-o", str(output_dir), str(template)], env=env
    )
    check(result, f"rendering {template}")
    [project] = [p for p in output_dir.iterdir() if p.is_dir()]
    return project


# --- the machine ----------------------------------------------------------------------


def load_average() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def machine() -> dict:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = {}
    for name in ("prefect", "cookiecutter", "pydantic"):
        with contextlib.suppress(Exception):
            from importlib.metadata import version

            versions[name] = version(name)
    memory = "unknown"
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split("\n")[0].split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
    }


def git_revision() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        return f"{head}{' + uncommitted changes' if dirty else ''}"
    except OSError:
        return "unknown"


@contextlib.contextmanager
def scratch(keep: bool = False) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="prefect-template-bench-"))
    try:
        yield path
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)
