"""Record how long the template's CI took, from the output of `.ci/run`.

    git clone -q . /tmp/ci && (cd /tmp/ci && CI=true bash .ci/run > /tmp/ci.log 2>&1)
    uv run python -m benchmarks.ci_time /tmp/ci.log \\
        --revision "$(git -C /tmp/ci log -1 --format=%h)"

CI's own time is what a submission waits for, so it is measured where CI runs it: a clean
clone on a fresh machine (2 cores). This reads the lines `.ci/run` prints (`[ci] phase:`
per phase, `[ci] tests:` per test file, pytest's `N passed in S s`) and writes
`benchmarks/results/ci.json`, which the benchmarks page shows (section 7) against the
goal of 12 minutes. One run is one record: the file holds the latest.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

from benchmarks.common import REPO

RESULTS = REPO / "benchmarks" / "results" / "ci.json"
GOAL_SECONDS = 12 * 60
PHASE = re.compile(r"^\[ci\] phase: (?P<name>.+?) (?P<seconds>\d+) s$")
FILE = re.compile(r"^\[ci\] tests: (?P<file>\S+)\s+(?P<tests>\d+) tests\s+(?P<seconds>\d+) s$")
PASSED = re.compile(r"=+ (?P<summary>.*\d+ passed.*) in (?P<seconds>[\d.]+)s")
# `.ci/run` also prints the sum of the phases that run_tests.py times: not a phase itself.
SUM_OF_PHASES = "environment and tests"


def parse(log: str) -> dict:
    """Phases, seconds per test file and pytest's summary, from `.ci/run`'s output."""
    phases, files, summary = {}, {}, None
    for line in log.splitlines():
        if (match := PHASE.match(line)) and match["name"] != SUM_OF_PHASES:
            phases[match["name"]] = int(match["seconds"])
        elif (match := FILE.match(line)) and match["file"] != "all":
            files[match["file"]] = {"tests": int(match["tests"]), "seconds": int(match["seconds"])}
        elif match := PASSED.search(line):
            summary = {"result": match["summary"], "pytest_seconds": float(match["seconds"])}
    if summary is None or "pytest" not in phases:
        raise SystemExit("no pytest summary or `[ci] phase: pytest` line: not .ci/run's output?")
    return {"phases": phases, "files": files, **summary, "seconds": sum(phases.values())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", type=Path, help="the output of `CI=true bash .ci/run`")
    parser.add_argument("--revision", required=True, help="the commit the clone was at")
    parser.add_argument("--note", default="", help="where and how it ran, if not as above")
    args = parser.parse_args(argv)
    record = parse(args.log.read_text(encoding="utf-8", errors="replace"))
    record |= {
        "revision": args.revision,
        "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime(args.log.stat().st_mtime)),
        "cores": os.cpu_count(),
        "goal_seconds": GOAL_SECONDS,
        "command": "CI=true bash .ci/run (a clean clone)",
        "note": args.note,
    }
    RESULTS.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"{record['result']}; CI {record['seconds']} s (goal {GOAL_SECONDS} s) -> {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
