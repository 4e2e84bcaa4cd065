"""Time the example ETL as a Prefect flow and as plain Python, in one process.

Run by `benchmarks/run.py` with the rendered project as the working directory and
PREFECT_API_URL pointing at a server that is already up. Prints one JSON object.

    python etl_driver.py --csv orders.csv --workdir DIR [--repeats 5] [--batch-size N]
        [--variants fastest,plain,flow,flow-subflow,flow-noheartbeat]
        [--warehouse-url postgresql+psycopg://user:password@host:port/db] [--gc-off]

The warehouse is a fresh SQLite file per run, or, with `--warehouse-url`, the PostgreSQL
database it names, its `orders` and `rejects` tables dropped before every run.

`fastest` is the baseline the flow is judged against: the fastest plain-Python loader
written for each database. The same per-row work (the project's `read_rows`,
`check_rows`, `split_duplicates`, `to_record`: the same rows, the same rejects), then the
whole file written in one transaction with each database's fastest bulk path: SQLite,
plain `sqlite3` `executemany` of the upsert; PostgreSQL, psycopg `COPY` into a staging
table and one `INSERT ... SELECT ... ON CONFLICT DO UPDATE` (faster here than psycopg's
pipeline-mode `executemany`: 0.4 against 0.9 to 1.2 s per 100,000 rows, measured).

Both sides do the same work on the same file: read the CSV, validate each row, drop
duplicates, transform, upsert in batches of `batch_size` rows (one transaction each),
record the rejects, count both tables. `plain` calls the project's own plain functions
(read_rows, check_rows, split_duplicates, to_record, create_schema, upsert_orders,
upsert_rejects, count_rows, and the clean-up task's own function); `flow` calls the
`example_etl` flow. Every run writes a fresh SQLite file, and the result storage is
emptied before each flow run (the flow's tasks cache nothing: every run does all the
work). One untimed warm-up of each side on the shipped sample comes first, so imports
and first connections are not timed. Variants run interleaved (plain, flow, flow,
plain, ...) so drift in machine load hits both sides alike.

Extra variants, to take the flow apart:
- `flow-subflow`: the same flow with its `reconcile` task turned into a subflow (the same
  function under `@flow`): its difference to `flow` is what one subflow call costs.
- `flow-noheartbeat`: the same flow with Prefect's flow-run heartbeat off (diagnostic
  only: a deployed run needs heartbeats to be detected as crashed). The heartbeat thread
  sleeps in one-second steps and the engine joins it when the run ends, so every run
  takes a whole number of seconds, plus the time after the join: the difference to `flow`
  is what that rounding up costs.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import logging
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace


def _timed(fn):
    if gc.isenabled():
        gc.collect()
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


SUMMARY_KEYS = ("read", "loaded", "rejected", "orders_in_table", "rejects_in_table")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--csv", required=True)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--variants", default="plain,flow")
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--warehouse-url", default=None, help="PostgreSQL; default: SQLite")
    parser.add_argument("--gc-off", action="store_true", help="diagnostic: no cyclic GC")
    return parser.parse_args()


def load_project() -> SimpleNamespace:
    """The rendered project's own functions, from its `etl` package in the working
    directory."""
    from etl.flows.example_etl import EtlParams, example_etl
    from etl.target import Target
    from etl.tasks.extract import read_rows
    from etl.tasks.load import optimize_warehouse
    from etl.tasks.transform import to_record
    from etl.tasks.validate import check_rows, split_duplicates
    from etl.utils.batch import batched
    from etl.utils.settings import get_settings
    from etl.warehouse import count_rows, create_schema, dispose, upsert_orders, upsert_rejects

    return SimpleNamespace(
        EtlParams=EtlParams,
        example_etl=example_etl,
        flows_module=sys.modules[example_etl.fn.__module__],
        read_rows=read_rows,
        optimize_warehouse=optimize_warehouse,
        to_record=to_record,
        check_rows=check_rows,
        split_duplicates=split_duplicates,
        batched=batched,
        get_settings=get_settings,
        Target=Target,
        count_rows=count_rows,
        create_schema=create_schema,
        dispose=dispose,
        upsert_orders=upsert_orders,
        upsert_rejects=upsert_rejects,
    )


def quiet_prefect_logs() -> None:
    """The flow's own log lines would go to stderr for every task run; keep them on the
    server only (the API log handler is untouched), so printing does not skew timings."""
    for name in ("prefect", "prefect.flow_runs", "prefect.task_runs"):
        logging.getLogger(name).setLevel(logging.WARNING)


@contextlib.contextmanager
def replaced_in_flow(etl: SimpleNamespace, name: str, replacement) -> Iterator[None]:
    """The flow module's `name` (a task the flow calls) replaced while the block runs."""
    original = getattr(etl.flows_module, name)
    setattr(etl.flows_module, name, replacement(original))
    try:
        yield
    finally:
        setattr(etl.flows_module, name, original)


