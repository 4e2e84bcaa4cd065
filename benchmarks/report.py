"""Report: a run's figures written up, as `docs/benchmarks.md` (plain Markdown) and as the
tables `run.py` prints. Re-render the page from the stored results, without measuring:

    uv run python -m benchmarks.report [--results benchmarks/results] [--out docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmarks.analysis import (
    BOUND_LABELS,
    SUMMARY_HEADER,
    baseline,
    baseline_runs,
    baseline_s,
    etl_analysis,
    fixed_costs,
    summary_rows,
    sweep_per_task_run,
    warehouse,
)
from benchmarks.common import REPO, median, spread

RESULTS = REPO / "benchmarks" / "results"
DOC = REPO / "docs" / "benchmarks.md"
SWEEP_HEADER = ["batch size", "mapped task runs", "plain s", "flow s", "ratio"]


def today(command: str) -> str:
    """A recorded command as it is typed today: the runner became a module (same options)."""
    return command.replace("python benchmarks/run.py", "python -m benchmarks.run")


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


def _kb(n: float) -> str:
    return f"{n / 1e3:.1f} kB"


# --- the terminal ---------------------------------------------------------------------


def text_table(header: list[str], rows: list[list[str]]) -> str:
    """Columns padded to their widest cell, a rule under the header."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)


def _sweep_rows(sweep: dict) -> list[list[str]]:
    return [
        [
            f"{int(k):,}",
            str(v["task_runs"]),
            f"{v['plain_s']:.2f}",
            f"{v['flow_s']:.2f}",
            f"{v['ratio']:.2f}x",
        ]
        for k, v in sorted(sweep["batch_sizes"].items(), key=lambda kv: int(kv[0]))
    ]


def summary_text(results: dict) -> str:
    return text_table(SUMMARY_HEADER, summary_rows(results))


def sweep_text(sweep: dict) -> str:
    out = text_table(SWEEP_HEADER, _sweep_rows(sweep))
    per_task = sweep_per_task_run(sweep)
    if per_task is not None:
        out += (
            f"\n\none more mapped task run costs {per_task * 1e3:.0f} ms "
            f"(least squares over the batch sizes)"
        )
    return out


# --- the page: header and summary -----------------------------------------------------

INTRO = (
    "How fast the template renders, how long the generated project's tests take, what "
    "Prefect's orchestration costs the example ETL flow, and how little of a real "
    "checkout reaches a Docker build or a Prefect upload. Every figure is a ratio "
    "against a baseline measured in the same run, the median of interleaved runs, so "
    "a busy machine slows both sides alike. The page is written by the benchmark itself."
)


def _latest_run(latest: dict) -> list[str]:
    m = latest["machine"]
    load = latest["load_average"]
    settings = latest["settings"]
    sections = ", ".join(f"{k} {v:.0f} s" for k, v in latest["section_seconds"].items())
    rows = [
        ["command", f"`{today(latest['command'])}` (from the repository root)"],
        ["date", latest["started"]],
        ["revision", latest["revision"]],
        ["machine", f"{m['nproc']} cores, {m['cpu']}, {m['memory']} RAM"],
        ["Python", f"{m['python']} ({m['platform']})"],
        ["versions", ", ".join(f"{k} {v}" for k, v in m["versions"].items())],
        [
            "runs per figure",
            f"{settings['repeats']} (test suite: {settings['suite_repeats']}), median",
        ],
        ["load average", f"{load['start']:.2f} at the start, {load['end']:.2f} at the end"],
        ["wall time", f"{latest['total_seconds'] / 60:.1f} min ({sections})"],
    ]
    for run in latest.get("later_runs", []):
        rows += [
            [
                run["label"],
                f"from a later run of that section alone: `{today(run['command'])}`, "
                f"{run['started']}, revision {run['revision']}, "
                f"{(run['total_seconds'] or 0) / 60:.1f} min, load average "
                f"{run['load_average']['start']:.2f} -> {run['load_average']['end']:.2f} "
                f"(`benchmarks/results/{run['file']}`)",
            ]
        ]
    return [
        "## The latest run",
        "",
        _table(["", ""], rows),
        "",
        "A load average above the number of cores means other work shared the machine; the "
        "`spread` column (slowest run / fastest run) shows how much that moved the runs.",
        "",
        "## Summary",
        "",
        _table(SUMMARY_HEADER, summary_rows(latest)),
        "",
    ]


# --- 1. rendering ---------------------------------------------------------------------


def _render_section(render: dict) -> list[str]:
    times = render["times"]
    labels = {
        "template": "this template",
        "minimal": "one-file template",
        **BOUND_LABELS,
        "prefect_init": "prefect init --recipe git",
    }
    rows = [
        [label, f"{median(times[key]):.2f} s", f"{spread(times[key]):.2f}"]
        for key, label in labels.items()
        if key in times
    ]
    out = [
        "## 1. Rendering",
        "",
        "`cookiecutter --no-input -o <tmp> <template>` through the command line, with the "
        "template's answer checks and hooks (pruning, the project's own checks) included, "
        "against the same command on a one-file template (`cookiecutter.json` with one "
        "question and one `README.md`: cookiecutter's own floor), and against `prefect init "
        "--recipe git` in an empty directory with a fresh `PREFECT_HOME` (it writes "
        + ", ".join(f"`{f}`" for f in render.get("prefect_init_files", []))
        + ").",
        "",
        _table(["command", "median", "spread"], rows),
        "",
    ]
    b = render.get("breakdown", {})
    if b:
        out += [
            "Where this template's render goes (the same render in-process, median): "
            f"importing cookiecutter {b['import_s']:.2f} s, loading the Jinja extensions "
            f"(slugify and the template's own) {b['extensions_s']:.2f} s, the "
            f"hooks (each a fresh Python process) {b['hooks_s']:.2f} s, of a "
            f"{b['total_s']:.2f} s total. Both cookiecutter runs pay the interpreter start and "
            "the import; the template adds its extensions, forty-odd files and the hooks. "
            "`prefect init` is slower than either because it imports Prefect.",
            "",
            *_render_goal(median(times["minimal"]), b),
            *_render_bounds(times),
        ]
    return out


