"""The template's benchmarks, in one command: `uv run python benchmarks/run.py`.

Every figure is a ratio against a baseline measured in the same run, as the median of
interleaved runs (`--repeats`, at least 5 for the real figures; `--quick` uses fewer runs
and smaller sizes, for development only). Prints a table, saves the raw figures to
`benchmarks/results/latest.json` and, on a full run, writes `docs/benchmarks.md`.

Sections (`--only render,suite,etl,context`):

1. render  - `cookiecutter --no-input` of this template (CLI, hooks and checks included)
             against a one-file template (cookiecutter's floor) and `prefect init --recipe git`.
2. suite   - the rendered project's whole `pytest` run against the floor of any flow test:
             a Python process that imports prefect and starts and stops one test harness.
3. etl     - the example ETL flow on a local `prefect server` (started first, its startup
             excluded) against the same functions called as plain Python, at 50k, 200k and
             1M rows; per-row cost and its slope; the transform cache's cost measured apart.
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
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from common import BIN, PYTHON, REPO, check, clean_env, median, run_timed, spread  # noqa: E402

RESULTS = REPO / "benchmarks" / "results"
DOC = REPO / "docs" / "benchmarks.md"
FULL_SIZES = (50_000, 200_000, 1_000_000)
QUICK_SIZES = (10_000, 20_000, 50_000)
TARGET_RATIO = 1.5
CONTEXT_SHARE = 0.01
FIXED_ROWS = 1_000  # a run this small is almost all fixed cost
FLAT_TOLERANCE = 0.10  # per-row cost may grow 10% across the sizes (or 10% more than plain's)

FLOOR = """\
import prefect
from prefect.testing.utilities import prefect_test_harness

with prefect_test_harness(server_startup_timeout=120):
    pass
"""


BREAKDOWN = """\
import json, sys, time
start = time.perf_counter()
import cookiecutter.hooks as hooks
import jinja2.environment
import jinja2.utils
from cookiecutter.main import cookiecutter
imported = time.perf_counter()
spent = {"hooks_s": 0.0, "extensions_s": 0.0}

def timed(key, fn):
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[key] += time.perf_counter() - t
    return wrapper