class Driver:
    """Runs the ETL on one project: plain, as the flow, and the flow's variants."""

    def __init__(
        self, etl: SimpleNamespace, workdir: Path, storage: Path, batch_size: int, url=None
    ):
        self.etl = etl
        self.workdir = workdir
        self.storage = storage
        self.batch_size = batch_size
        self.url = url

    def fresh_db(self, tag: str) -> str:
        if self.url:
            from sqlalchemy import create_engine

            engine = create_engine(self.url)
            with engine.begin() as connection:
                connection.exec_driver_sql("DROP TABLE IF EXISTS orders, rejects")
            engine.dispose()
            self.etl.dispose(self.etl.Target.of(self.url))
            return self.url
        path = self.workdir / f"{tag}.db"
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return str(path)

    def plain(self, src: str, database: str) -> dict:
        target = self.etl.Target.of(database)
        """The flow's body without Prefect: same functions, same batches, same order."""
        etl, batch_size = self.etl, self.batch_size
        etl.create_schema(target)
        rows = etl.read_rows(src)
        checked = [etl.check_rows(batch) for batch in etl.batched(rows, batch_size)]
        unique = etl.split_duplicates([order for batch in checked for order in batch.valid])
        rejects = [r for batch in checked for r in batch.rejects] + unique.rejects
        transformed = [
            [etl.to_record(order) for order in batch]
            for batch in etl.batched(unique.valid, batch_size)
        ]
        loaded = sum(etl.upsert_orders(target, records) for records in transformed)
        etl.optimize_warehouse.fn(target)
        etl.upsert_rejects(target, Path(src).stem, rejects)
        if len(rows) != loaded + len(rejects):
            raise ValueError("row counts do not add up")
        return {
            "read": len(rows),
            "loaded": loaded,
            "rejected": len(rejects),
            "orders_in_table": etl.count_rows(target, "orders"),
            "rejects_in_table": etl.count_rows(target, "rejects"),
        }

    def fastest(self, src: str, database: str) -> dict:
        target = self.etl.Target.of(database)
        """The fastest plain loader: the same per-row work, then one bulk write of the
        whole file in one transaction (see the module's docstring)."""
        etl = self.etl
        etl.create_schema(target)
        rows = etl.read_rows(src)
        checked = etl.check_rows(rows)
        unique = etl.split_duplicates(checked.valid)
        rejects = checked.rejects + unique.rejects
        records = [etl.to_record(order) for order in unique.valid]
        label = Path(src).stem
        reject_rows = [(label, *reject) for reject in rejects]
        write = fast_postgres if self.url else fast_sqlite
        write(database, records, reject_rows)
        if len(rows) != len(records) + len(rejects):
            raise ValueError("row counts do not add up")
        return {
            "read": len(rows),
            "loaded": len(records),
            "rejected": len(rejects),
            "orders_in_table": etl.count_rows(target, "orders"),
            "rejects_in_table": etl.count_rows(target, "rejects"),
        }

    def run_flow(self, src: str, database: str) -> dict:
        """`example_etl` on `src`, with the result storage emptied first."""
        shutil.rmtree(self.storage, ignore_errors=True)
        params = self.etl.EtlParams(source=src, batch_size=self.batch_size, database=database)
        with contextlib.redirect_stdout(io.StringIO()):
            summary = self.etl.example_etl(params)
        return {k: summary[k] for k in SUMMARY_KEYS}

    def warm_up(self) -> None:
        """Untimed: imports, API client, first SQLite connections."""
        self.plain("sample", self.fresh_db("warm-plain"))
        self.fastest("sample", self.fresh_db("warm-fastest"))
        self.run_flow("sample", self.fresh_db("warm-flow"))

    def timed_variant(self, variant: str, source: str) -> tuple[float, dict]:
        """One timed run of `variant` on `source`: (seconds, summary)."""
        if variant == "plain":
            return _timed(lambda: self.plain(source, self.fresh_db("plain")))
        if variant == "fastest":
            return _timed(lambda: self.fastest(source, self.fresh_db("fastest")))
        if variant == "flow":
            return _timed(lambda: self.run_flow(source, self.fresh_db("flow")))
        if variant == "flow-subflow":
            return self.timed_subflow(source)
        if variant == "flow-noheartbeat":
            return self.timed_noheartbeat(source)
        raise SystemExit(f"unknown variant {variant!r}")

    def timed_subflow(self, source: str) -> tuple[float, dict]:
        """The flow with its `reconcile` task turned into a subflow (same function)."""
        from prefect import flow as as_flow

        with replaced_in_flow(self.etl, "reconcile", lambda t: as_flow(name="reconcile")(t.fn)):
            return _timed(lambda: self.run_flow(source, self.fresh_db("subflow")))

    def timed_noheartbeat(self, source: str) -> tuple[float, dict]:
        """The flow with Prefect's flow-run heartbeat off."""
        import prefect.settings

        with prefect.settings.temporary_settings(
            updates={prefect.settings.PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
        ):
            return _timed(lambda: self.run_flow(source, self.fresh_db("nohb")))


ORDER_COLUMNS = (
    "order_id, customer, country, quantity, unit_price_cents, total_cents, ordered_at, order_month"
)
REJECT_COLUMNS = "source, line, reason, raw"
UPDATES = {
    "orders": ("order_id", ORDER_COLUMNS),
    "rejects": ("source, line", REJECT_COLUMNS),
}


def _set_clause(keys: str, columns: str) -> str:
    key_set = set(keys.split(", "))
    rest = [c for c in columns.split(", ") if c not in key_set]
    return ", ".join(f"{c} = excluded.{c}" for c in rest)


def fast_sqlite(path: str, records: list, rejects: list) -> None:
    """Plain `sqlite3`: one transaction, `executemany` of each table's upsert."""
    import sqlite3

    connection = sqlite3.connect(path)
    try:
        with connection:
            for table, rows in (("orders", records), ("rejects", rejects)):
                keys, columns = UPDATES[table]
                marks = ", ".join("?" * len(columns.split(", ")))
                connection.executemany(
                    f"INSERT INTO {table} ({columns}) VALUES ({marks}) "
                    f"ON CONFLICT ({keys}) DO UPDATE SET {_set_clause(keys, columns)}",
                    rows,
                )
    finally:
        connection.close()


def fast_postgres(url: str, records: list, rejects: list) -> None:
    """Plain psycopg: one transaction; per table, COPY into a temporary staging table and
    one `INSERT ... SELECT ... ON CONFLICT DO UPDATE` from it."""
    import psycopg
    from sqlalchemy.engine import make_url

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as connection, connection.transaction():
        for table, rows in (("orders", records), ("rejects", rejects)):
            keys, columns = UPDATES[table]
            stage = f"stage_{table}"
            connection.execute(f"CREATE TEMPORARY TABLE {stage} (LIKE {table}) ON COMMIT DROP")
            with connection.cursor().copy(f"COPY {stage} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            connection.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {stage} "
                f"ON CONFLICT ({keys}) DO UPDATE SET {_set_clause(keys, columns)}"
            )


def run_interleaved(driver: Driver, variants: list[str], source: str, repeats: int, out: dict):
    """`repeats` rounds of every variant, in alternating order (plain, flow, flow, plain,
    ...), each run's seconds appended to `out["runs"]`; the last summary of each variant."""
    summaries: dict[str, dict] = {}
    for repeat in range(repeats if variants else 0):
        order = variants if repeat % 2 == 0 else list(reversed(variants))
        for variant in order:
            seconds, summary = driver.timed_variant(variant, source)
            out["runs"][variant].append(seconds)
            summaries[variant] = summary
    return summaries


def main() -> int:
    args = parse_args()
    if args.gc_off:
        gc.disable()
    etl = load_project()
    quiet_prefect_logs()

    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    storage = Path(os.environ["PREFECT_RESULTS_LOCAL_STORAGE_PATH"])
    batch_size = args.batch_size or etl.get_settings().batch_size
    driver = Driver(etl, workdir, storage, batch_size, args.warehouse_url)
    source = args.csv

    variants = [v for v in args.variants.split(",") if v]
    out: dict = {"batch_size": driver.batch_size, "csv": source, "runs": {v: [] for v in variants}}
    if variants:
        driver.warm_up()

    summaries = run_interleaved(driver, variants, source, args.repeats, out)
    # Every variant must have done the same work.
    distinct = {json.dumps(s, sort_keys=True) for s in summaries.values()}
    out["summary"] = next(iter(summaries.values())) if summaries else None
    out["same_result"] = len(distinct) <= 1
    print(json.dumps(out))
    return 0 if out["same_result"] else 1


if __name__ == "__main__":
    sys.exit(main())
