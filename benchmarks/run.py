"""The template's benchmarks, in one command: `uv run python -m benchmarks.run`.

Every figure is a ratio against a baseline measured in the same run, as the median of
interleaved runs (`--repeats`, at least 5 for the real figures; `--quick` uses fewer runs
and smaller sizes, for development only). Prints a table, saves the raw figures to
`benchmarks/results/latest.json` and, on a full run, writes `docs/benchmarks.md`
(`benchmarks/report.py` rewrites it from the saved figures, without measuring).

This file is the command line only: `measurement` runs the sections and returns raw
figures, `analysis` turns them into ratios and verdicts, `report` writes them up.

Sections (`--only render,suite,etl,context`):

1. render  - `cookiecutter --no-input` of this template (CLI, hooks and checks included)
             against a one-file template (cookiecutter's floor) and `prefect init --recipe git`.
2. suite   - the rendered project's whole `pytest` run against the floor of any flow test:
             a Python process that imports prefect and starts and stops one test harness.
3. etl     - the example ETL flow on a local `prefect server` (started first, its startup
             excluded) against the same functions called as plain Python, at 50k, 200k and
             1M rows; per-row cost and its slope; the fixed cost per flow run and what
             the heartbeat and a subflow call add to it.
4. context - a rendered project cluttered like a real checkout: Docker build context and
             `.prefectignore` upload set as a share of the tree; which Dockerfile layers a
             code change rebuilds.

`--sweep` instead times the flow over a range of batch sizes (how the default was chosen).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from benchmarks import common, measurement
from benchmarks.common import REPO
from benchmarks.measurement import say
from benchmarks.report import DOC, RESULTS, SECTION_RUNS, summary_text, sweep_text, write_doc

FULL_SIZES = (50_000, 200_000, 1_000_000)
QUICK_SIZES = (10_000, 20_000, 50_000)
SECTIONS = ("render", "suite", "etl", "context")


# Sections whose one-off runs the page reads from their own file (report.SECTION_RUNS,
# which names each file and the results keys it holds): section -> its keys.
PAGE_SECTIONS = {name.removesuffix(".json"): keys for name, (_, keys) in SECTION_RUNS.items()}


def postgres_url(choice: str) -> str | None:
    url = os.environ.get("TEMPLATE_TEST_POSTGRES_URL")
    if choice == "postgres" and not url:
        raise SystemExit(
            "error: --server-db postgres needs TEMPLATE_TEST_POSTGRES_URL "
            "(postgresql+asyncpg://user:password@host:port/db, a user that may CREATE DATABASE)"
        )
    return url if choice != "sqlite" else None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs, smaller sizes")
    parser.add_argument("--only", default=",".join(SECTIONS))
    parser.add_argument("--repeats", type=int, default=None, help="runs per figure (>= 5)")
    parser.add_argument("--suite-repeats", type=int, default=None)
    parser.add_argument("--sizes", default=None, help="ETL row counts, comma-separated")
    parser.add_argument("--batch-size", type=int, default=None, help="default: the settings'")
    parser.add_argument("--venv-mb", type=int, default=120)
    parser.add_argument("--template", type=Path, default=REPO)
    parser.add_argument("--sweep", action="store_true", help="time a range of batch sizes")
    parser.add_argument("--sweep-rows", type=int, default=200_000)
    parser.add_argument("--sweep-batches", default="1000,5000,20000,50000,100000,200000")
    parser.add_argument(
        "--server-db",
        choices=("auto", "sqlite", "postgres"),
        default="auto",
        help="the ETL section's server database; auto: PostgreSQL when "
        "TEMPLATE_TEST_POSTGRES_URL is set (as .ci/run sets it), else SQLite",
    )
    parser.add_argument(
        "--warehouse-url",
        default=os.environ.get("ETL_BENCH_WAREHOUSE_URL"),
        help="the ETL section also loads into this PostgreSQL database "
        "(postgresql+psycopg://user:password@host:port/db; its orders and rejects tables are "
        "dropped and rebuilt); default: $ETL_BENCH_WAREHOUSE_URL, else SQLite only",
    )
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/benchmarks.md")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    return parser.parse_args(argv)


def settings_of(args: argparse.Namespace) -> dict:
    repeats = args.repeats or (2 if args.quick else 5)
    suite_repeats = args.suite_repeats or (1 if args.quick else repeats)
    sizes = (
        tuple(int(s) for s in args.sizes.split(","))
        if args.sizes
        else (QUICK_SIZES if args.quick else FULL_SIZES)
    )
    full = (
        not args.quick
        and repeats >= 5
        and suite_repeats >= 5
        and sizes == FULL_SIZES
        and set(args.only.split(",")) >= set(SECTIONS)
    )  # only a full run replaces latest.json and the docs page
    return {
        "repeats": repeats,
        "suite_repeats": suite_repeats,
        "sizes": list(sizes),
        "full": full,
        "template": str(args.template),
    }


def run_sweep(args: argparse.Namespace, settings: dict, work: Path, results: dict) -> None:
    say(f"sweep: {args.sweep_rows} rows, batch sizes {args.sweep_batches}")
    batches = [int(b) for b in args.sweep_batches.split(",")]
    t0 = time.perf_counter()
    results["sweep"] = measurement.bench_sweep(
        args.template,
        work,
        settings["repeats"],
        args.sweep_rows,
        batches,
        postgres_url(args.server_db),
    )
    results["section_seconds"]["sweep"] = time.perf_counter() - t0


def run_section(name: str, args: argparse.Namespace, settings: dict, work: Path) -> dict:
    repeats, sizes = settings["repeats"], settings["sizes"]
    if name == "render":
        return measurement.bench_render(args.template, work, max(repeats, 3))
    if name == "suite":
        return measurement.bench_suite(args.template, work, settings["suite_repeats"])
    if name == "etl":
        return measurement.bench_etl(
            args.template,
            work,
            repeats,
            tuple(sizes),
            args.batch_size,
            postgres_url(args.server_db),
            args.warehouse_url,
        )
    return measurement.bench_context(args.template, work, args.venv_mb)


def run_sections(args: argparse.Namespace, settings: dict, work: Path, results: dict) -> None:
    chosen = args.only.split(",")
    for name in (n for n in SECTIONS if n in chosen):
        say(f"{name} ...")
        t0 = time.perf_counter()
        results["load_average"][f"{name}_start"] = common.load_average()
        section = run_section(name, args, settings, work)
        # the ETL section comes back as one entry per warehouse: etl, etl_postgres
        results.update(section if name == "etl" else {name: section})
        results["section_seconds"][name] = time.perf_counter() - t0
        say(f"{name} done in {results['section_seconds'][name]:.0f} s")


def main(argv: list[str] | None = None) -> int:
    given = argv if argv is not None else sys.argv[1:]
    args = parse_args(argv)
    settings = settings_of(args)
    started = time.perf_counter()
    results: dict = {
        "command": " ".join(["uv run python -m benchmarks.run", *given]),
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": common.machine(),
        "revision": common.git_revision(),
        "settings": settings,
        "load_average": {"start": common.load_average()},
        "section_seconds": {},
    }
    with common.scratch(keep=args.keep) as work:
        say(f"scratch: {work}")
        (run_sweep if args.sweep else run_sections)(args, settings, work, results)
    results["load_average"]["end"] = common.load_average()
    results["total_seconds"] = time.perf_counter() - started

    RESULTS.mkdir(parents=True, exist_ok=True)
    full = settings["full"]
    name = "sweep.json" if args.sweep else ("latest.json" if full else "quick.json")
    chosen = args.only.split(",")
    sections_run = not (full or args.sweep or args.quick) and set(chosen) <= set(PAGE_SECTIONS)
    page_sections = sections_run and min(settings["repeats"], settings["suite_repeats"]) >= 3
    if page_sections:
        # A real run of some sections: each kept in its own file (etl.json, suite.json,
        # render.json), which the page reads in place of latest.json's section (the other
        # sections stay as latest.json has them).
        for section in chosen:
            others = {key for other in chosen if other != section for key in PAGE_SECTIONS[other]}
            part = {k: v for k, v in results.items() if k not in others}
            (RESULTS / f"{section}.json").write_text(json.dumps(part, indent=2, default=str) + "\n")
        name = ", ".join(f"{section}.json" for section in chosen)  # where they went, as shown
    else:
        (RESULTS / name).write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(sweep_text(results["sweep"]) if args.sweep else summary_text(results))
    print(
        f"\ntotal {results['total_seconds']:.0f} s; load average "
        f"{results['load_average']['start']:.2f} -> {results['load_average']['end']:.2f} "
        f"on {results['machine']['nproc']} cores; figures in benchmarks/results/{name}"
    )
    if not args.no_docs and (full or args.sweep or page_sections):
        write_doc(DOC, RESULTS)
        print(f"wrote {DOC.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
