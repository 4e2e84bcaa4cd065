"""Turn `benchmarks/results/*.json` into `docs/benchmarks.md` (plain Markdown)."""

from __future__ import annotations

import json
from pathlib import Path

from common import median, spread


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


def _kb(n: float) -> str:
    return f"{n / 1e3:.1f} kB"


def sweep_table(sweep: dict) -> str:
    header = ["batch size", "mapped task runs", "plain s", "flow s", "ratio"]
    rows = []
    for size, data in sorted(sweep["batch_sizes"].items(), key=lambda kv: int(kv[0])):
        rows.append(
            [
                f"{int(size):,}",
                str(data["task_runs"]),
                f"{data['plain_s']:.2f}",
                f"{data['flow_s']:.2f}",
                f"{data['ratio']:.2f}x",
            ]
        )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    if "per_task_run_s" in sweep:
        out.append(
            f"\none more mapped task run costs {sweep['per_task_run_s'] * 1e3:.0f} ms "
            f"(least squares over the batch sizes)"
        )
    return "\n".join(out)


def write_doc(path: Path, results_dir: Path) -> None:
    from run import etl_analysis, rows_of_table  # noqa: PLC0415

    latest_path = results_dir / "latest.json"
    sweep_path = results_dir / "sweep.json"
    latest = json.loads(latest_path.read_text()) if latest_path.exists() else None
    sweep_run = json.loads(sweep_path.read_text()) if sweep_path.exists() else None
    sweep = None
    if sweep_run and sweep_run.get("sweep"):
        sweep = {
            **sweep_run["sweep"],
            "started": sweep_run["started"],
            "command": sweep_run["command"],
            "machine": sweep_run["machine"],
            "load_average": sweep_run["load_average"],
        }
    out: list[str] = ["# Benchmarks", ""]
    out.append(
        "How fast the template renders, how long the generated project's tests take, what "
        "Prefect's orchestration costs the example ETL flow, and how little of a real "
        "checkout reaches a Docker build or a Prefect upload. Every figure is a ratio "
        "against a baseline measured in the same run, the median of interleaved runs, so "
        "a busy machine slows both sides alike. The page is written by the benchmark itself."
    )
    out.append("")
    if latest is None:
        out.append("No full run has been recorded yet: run `uv run python benchmarks/run.py`.")
        path.write_text("\n".join(out) + "\n")
        return

    m = latest["machine"]
    load = latest["load_average"]
    out += [
        "## The latest run",
        "",
        _table(
            ["", ""],
            [
                ["command", f"`{latest['command']}` (from the repository root)"],
                ["date", latest["started"]],
                ["revision", latest["revision"]],
                ["machine", f"{m['nproc']} cores, {m['cpu']}, {m['memory']} RAM"],
                ["Python", f"{m['python']} ({m['platform']})"],
                ["versions", ", ".join(f"{k} {v}" for k, v in m["versions"].items())],
                [
                    "runs per figure",
                    f"{latest['settings']['repeats']} (test suite: "
                    f"{latest['settings']['suite_repeats']}), median",
                ],
                ["load average", f"{load['start']:.2f} at the start, {load['end']:.2f} at the end"],
                [
                    "wall time",
                    f"{latest['total_seconds'] / 60:.1f} min ("
                    + ", ".join(f"{k} {v:.0f} s" for k, v in latest["section_seconds"].items())
                    + ")",
                ],
            ],
        ),
        "",
        "A load average above the number of cores means other work shared the machine; the "
        "`spread` column (slowest run / fastest run) shows how much that moved the runs.",
        "",
        "## Summary",
        "",
        _table(
            ["target", "measured", "baseline", "ratio", "goal", "met", "spread"],
            rows_of_table(latest),
        ),
        "",
    ]

    render = latest.get("render")
    if render:
        t = {k: median(v) for k, v in render["times"].items()}
        b = render.get("breakdown", {})
        out += [
            "## 1. Rendering",
            "",
            "`cookiecutter --no-input -o <tmp> <template>` through the command line, with both "
            "hooks (answer validation, pruning, the project's own checks) included, against the "
            "same command on a one-file template (`cookiecutter.json` with one question and one "
            "`README.md`: cookiecutter's own floor), and against `prefect init --recipe git` in "
            "an empty directory with a fresh `PREFECT_HOME` (it writes "
            + ", ".join(f"`{f}`" for f in render.get("prefect_init_files", []))
            + ").",
            "",
            _table(
                ["command", "median", "spread"],
                [
                    [
                        "this template",
                        f"{t['template']:.2f} s",
                        f"{spread(render['times']['template']):.2f}",
                    ],
                    [
                        "one-file template",
                        f"{t['minimal']:.2f} s",
                        f"{spread(render['times']['minimal']):.2f}",
                    ],
                    [
                        "prefect init --recipe git",
                        f"{t['prefect_init']:.2f} s",
                        f"{spread(render['times']['prefect_init']):.2f}",
                    ],
                ],
            ),
            "",
        ]
        if b:
            out += [
                "Where this template's render goes (the same render in-process, median): "
                f"importing cookiecutter {b['import_s']:.2f} s, loading the Jinja extensions "
                f"(slugify and the template's quoting filters) {b['extensions_s']:.2f} s, the "
                f"two hooks (each a fresh Python process) {b['hooks_s']:.2f} s, of a "
                f"{b['total_s']:.2f} s total. Both cookiecutter runs pay the interpreter start and "
                "the import; the template adds its extensions, forty-odd files and the hooks. "
                "`prefect init` is slower than either because it imports Prefect.",
                "",
            ]

    suite = latest.get("suite")
    if suite:
        t = {k: median(v) for k, v in suite["times"].items()}
        out += [
            "## 2. The rendered test suite",
            "",
            "The whole `pytest` run of a project rendered with the default answers, in the "
            "template's development environment with the project as the working directory "
            f"(`{suite['result_line']}`), against the unavoidable floor of any flow test: a "
            "Python process that imports Prefect and starts and stops one "
            "`prefect_test_harness()` (what the suite's session fixture does once).",
            "",
            _table(
                ["", "median", "spread"],
                [
                    ["pytest", f"{t['suite']:.1f} s", f"{spread(suite['times']['suite']):.2f}"],
                    [
                        "floor: import prefect + one harness",
                        f"{t['floor']:.1f} s",
                        f"{spread(suite['times']['floor']):.2f}",
                    ],
                ],
            ),
            "",
            *(
                [
                    "Runs with failing tests (timed all the same; the suite's own tests, "
                    "not the benchmark): "
                    + "; ".join(
                        f"run {f['run']}: " + ", ".join(f"`{t}`" for t in f["failed"])
                        for f in suite["failures"]
                    )
                    + ".",
                    "",
                ]
                if suite.get("failures")
                else []
            ),
            "Per test file (median seconds, from pytest's JUnit report: setup, call and "
            "teardown; the file that first uses the harness carries its start):",
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
            "Beyond the floor, the time is flow runs against the harness. The suite makes "
            "about twenty of them (idempotency, retries, a failed load and its rerun, a "
            "crash and its rerun, notifications, secrets in logs, the report flow), starts "
            "a local Dask cluster of two worker processes, and runs one flow in a subprocess "
            "that it kills. The harness runs its server on SQLite, where creating a flow "
            "run right after another one's task runs often gets `503` (database is locked; "
            "the server's event recorder holds it; PrefectHQ/prefect#18934) and the client "
            "waits two seconds before retrying: most flow tests take 2 to 5 s for a "
            "201-row sample. The harness turns flow-run heartbeats off (each run would "
            "otherwise wait up to a second for its heartbeat thread). A ratio near 1.5 "
            "would leave room for two or three flow runs in the whole suite; the suite's "
            "purpose (showing failures, retries and reruns on a real server) needs more "
            'than that. Unit tests need no server: `pytest -m "not server"` runs them '
            "in a few seconds.",
            "",
        ]

    etl = latest.get("etl")
    if etl:
        a = etl_analysis(etl)
        rows = []
        entries = {int(k): v for k, v in etl["sizes"].items()}
        if "fixed" in etl:
            entries[int(etl["fixed"]["summary"]["read"])] = etl["fixed"]
        for n in sorted(entries):
            runs = entries[n]["runs"]
            plain_s, flow_s = median(runs["plain"]), median(runs["flow"])
            retried = f"{entries[n]['retried_503']} in {entries[n]['flow_runs']}"
            rows.append(
                [
                    f"{n:,}",
                    f"{plain_s:.2f}",
                    f"{flow_s:.2f}",
                    f"{flow_s / plain_s:.2f}x",
                    f"{plain_s / n * 1e6:.1f}",
                    f"{flow_s / n * 1e6:.1f}",
                    f"{(flow_s - plain_s) / n * 1e6:.1f}",
                    retried,
                    f"{spread(runs['plain']):.2f} / {spread(runs['flow']):.2f}",
                ]
            )
        fixed_notes = []
        names = {"postgres": "PostgreSQL", "sqlite": "SQLite"}
        for key, backend in (("fixed", etl.get("backend", "sqlite")), ("fixed_sqlite", "sqlite")):
            runs = etl.get(key, {}).get("runs", {})
            if not runs:
                continue
            note = f"On {names[backend]} it is {median(runs['flow']) - median(runs['plain']):.2f} s"
            if "flow-noheartbeat" in runs:
                note += (
                    f", {median(runs['flow']) - median(runs['flow-noheartbeat']):.2f} s of it "
                    "waiting for the heartbeat thread to stop (timed with heartbeats off)"
                )
            if backend == "sqlite":
                note += f", with {etl[key]['retried_503']} requests answered 503 and retried"
            if "flow-subflow" in runs:
                note += (
                    "; a subflow call would add "
                    f"{median(runs['flow-subflow']) - median(runs['flow']):.2f} s (timed with "
                    "the `reconcile` task made a subflow)"
                )
            fixed_notes.append(note + ".")
        subflow_share = (". " + " ".join(fixed_notes) + " ") if fixed_notes else ". "
        out += [
            "## 3. Orchestration overhead of the example ETL flow",
            "",
            f"The `example_etl` flow with batches of {etl['batch_size']:,} rows, on a local "
            f"`prefect server` ({'PostgreSQL' if etl.get('backend') == 'postgres' else 'SQLite'}, "
            "loopback; started first, its "
            f"{etl['server_startup_s']:.0f} s startup not counted), against the same steps "
            "called as plain Python in the same process: `read_rows`, `check_rows` per "
            "batch, `split_duplicates`, `to_record`, `create_schema`, `upsert_orders` per "
            "batch (one transaction each), the clean-up, `upsert_rejects` and the two "
            "counts. The CSV has the sample's columns; about one row in a thousand is "
            "malformed and one in two thousand repeats an order id. Each run writes a fresh "
            "SQLite file and starts with empty result storage, so the transform cache is "
            "cold, as on new data. One untimed warm-up of each side comes first.",
            "",
            _table(
                [
                    "rows",
                    "plain s",
                    "flow s",
                    "ratio",
                    "plain us/row",
                    "flow us/row",
                    "overhead us/row",
                    "503 retries in flow runs",
                    "spread plain / flow",
                ],
                rows,
            ),
            "",
            "The 1,000-row line is almost all fixed cost: what any run of this flow pays"
            + subflow_share
            + "`503 retries` counts the API requests the server answered with 503 (database "
            "busy) during that size's flow runs, warm-up included; the client waits about "
            "two seconds before each retry. A SQLite server answers 503 when its own "
            "writers (recording the task runs' events) hold the database; PostgreSQL, what "
            "the rendered `docker-compose.yml` runs, does not.",
            "",
        ]
        if "flow" in a:
            f, p = a["flow"], a["plain"]
            steps = [
                [
                    f"{s['from']:,} -> {s['to']:,}",
                    f"{s['plain_us_row']:.1f}",
                    f"{s['flow_us_row']:.1f}",
                ]
                for s in a["steps"]
            ]
            slopes = [
                [
                    "plain Python",
                    f"{p['per_row_slope_us_per_m']:+.2f}",
                    f"{p['relative_change']:+.0%}",
                ],
                ["flow", f"{f['per_row_slope_us_per_m']:+.2f}", f"{f['relative_change']:+.0%}"],
            ]
            if "variable" in a:
                v = a["variable"]
                slopes.append(
                    [
                        f"flow without its fixed {a['fixed_s']:.2f} s",
                        f"{v['per_row_slope_us_per_m']:+.2f}",
                        f"{v['relative_change']:+.0%}",
                    ]
                )
            out += [
                "Is the per-row cost flat as rows grow? Least-squares slope of the per-row "
                "cost against the row count, and the change it makes across the sizes "
                "(relative to the mean). The flow's raw per-row cost falls, only because "
                "its fixed cost (the 1,000-row line) is spread over more rows; without that "
                "fixed part it should change no more than plain Python's own.",
                "",
                _table(
                    ["per-row cost of", "slope, us/row per 1M rows", "change across sizes"], slopes
                ),
                "",
                "Verdict: "
                + (
                    ("flat" if a.get("flat") else "NOT flat")
                    + f" (allowed: {a['flat_allowed']:+.0%}, i.e. plain's change + 10 points, "
                    "at least 10%)."
                    if "flat" in a
                    else "no fixed-cost run to judge by."
                ),
                "",
                "Marginal cost between sizes (extra seconds / extra rows), and a fit of time as a "
                "fixed part plus a per-row part (least squares over the sizes):",
                "",
                _table(["rows", "plain us/row", "flow us/row"], steps),
                "",
                _table(
                    ["", "fixed s", "marginal us/row"],
                    [
                        ["plain", f"{p['fixed_s']:.2f}", f"{p['marginal_us_row']:.1f}"],
                        ["flow", f"{f['fixed_s']:.2f}", f"{f['marginal_us_row']:.1f}"],
                    ],
                ),
                "",
            ]
        parts = etl.get("cache_parts") or {}
        if parts and "rows" in parts:  # an older single-size record
            parts = {str(parts["rows"]): parts}
        if parts:
            names = {
                "hash_s": "hash the transform inputs (INPUTS cache policy)",
                "persist_s": "persist the transform results",
            }
            sizes = sorted(int(k) for k in parts)

            def us(n: int, key: str) -> float:
                return median(parts[str(n)][key]) / n * 1e6

            rows = [[label, *[f"{us(n, key):.1f}" for n in sizes]] for key, label in names.items()]
            together = {n: sum(us(n, key) for key in names) for n in sizes}
            rows.append(["together (paid by the flow)", *[f"{together[n]:.1f}" for n in sizes]])
            rows.append(
                [
                    "result tracking of returned lists (avoided: tasks return one `Batch`)",
                    *[f"{us(n, 'track_s'):.1f}" for n in sizes],
                ]
            )
            fixed_s = a.get("fixed_s")
            rest = []
            for n in sizes:
                per = a["per_size"].get(n)
                if per is None or fixed_s is None:
                    continue
                fixed_share = fixed_s / n * 1e6
                rest.append(
                    f"at {n:,} rows the flow's overhead of {per['overhead_us_row']:.1f} us/row is "
                    f"{fixed_share:.1f} of fixed cost spread over the rows, {together[n]:.1f} of "
                    f"these parts and {per['overhead_us_row'] - fixed_share - together[n]:.1f} "
                    "more"
                )
            biggest = str(sizes[-1])
            out += [
                "### Per-row costs, measured apart",
                "",
                "Per-row work Prefect adds, each part timed on its own on the file's batches, "
                "without a flow (median us per row). `transform_batch` is cached on its "
                "inputs, so every run hashes each batch's inputs and persists each batch's "
                "result (that is what lets a rerun after a crash reuse finished batches). "
                "The last line is what the flow no longer pays: after every task run Prefect "
                "registers each element of a returned list for dependency tracking, in a "
                "table that grows with the data; `extract` and `transform_batch` used to "
                "return every row and record as a list, and now return one `Batch` value.",
                "",
                _table(["part", *[f"{n:,} rows" for n in sizes]], rows),
                "",
                f"The cache writes {_mb(parts[biggest]['persisted_bytes'])} of results for "
                f"{int(biggest):,} rows. "
                + ("; ".join(rest)[:1].upper() + "; ".join(rest)[1:] + ". " if rest else "")
                + "That remainder is the same work done inside the flow: on threads that take "
                "turns holding the interpreter lock, next to the flow's own background threads "
                "(events, logs, heartbeats) and a server recording events on the other core. "
                "It grows with the rows and was not isolated further: it is not Python's "
                "cyclic garbage collector (the driver's `--gc-off` diagnostic, two runs of "
                "each side at 1,000,000 rows: flow 30.6 and 34.3 s with the collector off, "
                "29.9 and 39.2 s with it on, plain 14.4 to 20.4 s either way).",
                "",
            ]
        out += _etl_explanation(a, etl, sweep)

    context = latest.get("context")
    if context:
        tree = context["tree_bytes"]
        comp = [[k, _mb(v)] for k, v in context["clutter_bytes"].items()]
        comp.append(["the rendered project itself", _kb(context["clean_project_bytes"])])
        comp.append(["**whole tree**", f"**{_mb(tree)}** in {context['tree_files']:,} files"])
        out += [
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
            _table(
                ["set", "bytes", "files", "share of the tree"],
                [
                    [
                        "Docker build context (`.dockerignore`)",
                        _kb(context["docker_context_bytes"]),
                        str(context["docker_context_files"]),
                        f"{context['docker_context_bytes'] / tree:.3%}",
                    ],
                    [
                        "Prefect upload (`.prefectignore`)",
                        _kb(context["prefect_upload_bytes"]),
                        str(context["prefect_upload_files"]),
                        f"{context['prefect_upload_bytes'] / tree:.3%}",
                    ],
                ],
            ),
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
            "### Which layers a change rebuilds",
            "",
            "The Dockerfile parsed into instructions; a change to a file rebuilds the first "
            "`COPY` that reads it (if `.dockerignore` lets it into the context) and every "
            "instruction after it; the ones before stay cached.",
            "",
        ]
        probes = list(context["layers"])
        rows = []
        for index, instruction in enumerate(context["instructions"]):
            cells = [str(index + 1), f"`{instruction}`"]
            for probe in probes:
                first = context["layers"][probe]["first"]
                cells.append("rebuilt" if first is not None and index >= first else "cached")
            rows.append(cells)
        out += [
            _table(["#", "instruction", *[f"`{p}` changed" for p in probes]], rows),
            "",
            "Dependencies (`COPY pyproject.toml`, then the `RUN` that installs them) "
            "come before `COPY README.md` and `COPY etl/`, so a change to "
            "`etl/flows/example_etl.py` rebuilds only the code layers: "
            + ("confirmed." if context["layer_order_ok"] else "NOT the case.")
            + " A change to `README.md` does not reinstall the dependencies either (uv reads "
            "them from `pyproject.toml` without building the package); files that "
            "`.dockerignore` keeps out (tests, data) rebuild nothing.",
            "",
        ]

    out += [
        "## Reproducing",
        "",
        "```bash",
        "uv run python benchmarks/run.py                 # everything; writes this page",
        "uv run python benchmarks/run.py --quick         # fewer runs, smaller sizes",
        "uv run python benchmarks/run.py --only etl      # one section (to quick.json)",
        "uv run python benchmarks/run.py --sweep         # the flow over a range of batch sizes",
        "```",
        "",
        "The ETL section and the sweep run their server on PostgreSQL when "
        "`TEMPLATE_TEST_POSTGRES_URL` is set (`postgresql+asyncpg://user:password@host:port/db`, "
        "a user that may create databases; `.ci/run` sets one up), else on SQLite; "
        "`--server-db sqlite|postgres` chooses. "
        "Raw figures are kept in `benchmarks/results/` (`latest.json`, `sweep.json`). The "
        "benchmarks are not tests: nothing fails when a figure misses its goal.",
        "",
    ]
    path.write_text("\n".join(out))


