"""Benchmark: how many bugs the generated project's own tests catch (mutation testing).

    uv run python -m benchmarks.mutation [--warehouse-url postgresql+psycopg://...] [--keep]

Renders the default answers, installs the project as a user does (`uv sync --all-extras`,
plus its `mutation` dependency group), and runs the command its README gives:
`uv run --group mutation mutmut run`. With `--warehouse-url` (or ETL_WAREHOUSE_URL set),
the tests' PostgreSQL cases run too, as the README says (the PostgreSQL driver added
with `uv run --with`): without a server, the PostgreSQL load path is reached by no test.

mutmut changes the code in `etl/` one small thing at a time (a mutant) and runs the tests
that reach it. Every mutant counts: one that no test reaches ("no tests") counts as a
survivor, as does one whose tests still pass. A timeout counts as caught (the tests did
not pass), and is listed apart.

Prints the score per module and the survivors, and writes
`benchmarks/results/mutation.json`. Not a test: figures, not pass/fail (the issue "Tests
that catch what users would hit" sets the target, 90%). Minutes of CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from answer_model.choices import EXTRAS
from benchmarks.common import REPO, git_revision, scratch
from benchmarks.report import DOC, mutation_section, write_doc
from devkit.render import render

RESULTS = REPO / "benchmarks" / "results" / "mutation.json"
PAGE = REPO / "docs" / "mutation-testing.md"
PAGE_MARK = "## The latest run"
TARGET = 0.90
CAUGHT = {"killed", "timeout", "caught by type check"}
# `etl.tasks.validate.x_check_rows__mutmut_3` and `etl.target.xǁTargetǁshown__mutmut_1`
MUTANT = re.compile(r"^\s*(?P<name>(?P<module>[\w.]+?)\.x[ǁ_][^:]*__mutmut_\d+): (?P<status>.+)$")


# Why each function's survivors are left, read from their changes (a survivor in a
# function not listed here is shown as not yet looked at).
REASONS = {
    "etl.flows.example_etl.main": (
        "Equivalent: `type=int` or `default=None` dropped from an option (pydantic turns "
        '`"3"` into 3, and None is argparse\'s own default), and the separator of '
        "`'-'.join` over an error location of one part (every parameter error names one "
        "field)."
    ),
    "etl.flows.example_etl.run_name": (
        "Equivalent: Prefect validates a run's parameters before it names the run "
        "(`flow_engine.py`, 3.9.1), so `params` is an EtlParams, or an empty dict for a run "
        "given no parameters, where any key's `.get` is None (`.get(None)`, `'SOURCE'`). "
        "Left: `or True` on that test would fail a run given no parameters at all, which no "
        "test names; and `datetime.now(None)` is local time, not UTC, which differs only "
        "between local and UTC midnight."
    ),
    "etl.flows.example_etl.source_label": (
        "Equivalent: the stem of `sample` is `sample`, so taking every source's stem names "
        "the sample the same."
    ),
    "etl.flows.example_etl.load_orders": (
        "Left: the clean-up (`PRAGMA optimize` / `ANALYZE`) waits for every load; without "
        "the wait it may run while loads are still writing, which changes the planner's "
        "statistics, not any result a test can read."
    ),
    "etl.flows.example_etl.publish": (
        "Equivalent: the case of the flow name given to `publish_summary` and "
        "`publish_rejects` (`artifact_key` lowercases it)."
    ),
    "etl.flows.orders_report.run_name": (
        "Equivalent but for an hour a day: `datetime.now(None)` is local time, not UTC, so "
        "the date in the run's name differs only between local and UTC midnight."
    ),
    "etl.flows.orders_report.build_report": (
        "Equivalent: the case of the flow and table names given to `publish_table` "
        "(`artifact_key` lowercases them)."
    ),
    "etl.tasks.report.write_csv": (
        "Equivalent on Linux with a UTF-8 locale: `newline` or `encoding` dropped or "
        "respelled (`UTF-8` is `utf-8`; the csv module ends rows with `\\r\\n` either "
        "way there). On Windows, `newline=None` would double each `\\r`."
    ),
    "etl.tasks.extract.read_rows": (
        "Equivalent with a UTF-8 locale: `encoding` dropped or respelled (`UTF-8` is "
        "`utf-8`). A machine whose locale is not UTF-8 would read a non-ASCII source wrongly "
        "without it."
    ),
    "etl.utils.api.check_api": (
        "Equivalent: the health request's timeout (10 s, 11 s or none: a server that "
        "listens answers at once, a port where none listens refuses at once), and "
        "`rstrip('XX/XX')`, which strips the same final `/` from an API URL."
    ),
    "etl.warehouse._copy_upsert": (
        "Equivalent: the dialect given to `DBAPIError.instance` (left out or None) only "
        "offers a dialect's own error translations; psycopg's errors become the same "
        "SQLAlchemy classes (IntegrityError and so on) from their driver classes, and the "
        "statement named in the error is tested."
    ),
    "etl.warehouse._write": (
        "Equivalent for a run, which writes one warehouse: `_sqlite_writer(None)` makes the "
        "writers of every SQLite file take turns on one lock instead of one lock per file."
    ),
    "etl.warehouse.create_schema": (
        "Equivalent: `checkfirst=True` is SQLAlchemy's default for `create_all`."
    ),
    "etl.warehouse.optimize": "Equivalent: SQL keywords are case-insensitive.",
    "etl.hooks.notify.notify_failure": (
        "Left: which flow the failure logger is given (`flow_run_logger(flow_run, None)`): "
        "the message, its level and its run are tested; the record's `flow_name` extra is "
        "not stored by the server or shown by Prefect's log format."
    ),
    "etl.tasks.validate.describe": (
        "Equivalent for this model: a row's fields are flat (an error's location is one "
        "name, so the `.` joiner never shows), and no rule is row-wide (the `row` fallback "
        "never shows)."
    ),
    "etl.tasks.transform.to_record": (
        "Equivalent: prices have at most two decimals (validated), so a price in cents is "
        "whole and the rounding mode never applies."
    ),
    "etl.hooks.notify.failure_message": (
        "Equivalent in practice: the fallback for a state without a message; every failed "
        "or crashed state Prefect sets carries one."
    ),
    "etl.summary.artifact_key": (
        "Equivalent: `strip('XX-XX')` strips the same dashes (a key is lowercase, so it "
        "holds no X)."
    ),
    "etl.summary.publish_rejects": (
        "Equivalent: the artifact key's case (`artifact_key` lowercases it)."
    ),
    "etl.summary.publish_summary": (
        "Equivalent in this project: the default headline (every caller passes one) and the "
        "artifact key's case (`artifact_key` lowercases it)."
    ),
    "etl.utils.batch.Batch.__reduce__": (
        "Equivalent in result: these change which way a batch is pickled (its rows as plain "
        "tuples with their type once, or each named tuple as itself); both give back an "
        "equal `Batch` of the same types (tested), so they cost speed only, about 1.5 us a "
        "row (the benchmarks measured it). A test of the pickled size would catch them; none "
        "is written."
    ),
}


def uv() -> str:
    found = shutil.which("uv") or str(REPO / ".tools" / "uv-on-path" / "uv")
    if not Path(found).exists():
        sys.exit("uv is needed: python3 scripts/run_tests.py installs it")
    return found


def run(command: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return result


def statuses(results_output: str) -> dict[str, tuple[str, str]]:
    """mutant name -> (module, status), from `mutmut results --all true`."""
    found = {}
    for line in results_output.splitlines():
        match = MUTANT.match(line)
        if match:
            found[match["name"]] = (match["module"], match["status"].strip())
    return found


def summarise(mutants: dict[str, tuple[str, str]]) -> dict:
    by_module: dict[str, Counter] = defaultdict(Counter)
    for module, status in mutants.values():
        by_module[module][status] += 1
    modules = {}
    for module, counts in sorted(by_module.items()):
        total = sum(counts.values())
        caught = sum(counts[s] for s in CAUGHT)
        modules[module] = {"total": total, "caught": caught, "score": caught / total, **counts}
    total = sum(m["total"] for m in modules.values())
    caught = sum(m["caught"] for m in modules.values())
    unchecked = sum(m.get("not checked", 0) for m in modules.values())
    survivors = sorted(
        name for name, (_, status) in mutants.items() if status not in CAUGHT | {"not checked"}
    )
    return {
        "total": total,
        "caught": caught,
        "score": caught / total if total else 0.0,  # unchecked ones count as not caught
        "not_checked": unchecked,
        "checked_score": caught / (total - unchecked) if total > unchecked else 0.0,
        "statuses": dict(Counter(status for _, status in mutants.values())),
        "modules": modules,
        "survivors": {name: mutants[name][1] for name in survivors},
    }


def changes(mutmut: list[str], names: list[str], project: Path, env: dict) -> dict[str, list]:
    """What each mutant changed: the `-`/`+` lines of `mutmut show`."""
    found = {}
    for name in names:
        shown = subprocess.run([*mutmut, "show", name], cwd=project, env=env, capture_output=True)
        lines = shown.stdout.decode(errors="replace").splitlines()
        found[name] = [
            line.rstrip() for line in lines if line[:2] in ("- ", "+ ") and line[:3] != "+++"
        ]
    return found


def function_of(mutant: str) -> str:
    """`etl.tasks.report.x_write_csv__mutmut_3` -> `etl.tasks.report.write_csv`."""
    name = mutant.split("__mutmut_")[0]
    module, _, function = name.rpartition(".x")
    return f"{module}.{function[1:].replace('ǁ', '.')}"  # x_name, xǁClassǁname


def survivors_page(summary: dict) -> str:
    """The survivors, by function, each with its change and why it is left (REASONS)."""
    lines = [PAGE_MARK, ""]
    lines.append(
        f"At {summary['revision']}: {summary['caught']} of {summary['total']} mutants caught "
        f"({summary['score']:.1%}; goal 90%)"
        + (
            f", {summary['not_checked']} not checked (the run was stopped; of the checked "
            f"ones {summary['checked_score']:.1%} were caught)"
            if summary["not_checked"]
            else ""
        )
        + ". The score per module is on the [benchmarks page](benchmarks.md) (section 6)."
    )
    if summary.get("note"):
        lines += ["", summary["note"]]
    by_function: dict[str, list[str]] = defaultdict(list)
    for name in summary["survivors"]:
        by_function[function_of(name)].append(name)
    lines += ["", f"Every survivor ({len(summary['survivors'])}), by function:", ""]
    for function, names in sorted(by_function.items()):
        reason = REASONS.get(function, "Not yet looked at.")
        lines += [f"### `{function}`", "", reason, ""]
        for name in names:
            change = " → ".join(
                f"`{line[1:].strip()}`" for line in summary["changes"].get(name, [])
            )
            lines.append(f"- {summary['survivors'][name]}: {change}")
        lines.append("")
    return "\n".join(lines)


def write_page(summary: dict) -> None:
    """docs/mutation-testing.md: its hand-written part, then the latest run's survivors."""
    text = PAGE.read_text(encoding="utf-8")
    head = text.split(PAGE_MARK)[0]
    PAGE.write_text(head + survivors_page(summary), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the rendered project")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--warehouse-url",
        default=os.environ.get("ETL_WAREHOUSE_URL", ""),
        help="a PostgreSQL server for the tests' PostgreSQL cases (postgresql+psycopg://...)",
    )
    parser.add_argument(
        "--from-project",
        type=Path,
        help="only read the results of a run already made in this project (one stopped "
        "early counts its unchecked mutants as not caught)",
    )
    parser.add_argument("--seconds", type=float, default=0, help="with --from-project")
    parser.add_argument("--note", default="", help="how the run was made, when not as above")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "ETL_WAREHOUSE_URL")}
    env = {k: v for k, v in env.items() if not k.startswith("PREFECT_")}
    driver = []
    if args.warehouse_url:
        env["ETL_WAREHOUSE_URL"] = args.warehouse_url
        driver = ["--with", EXTRAS["postgres"]]
    mutmut = [uv(), "run", "--frozen", "--group", "mutation", *driver, "mutmut"]
    with scratch(keep=args.keep) as work:
        if args.keep:
            print(f"kept: {work}")
        if args.from_project:
            project, seconds = args.from_project, args.seconds
        else:
            project = render(work / "render")  # the default answers
            run([uv(), "sync", "-q", "--all-extras", "--group", "mutation"], project, env)
            started = time.monotonic()
            run([*mutmut, "run", "--max-children", str(args.max_children)], project, env)
            seconds = time.monotonic() - started
        output = run([*mutmut, "results", "--all", "true"], project, env).stdout
        summary = summarise(statuses(output))
        if not summary["total"]:
            sys.exit(f"no mutants found in mutmut's results:\n{output[-2000:]}")
        summary["changes"] = changes(mutmut, list(summary["survivors"]), project, env)
        summary |= {
            "seconds": round(seconds),
            "command": "uv run --group mutation mutmut run (in a default render)",
            "postgresql": bool(args.warehouse_url),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
            "max_children": args.max_children,
            "revision": git_revision(),
            "note": args.note,
        }
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        print("\n".join(mutation_section(summary)))  # as the benchmarks page shows it
        print(f"\ntarget {TARGET:.0%}; {summary['total']} mutants in {seconds:.0f} s")
        if summary["not_checked"]:
            print(
                f"stopped early: {summary['not_checked']} not checked (counted as not caught); "
                f"of the checked ones, {summary['checked_score']:.1%} caught"
            )
        print("survivors:\n" + "\n".join(f"  {n}: {s}" for n, s in summary["survivors"].items()))
        write_doc(DOC, RESULTS.parent)  # the benchmarks page, with its mutation section
        write_page(summary)
        print(f"written: {RESULTS.relative_to(REPO)}, {DOC.relative_to(REPO)}")


if __name__ == "__main__":
    main()
