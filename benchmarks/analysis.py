"""Analysis: a run's raw figures (the dicts `measurement` returns and
`benchmarks/results/*.json` holds) turned into ratios, per-row costs, fits and verdicts
against the targets. Runs nothing, writes nothing."""

from __future__ import annotations

from benchmarks.common import least_squares, median, spread

TARGET_RATIO = 1.5
CONTEXT_SHARE = 0.01
FLAT_TOLERANCE = 0.10  # per-row cost may grow 10% across the sizes (or 10% more than plain's)
SUMMARY_HEADER = ["target", "measured", "baseline", "ratio", "goal", "met", "spread"]


# --- the ETL flow ---------------------------------------------------------------------

WAREHOUSES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def baseline(etl: dict) -> str:
    """The runs the flow is judged against: `fastest` (the fastest plain loader for the
    warehouse) in runs that have it, `plain` (the same functions in the flow's batches) in
    older ones."""
    return etl.get("baseline", "plain")


def baseline_s(etl: dict, runs: dict) -> float:
    """The baseline's seconds in one size's runs: the faster (median) of the two plain
    loaders where both ran, the bulk one (`fastest`) and the project's own functions in
    the flow's batches (`plain`), so the flow is judged against whatever measures fastest
    (on PostgreSQL the batched COPY path can beat one bulk COPY of the whole file)."""
    if baseline(etl) == "plain" or "plain" not in runs:
        return median(runs[baseline(etl)])
    return min(median(runs["fastest"]), median(runs["plain"]))


def baseline_runs(etl: dict, runs: dict) -> list[float]:
    """The runs `baseline_s` took its figure from."""
    bulk = baseline(etl)
    if bulk != "plain" and "plain" in runs and median(runs["plain"]) < median(runs[bulk]):
        return runs["plain"]
    return runs[bulk]


def warehouse(etl: dict) -> str:
    return WAREHOUSES[etl.get("warehouse", "sqlite")]


def _fixed_noheartbeat(etl: dict) -> float | None:
    """The 1,000-row flow with heartbeats off: what a run costs without the heartbeat stop."""
    runs = (etl.get("fixed") or {}).get("runs", {})
    return median(runs["flow-noheartbeat"]) if "flow-noheartbeat" in runs else None


def _per_size(etl: dict, sizes: list[int]) -> dict[int, dict]:
    per: dict[int, dict] = {}
    fixed_off = _fixed_noheartbeat(etl)
    for n in sizes:
        runs = etl["sizes"][str(n)]["runs"]
        plain_s, flow_s = baseline_s(etl, runs), median(runs["flow"])
        per[n] = {
            "plain_s": plain_s,
            "flow_s": flow_s,
            "ratio": flow_s / plain_s,
            "plain_us_row": plain_s / n * 1e6,
            "flow_us_row": flow_s / n * 1e6,
            "overhead_us_row": (flow_s - plain_s) / n * 1e6,
            "spread_plain": spread(baseline_runs(etl, runs)),
            "spread_flow": spread(runs["flow"]),
        }
        if fixed_off is not None and "flow-noheartbeat" in runs:
            # Heartbeats off at this size and on the 1,000-row file: the flow's per-row cost
            # without the heartbeat stop, which rounds each run up to whole seconds.
            per[n]["noheartbeat_s"] = median(runs["flow-noheartbeat"])
            per[n]["variable_us_row"] = (per[n]["noheartbeat_s"] - fixed_off) / n * 1e6
        if baseline(etl) != "plain" and "plain" in runs:
            # the project's functions in the flow's batches, without Prefect
            per[n]["batched_s"] = median(runs["plain"])
    return per


def _slopes(per: dict[int, dict], sizes: list[int]) -> dict:
    """Per kind of per-row cost: its least-squares slope over the sizes and the relative
    change that makes across them; for plain and flow also a fixed + per-row fit."""
    rows_m = [n / 1e6 for n in sizes]
    span = rows_m[-1] - rows_m[0]
    result: dict = {}
    for kind in ("plain", "flow", "variable"):
        key = f"{kind}_us_row"
        if key not in per[sizes[0]]:
            continue
        values = [per[n][key] for n in sizes]
        slope, _ = least_squares(rows_m, values)
        result[kind] = {
            "per_row_slope_us_per_m": slope,  # us/row, per million more rows
            "relative_change": slope * span / (sum(values) / len(values)),
        }
        if kind != "variable":
            # time = fixed + marginal * rows (least squares over the sizes)
            marginal, fixed = least_squares(sizes, [per[n][f"{kind}_s"] for n in sizes])
            result[kind].update(fixed_s=fixed, marginal_us_row=marginal * 1e6)
    return result


