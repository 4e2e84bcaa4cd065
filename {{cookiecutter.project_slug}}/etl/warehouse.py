"""The warehouse: its tables, its connection, and every statement run against it.

Tasks and flows name a warehouse by its `database` path (from `settings.warehouse_path`)
and call the functions here; none of them sees a connection, a cursor or SQL. So this is
the one module that knows the warehouse is SQLite, and moving to another engine (say
SQLAlchemy, for SQLite and PostgreSQL through one code path) changes this file only.

Writes are idempotent and atomic: each batch is one transaction (committed whole or
rolled back whole) with an upsert keyed on the natural key, so a crash mid-load leaves
whole batches only, and a rerun converges on the same table instead of duplicating rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from etl.records import Reject


class OrderRow(NamedTuple):
    """One row of the `orders` table, its fields in column order."""

    order_id: int
    customer: str
    country: str
    quantity: int
    unit_price_cents: int
    total_cents: int
    ordered_at: str
    order_month: str


ORDER_COLUMNS = OrderRow._fields

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    order_id INTEGER PRIMARY KEY,
    customer TEXT NOT NULL,
    country TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    unit_price_cents INTEGER NOT NULL,
    total_cents INTEGER NOT NULL,
    ordered_at TEXT NOT NULL,
    order_month TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rejects (
    source TEXT NOT NULL,
    line INTEGER NOT NULL,
    reason TEXT NOT NULL,
    raw TEXT NOT NULL,
    PRIMARY KEY (source, line)
);
"""

TABLES = ("orders", "rejects")

# Positional parameters: rows go in as the tuples they are, without a dict per row.
UPSERT_ORDER = (
    f"INSERT INTO orders ({', '.join(ORDER_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in ORDER_COLUMNS)}) "
    "ON CONFLICT(order_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in ORDER_COLUMNS[1:])
)

UPSERT_REJECT = (
    "INSERT INTO rejects (line, reason, raw, source) VALUES (?, ?, ?, ?) "
    "ON CONFLICT(source, line) DO UPDATE SET reason = excluded.reason, raw = excluded.raw"
)


@contextmanager
def connect(database: Path | str) -> Iterator[sqlite3.Connection]:
    """A connection whose `with` block is one transaction: committed whole or rolled back."""
    path = Path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=30)
    try:
        with connection:
            yield connection
    finally:
        connection.close()


def create_schema(database: Path | str) -> None:
    """Create the tables if they are missing (safe to call on every run)."""
    with connect(database) as connection:
        connection.executescript(SCHEMA)


def upsert_orders(database: Path | str, rows: Sequence[OrderRow]) -> int:
    """Upsert one batch in a single transaction; returns the number of rows written."""
    with connect(database) as connection:
        connection.executemany(UPSERT_ORDER, rows)
    return len(rows)


def upsert_rejects(database: Path | str, source: str, rejects: Sequence[Reject]) -> int:
    """Record rejects with their reason; keyed on (source, line) so reruns do not repeat them."""
    with connect(database) as connection:
        connection.executemany(UPSERT_REJECT, [(*reject, source) for reject in rejects])
    return len(rejects)


def count_rows(database: Path | str, table: str) -> int:
    """Rows in one of the warehouse tables."""
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}")
    with connect(database) as connection:
        return connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def optimize(database: Path | str) -> None:
    """Let the database refresh its query statistics (after a load)."""
    with connect(database) as connection:
        connection.execute("PRAGMA optimize")


def order_months(database: Path | str) -> list[str]:
    """The months (`YYYY-MM`) that have orders, oldest first."""
    with connect(database) as connection:
        rows = connection.execute("SELECT DISTINCT order_month FROM orders ORDER BY order_month")
        return [month for (month,) in rows]


def month_summary(database: Path | str, month: str) -> tuple[int, int]:
    """One month's order count and revenue in cents."""
    with connect(database) as connection:
        orders, cents = connection.execute(
            "SELECT COUNT(*), COALESCE(SUM(total_cents), 0) FROM orders WHERE order_month = ?",
            (month,),
        ).fetchone()
    return orders, cents