def _render_goal(floor: float, b: dict) -> list[str]:
    """What the 1.5x goal leaves above cookiecutter's floor, against what the template's
    rendering costs without its hook."""
    room = floor * 0.5
    rendering = b["total_s"] - b["import_s"] - b["hooks_s"]
    verdict = (
        "more than that even without the hook"
        if rendering > room
        else "less than that on its own: the hook is what takes the render over the goal"
    )
    return [
        f"The goal (1.5x the one-file floor) leaves {room:.2f} s above it. The hook "
        f"({b['hooks_s']:.2f} s) is a second Python process that imports PyYAML and the "
        "project's checks (compiled from source: it writes no bytecode into the project), "
        "then checks the files the render could change (about 27 Python files, 70 KB, and "
        "`prefect.yaml`; not those cookiecutter copies as they are); the rest of the render "
        f"({rendering:.2f} s: the answer checks, about fifteen files through Jinja, the plain "
        f"files and path names as they are) is {verdict}.",
        "",
    ]


def _render_bounds(times: dict) -> list[str]:
    """Whether the goal is reachable at all while the hook checks the project: the bounds
    write the same project with nothing to ask and nothing to render."""
    if "bound_checks" not in times:
        return []
    floor, goal = median(times["minimal"]), 1.5 * median(times["minimal"])
    yaml_only, checked = median(times["bound_yaml"]), median(times["bound_checks"])
    verdict = (
        "Even that misses the goal: it cannot be met while the post-generation hook checks "
        "the project in a Python process of its own, which is the only way cookiecutter "
        "runs a `.py` hook."
        if checked > goal
        else "That is within the goal: what is left to cut is the answers, Jinja and "
        f"pruning ({median(times['template']) - checked:.2f} s)."
    )
    return [
        "The bounds: this template's default project as its files are, written by "
        "cookiecutter with no question and nothing through Jinja (`_copy_without_render` "
        f"of everything), takes {yaml_only:.2f} s ({yaml_only / floor:.2f}x the floor) "
        "with a hook that only starts Python and imports PyYAML, and "
        f"{checked:.2f} s ({checked / floor:.2f}x) with this template's own hook (nothing "
        f"left to prune, then the project's checks). {verdict}",
        "",
    ]


# --- 2. the rendered test suite -------------------------------------------------------

SUITE_TIME = (
    "Where the floor goes: the test server (`tests/server.py`, the process "
    "`prefect_test_harness` runs) starts before collection, and the tests that need no "
    "server run first while it boots, so its start overlaps collection and the unit "
    "tests; and it starts on a copy of a database Prefect migrated once for its version "
    "(in `.pytest_cache`), so it does not migrate an empty one. The first run of a "
    "checkout (and `-p no:cacheprovider`) migrates, which the 'first run' row times. "
    "Beyond that, the time is flow runs against the one server all tests share: "
    "about twenty of them (idempotency, a corrected row, retries with backoff, a failed "
    "load and its rerun, rejects, notifications, secrets in logs, the report flow, the "
    "PostgreSQL cases when `ETL_WAREHOUSE_URL` names a server). What makes each cheap: "
    "retry delays under test are a hundredth of the real ones (a unit test holds the "
    "real ones to the backoff policy; the late-source test waits half a second, to see "
    "the retry on the server's event stream); flow-run heartbeats are off under test "
    "(each run would wait up to a second for its heartbeat thread); the rendered "
    "`prefect.toml` has the server record task runs in batches, which removes most SQLite "
    "`503` answers and the client's two-second retries (PrefectHQ/prefect#18934): 3 in "
    "100 runs in a row, against 116 with Prefect's defaults. The few left (about one "
    "run in twenty) are retried at once: the test server's `503` answers carry a "
    "`Retry-After` header (`tests/server_app.py`), which the client honours instead of "
    "waiting 2 s (docs/prefect-behaviours.md says where they come from). The session "
    "freezes its objects when it ends, so the interpreter's exit does not walk them "
    "(about 600,000 of them: 1.8 s). The "
    "slow tier (`pytest --slow`, what CI runs) adds a local Dask cluster of two worker "
    "processes, a flow process killed mid-load with its rerun, a second test server "
    "started on the migrated copy, and the linters. Unit tests need "
    'no server: `pytest -m "not server"` runs them in a few seconds.'
)


def _suite_failures(suite: dict) -> list[str]:
    if not suite.get("failures"):
        return []
    runs = "; ".join(
        f"run {f['run']}: " + ", ".join(f"`{t}`" for t in f["failed"]) for f in suite["failures"]
    )
    return [
        "Runs with failing tests (timed all the same; the suite's own tests, "
        f"not the benchmark): {runs}.",
        "",
    ]


def _suite_section(suite: dict) -> list[str]:
    times = suite["times"]
    return [
        "## 2. The rendered test suite",
        "",
        "The whole `pytest` run (the quick tier, what a user runs after a change) of a "
        "project rendered with the default answers, in the template's development "
        "environment with the project as the working directory "
        f"(`{suite['result_line']}`), against the unavoidable floor of any flow test: a "
        "Python process that imports Prefect and starts and stops one "
        "`prefect_test_harness()` (the server a flow test needs; the suite starts the "
        "same server process once per session).",
        "",
        _table(
            ["", "median", "spread"],
            [
                ["pytest", f"{median(times['suite']):.1f} s", f"{spread(times['suite']):.2f}"],
                [
                    "floor: import prefect + one harness",
                    f"{median(times['floor']):.1f} s",
                    f"{spread(times['floor']):.2f}",
                ],
                *(
                    [label, f"{median(times[key]):.1f} s", f"{spread(times[key]):.2f}"]
                    for key, label in (
                        ("cold", "pytest, first run of a checkout (nothing migrated yet)"),
                        ("slow", "pytest --slow, from cold (what CI runs)"),
                    )
                    if key in times
                ),
            ],
        ),
        "",
        *_suite_failures(suite),
        "Per test file (median seconds, from pytest's JUnit report: setup, call and "
        "teardown; the first server test carries what is left of the server's start):",
        "",
        _table(
            ["file", "seconds"],
            [[f"`{k}`", f"{v:.1f}"] for k, v in suite["per_file"].items() if v >= 0.05],
        ),
        "",
        "Slowest tests:",
        "",
        _table(
            ["test", "seconds"],
            [[f"`{x['test']}`", f"{x['seconds']:.1f}"] for x in suite["slowest_tests"]],
        ),
        "",
        SUITE_TIME,
        "",
    ]