def _steps(per: dict[int, dict], sizes: list[int]) -> list[dict]:
    """The marginal cost between consecutive sizes: extra seconds / extra rows."""
    return [
        {
            "from": a,
            "to": b,
            "plain_us_row": (per[b]["plain_s"] - per[a]["plain_s"]) / (b - a) * 1e6,
            "flow_us_row": (per[b]["flow_s"] - per[a]["flow_s"]) / (b - a) * 1e6,
        }
        for a, b in zip(sizes, sizes[1:], strict=False)
    ]


def etl_analysis(etl: dict) -> dict:
    """Ratios, per-row microseconds, their least-squares slopes, and a fixed + per-row fit.

    The flow's per-row cost falls as rows grow only because its fixed cost (measured on a
    1,000-row file) is spread thinner; whether the rest of it is flat is read from the
    per-row cost with heartbeats off, without the 1,000-row heartbeats-off run ("variable";
    the heartbeat stop rounds each run to whole seconds): its least-squares slope over the
    sizes, as a relative change across the range, against plain Python's own change."""
    sizes = sorted(int(k) for k in etl["sizes"])
    fixed_s = None
    if "fixed" in etl:
        runs = etl["fixed"]["runs"]
        fixed_s = median(runs["flow"]) - baseline_s(etl, runs)
    result: dict = {"per_size": _per_size(etl, sizes), "fixed_s": fixed_s}
    if all("noheartbeat_s" in p for p in result["per_size"].values()):
        result["variable_fixed_s"] = _fixed_noheartbeat(etl)  # heartbeats off, 1,000 rows
    if len(sizes) >= 2:
        result.update(_slopes(result["per_size"], sizes))
        result["steps"] = _steps(result["per_size"], sizes)
        if "variable" in result:
            change = result["variable"]["relative_change"]
            allowed = max(FLAT_TOLERANCE, result["plain"]["relative_change"] + FLAT_TOLERANCE)
            result["flat"] = change <= allowed
            result["flat_allowed"] = allowed
    return result


def fixed_costs(etl: dict) -> list[dict]:
    """The small-file runs that are almost all fixed cost: on the section's backend, and on
    SQLite as well when that was PostgreSQL. What a flow run pays whatever its size, and
    the parts of it the diagnostic variants (heartbeat off, a subflow) show."""
    out = []
    for key, backend in (("fixed", etl.get("backend", "sqlite")), ("fixed_sqlite", "sqlite")):
        if key not in etl:
            continue
        runs = etl[key]["runs"]
        flow_s, plain_s = median(runs["flow"]), baseline_s(etl, runs)
        item = {
            "backend": backend,
            "rows": etl[key]["summary"]["read"],
            "runs": runs,
            "flow_s": flow_s,
            "plain_s": plain_s,
            "fixed_s": flow_s - plain_s,
            "retried_503": etl[key]["retried_503"],
            "baseline_label": base_label(etl),
        }
        if "flow-noheartbeat" in runs:
            item["heartbeat_s"] = flow_s - median(runs["flow-noheartbeat"])
        if "flow-subflow" in runs:
            item["subflow_s"] = median(runs["flow-subflow"]) - flow_s
        out.append(item)
    return out


def sweep_per_task_run(sweep: dict) -> float | None:
    """Seconds one more mapped task run costs: the least-squares slope of the flow's time
    over the number of mapped task runs, across the batch sizes (None below two sizes)."""
    sizes = sorted(int(k) for k in sweep["batch_sizes"])
    if len(sizes) < 2:
        return None
    entries = [sweep["batch_sizes"][str(s)] for s in sizes]
    per_task, _ = least_squares(
        [e["task_runs"] for e in entries], [median(e["runs"]["flow"]) for e in entries]
    )
    return per_task


# --- verdicts: the summary table ------------------------------------------------------


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


def render_verdicts(render: dict) -> list[list[str]]:
    t = {k: median(v) for k, v in render["times"].items()}
    sp = max(spread(v) for v in render["times"].values())
    ratio = t["template"] / t["prefect_init"]
    return [
        ratio_row(
            "1 render: cookiecutter --no-input (this template)",
            f"{t['template']:.2f} s",
            f"one-file template {t['minimal']:.2f} s",
            t["template"] / t["minimal"],
            sp,
        ),
        [
            "1 render vs prefect init --recipe git",
            f"{t['template']:.2f} s",
            f"prefect init {t['prefect_init']:.2f} s",
            f"{ratio:.2f}x",
            "< 1x",
            mark(ratio < 1),
            f"{sp:.2f}",
        ],
        *[
            [
                f"1 render ... bound: {label}",
                f"{t[key]:.2f} s",
                f"one-file template {t['minimal']:.2f} s",
                f"{t[key] / t['minimal']:.2f}x",
                "(context)",
                "",
                f"{spread(render['times'][key]):.2f}",
            ]
            for key, label in BOUND_LABELS.items()
            if key in t
        ],
    ]


