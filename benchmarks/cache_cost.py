"""Would a cache pay for the transform step? Its key and its persisted result, per row.

Run with a rendered project as the working directory and its environment (the numbers
behind `transform_batch`'s `NO_CACHE`, see `etl/tasks/transform.py`):

    cd <project> && PYTHONPATH=<template> uv run python -m benchmarks.cache_cost [--rows 50000]

Prints microseconds per row (best of five) for: the transform itself (`to_record`),
hashing the batch's values for a cache key as the template's former key did (JSON with
`default=str`, SHA-256), and pickling the result as Prefect's result store would
(`PickleSerializer`, before it wraps the bytes in a JSON record and writes the file).
A cache pays only when the step costs clearly more than the last two together.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.orders import write_orders


def best_us_per_row(work: Callable[[], object], rows: int, repeats: int = 5) -> float:
    """The fastest of `repeats` timings of `work`, in microseconds per row."""
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        timings.append(time.perf_counter() - start)
    return min(timings) / rows * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()

    from etl.tasks.extract import read_rows
    from etl.tasks.transform import to_record
    from etl.tasks.validate import check_rows
    from etl.utils.batch import Batch
    from prefect.serializers import PickleSerializer

    with tempfile.TemporaryDirectory() as folder:
        source = write_orders(Path(folder) / "orders.csv", args.rows)
        orders = check_rows(read_rows(str(source))).valid
    n = len(orders)
    batch = Batch([to_record(order) for order in orders])

    def key() -> str:
        return hashlib.sha256(json.dumps(orders, default=str).encode()).hexdigest()

    parts = {
        "transform (to_record)": lambda: [to_record(order) for order in orders],
        "cache key: hash the batch's values": key,
        "persist: pickle the result (PickleSerializer)": lambda: PickleSerializer().dumps(batch),
    }
    print(f"{n:,} valid orders, best of 5, us per row")
    for name, work in parts.items():
        print(f"  {name:48s} {best_us_per_row(work, n):6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