hooks.run_script = timed("hooks_s", hooks.run_script)
jinja2.environment.import_string = timed("extensions_s", jinja2.utils.import_string)
cookiecutter(sys.argv[1], no_input=True, output_dir=sys.argv[2])
end = time.perf_counter()
spent["import_s"] = imported - start
spent["render_s"] = end - imported
spent["total_s"] = end - start
print(json.dumps(spent))
"""


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- 1. render ------------------------------------------------------------------------


def bench_render(template: Path, work: Path, repeats: int) -> dict:
    minimal = work / "minimal-template"
    (minimal / "{{cookiecutter.project_slug}}").mkdir(parents=True)
    (minimal / "cookiecutter.json").write_text('{"project_slug": "minimal"}\n')
    (minimal / "{{cookiecutter.project_slug}}" / "README.md").write_text(
        "# {{ cookiecutter.project_slug }}\n"
    )
    env = clean_env(COOKIECUTTER_CONFIG=str(common.cookiecutter_config(work / "cc")))

    def render(source: Path, name: str):
        def case(round_: int) -> float:
            out = work / f"{name}-{round_}"
            seconds, result = run_timed(
                [str(BIN / "cookiecutter"), "--no-input", "-o", str(out), str(source)], env=env
            )
            check(result, f"cookiecutter {source}")
            if not any(out.iterdir()):
                raise RuntimeError(f"cookiecutter {source} wrote nothing")
            return seconds

        return case

    written: list[list[str]] = []

    def prefect_init(round_: int) -> float:
        directory = work / f"init-{round_}"
        directory.mkdir()
        home = work / f"init-home-{round_}"
        seconds, result = run_timed(
            [str(BIN / "prefect"), "init", "--recipe", "git"],
            cwd=directory,
            env=clean_env(PREFECT_HOME=str(home)),
        )
        check(result, "prefect init --recipe git")
        written.append(sorted(p.name for p in directory.iterdir()))
        return seconds

    def breakdown(round_: int) -> float:
        """This template rendered in-process, split into hooks and Jinja extension imports."""
        out = work / f"breakdown-{round_}"
        _, result = run_timed([PYTHON, "-c", BREAKDOWN, str(template), str(out)], env=env)
        check(result, "render breakdown")
        parts = json.loads(result.stdout.strip().splitlines()[-1])
        for key, value in parts.items():
            split.setdefault(key, []).append(value)
        return parts["total_s"]

    split: dict[str, list[float]] = {}
    times = common.interleaved(
        repeats,
        {
            "breakdown": breakdown,
            "template": render(template, "template"),
            "minimal": render(minimal, "minimal"),
            "prefect_init": prefect_init,
        },
        say,
    )
    times.pop("breakdown")
    return {
        "times": times,
        "breakdown": {k: median(v) for k, v in split.items()},
        "prefect_init_files": written[0] if written else [],
    }


# --- 2. the rendered test suite -------------------------------------------------------


def bench_suite(template: Path, work: Path, repeats: int) -> dict:
    project = common.render_default(template, work / "suite-project", work / "cc-suite")
    reports: list[Path] = []
    counts: list[str] = []
    failures: list[dict] = []

    def suite(round_: int) -> float:
        report = work / f"junit-{round_}.xml"
        seconds, result = run_timed(
            [PYTHON, "-m", "pytest", "-q", f"--junitxml={report}"],
            cwd=project,
            env=clean_env(PREFECT_HOME=str(work / f"suite-home-{round_}")),
            timeout=1800,
        )
        summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
        # A failing test is recorded, not fatal: the run still timed the whole suite.
        # Anything else (collection errors, a crash, no summary line) stops the benchmark.
        if result.returncode not in (0, 1) or " in " not in summary:
            check(result, "the rendered project's pytest run")
        if result.returncode == 1:
            failed = [
                line.split(" ", 1)[1].split(" - ")[0]
                for line in result.stdout.splitlines()
                if line.startswith("FAILED ")
            ]
            failures.append({"run": round_ + 1, "failed": failed})
            say(f"  suite #{round_ + 1} had failures: {', '.join(failed)}")
        reports.append(report)
        counts.append(summary)
        return seconds

    def floor(round_: int) -> float:
        seconds, result = run_timed(
            [PYTHON, "-c", FLOOR],
            cwd=project,
            env=clean_env(PREFECT_HOME=str(work / f"floor-home-{round_}")),
        )
        check(result, "the test-harness floor")
        return seconds

    times = common.interleaved(repeats, {"suite": suite, "floor": floor}, say)

    # Where the suite's time goes: per test file, the median over the runs.
    per_file: dict[str, list[float]] = {}
    slowest: dict[str, list[float]] = {}
    for report in reports:
        totals: dict[str, float] = {}
        for case in ET.parse(report).iter("testcase"):
            name = case.get("classname", "").replace(".", "/") + ".py"
            seconds = float(case.get("time", 0))
            totals[name] = totals.get(name, 0.0) + seconds
            slowest.setdefault(f"{name}::{case.get('name')}", []).append(seconds)
        for name, seconds in totals.items():
            per_file.setdefault(name, []).append(seconds)
    files = {k: median(v) for k, v in sorted(per_file.items(), key=lambda kv: -median(kv[1]))}
    tests = sorted(((median(v), k) for k, v in slowest.items()), reverse=True)[:8]
    return {
        "times": times,
        "result_line": counts[-1] if counts else "",
        "result_lines": counts,
        "failures": failures,
        "per_file": files,
        "slowest_tests": [{"test": k, "seconds": s} for s, k in tests],
    }


# --- 3. the ETL flow ------------------------------------------------------------------


def run_driver(
    project: Path,
    work: Path,
    server: dict,
    csv: Path,
    repeats: int,
    variants: str,
    batch_size: int | None = None,
) -> dict:
    command = [
        PYTHON,
        str(REPO / "benchmarks" / "etl_driver.py"),
        "--csv",
        str(csv),
        "--repeats",
        str(repeats),
        "--variants",
        variants,
        "--workdir",
        str(work / "driver"),
    ]
    if batch_size:
        command += ["--batch-size", str(batch_size)]
    env = clean_env(
        PREFECT_API_URL=server["api_url"],
        PREFECT_HOME=str(work / "client-home"),
        PREFECT_RESULTS_LOCAL_STORAGE_PATH=str(work / "results-storage"),
    )
    _, result = run_timed(command, cwd=project, env=env, timeout=3600)
    check(result, f"etl_driver on {csv.name}")
    data = json.loads(result.stdout.strip().splitlines()[-1])
    if not data["same_result"]:
        raise RuntimeError(f"plain and flow disagree on {csv.name}: {data}")
    return data


def csv_for(work: Path, rows: int) -> Path:
    from orders import write_orders

    path = work / "csv" / f"orders-{rows}.csv"
    if not path.exists():
        write_orders(path, rows)
    return path


def bench_etl(
    template: Path,
    work: Path,
    repeats: int,
    sizes,
    batch_size,
    cache_sizes,
    postgres_url: str | None,
) -> dict:
    """The sizes on PostgreSQL when a URL is given (the production backend, what the
    rendered docker-compose.yml runs), else on SQLite; with PostgreSQL, the fixed cost is
    timed on SQLite as well, to show what that backend adds."""
    from orders import expected_counts

    project = common.render_default(template, work / "etl-project", work / "cc-etl")
    csvs = {rows: csv_for(work, rows) for rows in (FIXED_ROWS, *sizes)}
    out: dict = {
        "sizes": {},
        "batch_size": None,
        "backend": "postgres" if postgres_url else "sqlite",
    }

    def measure(server: dict, rows: int, variants: str) -> dict:
        before = server["retried"]()
        data = run_driver(project, work, server, csvs[rows], repeats, variants, batch_size)
        expected = expected_counts(rows)
        summary = data["summary"]
        if (summary["read"], summary["loaded"], summary["rejected"]) != (
            expected["read"],
            expected["loaded"],
            expected["rejected"],
        ):
            raise RuntimeError(f"unexpected counts at {rows} rows: {summary} vs {expected}")
        entry = {
            "runs": data["runs"],
            "summary": summary,
            # requests answered 503 ("database is locked") during this size's flow runs
            # (the warm-up run included): each one made the client wait and retry
            "retried_503": server["retried"]() - before,
            "flow_runs": 1 + sum(len(v) for k, v in data["runs"].items() if k.startswith("flow")),
            "batch_size": data["batch_size"],
        }
        if "cache_parts" in data:
            entry["cache_parts"] = data["cache_parts"]
        plain_s, flow_s = median(data["runs"]["plain"]), median(data["runs"]["flow"])
        say(
            f"  {rows} rows: plain {plain_s:.2f} s, flow {flow_s:.2f} s, "
            f"ratio {flow_s / plain_s:.2f}, 503 retries {entry['retried_503']}"
        )
        return entry

    with common.prefect_server(work / "server-home", postgres_url) as server:
        out["server_startup_s"] = server["startup_s"]
        say(f"  {out['backend']} server up in {server['startup_s']:.1f} s (not counted)")
        out["fixed"] = measure(server, FIXED_ROWS, "plain,flow,flow-subflow,flow-noheartbeat")
        for rows in sizes:
            entry = measure(
                server, rows, "plain,flow" + (",cache-parts" if rows in cache_sizes else "")
            )
            out["batch_size"] = entry.pop("batch_size")
            if "cache_parts" in entry:
                out.setdefault("cache_parts", {})[str(rows)] = entry.pop("cache_parts")
            out["sizes"][str(rows)] = entry
    if postgres_url:
        with common.prefect_server(work / "server-home-sqlite") as server:
            say(f"  sqlite server up in {server['startup_s']:.1f} s (not counted)")
            out["fixed_sqlite"] = measure(
                server, FIXED_ROWS, "plain,flow,flow-subflow,flow-noheartbeat"
            )
    return out


def etl_analysis(etl: dict) -> dict:
    """Ratios, per-row microseconds, their least-squares slopes, and a fixed + per-row fit.

    The flow's per-row cost falls as rows grow only because its fixed cost (measured on a
    1,000-row file) is spread thinner; whether the rest of it is flat is read from the
    per-row cost without that fixed part ("variable"): its least-squares slope over the
    sizes, as a relative change across the range, against plain Python's own change."""
    sizes = sorted(int(k) for k in etl["sizes"])
    rows_m = [n / 1e6 for n in sizes]
    fixed_s = None
    if "fixed" in etl:
        fixed_s = median(etl["fixed"]["runs"]["flow"]) - median(etl["fixed"]["runs"]["plain"])
    per: dict = {}
    for n in sizes:
        runs = etl["sizes"][str(n)]["runs"]
        plain_s, flow_s = median(runs["plain"]), median(runs["flow"])
        per[n] = {
            "plain_s": plain_s,
            "flow_s": flow_s,
            "ratio": flow_s / plain_s,
            "plain_us_row": plain_s / n * 1e6,
            "flow_us_row": flow_s / n * 1e6,
            "overhead_us_row": (flow_s - plain_s) / n * 1e6,
            "spread_plain": spread(runs["plain"]),
            "spread_flow": spread(runs["flow"]),
        }
        if fixed_s is not None:
            per[n]["variable_us_row"] = (flow_s - fixed_s) / n * 1e6
    result: dict = {"per_size": per, "fixed_s": fixed_s}
    if len(sizes) >= 2:
        span = rows_m[-1] - rows_m[0]
        for kind in ("plain", "flow", "variable"):
            key = f"{kind}_us_row"
            if key not in per[sizes[0]]:
                continue
            values = [per[n][key] for n in sizes]
            slope, _ = common.least_squares(rows_m, values)
            result[kind] = {
                "per_row_slope_us_per_m": slope,  # us/row, per million more rows
                "relative_change": slope * span / (sum(values) / len(values)),
            }
            if kind != "variable":
                # time = fixed + marginal * rows (least squares over the sizes)
                marginal, fixed = common.least_squares(sizes, [per[n][f"{kind}_s"] for n in sizes])
                result[kind].update(fixed_s=fixed, marginal_us_row=marginal * 1e6)
        steps = []
        for a, b in zip(sizes, sizes[1:], strict=False):
            steps.append(
                {
                    "from": a,
                    "to": b,
                    "plain_us_row": (per[b]["plain_s"] - per[a]["plain_s"]) / (b - a) * 1e6,
                    "flow_us_row": (per[b]["flow_s"] - per[a]["flow_s"]) / (b - a) * 1e6,
                }
            )
        result["steps"] = steps
        if "variable" in result:
            change = result["variable"]["relative_change"]
            allowed = max(FLAT_TOLERANCE, result["plain"]["relative_change"] + FLAT_TOLERANCE)
            result["flat"] = change <= allowed
            result["flat_allowed"] = allowed
    return result