# The render's bounds (measurement.bound_templates): this template's default project
# written with no question and no Jinja.
BOUND_LABELS = {
    "bound_yaml": "its default project copied, a hook that only imports PyYAML",
    "bound_checks": "its default project copied, its own hook (the project's checks)",
}


def suite_verdicts(suite: dict) -> list[list[str]]:
    t = {k: median(v) for k, v in suite["times"].items()}
    return [
        ratio_row(
            "2 rendered test suite: pytest",
            f"{t['suite']:.1f} s",
            f"import + harness {t['floor']:.1f} s",
            t["suite"] / t["floor"],
            max(spread(suite["times"][k]) for k in ("suite", "floor")),
        )
    ] + [
        [
            f"2 ... {label}",
            f"{t[key]:.1f} s",
            f"import + harness {t['floor']:.1f} s",
            f"{t[key] / t['floor']:.2f}x",
            "(context)",
            "",
            f"{spread(suite['times'][key]):.2f}",
        ]
        for key, label in (
            ("cold", "a checkout's first run: pytest with no migrated database yet"),
            ("slow", "the slow tier too, from cold: pytest --slow (what CI runs)"),
        )
        if key in t
    ]


def _fixed_cost_rows(fixed: dict) -> list[list[str]]:
    backend, runs = fixed["backend"], fixed["runs"]
    rows = [
        [
            f"3 ETL fixed cost per flow run ({fixed['rows']:,} rows, {backend} server)",
            f"{fixed['flow_s']:.2f} s",
            f"{fixed.get('baseline_label', 'plain Python')} {fixed['plain_s']:.2f} s",
            f"+{fixed['fixed_s']:.2f} s",
            "(context)",
            f"503s: {fixed['retried_503']}",
            f"{spread(runs['flow']):.2f}",
        ]
    ]
    if "heartbeat_s" in fixed:
        off = runs["flow-noheartbeat"]
        rows.append(
            variant_row(
                f"3 ETL ... of which the heartbeat join ({backend})",
                fixed["heartbeat_s"],
                f"heartbeat off {median(off):.2f} s",
                off,
            )
        )
    if "subflow_s" in fixed:
        sub = runs["flow-subflow"]
        rows.append(
            variant_row(
                f"3 ETL ... one subflow call would add ({backend})",
                fixed["subflow_s"],
                f"reconcile as a subflow {median(sub):.2f} s",
                sub,
            )
        )
    return rows


def _flatness_row(analysis: dict, where: str) -> list[str]:
    v, p = analysis["variable"], analysis["plain"]
    per = analysis["per_size"].values()
    return [
        f"3 ETL per-row cost flat as rows grow ({where})",
        "flow us/row "
        + ", ".join(f"{x['flow_us_row']:.1f}" for x in per)
        + "; heartbeats off, without fixed "
        + ", ".join(f"{x['variable_us_row']:.1f}" for x in per),
        "plain us/row " + ", ".join(f"{x['plain_us_row']:.1f}" for x in per),
        f"{v['relative_change']:+.0%} (plain {p['relative_change']:+.0%})",
        f"<= {analysis['flat_allowed']:+.0%}",
        mark(analysis["flat"]),
        "",
    ]


def etl_verdicts(etl: dict) -> list[list[str]]:
    analysis = etl_analysis(etl)
    rows = [
        ratio_row(
            f"3 ETL flow, {n:,} rows, {warehouse(etl)} (batch {etl['batch_size']:,})",
            f"{p['flow_s']:.2f} s",
            f"{base_label(etl)} {p['plain_s']:.2f} s",
            p["ratio"],
            max(p["spread_plain"], p["spread_flow"]),
        )
        for n, p in analysis["per_size"].items()
    ]
    for fixed in fixed_costs(etl):
        rows += _fixed_cost_rows(fixed)
    if "variable" in analysis:
        rows.append(_flatness_row(analysis, warehouse(etl)))
    return rows


def base_label(etl: dict) -> str:
    return "fastest plain loader" if baseline(etl) == "fastest" else "plain Python"