# --- 3. the ETL flow: sizes, flatness, parts ------------------------------------------

ETL_SIZES_HEADER = [
    "rows",
    "plain s",
    "flow s",
    "ratio",
    "plain us/row",
    "flow us/row",
    "overhead us/row",
    "503 retries in flow runs",
    "spread plain / flow",
]


def _etl_size_rows(etl: dict) -> list[list[str]]:
    entries = {int(k): v for k, v in etl["sizes"].items()}
    if "fixed" in etl:
        entries[int(etl["fixed"]["summary"]["read"])] = etl["fixed"]
    rows = []
    base = baseline(etl)
    for n in sorted(entries):
        runs = entries[n]["runs"]
        plain_s, flow_s = baseline_s(etl, runs), median(runs["flow"])
        batched = f" ({median(runs['plain']):.2f})" if base != "plain" and "plain" in runs else ""
        rows.append(
            [
                f"{n:,}",
                f"{plain_s:.2f}{batched}",
                f"{flow_s:.2f}",
                f"{flow_s / plain_s:.2f}x",
                f"{plain_s / n * 1e6:.1f}",
                f"{flow_s / n * 1e6:.1f}",
                f"{(flow_s - plain_s) / n * 1e6:.1f}",
                f"{entries[n]['retried_503']} in {entries[n]['flow_runs']}",
                f"{spread(baseline_runs(etl, runs)):.2f} / {spread(runs['flow']):.2f}",
            ]
        )
    return rows


def _fixed_note(fixed: dict) -> str:
    names = {"postgres": "PostgreSQL", "sqlite": "SQLite"}
    note = f"On a {names[fixed['backend']]} server it is {fixed['fixed_s']:.2f} s"
    if "heartbeat_s" in fixed:
        note += (
            f", {fixed['heartbeat_s']:.2f} s of it "
            "waiting for the heartbeat thread to stop (timed with heartbeats off)"
        )
    if fixed["backend"] == "sqlite":
        note += f", with {fixed['retried_503']} requests answered 503 and retried"
    if "subflow_s" in fixed:
        note += (
            f"; a subflow call would add {fixed['subflow_s']:.2f} s (timed with "
            "the `reconcile` task made a subflow)"
        )
    return note + "."


def _etl_baseline_text(etl: dict) -> str:
    if baseline(etl) == "plain":
        return (
            "against the same steps called as plain Python in the same process: "
            "`read_rows`, `check_rows` per batch, `split_duplicates`, `to_record`, "
            "`create_schema`, `upsert_orders` per batch (one transaction each), the "
            "clean-up, `upsert_rejects` and the two counts."
        )
    bulk = (
        "plain `sqlite3` `executemany` of the upsert"
        if etl.get("warehouse") != "postgres"
        else "psycopg `COPY` into a staging table and one `INSERT ... SELECT ... ON "
        "CONFLICT DO UPDATE` (faster here than psycopg's pipeline-mode `executemany`)"
    )
    return (
        "against the fastest plain-Python loader written for this database, in the same "
        "process: the same per-row work (the project's `read_rows`, `check_rows`, "
        "`split_duplicates`, `to_record`, so the same rows loaded and rejected), then the "
        f"whole file written in one transaction with {bulk}. In brackets, the project's "
        "own functions called as plain Python in the flow's batches (`upsert_orders` per "
        "batch, one transaction each): the difference between the two is the template's "
        "own batching, the rest of the flow's time is Prefect's. The baseline (`plain s`, "
        "and every ratio) is whichever of the two measured faster at that size."
    )


def _etl_sizes(etl: dict) -> list[str]:
    notes = [_fixed_note(fixed) for fixed in fixed_costs(etl)]
    backend = "PostgreSQL" if etl.get("backend") == "postgres" else "SQLite"
    where = warehouse(etl)
    fresh = (
        "drops and recreates the warehouse tables"
        if etl.get("warehouse") == "postgres"
        else "writes a fresh SQLite file"
    )
    return [
        f"## 3. Orchestration overhead of the example ETL flow: {where} warehouse",
        "",
        f"The `example_etl` flow with batches of {etl['batch_size']:,} rows, loading into "
        f"{where}, on a local `prefect server` ({backend}, loopback; started first, its "
        f"{etl['server_startup_s']:.0f} s startup not counted), "
        + _etl_baseline_text(etl)
        + " The CSV has the sample's columns; about one row in a thousand is "
        f"malformed and one in two thousand repeats an order id. Each run {fresh} and "
        "starts with empty result storage; the flow caches nothing (its tasks that take "
        "rows say `cache_policy=NO_CACHE`), so every run does all the work. One untimed "
        "warm-up of each side comes first.",
        "",
        _table(ETL_SIZES_HEADER, _etl_size_rows(etl)),
        "",
        "The 1,000-row line is almost all fixed cost: what any run of this flow pays"
        + ((". " + " ".join(notes) + " ") if notes else ". ")
        + "`503 retries` counts the API requests the server answered with 503 (database "
        "busy) during that size's flow runs, warm-up included; the client waits about "
        "two seconds before each retry. A SQLite server answers 503 when its own "
        "writers (recording the task runs' events) hold the database; PostgreSQL, what "
        "the rendered `docker-compose.yml` runs, does not.",
        "",
    ]


def _slope_row(label: str, kind: dict) -> list[str]:
    return [label, f"{kind['per_row_slope_us_per_m']:+.2f}", f"{kind['relative_change']:+.0%}"]


