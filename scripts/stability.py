"""Run a command again and again while other processes keep every core busy.

    uv run python scripts/stability.py --runs 10 -- uv run pytest -q -m server
    uv run python scripts/stability.py --runs 3 --label suite -- python3 scripts/run_tests.py

A test whose result depends on the machine's speed fails here sooner or later: each run
happens while `--load` busy-looping processes (default: one per core) compete for the
CPU. Prints one line per run (exit status, wall time) and a summary, and appends the
record to `benchmarks/results/stability.json` for the benchmark page.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "stability.json"


def spin() -> None:  # pragma: no cover - runs in the load processes
    """Burn one core until terminated."""
    while True:
        pass


def start_load(processes: int) -> list[multiprocessing.Process]:
    load = [multiprocessing.Process(target=spin, daemon=True) for _ in range(processes)]
    for process in load:
        process.start()
    return load


def outside_environment() -> dict[str, str]:
    """This environment without the virtual environment `uv run` put this script in: the
    command runs as it would from a plain shell (a fresh machine's CI has no `ruff` on
    PATH, and the template's tests check that nothing leaks it)."""
    env = dict(os.environ)
    venv = env.pop("VIRTUAL_ENV", None)
    if venv:
        bin_dir = str(Path(venv) / "bin")
        env["PATH"] = os.pathsep.join(
            p for p in env.get("PATH", "").split(os.pathsep) if p != bin_dir
        )
    return env


def run_once(
    command: list[str], cwd: Path, timeout: float, log: Path | None = None
) -> tuple[int, float, str]:
    """Exit status, wall seconds and the last output line of one run (all of it to `log`)."""
    start = time.perf_counter()
    try:
        result = subprocess.run(
            command,
            cwd=cwd,
            env=outside_environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # in order, so the last line is the command's verdict
            text=True,
            timeout=timeout,
            check=False,
        )
        status, output = result.returncode, result.stdout
    except subprocess.TimeoutExpired as expired:
        status, output = -1, f"timed out after {timeout:.0f} s: {expired}"
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(output)
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return status, time.perf_counter() - start, lines[-1] if lines else ""


def revision(cwd: Path) -> str:
    """The commit the command ran on (of `cwd`, else of this checkout), for the page."""
    for where in (cwd, ROOT):
        found = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=where, capture_output=True, text=True
        )
        if found.returncode == 0:
            return found.stdout.strip()
    return ""


def stored_series() -> list[dict]:
    """Every series recorded so far, oldest first (none before the first run)."""
    return json.loads(RESULTS.read_text()) if RESULTS.exists() else []


def record(entry: dict, replace_last: bool = False) -> None:
    """Append `entry` to the stored series (or replace the last one: the same series, one
    run further), so a series stopped half-way keeps the runs it finished."""
    history = stored_series()
    if replace_last and history:
        history[-1] = entry
    else:
        history.append(entry)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(history, indent=2) + "\n")


def resumed_series(entry: dict) -> dict:
    """The last stored series, if `entry` continues it: the same label, command, revision,
    load and goal. Anything else would mix runs of different things into one verdict."""
    history = stored_series()
    same = ("label", "command", "revision", "load_processes", "goal_runs")
    if not history or any(history[-1].get(key) != entry[key] for key in same):
        raise SystemExit(
            "stability: --resume needs the last stored series to have the same "
            + ", ".join(same).replace("_", " ")
            + "; start a new series without --resume."
        )
    last = history[-1]
    last.setdefault("resumed", []).append({"when": entry["when"], "after_run": len(last["runs"])})
    return last


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--load", type=int, default=os.cpu_count() or 2, help="busy processes")
    parser.add_argument("--label", default="", help="name of this series on the benchmark page")
    parser.add_argument("--cwd", type=Path, default=Path.cwd())
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per run")
    parser.add_argument(
        "--goal-runs", type=int, default=10, help="consecutive clean runs the page asks for"
    )
    parser.add_argument("--logs", type=Path, help="keep each run's output here (run-N.log)")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="add the runs to the last stored series (same label, command, revision, load "
        "and goal), for a series longer than one sitting",
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to repeat after --")
    # Started as a background job (`... &`), this process ignores SIGINT, and so would the
    # command: its tests that press Ctrl-C would fail for that reason alone.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    runs: list[dict] = []
    entry = {
        "label": args.label or " ".join(command),
        "command": " ".join(command),
        "cwd": str(args.cwd),
        "load_processes": args.load,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "revision": revision(args.cwd),
        "goal_runs": args.goal_runs,
        "runs": runs,
        "failures": 0,
    }
    done = 0
    if args.resume:
        entry = resumed_series(entry)
        runs = entry["runs"]
        done = len(runs)
    total = done + args.runs
    load = start_load(args.load)
    try:
        for number in range(done + 1, total + 1):
            log = args.logs / f"run-{number}.log" if args.logs else None
            status, seconds, last = run_once(command, args.cwd, args.timeout, log)
            runs.append({"status": status, "seconds": round(seconds, 1), "last_line": last})
            entry["failures"] = sum(1 for run in runs if run["status"] != 0)
            # Kept even if the series stops here.
            record(entry, replace_last=args.resume or number > 1)
            print(f"run {number}/{total}: exit {status} in {seconds:.1f} s  {last[:100]}")
            sys.stdout.flush()
    finally:
        for process in load:
            process.terminate()
    failures = entry["failures"]
    seconds = sorted(run["seconds"] for run in runs)
    print(
        f"{len(runs)} runs under load {args.load}: {failures} failed; wall "
        f"min {seconds[0]} s, median {seconds[len(seconds) // 2]} s, max {seconds[-1]} s"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
