"""`Batch`: the rows one task hands to the next, as a single value.

After every task run Prefect records which task produced each value it returned, so that
passing the value on to another task links the two runs. For a returned list it records
every element: a few microseconds per row, paid again by every task that returns rows
(about 2 s per 200,000 rows in the template's benchmarks, more than the transform
itself). A `Batch` is one value to that bookkeeping, whatever its size.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Batch:
    """Rows travelling between tasks as one value: read `.rows`, or iterate it."""

    rows: list[dict]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)
