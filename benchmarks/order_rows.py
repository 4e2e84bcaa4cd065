"""Synthetic `orders` rows for the one-off warehouse write benchmarks, run in a rendered project.

`pg_write_paths.py` and `sqlite_writers.py` time writes of the same rows: one generator.
"""

from __future__ import annotations

from etl.warehouse import OrderRow  # noqa: E402


def rows(n: int) -> list[OrderRow]:
    """`n` distinct orders, ids 1..n."""
    return [
        OrderRow(
            i, f"c{i % 977}", "DE", i % 9 + 1, 1999, 1999 * (i % 9 + 1), "2024-03-05", "2024-03"
        )
        for i in range(1, n + 1)
    ]
