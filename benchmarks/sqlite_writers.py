"""One-off: batches written into one SQLite file by several threads at once, timed.

    cd <a rendered project> && PYTHONPATH=<template> uv run python -m benchmarks.sqlite_writers \
        [--rows 1000000] [--batch 50000] [--repeats 5]

The flow's loads are mapped tasks: on the thread-pool runner their batches reach the
warehouse together. Prints the median seconds (and the range) of three ways to write the
same batches into a fresh file, interleaved:
- `project`: one thread per batch calling `etl.warehouse.upsert_orders` (what the flow does);
- `threads, no lock`: one thread per batch, each its own `sqlite3` connection and
  transaction, waiting for the file's lock with SQLite's busy timeout (what the project
  did before its writers took turns on a lock);
- `one after another`: the same `sqlite3` writes from one thread.
What chose the warehouse's SQLite writer lock; not part of `run.py`.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from etl.target import Target  # noqa: E402
from etl.warehouse import ORDER_COLUMNS, _upsert, create_schema, upsert_orders  # noqa: E402

from benchmarks.order_rows import rows  # noqa: E402


def raw_write(path: str, sql: str, batch: list) -> None:
    connection = sqlite3.connect(path, timeout=30)  # as the project's engine connects
    with connection:
        connection.executemany(sql, batch)
    connection.close()


def in_threads(write: Callable[[list], None], batches: list[list]) -> None:
    threads = [threading.Thread(target=write, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def timed(way: str, batches: list[list], folder: Path, run: int) -> float:
    path = folder / f"{way.replace(' ', '-').replace(',', '')}-{run}.db"
    create_schema(Target.of(path))
    sql = _upsert(Target.of(path), "orders", ORDER_COLUMNS)
    started = time.perf_counter()
    if way == "project":
        in_threads(lambda batch: upsert_orders(Target.of(path), batch), batches)
    elif way == "threads, no lock":
        in_threads(lambda batch: raw_write(str(path), sql, batch), batches)
    else:
        for batch in batches:
            raw_write(str(path), sql, batch)
    seconds = time.perf_counter() - started
    with sqlite3.connect(path) as check:
        written = check.execute("SELECT count(*) FROM orders").fetchone()[0]
    assert written == sum(map(len, batches)), (way, written)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    data = rows(args.rows)
    batches = [data[i : i + args.batch] for i in range(0, len(data), args.batch)]
    ways = ("project", "threads, no lock", "one after another")
    times: dict[str, list[float]] = {way: [] for way in ways}
    with tempfile.TemporaryDirectory() as scratch:
        for way in ways:  # untimed warm-up
            timed(way, batches, Path(scratch), -1)
        for run in range(args.repeats):
            for way in ways:
                times[way].append(timed(way, batches, Path(scratch), run))
    print(f"{args.rows:,} rows in {len(batches)} batches of {args.batch:,}, {os.cpu_count()} cores")
    for way in ways:
        median = statistics.median(times[way])
        print(f"  {way:<18} {median:6.2f} s  ({min(times[way]):.2f} to {max(times[way]):.2f})")


if __name__ == "__main__":
    main()