def _etl_flatness(a: dict) -> list[str]:
    f, p = a["flow"], a["plain"]
    slopes = [_slope_row("plain Python", p), _slope_row("flow", f)]
    if "variable" in a:
        label = f"flow, heartbeats off, without its fixed {a['variable_fixed_s']:.2f} s"
        slopes.append(_slope_row(label, a["variable"]))
    verdict = "no fixed-cost run to judge by."
    if "flat" in a:
        allowed = f"allowed: {a['flat_allowed']:+.0%}, i.e. plain's change + 10 points"
        verdict = f"{'flat' if a['flat'] else 'NOT flat'} ({allowed}, at least 10%)."
    steps = [
        [f"{s['from']:,} -> {s['to']:,}", f"{s['plain_us_row']:.1f}", f"{s['flow_us_row']:.1f}"]
        for s in a["steps"]
    ]
    fits = [
        [name, f"{kind['fixed_s']:.2f}", f"{kind['marginal_us_row']:.1f}"]
        for name, kind in (("plain", p), ("flow", f))
    ]
    return [
        "Is the per-row cost flat as rows grow? Least-squares slope of the per-row "
        "cost against the row count, and the change it makes across the sizes "
        "(relative to the mean). The flow's raw per-row cost falls, only because "
        "its fixed cost (the 1,000-row line) is spread over more rows; without that "
        "fixed part it should change no more than plain Python's own. Where the run timed "
        "each size with heartbeats off as well, the judged line uses those times (minus the "
        "1,000-row run with heartbeats off): the heartbeat stop rounds every run up to "
        "whole seconds, by a different amount at each size, which no fixed part removes.",
        "",
        _table(["per-row cost of", "slope, us/row per 1M rows", "change across sizes"], slopes),
        "",
        "Verdict: " + verdict,
        "",
        "Marginal cost between sizes (extra seconds / extra rows), and a fit of time as a "
        "fixed part plus a per-row part (least squares over the sizes):",
        "",
        _table(["rows", "plain us/row", "flow us/row"], steps),
        "",
        _table(["", "fixed s", "marginal us/row"], fits),
        "",
    ]


def _who_pays(etl: dict, a: dict) -> list[str]:
    """Each size's flow time split: the fastest loader, the template's batching (its own
    functions in the flow's batches), Prefect's cost per run and the rest (heartbeats
    off), and the heartbeat stop; nothing for a run without heartbeats-off times."""
    per = a["per_size"]
    if "variable_fixed_s" not in a or not all("batched_s" in p for p in per.values()):
        return []
    runs = etl["fixed"]["runs"]
    per_run = a["variable_fixed_s"] - median(runs["plain"])  # heartbeats off, 1,000 rows
    rows = []
    for n, p in a["per_size"].items():
        template = p["batched_s"] - p["plain_s"]
        stop = p["flow_s"] - p["noheartbeat_s"]
        rest = p["noheartbeat_s"] - p["batched_s"] - per_run
        rows.append(
            [
                f"{n:,}",
                f"{p['plain_s']:.2f}",
                f"{template:+.2f}",
                f"{per_run:+.2f}",
                f"{rest:+.2f} ({rest / n * 1e6:.1f} us/row)",
                f"{stop:+.2f}",
                f"{p['ratio']:.2f}x",
                f"{p['batched_s'] / p['plain_s']:.2f}x",
                f"{p['noheartbeat_s'] / p['plain_s']:.2f}x",
            ]
        )
    header = ["rows", "fastest s", "template batching", "Prefect per run", "Prefect rest"]
    header += ["heartbeat stop", "flow / fastest", "template only", "heartbeats off"]
    return [
        "Who pays for the difference: the fastest loader's time, then what the template's "
        "own batching adds (its functions called in the flow's batches, one transaction "
        "per batch, against one bulk write), Prefect's cost per flow run with heartbeats "
        f"off (the 1,000-row file: {per_run:.2f} s), the rest of Prefect's cost (task-run "
        "orchestration, the task threads sharing one interpreter lock with the engine's "
        "own threads), and the heartbeat stop at that size (flow minus the same flow with "
        "heartbeats off: the wait for the heartbeat thread's one-second sleep to end, "
        "PrefectHQ/prefect#19641). The last column is the ratio with heartbeats off.",
        "",
        _table(header, rows),
        "",
    ]


def _etl_section(etl: dict, sweep: dict | None, brief: bool = False) -> list[str]:
    """The ETL section of one warehouse; `brief`: without the text the first one has."""
    a = etl_analysis(etl)
    out = _etl_sizes(etl) + _who_pays(etl, a)
    if "flow" in a:
        out += _etl_flatness(a)
    if brief:
        return out
    out += _cost_reasons(a, etl, sweep)
    out += _batch_size_choice(a, etl, sweep)
    if sweep:
        out += _sweep_section(sweep)
    return out


# --- 3. the ETL flow: why it costs what it costs, the batch size ----------------------