def context_verdicts(context: dict) -> list[list[str]]:
    tree = context["tree_bytes"]
    rows = []
    for label, key in (
        ("4 Docker build context (.dockerignore)", "docker_context_bytes"),
        ("4 Prefect upload set (.prefectignore)", "prefect_upload_bytes"),
    ):
        share = context[key] / tree
        rows.append(
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
    first = context["layers"]["etl/flows/example_etl.py"]["first"]
    deps = context["layer_indices"]["install_deps"] or 0
    ok = bool(context["layer_order_ok"]) and first is not None and first > deps
    rows.append(
        [
            "4 code change rebuilds only after deps",
            f"example_etl.py -> from #{(first or 0) + 1} of {len(context['instructions'])}",
            f"deps installed at #{deps + 1}",
            "",
            "after install",
            mark(ok),
            "",
        ]
    )
    return rows


def stability_verdicts(series: list[dict]) -> list[list[str]]:
    """One row per recorded series: consecutive runs under load, and how many failed."""
    rows = []
    for entry in series:
        seconds = [run["seconds"] for run in entry["runs"]]
        goal = entry.get("goal_runs", 10)
        runs, failures = len(seconds), entry["failures"]
        rows.append(
            [
                f"5 stable under load: {entry['label']}",
                f"{failures} failed of {runs} runs",
                f"load {entry['load_processes']} on {entry['cores']} cores",
                "",
                f"0 failed of >= {goal}",
                mark(failures == 0 and runs >= goal),
                f"{max(seconds) / min(seconds):.2f}" if seconds else "",
            ]
        )
    return rows


def mutation_verdicts(run: dict) -> list[list[str]]:
    """The generated suite's mutation score (benchmarks/mutation.py): mutants caught of all."""
    where = "SQLite and PostgreSQL cases" if run.get("postgresql") else "SQLite cases"
    return [
        [
            f"6 generated tests catch mutants of etl/ (default answers, {where})",
            f"{run['caught']} of {run['total']}"
            + (f" ({run['not_checked']} not checked)" if run.get("not_checked") else ""),
            "every mutant, unreached ones as survivors",
            f"{run['score']:.1%}",
            ">= 90%",
            mark(run["score"] >= 0.90),
            "",
        ]
    ]


def day_one_verdicts(run: dict) -> list[list[str]]:
    """The first deploy against its floor, and what a waiting server and worker cost
    (benchmarks/first_deploy.py)."""
    from benchmarks.first_deploy import TARGETS  # the goals its own table shows

    walls = [r["wall"] for r in run["runs"]]
    dev = median([r["steps"]["etl-dev --once"] for r in run["runs"]])
    floor = median([f["wall"] for f in run["floors"]])
    rows = [
        [
            "7 first deploy: render → Completed deployed dev run (README's 3 commands)",
            f"{median(walls):.1f} s",
            "",
            "",
            f"<= {TARGETS['wall']:.0f} s",
            mark(median(walls) <= TARGETS["wall"]),
            f"{spread(walls):.2f}",
        ],
        [
            "7 first deploy: etl-dev --once against plain Prefect by hand",
            f"{dev:.1f} s",
            f"floor {floor:.1f} s",
            f"{dev / floor:.2f}x",
            f"<= {TARGETS['floor_ratio']}x",
            mark(dev / floor <= TARGETS["floor_ratio"]),
            "",
        ],
    ]
    idle = run.get("idle") or {}
    for name, share in idle.get("shares", {}).items():
        rows.append(
            [
                f"7 idle: {name} from the project folder, CPU over {idle['seconds']} s",
                f"{share:.1%} of a core",
                "",
                "",
                f"<= {idle['limit']:.0%}",
                mark(share <= idle["limit"]),
                "",
            ]
        )
    return rows


def ci_verdicts(run: dict) -> list[list[str]]:
    """The template's CI on a clean clone (benchmarks/ci_time.py)."""
    return [
        [
            f"7 template CI: {run['command']}, {run['result']}",
            f"{run['seconds'] / 60:.1f} min",
            f"{run['cores']} cores",
            "",
            f"<= {run['goal_seconds'] / 60:.0f} min",
            mark(run["seconds"] <= run["goal_seconds"]),
            "",
        ]
    ]


def summary_rows(results: dict) -> list[list[str]]:
    """The summary table of a run: one [target, measured, baseline, ratio, goal, met,
    spread] row per figure, for the sections the run has."""
    verdicts = {
        "render": render_verdicts,
        "suite": suite_verdicts,
        "etl": etl_verdicts,
        "etl_postgres": etl_verdicts,
        "context": context_verdicts,
        "stability": stability_verdicts,
        "mutation": mutation_verdicts,
        "first_deploy": day_one_verdicts,
        "ci": ci_verdicts,
    }
    return [row for name, fn in verdicts.items() if results.get(name) for row in fn(results[name])]
