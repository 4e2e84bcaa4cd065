"""How rows travel between tasks: cut with `batched`, in as `opaque_data`, out as a `Batch`.

Prefect walks every task argument looking for futures, element by element, unless it is
wrapped (`opaque_data`); and after every task run it records which run produced each
element of a returned list, so that passing one on links the two runs. For batches of rows
each costs a few microseconds per row, more than the work itself (in the template's
benchmarks, result tracking alone took about 2 s per 200,000 rows). Wrapped going in and
returned as one `Batch`, a batch is one value to both, whatever its size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from prefect.utilities.annotations import opaque


@dataclass(frozen=True)
class Batch:
    """Rows travelling between tasks as one value: read `.rows`, or iterate it."""

    rows: list

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __reduce__(self):
        """Pickle rows of one named-tuple type as plain tuples, and their type once.

        Pickle (Prefect's persisted results, Dask's transfers) writes plain tuples in C,
        but calls back into Python for every named tuple: about 1.5 µs more per row.
        """
        rows = self.rows
        row_type = type(rows[0]) if rows else tuple
        if row_type is tuple or not issubclass(row_type, tuple):
            return (Batch, (rows,))
        if any(type(row) is not row_type for row in rows):
            return (Batch, (rows,))
        return (_named_rows, (row_type, [tuple(row) for row in rows]))


def _named_rows(row_type: type, rows: list[tuple]) -> Batch:
    """A `Batch` back from pickled plain tuples (see `Batch.__reduce__`)."""
    return Batch([tuple.__new__(row_type, row) for row in rows])


class opaque_data(opaque):
    """A task argument that is plain data: Prefect hands it over as it is instead of walking
    every row of it looking for futures, which costs more than the task's own work on the
    row. Unlike `opaque`, it survives pickling (Prefect's annotations unpickle wrapped twice),
    so Dask workers get their batch too."""

    def __getnewargs__(self):
        return (self.unwrap(),)


def batched(items: list, size: int) -> Iterator[list]:
    """Consecutive slices of `size` items (the last may be shorter)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