def _cost_reasons(a: dict, etl: dict, sweep: dict | None) -> list[str]:
    smallest = min(a["per_size"])
    per_task = sweep_per_task_run(sweep) if sweep else None
    fixed = a.get("fixed_s")
    return [
        "### Why the flow costs what it costs",
        "",
        "- A fixed part per flow run, whatever the size"
        + (f" ({fixed:.1f} s here)" if fixed is not None else "")
        + ": creating the flow run and about ten single task runs, and above all the "
        "flow-run heartbeat: every flow run starts a heartbeat thread (on by default; "
        "PrefectHQ/prefect#19641 moved it into the flow engine) that sleeps in one-second "
        "steps, and the engine joins it (for up to 2 s) when the run ends, so a run lasts "
        "a whole number of seconds plus its last steps (the diagnostic variant with "
        "heartbeats off takes a fraction of that). Heartbeats are how a server notices a "
        "crashed run, so the template leaves them on (its tests turn them off under the "
        "test harness). On a SQLite server add retried requests (two seconds each; "
        "PrefectHQ/prefect#18934; the rendered `prefect.toml` batches the server's task-run "
        "recorder, and the benchmark's server runs with those settings, as `prefect server "
        "start` in the project would). A subflow pays the same again: "
        "its own flow run and heartbeat, which is why the example's audit is a task. "
        "This part is what keeps small inputs far above 1.5x: at "
        f"{smallest:,} rows the plain steps take "
        f"{a['per_size'][smallest]['plain_s']:.1f} s.",
        "- A part per mapped task run"
        + (f" ({per_task * 1e3:.0f} ms each, from the sweep below)" if per_task else "")
        + ": creating and finishing the run, its events, which the server has to record: "
        "the reason batches must be large.",
        "- A part per row: the same work run on the task runner's threads, taking turns "
        "holding the interpreter lock with Prefect's own (event and log threads, the API "
        "client, heartbeats), next to a server recording events on the other core. What "
        "is left of it was not isolated further: it is not Python's cyclic garbage "
        "collector (the driver's `--gc-off` diagnostic, two runs of each side at 1,000,000 "
        "rows: flow 30.6 and 34.3 s with the collector off, 29.9 and 39.2 s with it on, "
        "plain 14.4 to 20.4 s either way).",
        "- Not any more, on SQLite: the loads are mapped tasks, so on the thread-pool "
        "runner every batch reached the warehouse at once, and SQLite lets one writer in. "
        "The others waited in SQLite's busy handler, which polls in sleeps of up to 100 ms, "
        "so the file stood idle between batches, longer the more batches queued: the part "
        "of the per-row cost that grew with the rows (the SQLite line was not flat, +25% "
        "against plain's +8%, in the run before this change). The warehouse's writers now "
        "take turns on a lock per file (`etl/warehouse.py`), and the next starts the moment "
        "the last commits. `benchmarks/sqlite_writers.py` (run in a rendered project, "
        "median of 5, 2 cores) times the writes alone: at 1,000,000 rows in 20 batches "
        "3.59 s in threads without the lock, 2.11 s through it, 2.07 s one after another; "
        "at 200,000 rows in 4 batches 0.55, 0.42 and 0.42 s. Without the lock that is "
        "0.7 us per row at 200,000 rows and 1.5 us per row at 1,000,000.",
        "- Not any more: Prefect's default cache policy (inputs + task source + run id) "
        "hashes every task's inputs before it runs, through JSON, even where no result is "
        "persisted and the key is never read: every row of every validate and load batch. "
        "A profile of the flow at 200,000 rows put that at about 1.8 s of CPU (360 of "
        "5,164 samples at 200 Hz). The tasks that take rows (`validate_batch`, "
        "`transform_batch`, `load_batch`, `load_rejects`) now say `cache_policy=NO_CACHE` "
        "(no upstream issue found for this default).",
        "- Not any more: `transform_batch` had a cache of its own, on a cheaper key, so a "
        "rerun could reuse finished batches; but hashing a batch's inputs for that key "
        "(1.47 us per row) cost more than redoing the transform (1.36 us per row), before "
        "persisting every batch's result. A rerun now transforms every batch again.",
        "- Not any more: after every task run Prefect records which run produced each "
        "element of a returned list (result tracking), a few microseconds per row, in a "
        "table that grows with the data. Extract and transform now return their rows as "
        "one `Batch` value (`etl/utils/batch.py`); in a one-off comparison at 200,000 "
        "rows with tracking switched off by hand the flow took 5.4 to 5.8 s instead of "
        "7.3 to 8.7 s.",
        "- Not any more: Prefect walks every task argument looking for futures, twice per "
        "task run, element by element, and walks again into each upstream result it "
        "resolves. For batches of rows that walk cost several times the work itself: in a "
        "one-off comparison (same long-running server, 50,000 rows, three runs each) the "
        "flow took 17 to 20 s before the change and 7 to 8 s after it, plain Python 0.6 to "
        "0.9 s, at batch sizes of 5,000 and 50,000 alike: about 200 us per row, whatever "
        "the batch size. The flow now passes each batch wrapped in `opaque_data`, a "
        "pickle-safe subclass of Prefect's `opaque` annotation, so each task gets its batch "
        "without the walk; loads get their transform's final state the same way, so a "
        "failed transform still fails only its own load (loads now start once every "
        "transform has finished, where each used to start as its own transform finished; "
        "wrapping the futures themselves would keep that, but Dask rebuilds a wrapped "
        "future as a plain tuple). Without it, resolving each load's transform result "
        "walked it too: at a million rows the flow took about 120 to 135 s instead of 40 "
        "to 48 s in a one-off comparison. No batch size could fix that cost: it was per "
        "row.",
        "",
    ]


def _batch_size_choice(a: dict, etl: dict, sweep: dict | None) -> list[str]:
    work_us = a["per_size"][max(a["per_size"])]["plain_us_row"]  # plain work per row
    per_task = sweep_per_task_run(sweep) if sweep else None
    measured = ""
    if per_task:
        measured = (
            f"; with {per_task * 1e3:.0f} ms per task run and {work_us:.1f} us of plain work "
            f"per row measured here, that is {3 * per_task / (0.2 * work_us * 1e-6):,.0f} rows"
        )
    batch = etl["batch_size"]
    return [
        "### Choosing the batch size",
        "",
        "Batches should be large enough that the task runs' fixed cost is small beside the "
        "work a batch carries, and small enough to keep what batching is for: a failed "
        "load retries and rolls back one batch, memory holds a few copies of one batch's "
        "rows in flight, and with Dask each batch is a unit of parallel work. On the "
        "default thread-pool runner the steps are CPU-bound Python under one interpreter "
        "lock, so smaller, more numerous batches do not run faster.",
        "",
        "Each batch costs three mapped task runs (validate, transform, load). To keep their "
        "cost under a fifth of the work the batch carries: `batch_size >= 3 x task-run cost "
        "/ (0.2 x work per row)`"
        + measured
        + ". Beyond that the gain is lost in the noise of the fixed part (see the sweep), "
        "while every batch gets heavier to retry, to redo and to hold in memory. The default "
        f"is {batch:,}: a million rows make {-(-1_000_000 // batch)} "
        f"batches and a failed load redoes {batch:,} rows. "
        "With Dask, also keep two or three batches per worker: `batch_size <= rows / (3 x "
        "workers)`. Set it with `ETL_BATCH_SIZE` (environment or `.env`), or per run with "
        "the flow's `batch_size` parameter.",
        "",
    ]


