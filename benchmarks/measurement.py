"""Measurement: each section of the benchmark run, returning its raw figures (seconds of
every run, counts, bytes) as a dict that `run.py` saves under `benchmarks/results/`.
Judging them against the targets is `analysis`'s work, writing them up `report`'s."""

from __future__ import annotations

import json
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from benchmarks import common
from benchmarks.common import BIN, PYTHON, REPO, check, clean_env, median, run_timed
from benchmarks.orders import expected_counts, write_orders

FIXED_ROWS = 1_000  # a run this small is almost all fixed cost

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


# The first bound's hook (`bound_templates`): it only starts Python and imports PyYAML.
YAML_HOOK = "import yaml  # noqa: F401 - what any hook that reads prefect.yaml loads first\n"


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- 1. render ------------------------------------------------------------------------


def hook_as_rendered(template: Path) -> str:
    """The template's own post-generation hook as cookiecutter writes it for a project that
    is already pruned: nothing left to remove, and the template's `_copy_without_render`."""
    copied = json.loads((template / "cookiecutter.json").read_text())["_copy_without_render"]
    fills = {
        "{{ plan.removed_paths | join(' ') }}": "",
        "{{ cookiecutter._copy_without_render | join(' ') }}": " ".join(copied),
    }
    hook = (template / "hooks" / "post_gen_project.py").read_text()
    for jinja, value in fills.items():
        if jinja not in hook:
            raise RuntimeError(f"hooks/post_gen_project.py no longer holds {jinja}: fill it here")
        hook = hook.replace(jinja, value)
    return hook


