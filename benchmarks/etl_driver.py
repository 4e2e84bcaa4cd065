"""Time the example ETL as a Prefect flow and as plain Python, in one process.

Run by `benchmarks/run.py` with the rendered project as the working directory and
PREFECT_API_URL pointing at a server that is already up. Prints one JSON object.

    python etl_driver.py --csv orders.csv --workdir DIR [--repeats 5] [--batch-size N]
        [--variants plain,flow,flow-subflow,flow-noheartbeat,flow-nocache,cache-parts] [--gc-off]

Both sides do the same work on the same file: read the CSV, validate each row, drop
duplicates, transform, upsert in batches of `batch_size` rows (one transaction each),
record the rejects, count both tables. `plain` calls the project's own plain functions
(read_rows, check_rows, split_duplicates, to_record, create_schema, upsert_orders,
upsert_rejects, count_rows, and the clean-up task's own function); `flow` calls the
`example_etl` flow. Every run writes a fresh SQLite file, and the result storage is
emptied before each flow run, so the transform cache is cold, as on a run over new
data. One untimed warm-up of each side on the shipped sample comes first, so imports
and first connections are not timed. Variants run interleaved (plain, flow, flow,
plain, ...) so drift in machine load hits both sides alike.

Extra variants, to take the flow apart:
- `flow-nocache`: the same flow with the transform task's cache policy off (no input
  hashing, no result persisted): its difference to `flow` is what the cache costs.
- `flow-subflow`: the same flow with its `reconcile` task turned into a subflow (the same
  function under `@flow`): its difference to `flow` is what one subflow call costs.
- `flow-noheartbeat`: the same flow with Prefect's flow-run heartbeat off (diagnostic
  only: a deployed run needs heartbeats to be detected as crashed). The heartbeat thread
  sleeps in one-second steps and the engine joins it when the run ends, so every run
  takes a whole number of seconds, plus the time after the join: the difference to `flow`
  is what that rounding up costs.
- `cache-parts`: no flow; times per-row costs Prefect adds, each on its own: hashing the
  transform task's inputs (its cache key, `batch_key`), persisting its results, and result
  tracking (registering every element of extract's and transform's returned lists).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import os
import shutil
import sys
import time
from pathlib import Path


def _timed(fn):
    if gc.isenabled():
        gc.collect()
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--csv", required=True)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--variants", default="plain,flow")
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--gc-off", action="store_true", help="diagnostic: no cyclic GC")
    args = parser.parse_args()
    if args.gc_off:
        gc.disable()

    sys.path.insert(0, os.getcwd())  # the rendered project's own `etl` package
    import logging

    from etl.flows.example_etl import EtlParams, example_etl
    from etl.tasks import transform as transform_module
    from etl.tasks.extract import read_rows
    from etl.tasks.load import optimize_warehouse
    from etl.tasks.transform import to_record
    from etl.tasks.validate import check_rows, split_duplicates
    from etl.utils.batch import batched
    from etl.utils.settings import get_settings
    from etl.warehouse import count_rows, create_schema, upsert_orders, upsert_rejects

    # The flow's own log lines would go to stderr for every task run; keep them on the
    # server only (the API log handler is untouched), so printing does not skew timings.
    for name in ("prefect", "prefect.flow_runs", "prefect.task_runs"):
        logging.getLogger(name).setLevel(logging.WARNING)

    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    storage = Path(os.environ["PREFECT_RESULTS_LOCAL_STORAGE_PATH"])
    batch_size = args.batch_size or get_settings().batch_size
    source = args.csv

    def fresh_db(tag: str) -> str:
        path = workdir / f"{tag}.db"
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return str(path)

    def plain(src: str, database: str) -> dict:
        """The flow's body without Prefect: same functions, same batches, same order."""
        create_schema(database)
        rows = read_rows(src)
        checked = [check_rows(batch) for batch in batched(rows, batch_size)]
        unique = split_duplicates([order for batch in checked for order in batch.valid])
        rejects = [r for batch in checked for r in batch.rejects] + unique.rejects
        transformed = [
            [to_record(order) for order in batch] for batch in batched(unique.valid, batch_size)
        ]
        loaded = sum(upsert_orders(database, records) for records in transformed)
        optimize_warehouse.fn(database)
        upsert_rejects(database, Path(src).stem, rejects)
        if len(rows) != loaded + len(rejects):
            raise ValueError("row counts do not add up")
        return {
            "read": len(rows),
            "loaded": loaded,
            "rejected": len(rejects),
            "orders_in_table": count_rows(database, "orders"),
            "rejects_in_table": count_rows(database, "rejects"),
        }

    def run_flow(src: str, database: str, flow=example_etl) -> dict:
        shutil.rmtree(storage, ignore_errors=True)
        with contextlib.redirect_stdout(io.StringIO()):
            summary = flow(EtlParams(source=src, batch_size=batch_size, database=database))
        return {
            k: summary[k]
            for k in ("read", "loaded", "rejected", "orders_in_table", "rejects_in_table")
        }

    def nocache_flow():
        """`example_etl` with the transform task's cache policy off, nothing else changed."""
        from prefect.cache_policies import NO_CACHE

        flows_module = sys.modules[example_etl.fn.__module__]
        original = flows_module.transform_batch
        flows_module.transform_batch = original.with_options(
            cache_policy=NO_CACHE, persist_result=False
        )
        return original, flows_module

    def cache_parts(src: str, repeats: int) -> dict:
        """Per-row costs Prefect adds to the flow, each timed apart on the file's batches,
        without a flow: hashing every transform batch's inputs (its cache key function),
        persisting every transform result (a cached task's result is written to storage),
        and result tracking (after each task run, Prefect registers every element of the
        returned list, here extract's rows and transform's records, walking them with
        `visit_collection` at depth 1, as `link_state_to_result` does). The batches are
        prepared once (untimed); each part is then timed `repeats` times."""
        from prefect.results import ResultStore
        from prefect.utilities.collections import visit_collection

        rows = read_rows(src)
        checked = [check_rows(batch) for batch in batched(rows, batch_size)]
        valid = split_duplicates([order for batch in checked for order in batch.valid])
        batches = list(batched(valid.valid, batch_size))
        outputs = [[to_record(order) for order in batch] for batch in batches]
        store = ResultStore().update_for_task(transform_module.transform_batch)

        cache_key = transform_module.transform_batch.cache_policy.cache_key_fn

        def hash_inputs():
            return [cache_key(None, {"orders": batch}) for batch in batches]

        def persist():
            for number, records in enumerate(outputs):
                store.persist_result_record(store.create_result_record(records, key=f"b{number}"))

        def track():
            registry = {}

            def register(obj):
                registry[id(obj)] = obj

            for result in [rows, *outputs]:
                visit_collection(expr=result, visit_fn=register, max_depth=1)
            return len(registry)

        result: dict = {"hash_s": [], "persist_s": [], "track_s": [], "rows": len(rows)}
        for _ in range(repeats):
            shutil.rmtree(storage, ignore_errors=True)
            result["hash_s"].append(_timed(hash_inputs)[0])
            result["persist_s"].append(_timed(persist)[0])
            result["track_s"].append(_timed(track)[0])
        result["persisted_bytes"] = sum(p.stat().st_size for p in storage.rglob("*") if p.is_file())
        shutil.rmtree(storage, ignore_errors=True)
        return result

    variants = [v for v in args.variants.split(",") if v]
    out: dict = {"batch_size": batch_size, "csv": source, "runs": {v: [] for v in variants}}

    # Warm-up (untimed): imports, API client, first SQLite connections.
    if any(v.startswith("flow") or v == "plain" for v in variants):
        plain("sample", fresh_db("warm-plain"))
        run_flow("sample", fresh_db("warm-flow"))

    if "cache-parts" in variants:
        out["cache_parts"] = cache_parts(source, args.repeats)
        variants.remove("cache-parts")
        del out["runs"]["cache-parts"]

    summaries: dict[str, dict] = {}
    for repeat in range(args.repeats if variants else 0):
        order = variants if repeat % 2 == 0 else list(reversed(variants))
        for variant in order:
            if variant == "plain":
                seconds, summary = _timed(lambda: plain(source, fresh_db("plain")))
            elif variant == "flow":
                seconds, summary = _timed(lambda: run_flow(source, fresh_db("flow")))
            elif variant == "flow-subflow":
                from prefect import flow as as_flow

                flows_module = sys.modules[example_etl.fn.__module__]
                original = flows_module.reconcile
                flows_module.reconcile = as_flow(name="reconcile")(original.fn)
                try:
                    seconds, summary = _timed(lambda: run_flow(source, fresh_db("subflow")))
                finally:
                    flows_module.reconcile = original
            elif variant == "flow-noheartbeat":
                import prefect.settings

                with prefect.settings.temporary_settings(
                    updates={prefect.settings.PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
                ):
                    seconds, summary = _timed(lambda: run_flow(source, fresh_db("nohb")))
            elif variant == "flow-nocache":
                original, flows_module = nocache_flow()
                try:
                    seconds, summary = _timed(lambda: run_flow(source, fresh_db("nocache")))
                finally:
                    flows_module.transform_batch = original
            else:
                raise SystemExit(f"unknown variant {variant!r}")
            out["runs"][variant].append(seconds)
            summaries[variant] = summary

    # Every variant must have done the same work.
    distinct = {json.dumps(s, sort_keys=True) for s in summaries.values()}
    out["summary"] = next(iter(summaries.values())) if summaries else None
    out["same_result"] = len(distinct) <= 1
    print(json.dumps(out))
    return 0 if out["same_result"] else 1


if __name__ == "__main__":
    sys.exit(main())