def _sweep_section(sweep: dict) -> list[str]:
    runs = len(next(iter(sweep["batch_sizes"].values()))["runs"]["flow"])
    out = [
        f"The flow at {sweep['rows']:,} rows over a range of batch sizes, from its own "
        f"run (`{today(sweep['command'])}`, {sweep['started']}, same machine; load average "
        f"{sweep['load_average']['start']:.2f} to {sweep['load_average']['end']:.2f}; "
        f"median of {runs} each):",
        "",
        _table(SWEEP_HEADER, _sweep_rows(sweep)),
        "",
    ]
    per_task = sweep_per_task_run(sweep)
    if per_task:
        out += [
            f"One more mapped task run costs {per_task * 1e3:.0f} ms (least squares of "
            "flow time over the number of mapped task runs). Flow times move in steps of "
            "about a second (the heartbeat stop), which blurs the middle of the range; a "
            "single batch per step was faster than its fewer task runs explain, for a "
            "reason not isolated here (in an earlier sweep, limiting the thread pool to "
            "one or two workers at 50,000-row batches changed nothing).",
            "",
        ]
    return out


# --- 4. build context and upload set --------------------------------------------------


def _context_sets(context: dict) -> list[str]:
    tree = context["tree_bytes"]
    comp = [[k, _mb(v)] for k, v in context["clutter_bytes"].items()]
    comp.append(["the rendered project itself", _kb(context["clean_project_bytes"])])
    comp.append(["**whole tree**", f"**{_mb(tree)}** in {context['tree_files']:,} files"])
    sets = []
    for label, key in (
        ("Docker build context (`.dockerignore`)", "docker_context"),
        ("Prefect upload (`.prefectignore`)", "prefect_upload"),
    ):
        size = context[f"{key}_bytes"]
        sets.append([label, _kb(size), str(context[f"{key}_files"]), f"{size / tree:.3%}"])
    return [
        "## 4. Build context and upload set",
        "",
        "A project rendered with the default answers, cluttered as real checkouts are: a "
        "virtual environment made by `python -m venv` and filled with random-byte "
        "modules and native libraries, a `.git` with forty commits (one added and later "
        "deleted a large file), a SQLite warehouse and CSV exports in `data/`, bytecode "
        "and tool caches, a local SQLite database, build output, a `.env` with a secret "
        "and editor settings.",
        "",
        _table(["what", "bytes"], comp),
        "",
        _table(["set", "bytes", "files", "share of the tree"], sets),
        "",
        "The build context is what the Docker SDK's `exclude_paths` sends, through the "
        "generated project's `etl_tools/docker_context.py` (its tests check it against the "
        "examples of Docker's documentation): patterns anchored at the context root, `**` "
        "for any depth, a match on a directory excludes all below it, `!` re-includes, the "
        "last match wins. pathspec's gitwildmatch gives "
        + ("the same file set" if context["docker_dialects_agree"] else "a different file set")
        + f" ({_kb(context['docker_context_gitwildmatch_bytes'])}); it is an acceptable "
        "approximation here only because the shared core is written as `**/` patterns, "
        "which both dialects read alike (a bare `tests` means any depth to git, the root "
        "only to Docker). The upload set is what `push_to_s3` sends: Prefect's own "
        "`filter_files` on `.prefectignore`. The `.env` is in neither: "
        + ("yes." if context["secrets_excluded"] else "NO, it leaks.")
        + " What the build context holds: "
        + ", ".join(f"`{k}` {_kb(v)}" for k, v in context["docker_context_top"].items())
        + ".",
        "",
    ]


def _context_layers(context: dict) -> list[str]:
    probes = list(context["layers"])
    rows = []
    for index, instruction in enumerate(context["instructions"]):
        cells = [str(index + 1), f"`{instruction}`"]
        for probe in probes:
            first = context["layers"][probe]["first"]
            cells.append("rebuilt" if first is not None and index >= first else "cached")
        rows.append(cells)
    return [
        "### Which layers a change rebuilds",
        "",
        "The Dockerfile parsed into instructions; a change to a file rebuilds the first "
        "`COPY` that reads it (if `.dockerignore` lets it into the context) and every "
        "instruction after it; the ones before stay cached.",
        "",
        _table(["#", "instruction", *[f"`{p}` changed" for p in probes]], rows),
        "",
        "Dependencies (the `COPY` of the dependency files, then the `RUN` that installs them) "
        "come before `COPY README.md` and `COPY etl/`, so a change to "
        "`etl/flows/example_etl.py` rebuilds only the code layers: "
        + ("confirmed." if context["layer_order_ok"] else "NOT the case.")
        + " A change to `README.md` does not reinstall the dependencies either (uv reads "
        "them from the dependency files alone, without building the package); files that "
        "`.dockerignore` keeps out (tests, data) rebuild nothing.",
        "",
    ]


# --- the page -------------------------------------------------------------------------