def bench_sweep(
    template: Path, work: Path, repeats: int, rows: int, batch_sizes, postgres_url: str | None
) -> dict:
    project = common.render_default(template, work / "sweep-project", work / "cc-sweep")
    csv = csv_for(work, rows)
    out: dict = {
        "rows": rows,
        "batch_sizes": {},
        "backend": "postgres" if postgres_url else "sqlite",
    }
    with common.prefect_server(work / "server-home", postgres_url) as server:
        out["server_startup_s"] = server["startup_s"]
        for size in batch_sizes:
            data = run_driver(project, work, server, csv, repeats, "plain,flow", size)
            runs = data["runs"]
            plain_s, flow_s = median(runs["plain"]), median(runs["flow"])
            out["batch_sizes"][str(size)] = {
                "runs": runs,
                "plain_s": plain_s,
                "flow_s": flow_s,
                "ratio": flow_s / plain_s,
                "task_runs": 3 * -(-rows // size),
            }
            say(
                f"  batch {size}: plain {plain_s:.2f} s, flow {flow_s:.2f} s, "
                f"ratio {flow_s / plain_s:.2f}"
            )
    sizes = sorted(int(k) for k in out["batch_sizes"])
    # flow time = a + b * (mapped task runs): b is the cost of one more task run
    runs_per = [out["batch_sizes"][str(s)]["task_runs"] for s in sizes]
    flows = [out["batch_sizes"][str(s)]["flow_s"] for s in sizes]
    if len(sizes) >= 2:
        per_task, base = common.least_squares(runs_per, flows)
        out["per_task_run_s"] = per_task
        out["flow_without_tasks_s"] = base
    return out


# --- 4. build context -----------------------------------------------------------------


def bench_context(template: Path, work: Path, venv_mb: int) -> dict:
    from build_context import measure

    project = common.render_default(template, work / "context-project", work / "cc-context")
    return measure(project, venv_mb=venv_mb)


# --- the table ------------------------------------------------------------------------


def mark(ok: bool | None) -> str:
    return "n/a" if ok is None else ("yes" if ok else "NO")


def ratio_row(
    target: str, measured: str, baseline: str, ratio: float, runs_spread: float
) -> list[str]:
    """A row for a figure whose goal is at most TARGET_RATIO times its baseline."""
    return [
        target,
        measured,
        baseline,
        f"{ratio:.2f}x",
        f"<= {TARGET_RATIO}x",
        mark(ratio <= TARGET_RATIO),
        f"{runs_spread:.2f}",
    ]


def variant_row(target: str, cost: float, baseline: str, runs: list[float]) -> list[str]:
    """A context row: what a diagnostic variant of the flow shows a part of it costs."""
    return [target, f"{cost:+.2f} s", baseline, "", "(context)", "", f"{spread(runs):.2f}"]


def rows_of_table(results: dict) -> list[list[str]]:
    """[target, measured, baseline, ratio, goal, met, spread] rows."""
    table = []
    render = results.get("render")
    if render:
        t = {k: median(v) for k, v in render["times"].items()}
        sp = max(spread(v) for v in render["times"].values())
        table.append(
            ratio_row(
                "1 render: cookiecutter --no-input (this template)",
                f"{t['template']:.2f} s",
                f"one-file template {t['minimal']:.2f} s",
                t["template"] / t["minimal"],
                sp,
            )
        )
        ratio = t["template"] / t["prefect_init"]
        table.append(
            [
                "1 render vs prefect init --recipe git",
                f"{t['template']:.2f} s",
                f"prefect init {t['prefect_init']:.2f} s",
                f"{ratio:.2f}x",
                "< 1x",
                mark(ratio < 1),
                f"{sp:.2f}",
            ]
        )
    suite = results.get("suite")
    if suite:
        t = {k: median(v) for k, v in suite["times"].items()}
        sp = max(spread(v) for v in suite["times"].values())
        table.append(
            ratio_row(
                "2 rendered test suite: pytest",
                f"{t['suite']:.1f} s",
                f"import + harness {t['floor']:.1f} s",
                t["suite"] / t["floor"],
                sp,
            )
        )
    etl = results.get("etl")
    if etl:
        analysis = etl_analysis(etl)
        for n, p in analysis["per_size"].items():
            table.append(
                ratio_row(
                    f"3 ETL flow, {n:,} rows (batch {etl['batch_size']:,})",
                    f"{p['flow_s']:.2f} s",
                    f"plain Python {p['plain_s']:.2f} s",
                    p["ratio"],
                    max(p["spread_plain"], p["spread_flow"]),
                )
            )
        for key, backend in (("fixed", etl.get("backend", "sqlite")), ("fixed_sqlite", "sqlite")):
            if key not in etl:
                continue
            runs = etl[key]["runs"]
            fixed = median(runs["flow"]) - median(runs["plain"])
            table.append(
                [
                    f"3 ETL fixed cost per flow run ({FIXED_ROWS:,} rows, {backend})",
                    f"{median(runs['flow']):.2f} s",
                    f"plain Python {median(runs['plain']):.2f} s",
                    f"+{fixed:.2f} s",
                    "(context)",
                    f"503s: {etl[key]['retried_503']}",
                    f"{spread(runs['flow']):.2f}",
                ]
            )
            flow_s = median(runs["flow"])
            if "flow-noheartbeat" in runs:
                off = runs["flow-noheartbeat"]
                table.append(
                    variant_row(
                        f"3 ETL ... of which the heartbeat join ({backend})",
                        flow_s - median(off),
                        f"heartbeat off {median(off):.2f} s",
                        off,
                    )
                )
            if "flow-subflow" in runs:
                sub = runs["flow-subflow"]
                table.append(
                    variant_row(
                        f"3 ETL ... one subflow call would add ({backend})",
                        median(sub) - flow_s,
                        f"reconcile as a subflow {median(sub):.2f} s",
                        sub,
                    )
                )
        if "variable" in analysis:
            v, p = analysis["variable"], analysis["plain"]
            per = analysis["per_size"].values()
            table.append(
                [
                    "3 ETL per-row cost flat as rows grow",
                    "flow us/row "
                    + ", ".join(f"{x['flow_us_row']:.1f}" for x in per)
                    + "; without fixed "
                    + ", ".join(f"{x['variable_us_row']:.1f}" for x in per),
                    "plain us/row " + ", ".join(f"{x['plain_us_row']:.1f}" for x in per),
                    f"{v['relative_change']:+.0%} (plain {p['relative_change']:+.0%})",
                    f"<= {analysis['flat_allowed']:+.0%}",
                    mark(analysis["flat"]),
                    "",
                ]
            )
    context = results.get("context")
    if context:
        tree = context["tree_bytes"]
        for label, key in (
            ("4 Docker build context (.dockerignore)", "docker_context_bytes"),
            ("4 Prefect upload set (.prefectignore)", "prefect_upload_bytes"),
        ):
            share = context[key] / tree
            table.append(
                [
                    label,
                    f"{context[key] / 1e3:.1f} kB",
                    f"tree {tree / 1e6:.1f} MB",
                    f"{share:.3%}",
                    "< 1%",
                    mark(share < CONTEXT_SHARE),
                    "",
                ]
            )
        layer = context["layers"]["etl/flows/example_etl.py"]
        first = layer["first"]
        total = len(context["instructions"])
        ok = (
            bool(context["layer_order_ok"])
            and first is not None
            and first > (context["layer_indices"]["install_deps"] or 0)
        )
        table.append(
            [
                "4 code change rebuilds only after deps",
                f"example_etl.py -> from #{(first or 0) + 1} of {total}",
                f"deps installed at #{(context['layer_indices']['install_deps'] or 0) + 1}",
                "",
                "after install",
                mark(ok),
                "",
            ]
        )
    return table


def format_table(table: list[list[str]]) -> str:
    header = ["target", "measured", "baseline", "ratio", "goal", "met", "spread"]
    widths = [max(len(r[i]) for r in [header, *table]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in table]
    return "\n".join(lines)


# --- main -----------------------------------------------------------------------------


def postgres_url(choice: str) -> str | None:
    url = os.environ.get("TEMPLATE_TEST_POSTGRES_URL")
    if choice == "postgres" and not url:
        raise SystemExit(
            "error: --server-db postgres needs TEMPLATE_TEST_POSTGRES_URL "
            "(postgresql+asyncpg://user:password@host:port/db, a user that may CREATE DATABASE)"
        )
    return url if choice != "sqlite" else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs, smaller sizes")
    parser.add_argument("--only", default="render,suite,etl,context")
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
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/benchmarks.md")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args(argv)

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
        and set(args.only.split(",")) >= {"render", "suite", "etl", "context"}
    )  # only a full run replaces latest.json and the docs page
    command = "uv run python benchmarks/run.py" + (
        " " + " ".join(argv if argv is not None else sys.argv[1:])
        if (argv if argv is not None else sys.argv[1:])
        else ""
    )
    started = time.perf_counter()
    results: dict = {
        "command": command,
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": common.machine(),
        "revision": common.git_revision(),
        "settings": {
            "repeats": repeats,
            "suite_repeats": suite_repeats,
            "sizes": list(sizes),
            "full": full,
            "template": str(args.template),
        },
        "load_average": {"start": common.load_average()},
        "section_seconds": {},
    }
    with common.scratch(keep=args.keep) as work:
        say(f"scratch: {work}")
        if args.sweep:
            say(f"sweep: {args.sweep_rows} rows, batch sizes {args.sweep_batches}")
            batches = [int(b) for b in args.sweep_batches.split(",")]
            t0 = time.perf_counter()
            results["sweep"] = bench_sweep(
                args.template, work, repeats, args.sweep_rows, batches, postgres_url(args.server_db)
            )
            results["section_seconds"]["sweep"] = time.perf_counter() - t0
        else:
            sections = args.only.split(",")
            for name in ("render", "suite", "etl", "context"):
                if name not in sections:
                    continue
                say(f"{name} ...")
                t0 = time.perf_counter()
                results["load_average"][f"{name}_start"] = common.load_average()
                if name == "render":
                    results["render"] = bench_render(args.template, work, max(repeats, 3))
                elif name == "suite":
                    results["suite"] = bench_suite(args.template, work, suite_repeats)
                elif name == "etl":
                    results["etl"] = bench_etl(
                        args.template,
                        work,
                        repeats,
                        sizes,
                        args.batch_size,
                        sorted(sizes)[len(sizes) // 2 :],  # parts timed apart at these
                        postgres_url(args.server_db),
                    )
                elif name == "context":
                    results["context"] = bench_context(args.template, work, args.venv_mb)
                results["section_seconds"][name] = time.perf_counter() - t0
                say(f"{name} done in {results['section_seconds'][name]:.0f} s")
    results["load_average"]["end"] = common.load_average()
    results["total_seconds"] = time.perf_counter() - started

    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "sweep.json" if args.sweep else ("latest.json" if full else "quick.json")
    (RESULTS / name).write_text(json.dumps(results, indent=2, default=str) + "\n")

    if args.sweep:
        from report import sweep_table

        print(sweep_table(results["sweep"]))
    else:
        print(format_table(rows_of_table(results)))
    print(
        f"\ntotal {results['total_seconds']:.0f} s; load average "
        f"{results['load_average']['start']:.2f} -> {results['load_average']['end']:.2f} "
        f"on {results['machine']['nproc']} cores; figures in benchmarks/results/{name}"
    )

    if not args.no_docs and (full or args.sweep):
        from report import write_doc

        write_doc(DOC, RESULTS)
        print(f"wrote {DOC.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
