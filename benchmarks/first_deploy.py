"""Benchmark: from `cookiecutter --no-input` to a Completed deployed `dev` run.

    uv run python -m benchmarks.first_deploy [--repeats 3]

Runs the three commands the template README gives (render, install, `etl-dev --once`),
each as its own process in a fresh directory, with the package cache warm (one untimed
warm-up run first), and reports per run:
- wall time of the whole path and of each command, and how many commands were typed;
- seconds from the end of `prefect deploy` until the server shows the prod deployment's
  scheduled runs (etl-dev's own measurement, which it prints).
Targets (issue "First deploy works"): at most 60 s and 3 commands; schedules under 10 s.
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
from pathlib import Path

from benchmarks.common import REPO, _test_servers

RESULTS = REPO / "benchmarks" / "results" / "first_deploy.json"
DOC = REPO / "docs" / "first-deploy-benchmark.md"
SCHEDULED = re.compile(r"schedules fire: scheduled runs ([0-9.]+) s after deploy")
TARGETS = {"wall": 60.0, "commands": 3, "schedule": 10.0}


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
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "VIRTUAL_ENV"))}
    env["HOME"] = str(work / "home")
    env["UV_CACHE_DIR"] = subprocess.run(
        ["uv", "cache", "dir"], capture_output=True, text=True, check=True
    ).stdout.strip()
    steps, output = {}, ""
    started = time.monotonic()
    for name, command, cwd in commands(work):
        begin = time.monotonic()
        result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
        steps[name] = time.monotonic() - begin
        output = result.stdout + result.stderr
        if result.returncode:
            raise SystemExit(f"{name} failed ({result.returncode}):\n{output[-4000:]}")
    wall = time.monotonic() - started
    match = SCHEDULED.search(output)
    completed = ": Completed" in output
    shutil.rmtree(work, ignore_errors=True)
    return {
        "wall": wall,
        "steps": steps,
        "commands": len(steps),
        "schedule": float(match.group(1)) if match else None,
        "completed": completed,
    }


def verdict(value: float | None, goal: float) -> str:
    return "n/a" if value is None else ("yes" if value <= goal else "NO")


def table(runs: list[dict]) -> list[list[str]]:
    wall = statistics.median(r["wall"] for r in runs)
    schedules = [r["schedule"] for r in runs if r["schedule"] is not None]
    schedule = statistics.median(schedules) if schedules else None
    steps = {k: statistics.median(r["steps"][k] for r in runs) for k in runs[0]["steps"]}
    shown = f"{schedule:.1f} s" if schedule is not None else "never"
    rows = [
        ["target", "measured (median)", "goal", "met"],
        ["render → Completed deployed dev run", f"{wall:.1f} s", "<= 60 s", verdict(wall, 60)],
        ["commands typed", str(runs[0]["commands"]), "<= 3", verdict(runs[0]["commands"], 3)],
        ["deploy → prod's scheduled runs visible", shown, "< 10 s", verdict(schedule, 10)],
    ]
    rows += [[f"  of which: {name}", f"{seconds:.1f} s", "", ""] for name, seconds in steps.items()]
    rows.append(["runs Completed", f"{sum(r['completed'] for r in runs)}/{len(runs)}", "all", ""])
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
        runs = []
        for index in range(args.repeats):
            runs.append(one_run(Path(scratch)))
            print(f"run {index + 1}: {runs[-1]['wall']:.1f} s", flush=True)
    rows = table(runs)
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
    RESULTS.write_text(json.dumps({"meta": meta, "runs": runs}, indent=2) + "\n")
    if not args.no_docs:
        DOC.write_text(markdown(rows, meta), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