REPRODUCING = [
    "## Reproducing",
    "",
    "```bash",
    "uv run python -m benchmarks.run                 # everything; writes this page",
    "uv run python -m benchmarks.run --quick         # fewer runs, smaller sizes",
    "uv run python -m benchmarks.run --only etl      # one section (to quick.json)",
    "# the ETL section for real, both warehouses (to etl.json, which this page reads in",
    "# place of latest.json's ETL section; a user that may create databases):",
    "createdb etl_bench  # or: CREATE DATABASE etl_bench OWNER prefect",
    "uv run python -m benchmarks.run --only etl --sizes 50000,200000,1000000 --repeats 5 \\",
    "    --warehouse-url postgresql+psycopg://prefect:prefect@127.0.0.1:5432/etl_bench",
    "uv run python -m benchmarks.run --only suite    # the rendered suite (to suite.json)",
    "uv run python -m benchmarks.run --sweep         # the flow over a range of batch sizes",
    "# section 5: a command repeated under load (appends to stability.json), e.g. the",
    "# rendered suite's server tests, both tiers, in a rendered project:",
    "uv run python scripts/stability.py --runs 10 --load 2 --cwd PROJECT --label NAME -- \\",
    "    PROJECT/.venv/bin/python -m pytest -q -p no:cacheprovider -m server --slow",
    "# section 6 (a default project, its PostgreSQL cases on that server):",
    "uv run python -m benchmarks.mutation --warehouse-url postgresql+psycopg://...",
    "# section 7: the first deploy and idle CPU; CI's time from a clean clone's .ci/run log",
    "uv run python -m benchmarks.first_deploy --repeats 3",
    "uv run python -m benchmarks.ci_time CI_LOG --revision REV",
    "```",
    "",
    "The ETL section and the sweep run their server on PostgreSQL when "
    "`TEMPLATE_TEST_POSTGRES_URL` is set (`postgresql+asyncpg://user:password@host:port/db`, "
    "a user that may create databases; `.ci/run` sets one up), else on SQLite; "
    "`--server-db sqlite|postgres` chooses. "
    "Raw figures are kept in `benchmarks/results/` (`latest.json`, `etl.json`, "
    "`suite.json`, `sweep.json`, `stability.json`). The benchmarks are not tests: nothing "
    "fails when a figure misses its goal.",
    "",
]


def _other_etl_runs(others: list[dict]) -> list[str]:
    """The ratios of other recorded ETL-only runs (`benchmarks/results/etl-*.json`): the
    same section on another configuration, e.g. another Prefect server database."""
    rows = []
    for run in others:
        for key in ("etl", "etl_postgres"):
            etl = run.get(key)
            if not etl:
                continue
            for n, p in etl_analysis(etl)["per_size"].items():
                entry = etl["sizes"][str(n)]
                rows.append(
                    [
                        run["started"],
                        f"{etl['backend']} server",
                        warehouse(etl),
                        f"{n:,}",
                        f"{p['plain_s']:.2f}",
                        f"{p['flow_s']:.2f}",
                        f"{p['ratio']:.2f}x",
                        f"{entry['retried_503']} in {entry['flow_runs']}",
                    ]
                )
    if not rows:
        return []
    header = ["run", "Prefect server", "warehouse", "rows", "fastest s", "flow s", "ratio"]
    return [
        "### Other recorded ETL runs",
        "",
        "The same ETL section run on another configuration (raw figures in "
        "`benchmarks/results/etl-*.json`), for comparison with the run above:",
        "",
        _table([*header, "503 retries in flow runs"], rows),
        "",
    ]


def page(latest: dict | None, sweep: dict | None) -> str:
    """The Markdown page for the latest full run and the latest sweep (either may be None)."""
    out = ["# Benchmarks", "", INTRO, ""]
    if latest is None:
        out.append("No full run has been recorded yet: run `uv run python -m benchmarks.run`.")
        return "\n".join(out) + "\n"
    out += _latest_run(latest)
    if latest.get("render"):
        out += _render_section(latest["render"])
    if latest.get("suite"):
        out += _suite_section(latest["suite"])
    if latest.get("etl"):
        out += _etl_section(latest["etl"], sweep)
    if latest.get("etl_postgres"):
        out += _etl_section(latest["etl_postgres"], None, brief=True)
    out += _other_etl_runs(latest.get("other_etl_runs", []))
    if latest.get("context"):
        out += _context_sets(latest["context"]) + _context_layers(latest["context"])
    if latest.get("stability"):
        out += _stability_section(latest["stability"])
    if latest.get("mutation"):
        out += mutation_section(latest["mutation"])
    if latest.get("first_deploy") or latest.get("ci"):
        out += day_one_section(latest.get("first_deploy"), latest.get("ci"))
    return "\n".join(out + REPRODUCING)


def day_one_section(first_deploy: dict | None, ci: dict | None) -> list[str]:
    """Section 7: the first deploy and its floor, idle CPU, and the template's CI time."""
    out = ["## 7. The first deploy, a machine left running, and CI", ""]
    if first_deploy:
        meta = first_deploy["meta"]
        out += [
            "`uv run python -m benchmarks.first_deploy --repeats N` runs the template README's "
            "three commands (render, `uv sync`, `uv run etl-dev --once`) in a fresh folder "
            "with a warm package cache, against plain Prefect by hand in the same run, from "
            "a fresh install of the same Prefect (a server on a fresh database, a process "
            "pool, `prefect deploy` of one trivial "
            "flow, a worker's `--run-once`); then it leaves `uv run etl-dev` and a bare "
            "`uv run prefect server start` running in the project folder and reads their "
            "CPU time from /proc over 30 s. Every second of each run, and the floor's: "
            "[first-deploy-benchmark.md](first-deploy-benchmark.md). "
            f"At {meta['revision']}, {meta['date']} UTC, {meta['machine']}, {meta['runs']} "
            f"runs, load average {meta['load']}.",
            "",
        ]
    if ci:
        phases = ", ".join(f"{name} {seconds} s" for name, seconds in ci["phases"].items())
        slowest = sorted(ci["files"].items(), key=lambda item: -item[1]["seconds"])[:6]
        files = ", ".join(f"`{name}` {f['seconds']} s" for name, f in slowest)
        out += [
            f"CI: `{ci['command']}` at {ci['revision']} ({ci['date']} UTC, {ci['cores']} "
            f"cores): {ci['result']}, {ci['seconds']} s against the goal of "
            f"{ci['goal_seconds']} s. Phases: {phases}. The test files that take longest "
            f"(seconds summed over pytest's workers): {files}. {ci.get('note', '')} "
            "Recorded with `uv run python -m benchmarks.ci_time LOG --revision REV`.",
            "",
        ]
    return out


