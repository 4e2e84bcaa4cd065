"""Benchmark: from `cookiecutter --no-input` to a Completed deployed `dev` run.

    uv run python -m benchmarks.first_deploy [--repeats 3]

Runs the three commands the template README gives (render, install, `etl-dev --once`),
each as its own process in a fresh directory, with the package cache warm (one untimed
warm-up run first), and reports per run:
- wall time of the whole path and of each command, and how many commands were typed;
- seconds from the end of `prefect deploy` until the server shows the prod deployment's
  scheduled runs (etl-dev's own measurement, which it prints).
- where etl-dev's seconds go (server answering, deployed, run started, Completed, all
  stopped), from the time each of its lines arrives;
- the floor, in the same run: plain Prefect, by hand, one trivial flow: start a server on
  a fresh database, create a process pool, deploy, run it once with a process worker, from
  a fresh install of Prefect (a new environment, as the project's is).
Then, once: what a left-running `uv run etl-dev` (its dev run done, server and worker
waiting) and a bare `uv run prefect server start` from the project folder (its
`prefect.toml`) each use while idle, as CPU seconds of the process tree over 30 s
(devkit/idle.py, as the template's test measures it).
Targets (issue "A quiet machine and a fast loop"): render to a Completed run in 30 s, and
`etl-dev --once` within 1.5x the floor; 3 commands; schedules under 10 s; idle at most
10% of one core.
Prints a table and writes `benchmarks/results/first_deploy.json` and
`docs/first-deploy-benchmark.md`. Not a test: figures, not pass/fail.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

from benchmarks.common import REPO, _test_servers

RESULTS = REPO / "benchmarks" / "results" / "first_deploy.json"
DOC = REPO / "docs" / "first-deploy-benchmark.md"
SCHEDULED = re.compile(r"schedules fire: scheduled runs ([0-9.]+) s after deploy")
TARGETS = {"wall": 30.0, "commands": 3, "schedule": 10.0, "floor_ratio": 1.5}
# etl-dev's lines that end a phase, in order (what it says, not how long it waited).
MILESTONES = {
    "server answering": "server healthy in",
    "deployed": "deployed ",
    "run started": "started run ",
    "run Completed": ": Completed",
    "all stopped": "stopped everything etl-dev started",
}
FLOOR_FLOW = """from prefect import flow


@flow(name="trivial")
def trivial() -> int:
    return 1
"""
FLOOR_YAML = """name: floor
pull:
  - prefect.deployments.steps.set_working_directory:
      directory: {directory}
deployments:
  - name: floor
    entrypoint: flow.py:trivial
    work_pool: {{name: floor-pool}}
"""


def free_port() -> int:
    return _test_servers().free_port()  # the tests' own helper


def commands(work: Path) -> list[tuple[str, list[str], Path]]:
    """The README's three commands (the port is the only addition: runs stay apart)."""
    project = work / "my-prefect-pipelines"
    return [
        ("render", ["uvx", "cookiecutter==2.7.1", "--no-input", "-o", str(work), str(REPO)], work),
        ("install", ["uv", "sync", "--all-extras", "--python", sys.executable], project),
        ("etl-dev --once", ["uv", "run", "etl-dev", "--once", "--port", str(free_port())], project),
    ]


def one_run(scratch: Path) -> dict:
    work = Path(tempfile.mkdtemp(dir=scratch))
    env = user_env(work)
    steps, output, phases = {}, "", {}
    started = time.monotonic()
    for name, command, cwd in commands(work):
        begin = time.monotonic()
        if name.startswith("etl-dev"):
            code, output, phases = timed_lines(command, cwd, env, begin)
        else:
            result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
            code, output = result.returncode, result.stdout + result.stderr
        steps[name] = time.monotonic() - begin
        if code:
            raise SystemExit(f"{name} failed ({code}):\n{output[-4000:]}")
    wall = time.monotonic() - started
    match = SCHEDULED.search(output)
    completed = ": Completed" in output
    shutil.rmtree(work, ignore_errors=True)
    return {
        "wall": wall,
        "steps": steps,
        "phases": phases,
        "commands": len(steps),
        "schedule": float(match.group(1)) if match else None,
        "completed": completed,
    }