def _etl_explanation(a: dict, etl: dict, sweep: dict | None) -> list[str]:
    sizes = sorted(a["per_size"])
    work_us = a["per_size"][sizes[-1]]["plain_us_row"]  # plain work per row, largest size
    per_task = sweep.get("per_task_run_s") if sweep else None
    fixed = a.get("fixed_s")
    tracking_growth = ""
    parts = etl.get("cache_parts") or {}
    if len(parts) >= 2 and "rows" not in parts:
        small, large = sorted(int(k) for k in parts)[0], sorted(int(k) for k in parts)[-1]
        per_small = median(parts[str(small)]["track_s"]) / small * 1e6
        per_large = median(parts[str(large)]["track_s"]) / large * 1e6
        tracking_growth = (
            f", whose table of every row and record costs {per_small:.1f} us per row at "
            f"{small:,} rows and {per_large:.1f} at {large:,}"
        )
    out = [
        "### Why the flow costs what it costs",
        "",
        "- A fixed part per flow run, whatever the size"
        + (f" ({fixed:.1f} s here)" if fixed is not None else "")
        + ": creating the flow run and about ten single task runs, and above all the "
        "flow-run heartbeat: in Prefect 3.8.8 every flow run starts a heartbeat thread "
        "(on by default, one beat every 180 s; PrefectHQ/prefect#19641) that sleeps in "
        "one-second steps, and the engine waits for it to stop when the "
        "run ends, so a run lasts a whole number of seconds plus its last steps (the "
        "diagnostic variant with heartbeats off takes a fraction of that). Heartbeats are "
        "how a server notices a crashed run, so the template leaves them on (its tests turn "
        "them off under the test harness). On a SQLite "
        "server add retried requests (two seconds each). A subflow pays the same again: "
        "its own flow run and heartbeat, which is why the example's audit is a task. "
        "This part is what keeps small inputs far above 1.5x: at "
        f"{sizes[0]:,} rows the plain steps take "
        f"{a['per_size'][sizes[0]]['plain_s']:.1f} s.",
        "- A part per mapped task run"
        + (f" ({per_task * 1e3:.0f} ms each, from the sweep below)" if per_task else "")
        + ": creating and finishing the run, its events, which the server has to record: "
        "the reason batches must be large.",
        "- A part per row: the transform cache's hashing and persisting (measured apart "
        "above), and the same work run on the task runner's threads beside Prefect's own "
        "(event and log threads, the API client) under one interpreter lock.",
        "- Not any more: after every task run Prefect records which run produced each "
        "element of a returned list (result tracking), a few microseconds per row"
        + tracking_growth
        + ". Extract and transform now return their rows as one `Batch` value "
        "(`etl/utils/batch.py`); in a one-off comparison at 200,000 rows with tracking "
        "switched off by hand the flow took 5.4 to 5.8 s instead of 7.3 to 8.7 s.",
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
        "### Choosing the batch size",
        "",
        "Batches should be large enough that the task runs' fixed cost is small beside the "
        "work a batch carries, and small enough to keep what batching is for: a failed "
        "load retries and rolls back one batch, a rerun reuses the finished transform "
        "batches from the cache, memory holds a few copies of one batch's rows in flight, "
        "and with Dask each batch is a unit of parallel work. On the default thread-pool "
        "runner the steps are CPU-bound Python under one interpreter lock, so smaller, "
        "more numerous batches do not run faster.",
        "",
        "Each batch costs three mapped task runs (validate, transform, load). To keep their "
        "cost under a fifth of the work the batch carries: `batch_size >= 3 x task-run cost "
        "/ (0.2 x work per row)`"
        + (
            f"; with {per_task * 1e3:.0f} ms per task run and {work_us:.1f} us of plain work "
            f"per row measured here, that is {3 * per_task / (0.2 * work_us * 1e-6):,.0f} rows"
            if per_task
            else ""
        )
        + ". Beyond that the gain is lost in the noise of the fixed part (see the sweep), "
        "while every batch gets heavier to retry, to redo and to hold in memory. The default "
        f"is {etl['batch_size']:,}: a million rows make {-(-1_000_000 // etl['batch_size'])} "
        f"batches, a failed load redoes {etl['batch_size']:,} rows, and the transform cache "
        "writes one file per batch. "
        "With Dask, also keep two or three batches per worker: `batch_size <= rows / (3 x "
        "workers)`. Set it with `ETL_BATCH_SIZE` (environment or `.env`), or per run with "
        "the flow's `batch_size` parameter.",
        "",
    ]
    if sweep:
        runs = len(next(iter(sweep["batch_sizes"].values()))["runs"]["flow"])
        out += [
            f"The flow at {sweep['rows']:,} rows over a range of batch sizes, from its own "
            f"run (`{sweep['command']}`, {sweep['started']}, same machine; load average "
            f"{sweep['load_average']['start']:.2f} to {sweep['load_average']['end']:.2f}; "
            f"median of {runs} each):",
            "",
            _table(
                ["batch size", "mapped task runs", "plain s", "flow s", "ratio"],
                [
                    [
                        f"{int(k):,}",
                        str(v["task_runs"]),
                        f"{v['plain_s']:.2f}",
                        f"{v['flow_s']:.2f}",
                        f"{v['ratio']:.2f}x",
                    ]
                    for k, v in sorted(sweep["batch_sizes"].items(), key=lambda kv: int(kv[0]))
                ],
            ),
            "",
        ]
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