def mutation_section(run: dict) -> list[str]:
    """The score per module and every survivor, from `benchmarks/results/mutation.json`;
    why each survivor is left is in docs/mutation-testing.md."""
    rows = [
        [
            f"`{module}`",
            str(m["total"]),
            str(m["caught"]),
            f"{m['score']:.1%}",
            str(m.get("survived", 0)),
            str(m.get("no tests", 0)),
        ]
        for module, m in run["modules"].items()
    ]
    rows.append(["all of `etl/`", str(run["total"]), str(run["caught"]), f"{run['score']:.1%}"])
    rows[-1] += [str(sum(int(r[4]) for r in rows[:-1])), str(sum(int(r[5]) for r in rows[:-1]))]
    where = "with its PostgreSQL cases" if run.get("postgresql") else "SQLite cases only"
    stopped = ""
    if run.get("not_checked"):
        stopped = (
            f" The run was stopped before its end: {run['not_checked']} mutants were not "
            "checked and count as not caught (the score is a lower bound); of the checked "
            f"ones, {run['checked_score']:.1%} were caught."
        )
    return [
        "## 6. What the generated tests catch (mutation testing)",
        "",
        f"`{run['command']}`, {where}, at {run.get('revision', '?')} on {run['machine']}: "
        f"{run['total']} mutants, {run['seconds'] / 60:.0f} min. A mutant that no test reaches "
        f"counts as a survivor.{stopped} {run.get('note', '')} Each survivor and why it is left: "
        "[mutation-testing.md](mutation-testing.md).",
        "",
        _table(["module", "mutants", "caught", "score", "survived", "no tests"], rows),
        "",
    ]


def _stability_section(series: list[dict]) -> list[str]:
    rows = []
    for entry in series:
        seconds = sorted(run["seconds"] for run in entry["runs"])
        rows.append(
            [
                entry["label"],
                f"`{entry['command']}`" + (f" (in `{entry['cwd']}`)" if entry.get("cwd") else ""),
                entry.get("revision") or "",
                entry["when"]
                + "".join(
                    f"; resumed {again['when']} after run {again['after_run']}"
                    for again in entry.get("resumed", [])
                ),
                f"{entry['load_processes']} on {entry['cores']} cores",
                f"{len(seconds)} ({entry['failures']} failed)",
                f"{seconds[0]:.0f} / {seconds[len(seconds) // 2]:.0f} / {seconds[-1]:.0f} s",
            ]
        )
    return [
        "## 5. Stable on a loaded machine",
        "",
        "Each series runs one command again and again, consecutively, while busy-looping "
        "processes keep every core loaded (`scripts/stability.py --load N`), and records "
        "every run in `benchmarks/results/stability.json`. A series longer than one sitting "
        "is resumed on the same revision (`--resume`); the page says when. A test whose "
        "result depends on the "
        "machine's speed fails here sooner or later. Goal: no failure in ten runs of the "
        "tests that start a server or wait on a run, and in three runs of the template's "
        "whole suite.",
        "",
        _table(
            ["series", "command", "revision", "when", "load", "runs", "wall min / median / max"],
            rows,
        ),
        "",
        *_stability_failures(series),
    ]


def _stability_failures(series: list[dict]) -> list[str]:
    """Each failed run's last line, and the failed tests with their causes where recorded."""
    lines = []
    for entry in series:
        for number, run in enumerate(entry["runs"], 1):
            if run["status"] == 0:
                continue
            lines.append(f"- {entry['label']}, run {number}: `{run['last_line']}`")
            lines += [f"  - {failed}" for failed in run.get("failed", [])]
    return ["Failed runs:", "", *lines, ""] if lines else []


SECTION_RUNS = {  # one-section runs the page reads in place of latest.json's section
    "etl.json": ("ETL section", ("etl", "etl_postgres")),
    "suite.json": ("test suite section", ("suite",)),
    "render.json": ("render section", ("render",)),
}


def merge_section(latest: dict | None, run: dict | None, name: str) -> dict | None:
    """`latest.json` with a section replaced by a later one-section run's (`etl.json`:
    both warehouses; `suite.json`: the rendered suite), that run's details noted beside the
    full run's under `later_runs`."""
    label, keys = SECTION_RUNS[name]
    if not (latest and run and run.get(keys[0])):
        return latest
    merged = {k: v for k, v in latest.items() if k not in keys}
    merged.update({k: run[k] for k in keys if k in run})
    details = ("command", "started", "revision", "load_average", "total_seconds", "machine")
    later = {k: run.get(k) for k in details} | {"label": label, "file": name}
    merged["later_runs"] = [*latest.get("later_runs", []), later]
    return merged


def load(results_dir: Path) -> tuple[dict | None, dict | None]:
    """`latest.json` (a section from `etl.json` or `suite.json` when a one-section run was
    recorded) and the sweep of `sweep.json` (with its run's details), if recorded."""
    latest_path, sweep_path = results_dir / "latest.json", results_dir / "sweep.json"
    latest = json.loads(latest_path.read_text()) if latest_path.exists() else None
    for name in SECTION_RUNS:
        path = results_dir / name
        run = json.loads(path.read_text()) if path.exists() else None
        latest = merge_section(latest, run, name)
    stability = results_dir / "stability.json"
    if latest is not None and stability.exists():
        latest["stability"] = json.loads(stability.read_text())
    for key, name in (("mutation", "mutation.json"), ("first_deploy", "first_deploy.json"),
                      ("ci", "ci.json")):  # fmt: skip
        path = results_dir / name
        if latest is not None and path.exists():
            latest[key] = json.loads(path.read_text())
    if latest is not None:
        others = sorted(results_dir.glob("etl-*.json"))
        latest["other_etl_runs"] = [json.loads(p.read_text()) for p in others]
    run = json.loads(sweep_path.read_text()) if sweep_path.exists() else None
    if not (run and run.get("sweep")):
        return latest, None
    details = ("started", "command", "machine", "load_average")
    return latest, {**run["sweep"], **{k: run[k] for k in details}}


def write_doc(path: Path, results_dir: Path) -> None:
    path.write_text(page(*load(results_dir)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the benchmarks page from stored results.")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--out", type=Path, default=DOC)
    args = parser.parse_args(argv)
    write_doc(args.out, args.results)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