def bound_templates(template: Path, work: Path) -> dict[str, Path]:
    """Templates that write this template's default project with no question and no Jinja:
    the files copied as they are, with a hook that only imports PyYAML, or with the
    template's own hook, which runs the project's checks. What they take above the
    one-file floor, this template cannot take less of while its hook checks the project."""
    project = common.render_default(template, work / "bound-source", work / "cc-bound")
    hooks = {"bound_yaml": YAML_HOOK, "bound_checks": hook_as_rendered(template)}
    made = {}
    for name, hook in hooks.items():
        bound = work / f"{name}-template"
        shutil.copytree(project, bound / "{{cookiecutter.project_slug}}")
        answers = {"project_slug": project.name, "_copy_without_render": ["*"]}
        (bound / "cookiecutter.json").write_text(json.dumps(answers) + "\n")
        (bound / "hooks").mkdir()
        (bound / "hooks" / "post_gen_project.py").write_text(hook)
        made[name] = bound
    return made


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
    bounds = bound_templates(template, work)
    times = common.interleaved(
        repeats,
        {
            "breakdown": breakdown,
            "template": render(template, "template"),
            "minimal": render(minimal, "minimal"),
            **{name: render(bound, name) for name, bound in bounds.items()},
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

    def cold(round_: int) -> float:
        """`pytest` as the first run of a fresh checkout: without pytest's cache there is
        no migrated database to copy, so the test server migrates an empty one."""
        seconds, result = run_timed(
            [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
            cwd=project,
            env=clean_env(PREFECT_HOME=str(work / f"cold-home-{round_}")),
            timeout=1800,
        )
        check(result, "the rendered project's first pytest run")
        return seconds

    def floor(round_: int) -> float:
        seconds, result = run_timed(
            [PYTHON, "-c", FLOOR],
            cwd=project,
            env=clean_env(PREFECT_HOME=str(work / f"floor-home-{round_}")),
        )
        check(result, "the test-harness floor")
        return seconds

    def slow_tier(round_: int) -> float:
        """`pytest --slow`, what the generated CI runs: timed for context, not judged."""
        seconds, result = run_timed(
            [PYTHON, "-m", "pytest", "-q", "--slow", "-p", "no:cacheprovider"],
            cwd=project,
            env=clean_env(PREFECT_HOME=str(work / f"slow-home-{round_}")),
            timeout=1800,
        )
        check(result, "the rendered project's pytest --slow run")
        return seconds

    # What a user has after their first run: the migrated database in .pytest_cache.
    warm_up = run_timed(
        [PYTHON, "-m", "pytest", "-q", "tests/test_blocks.py"],
        cwd=project,
        env=clean_env(PREFECT_HOME=str(work / "warm-up-home")),
        timeout=1800,
    )[1]
    check(warm_up, "the warm-up pytest run")
    variants = {"suite": suite, "cold": cold, "floor": floor, "slow": slow_tier}
    times = common.interleaved(repeats, variants, say)
    return {
        "times": times,
        "result_line": counts[-1] if counts else "",
        "result_lines": counts,
        "failures": failures,
        **junit_breakdown(reports),
    }


def junit_breakdown(reports: list[Path]) -> dict:
    """Where the suite's time goes, from pytest's JUnit reports: per test file and for the
    slowest eight tests, the median over the runs."""
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
    warehouse_url: str | None = None,
) -> dict:
    command = [
        PYTHON,
        "-m",
        "benchmarks.etl_driver",  # the project's etl first on sys.path (its cwd), then ours
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
    if warehouse_url:
        command += ["--warehouse-url", warehouse_url]
    env = clean_env(
        PYTHONPATH=str(REPO),
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
    path = work / "csv" / f"orders-{rows}.csv"
    if not path.exists():
        write_orders(path, rows)
    return path


def measure_size(
    project: Path,
    work: Path,
    server: dict,
    csv: Path,
    rows: int,
    repeats: int,
    variants: str,
    batch_size: int | None,
    warehouse_url: str | None = None,
) -> dict:
    """The driver's runs on one file, its counts checked, and the 503s the server answered."""
    before = server["retried"]()
    data = run_driver(project, work, server, csv, repeats, variants, batch_size, warehouse_url)
    expected = expected_counts(rows)
    summary = data["summary"]
    if any(summary[k] != expected[k] for k in ("read", "loaded", "rejected")):
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
    base = BASELINE if BASELINE in data["runs"] else "plain"
    plain_s, flow_s = median(data["runs"][base]), median(data["runs"]["flow"])
    say(
        f"  {rows} rows: {base} {plain_s:.2f} s, flow {flow_s:.2f} s, "
        f"ratio {flow_s / plain_s:.2f}, 503 retries {entry['retried_503']}"
    )
    return entry


BASELINE = "fastest"  # the driver's fastest plain loader: what the flow is judged against
FIXED_VARIANTS = "fastest,plain,flow,flow-subflow,flow-noheartbeat"


def bench_etl(
    template: Path,
    work: Path,
    repeats: int,
    sizes,
    batch_size,
    postgres_url: str | None,
    warehouse_url: str | None = None,
) -> dict:
    """The ETL section for each warehouse: {"etl": SQLite's, "etl_postgres": PostgreSQL's
    (when `warehouse_url` names one)}, all on one Prefect server (PostgreSQL-backed when
    `postgres_url` is given, else SQLite). At every size the flow, the fastest plain loader
    (the baseline) and the project's own functions called as plain Python in the flow's
    batches ("plain": what the template's batching costs, apart from Prefect's)."""
    project = common.render_default(template, work / "etl-project", work / "cc-etl")
    csvs = {rows: csv_for(work, rows) for rows in (FIXED_ROWS, *sizes)}
    warehouses = {"etl": None, **({"etl_postgres": warehouse_url} if warehouse_url else {})}
    sections: dict = {}
    settings = common.project_server_settings(project)  # as `prefect server start` there
    with common.prefect_server(work / "server-home", postgres_url, **settings) as server:
        say(f"  server up in {server['startup_s']:.1f} s (not counted)")
        for key, url in warehouses.items():
            out: dict = {
                "sizes": {},
                "batch_size": None,
                "backend": "postgres" if postgres_url else "sqlite",
                "warehouse": "postgres" if url else "sqlite",
                "baseline": BASELINE,
                "server_startup_s": server["startup_s"],
            }
            say(f"  warehouse {out['warehouse']}")

            def measure(rows: int, variants: str, url=url) -> dict:
                return measure_size(
                    project, work, server, csvs[rows], rows, repeats, variants, batch_size, url
                )

            out["fixed"] = measure(FIXED_ROWS, FIXED_VARIANTS)
            for rows in sizes:
                # heartbeats off too: the flow's own per-row cost, without the stop's
                # rounding to whole seconds that blurs the raw times
                entry = measure(rows, "fastest,plain,flow,flow-noheartbeat")
                out["batch_size"] = entry.pop("batch_size")
                out["sizes"][str(rows)] = entry
            sections[key] = out
    return sections


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
    return out


# --- 4. build context -----------------------------------------------------------------


def bench_context(template: Path, work: Path, venv_mb: int) -> dict:
    from benchmarks.build_context import measure  # its dependencies only when this section runs

    project = common.render_default(template, work / "context-project", work / "cc-context")
    return measure(project, venv_mb=venv_mb)
