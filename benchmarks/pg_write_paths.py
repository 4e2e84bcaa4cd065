"""One-off: the ways to upsert a batch into PostgreSQL, timed on 100,000 rows.

    cd <a rendered project> && PYTHONPATH=<template> python -m benchmarks.pg_write_paths \
        postgresql://user:password@host:5432/db

Prints each path's seconds for two runs into an empty table and two over existing rows:
`project` (whatever `etl.warehouse.upsert_orders` does now), `copy` (COPY into a staging
table, one INSERT ... SELECT ... ON CONFLICT), `copy-binary` (the same, binary COPY),
`unnest` (one INSERT ... SELECT FROM unnest(arrays)) and `pipeline` (psycopg's
executemany, which runs in pipeline mode). What chose the warehouse's PostgreSQL path
and the benchmark's fastest loader; not part of `run.py`.
"""

from __future__ import annotations

import sys
import time

import psycopg
from etl.target import Target  # noqa: E402
from etl.warehouse import ORDER_COLUMNS, create_schema, upsert_orders  # noqa: E402

from benchmarks.order_rows import rows  # noqa: E402

COLUMNS = ", ".join(ORDER_COLUMNS)
UPDATE = ", ".join(f"{c} = EXCLUDED.{c}" for c in ORDER_COLUMNS[1:])
UPSERT = f"ON CONFLICT (order_id) DO UPDATE SET {UPDATE}"
TYPES = ("bigint", "text", "text", "integer", "bigint", "bigint", "text", "text")


def copy_path(dsn: str, batch: list, binary: bool = False) -> None:
    with psycopg.connect(dsn) as connection, connection.transaction():
        connection.execute("CREATE TEMP TABLE stage (LIKE orders) ON COMMIT DROP")
        options = " (FORMAT BINARY)" if binary else ""
        with connection.cursor().copy(f"COPY stage ({COLUMNS}) FROM STDIN{options}") as copy:
            if binary:
                copy.set_types(["int8", "text", "text", "int4", "int8", "int8", "text", "text"])
            for row in batch:
                copy.write_row(row)
        connection.execute(f"INSERT INTO orders ({COLUMNS}) SELECT {COLUMNS} FROM stage {UPSERT}")


def unnest_path(dsn: str, batch: list) -> None:
    arrays = [list(column) for column in zip(*batch, strict=True)]
    select = ", ".join(f"%s::{t}[]" for t in TYPES)
    with psycopg.connect(dsn) as connection, connection.transaction():
        connection.execute(
            f"INSERT INTO orders ({COLUMNS}) SELECT * FROM unnest({select}) {UPSERT}", arrays
        )


def pipeline_path(dsn: str, batch: list) -> None:
    marks = ", ".join(["%s"] * len(ORDER_COLUMNS))
    with psycopg.connect(dsn) as connection, connection.transaction():
        connection.cursor().executemany(
            f"INSERT INTO orders ({COLUMNS}) VALUES ({marks}) {UPSERT}", batch
        )


def main() -> None:
    dsn = sys.argv[1]
    url = dsn.replace("postgresql://", "postgresql+psycopg://", 1)
    batch = rows(100_000)
    create_schema(Target.of(url))
    paths = {
        "project": lambda b: upsert_orders(Target.of(url), b),
        "copy": lambda b: copy_path(dsn, b),
        "copy-binary": lambda b: copy_path(dsn, b, binary=True),
        "unnest": lambda b: unnest_path(dsn, b),
        "pipeline": lambda b: pipeline_path(dsn, b),
    }
    for name, path in paths.items():
        times = []
        for empty in (True, True, False, False):
            if empty:
                with psycopg.connect(dsn) as connection:
                    connection.execute("TRUNCATE orders")
            start = time.perf_counter()
            path(batch)
            times.append(time.perf_counter() - start)
        print(name, " ".join(f"{t:.2f}" for t in times), flush=True)


if __name__ == "__main__":
    main()