def idle_run(scratch: Path) -> dict:
    """Share of one core that `etl-dev` (left running) and a bare `prefect server start`
    from the project folder use while they wait (devkit/idle.py: `left_waiting`)."""
    import signal

    from devkit.idle import IDLE_LIMIT, IDLE_SECONDS, READY_LINE, left_waiting

    work = Path(tempfile.mkdtemp(dir=scratch))
    env = user_env(work)
    for name, command, cwd in commands(work)[:2]:  # render and install
        result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
        if result.returncode:
            raise SystemExit(f"{name} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    project = work / "my-prefect-pipelines"
    bare_port, home = free_port(), work / "bare-home"
    bare_env = dict(
        env,
        PREFECT_HOME=str(home),
        PREFECT_SERVER_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{home}/prefect.db",
    )
    started = []
    try:
        bare = subprocess.Popen(
            ["uv", "run", "prefect", "server", "start", "--port", str(bare_port)],
            cwd=project, env=bare_env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        started.append(bare)
        dev = subprocess.Popen(
            ["uv", "run", "etl-dev", "--port", str(free_port())],
            cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )  # fmt: skip
        started.append(dev)
        for line in dev.stdout:
            if READY_LINE in line:
                break
        else:
            raise SystemExit(f"etl-dev stopped before it was ready ({dev.wait()})")
        shares = left_waiting(dev.pid, bare.pid, f"http://127.0.0.1:{bare_port}/api")
    finally:
        for process in started:
            _test_servers().stop_group(process, ((signal.SIGINT, 60), (signal.SIGKILL, 10)))
    shutil.rmtree(work, ignore_errors=True)
    return {"seconds": IDLE_SECONDS, "limit": IDLE_LIMIT, "shares": shares}


def user_env(work: Path) -> dict:
    """A user's shell: no Prefect settings, a HOME of its own, the machine's warm uv cache."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "VIRTUAL_ENV"))}
    env["HOME"] = str(work / "home")
    env["UV_CACHE_DIR"] = subprocess.run(
        ["uv", "cache", "dir"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return env


def timed_lines(command: list[str], cwd: Path, env: dict, begin: float):
    """Run `command`; its exit code, output, and when each MILESTONES line arrived."""
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines, phases = [], {}
    for line in process.stdout:
        lines.append(line)
        for phase, text in MILESTONES.items():
            if phase not in phases and text in line:
                phases[phase] = time.monotonic() - begin
    return process.wait(), "".join(lines), phases


def fresh_prefect(work: Path) -> list[str]:
    """A new virtual environment with this environment's Prefect, installed from the warm
    cache (untimed): the floor starts from a fresh install, as etl-dev's run does, so
    neither finds Prefect's modules compiled by an earlier run."""
    venv = work / "venv"
    subprocess.run(["uv", "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    requirement = f"prefect=={metadata.version('prefect')}"
    subprocess.run(
        ["uv", "pip", "install", "-q", "--python", str(venv / "bin" / "python"), requirement],
        check=True,
    )
    return [str(venv / "bin" / "prefect")]


def floor_run(scratch: Path) -> dict:
    """Plain Prefect by hand, one trivial flow: server, pool, deploy, one worker run."""
    work = Path(tempfile.mkdtemp(dir=scratch))
    prefect = fresh_prefect(work)
    (work / "flow.py").write_text(FLOOR_FLOW)
    (work / "prefect.yaml").write_text(FLOOR_YAML.format(directory=work))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(work / "home"),
        PREFECT_API_URL=f"http://127.0.0.1:{port}/api",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_CLI_PROMPT="false",
        PREFECT_SERVER_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{work}/prefect.db",
    )
    steps, started = {}, time.monotonic()
    server = subprocess.Popen(
        [*prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        servers = _test_servers()
        servers.wait_for(lambda: servers.healthy(env["PREFECT_API_URL"]) or None, 300, 0.2)
        steps["server answering"] = time.monotonic() - started
        for name, args in (
            ("pool created", ["work-pool", "create", "floor-pool", "--type", "process"]),
            ("deployed", ["--no-prompt", "deploy", "--all"]),
            ("run created", ["deployment", "run", "trivial/floor"]),
            ("worker ran it", ["worker", "start", "--pool", "floor-pool", "--run-once"]),
        ):
            result = subprocess.run([*prefect, *args], cwd=work, env=env, capture_output=True)
            if result.returncode:
                raise SystemExit(
                    f"floor: prefect {' '.join(args)} failed:\n{result.stdout[-2000:]}"
                )
            steps[name] = time.monotonic() - started
        wall = time.monotonic() - started
    finally:
        servers_stop(server)
    shutil.rmtree(work, ignore_errors=True)
    return {"wall": wall, "steps": steps}


def servers_stop(process: subprocess.Popen) -> None:
    import signal

    _test_servers().stop_group(process, ((signal.SIGTERM, 20), (signal.SIGKILL, 10)))


def verdict(value: float | None, goal: float) -> str:
    return "n/a" if value is None else ("yes" if value <= goal else "NO")


def table(runs: list[dict], floors: list[dict], idle: dict | None = None) -> list[list[str]]:
    wall = statistics.median(r["wall"] for r in runs)
    dev = statistics.median(r["steps"]["etl-dev --once"] for r in runs)
    floor = statistics.median(f["wall"] for f in floors)
    schedules = [r["schedule"] for r in runs if r["schedule"] is not None]
    schedule = statistics.median(schedules) if schedules else None
    steps = {k: statistics.median(r["steps"][k] for r in runs) for k in runs[0]["steps"]}
    shown = f"{schedule:.1f} s" if schedule is not None else "never"
    rows = [
        ["target", "measured (median)", "goal", "met"],
        [
            "render → Completed deployed dev run",
            f"{wall:.1f} s",
            f"<= {TARGETS['wall']:.0f} s",
            verdict(wall, TARGETS["wall"]),
        ],
        [
            "etl-dev --once against the floor",
            f"{dev:.1f} s / {floor:.1f} s = {dev / floor:.2f}x",
            f"<= {TARGETS['floor_ratio']}x",
            verdict(dev / floor, TARGETS["floor_ratio"]),
        ],
        [
            "commands typed",
            str(runs[0]["commands"]),
            f"<= {TARGETS['commands']}",
            verdict(runs[0]["commands"], TARGETS["commands"]),
        ],
        [
            "deploy → prod's scheduled runs visible",
            shown,
            f"< {TARGETS['schedule']:.0f} s",
            verdict(schedule, TARGETS["schedule"]),
        ],
    ]
    rows += [[f"  of which: {name}", f"{seconds:.1f} s", "", ""] for name, seconds in steps.items()]
    phases = {
        k: statistics.median(r["phases"][k] for r in runs if k in r["phases"])
        for k in MILESTONES
        if all(k in r["phases"] for r in runs)
    }
    rows += [
        [f"  etl-dev: {name} at", f"{seconds:.1f} s", "", ""] for name, seconds in phases.items()
    ]
    marks = {k: statistics.median(f["steps"][k] for f in floors) for k in floors[0]["steps"]}
    rows += [[f"  floor: {name} at", f"{seconds:.1f} s", "", ""] for name, seconds in marks.items()]
    rows.append(["runs Completed", f"{sum(r['completed'] for r in runs)}/{len(runs)}", "all", ""])
    if idle:
        for name, share in idle["shares"].items():
            rows.append(
                [
                    f"idle: {name} (CPU over {idle['seconds']} s)",
                    f"{share:.1%} of a core",
                    f"<= {idle['limit']:.0%}",
                    verdict(share, idle["limit"]),
                ]
            )
    return rows


def markdown(rows: list[list[str]], meta: dict) -> str:
    lines = [
        "# Benchmark: first deploy",
        "",
        "From `cookiecutter --no-input` to a Completed deployed `dev` run through "
        "`etl-dev --once`, as the template README gives it: three commands, each its own "
        "process in a fresh directory, the package cache warm. Written by "
        "`uv run python -m benchmarks.first_deploy`.",
        "",
        f"Run on {meta['date']} UTC, revision `{meta['revision']}`, {meta['machine']}, "
        f"{meta['runs']} runs after one warm-up, load average {meta['load']}.",
        "",
        "| " + " | ".join(rows[0]) + " |",
        "| " + " | ".join("---" for _ in rows[0]) + " |",
        *("| " + " | ".join(row) + " |" for row in rows[1:]),
        "",
        "The floor is plain Prefect by hand in the same run, from a fresh install of the "
        "same Prefect (a new environment, as the project's is: the first process to import "
        "a module compiles it): `prefect server start` on a "
        "fresh database, `work-pool create`, `deploy --all` of one trivial flow, "
        "`deployment run`, `worker start --run-once` (each its own process, as typed). "
        "`etl-dev` overlaps what the floor does one after another: its deploy and its worker "
        "import Prefect while the server boots, the pool is made by the deploy process, "
        "and the dev run starts as soon as the deploy ends: the worker runs it while "
        "etl-dev waits for the schedule's runs to appear (it checked them first until "
        "70dff99, which put those 2-3 s before the run). Most of what is left is Prefect's "
        "own start on a fresh install, the same in both (the 'server answering' rows). Of "
        "that, measured once by hand at 1757214 and not by this benchmark: compiling "
        "Prefect's modules on first import about 6 s, migrating the empty database about "
        "4.5 s.",
        "",
        "The schedule figure is what `etl-dev` measures itself: seconds from the end of "
        "`prefect deploy` until the server lists the prod deployment's scheduled runs (the "
        "scheduler picks up recently changed deployments every 5 s). With Prefect 3.8 on "
        "SQLAlchemy 2.1 no run ever appears, and `etl-dev` fails, saying so.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="first-deploy-") as scratch:
        print("warm-up run (untimed) ...", flush=True)
        one_run(Path(scratch))
        runs, floors = [], []
        for index in range(args.repeats):  # interleaved: both see the same machine
            runs.append(one_run(Path(scratch)))
            floors.append(floor_run(Path(scratch)))
            print(f"run {index + 1}: {runs[-1]['wall']:.1f} s; floor {floors[-1]['wall']:.1f} s")
        idle = idle_run(Path(scratch))
    rows = table(runs, floors, idle)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    revision = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "revision": revision or "unknown",
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "runs": len(runs),
        "load": " / ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    record = {"meta": meta, "runs": runs, "floors": floors, "idle": idle}
    RESULTS.write_text(json.dumps(record, indent=2) + "\n")
    if not args.no_docs:
        DOC.write_text(markdown(rows, meta), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
