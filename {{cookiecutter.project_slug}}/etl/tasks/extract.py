"""Extract: read source rows as plain strings, each with its line in the source.

Reading is the step that meets flaky storage and networks, so it retries with
exponential backoff. It does not judge the rows: validation does that next, so a bad row
is rejected with a reason instead of failing the whole read.
"""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

from prefect import task
from prefect.tasks import exponential_backoff

from etl.records import SourceRow
from etl.utils.batch import Batch

SAMPLE_SOURCE = "sample"
"""The name of the CSV shipped inside the package, so the example runs anywhere."""


def resolve_source(source: str) -> Path:
    """The file behind a source name: `sample` for the shipped CSV, else a path."""
    if source == SAMPLE_SOURCE:
        return Path(str(resources.files("etl") / "data" / "orders.csv"))
    path = Path(source).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"source {source!r} is not a file; pass 'sample' or a CSV path")
    return path


def read_rows(source: str) -> list[SourceRow]:
    """All rows of a CSV source: each row's fields (as read) beside its line number."""
    with resolve_source(source).open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return [SourceRow(reader.line_num, row) for row in reader]


@task(
    retries=3,
    retry_delay_seconds=exponential_backoff(backoff_factor=2),
    retry_jitter_factor=0.5,
)
def extract(source: str) -> Batch:
    """Read the source (I/O: retried with exponential backoff)."""
    rows = read_rows(source)
    print(f"extracted {len(rows)} rows from {source}")
    return Batch(rows)
