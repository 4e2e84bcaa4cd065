"""Shared helpers: timing, statistics, environments, a local Prefect server, the machine."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from devkit.shell import run_as_on_a_users_machine

run_as_on_a_users_machine()  # the figures are a user's: commands write their bytecode

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


def _test_servers():
    """The template tests' own server harness (`devkit/prefect_server.py`), so the benchmark's
    server starts, is checked and is stopped exactly as theirs is."""
    from devkit import prefect_server as servers

    return servers


@contextlib.contextmanager
def prefect_server(home: Path, postgres_url: str | None = None, **settings: str) -> Iterator[dict]:
    """`prefect server start` on a free loopback port with its own home; its database is a
    fresh one on the PostgreSQL server `postgres_url` points at (dropped after), or, by
    default, a SQLite file in `home`.

    Yields {"api_url", "startup_s", "retried"}: `retried()` counts the requests the server
    has answered with 503 so far. The server (its own process group) is stopped on exit.
    """
    servers = _test_servers()
    with contextlib.ExitStack() as stack:
        database_url = None
        if postgres_url:
            database_url = stack.enter_context(servers.fresh_postgres_database(postgres_url)).url
        server = stack.enter_context(
            servers.prefect_server(
                home,
                database_url,
                timeout=180,
                # Log each request answered with 503 (and retried by the client), to count them.
                PREFECT_API_LOG_RETRYABLE_ERRORS="true",
                **settings,
            )
        )
        yield {
            "api_url": server.api_url,
            "startup_s": server.startup_seconds,
            "retried": lambda: server.output().count("Encountered retryable exception"),
        }


def project_server_settings(project: Path) -> dict[str, str]:
    """The `[server...]` settings of a rendered project's `prefect.toml`, as the
    PREFECT_SERVER_* variables they stand for: a server started from the project's folder
    (`prefect server start`, `etl-dev`) reads that file, the harness's server (started in
    its own home) would not."""
    import tomllib

    settings: dict[str, str] = {}

    def walk(prefix: str, table: dict) -> None:
        for key, value in table.items():
            name = f"{prefix}_{key}".upper()
            if isinstance(value, dict):
                walk(name, value)
            else:
                settings[name] = str(value).lower() if isinstance(value, bool) else str(value)

    walk("PREFECT_SERVER", tomllib.loads((project / "prefect.toml").read_text()).get("server", {}))
    # the services' settings (the task-run recorder's batching); the harness sets the rest
    return {k: v for k, v in settings.items() if k.startswith("PREFECT_SERVER_SERVICES_")}


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
