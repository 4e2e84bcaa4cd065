"""Fixtures, ordering and the time summary of the template's test session.

What tests share beyond fixtures (rendering, servers, README shells, the option matrix)
lives in the `devkit` package beside this folder.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from devkit.render import render
from devkit.shell import run_as_on_a_users_machine

run_as_on_a_users_machine()  # before any worker or command starts: they inherit it

# Several tests press Ctrl-C (SIGINT) on `etl-dev`, `serve` and workers they started. A
# shell starts background jobs (`cmd &`) with SIGINT ignored, and children inherit that:
# a suite run that way would see Ctrl-C do nothing. Ctrl-C works here as in a terminal.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def default_project(tmp_path_factory) -> Path:
    """One render with the default answers, shared by read-only tests."""
    return render(tmp_path_factory.mktemp("default"))


@pytest.fixture
def reap(tmp_path):
    """After the test, kill any process still naming tmp_path (servers of a failed test)."""
    yield
    from devkit.readme import reap as kill_leftovers

    kill_leftovers(tmp_path)


# The longest tests, longest first (seconds from `.ci/run`'s summary), so that with
# pytest-xdist they start at once and the short ones fill the gaps at the end, instead of
# one long test running alone. With `--maxschedchunk=1` (pyproject.toml), xdist hands each
# worker two tests at first and then one more each time it finishes one: a worker runs
# the first of its two while the second waits. So the list starts with one long test and
# one short one per worker, and the other long tests go to whichever worker frees first.
# The two README tests (each holds port 4200, the README's) never run at once: a lock.
LONGEST_FIRST = [
    "tests/test_ci_commands.py::test_every_generated_ci_command_runs[gitlab",
    "tests/test_ci_commands.py::test_every_generated_ci_command_runs[github",
    "tests/test_readme_commands.py::test_rendered_readme_commands_work_as_written",
    "tests/test_first_deploy.py::test_etl_dev_keeps_running",
    "tests/test_cruft.py::test_projects_from_every_earlier_version",
    "tests/test_end_to_end.py",
    "tests/test_readme_commands.py::test_template_readme_commands_work_as_written",
    "tests/test_rendered_suite.py::test_postgres_warehouse",
    "tests/test_cruft.py::test_the_updating_page",
    "tests/test_first_deploy.py",
    "tests/test_serve.py",
    "tests/test_rendered_suite.py",
    "tests/test_cruft.py",
    "tests/test_matrix.py::test_supported_combination",
]


def pytest_collection_modifyitems(items) -> None:
    def rank(item) -> int:
        found = [i for i, prefix in enumerate(LONGEST_FIRST) if item.nodeid.startswith(prefix)]
        return found[0] if found else len(LONGEST_FIRST)

    ordered = sorted(items, key=rank)
    long = [item for item in ordered if rank(item) < len(LONGEST_FIRST)]
    short = ordered[len(long) :]
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    head = []
    for _ in range(min(workers, len(long), len(short))):
        head += [long.pop(0), short.pop(0)]
    items[:] = head + long + short


def pytest_terminal_summary(terminalreporter) -> None:
    """Seconds spent per test file (setup, call and teardown, summed over xdist workers):
    where CI's time goes, printed after every run (.ci/run shows it with its phases)."""
    totals: dict[str, float] = {}
    counts: dict[str, int] = {}
    seen: set[tuple[str, str]] = set()
    for reports in terminalreporter.stats.values():
        for report in reports:
            when = getattr(report, "when", None)
            if when not in ("setup", "call", "teardown") or (report.nodeid, when) in seen:
                continue
            seen.add((report.nodeid, when))
            group = report.nodeid.split("::")[0]
            totals[group] = totals.get(group, 0.0) + report.duration
            counts[group] = counts.get(group, 0) + (when == "call")
    if not totals:
        return
    terminalreporter.write_sep("-", "test seconds by file (summed over workers)")
    for group, seconds in sorted(totals.items(), key=lambda item: -item[1]):
        terminalreporter.write_line(
            f"[ci] tests: {group:48} {counts[group]:4} tests {seconds:7.0f} s"
        )
    terminalreporter.write_line(
        f"[ci] tests: {'all':48} {sum(counts.values()):4} tests {sum(totals.values()):7.0f} s"
    )
