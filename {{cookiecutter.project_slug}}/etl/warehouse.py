"""The warehouse: its tables, its connection, and every statement run against it.

Tasks and flows name a warehouse by its `Target` (`etl.target`: resolved once per run,
a SQLite file or a SQLAlchemy URL such as `postgresql+psycopg://...`) and call the
functions here; none of them sees a connection, a cursor or SQL. SQLite and PostgreSQL
share one code path through SQLAlchemy: the tables are `METADATA`, the upserts the
dialect's own `INSERT ... ON CONFLICT DO UPDATE`.

Writes are idempotent and atomic: each batch is one transaction (committed whole or
rolled back whole) with an upsert keyed on the natural key, so a crash mid-load leaves
whole batches only, and a rerun converges on the same table instead of duplicating rows.

Speed: the write path has one branch per dialect, behind the same functions and with the
same guarantees (upsert on the natural key, one transaction per batch, a refused row
fails its whole batch with SQLAlchemy's exception, e.g. `IntegrityError`):
- SQLite: the DBAPI's `executemany` of the row tuples against the upsert statement
  compiled once (no dict and no ORM object per row): what a plain `sqlite3` loop does,
  and the fastest way into SQLite. Batches loading at once in one process take turns on
  a lock of this module: SQLite lets one writer in at a time, and its own wait for the
  file's lock polls in sleeps of up to 100 ms, which left the file idle between batches
  (a million rows in 20 batches from 20 threads at once: 3.6 s without the lock, 2.1 s
  through it, as fast as one after another; the template's `benchmarks/sqlite_writers.py`).
- PostgreSQL: `COPY` of the tuples into a temporary staging table (dropped at commit),
  then one `INSERT ... SELECT ... ON CONFLICT DO UPDATE` from it, in the same
  transaction. Row-by-row `executemany` (even in psycopg's pipeline mode) costs a
  statement execution per row on the server: about 1.1 s per 100,000 rows here, against
  0.4 s for COPY and one upsert (measured). Where a batch holds the same key twice, the
  last row wins, as it would row by row (`DISTINCT ON` in COPY order).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Integer,
    MetaData,
    Table,
    Text,
    create_engine,
    func,
    select,
)
from sqlalchemy import column as column_clause
from sqlalchemy import table as table_clause
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import NullPool

from etl.records import Reject
from etl.target import Target
from etl.utils.settings import ConfigurationError

# How this project gets the PostgreSQL driver (psycopg), named when it is missing.
POSTGRES_DRIVER = "{{ plan.postgres_driver }}"


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
REJECT_COLUMNS = ("source", "line", "reason", "raw")  # the source, then a Reject's fields

# Amounts in cents exceed 32 bits; ids are 64-bit on PostgreSQL. On SQLite an INTEGER
# primary key is the row id itself (the fastest key), so it stays INTEGER there.
ID = BigInteger().with_variant(Integer(), "sqlite")

METADATA = MetaData()
ORDERS = Table(
    "orders",
    METADATA,
    Column("order_id", ID, primary_key=True, autoincrement=False),
    Column("customer", Text, nullable=False),
    Column("country", Text, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_cents", BigInteger, nullable=False),
    Column("total_cents", BigInteger, nullable=False),
    Column("ordered_at", Text, nullable=False),
    Column("order_month", Text, nullable=False),
)
REJECTS = Table(
    "rejects",
    METADATA,
    Column("source", Text, primary_key=True),
    Column("line", Integer, primary_key=True, autoincrement=False),
    Column("reason", Text, nullable=False),
    Column("raw", Text, nullable=False),
)
TABLES = {table.name: table for table in (ORDERS, REJECTS)}
INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


@functools.lru_cache(maxsize=16)
def _engine(target: Target) -> Engine:
    url = target.url
    if target.file is not None:
        target.file.parent.mkdir(parents=True, exist_ok=True)  # SQLite makes the file only
        # A connection per call, as sqlite3.connect was: nothing holds the file between
        # tasks, and another process's writer waits up to 30 s for the lock.
        return create_engine(url, poolclass=NullPool, connect_args={"timeout": 30})
    try:
        # Positional parameters (`%s`): rows go to the driver as the tuples they are.
        return create_engine(url, paramstyle="format", pool_pre_ping=True)
    except ModuleNotFoundError as error:
        hint = POSTGRES_DRIVER if error.name == "psycopg" else f"uv add {error.name}"
        raise ConfigurationError(
            f"warehouse {target}: its driver {error.name!r} is not installed; "
            f"install it with `{hint}`"
        ) from None


@functools.cache  # never evicted: a file with two locks would have its writers poll again
def _sqlite_writer(target: Target) -> threading.Lock:
    """One lock per SQLite file: this process's writers queue on it, and the next one
    starts the moment the last commits (see the module's docstring)."""
    return threading.Lock()


def engine(target: Target) -> Engine:
    """The (cached) SQLAlchemy engine of a warehouse."""
    return _engine(target)


def check(target: Target) -> None:
    """Connect once, so a wrong warehouse fails with one line before a run starts."""
    try:
        with engine(target).connect():
            pass
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0]  # the driver's words, no password
        raise ConfigurationError(
            f"warehouse {target}: cannot connect: {reason} "
            "(check ETL_WAREHOUSE_URL, or the warehouse block, and that the server runs)"
        ) from None


def dispose(target: Target) -> None:
    """Close the pooled connections to a warehouse (tests dropping their database)."""
    engine(target).dispose()


@functools.lru_cache(maxsize=32)
def _upsert(target: Target, table_name: str, columns: tuple[str, ...]) -> str:
    """The dialect's `INSERT ... ON CONFLICT DO UPDATE` for `columns`, compiled once."""
    dialect = _engine(target).dialect
    table = TABLES[table_name]
    keys = [column.name for column in table.primary_key]
    statement = INSERTS[dialect.name](table).values({c: None for c in columns})
    statement = statement.on_conflict_do_update(
        index_elements=keys,
        set_={c: statement.excluded[c] for c in columns if c not in keys},
    )
    compiled = statement.compile(dialect=dialect)
    # The parameters are positional: they must come in the order of the row tuples.
    if tuple(compiled.positiontup or ()) != columns:
        raise RuntimeError(f"{table_name}: parameters {compiled.positiontup} != {columns}")
    return str(compiled)


@functools.lru_cache(maxsize=32)
def _staged_upsert(
    target: Target, table_name: str, columns: tuple[str, ...]
) -> tuple[str, str, str]:
    """PostgreSQL: (create the staging table, COPY into it, upsert from it), compiled once.

    The staging table has the target's columns and NOT NULL constraints (`LIKE`), plus
    `_n`, numbering rows in COPY order so that the last of two equal keys wins."""
    dialect = _engine(target).dialect
    table = TABLES[table_name]
    stage_name = f"_stage_{table_name}"
    keys = [column.name for column in table.primary_key]
    stage = table_clause(stage_name, *(column_clause(c) for c in (*columns, "_n")))
    rows = (
        select(*(stage.c[c] for c in columns))
        .distinct(*(stage.c[k] for k in keys))
        .order_by(*(stage.c[k] for k in keys), stage.c["_n"].desc())
    )
    statement = postgresql.insert(table).from_select(list(columns), rows)
    statement = statement.on_conflict_do_update(
        index_elements=keys,
        set_={c: statement.excluded[c] for c in columns if c not in keys},
    )
    create = (
        f"CREATE TEMPORARY TABLE {stage_name} "
        f"(LIKE {table_name}, _n bigint GENERATED ALWAYS AS IDENTITY) ON COMMIT DROP"
    )
    copy = f"COPY {stage_name} ({', '.join(columns)}) FROM STDIN"
    return create, copy, str(statement.compile(dialect=dialect))


def _copy_upsert(connection: Connection, target: Target, table: str, columns, rows) -> None:
    """PostgreSQL's write: COPY into a staging table, then one upsert from it (see the
    module's docstring). The driver's errors are raised as SQLAlchemy's, as on SQLite."""
    create, copy, upsert = _staged_upsert(target, table, columns)
    connection.exec_driver_sql(create)
    cursor = connection.connection.driver_connection.cursor()
    try:
        with cursor.copy(copy) as stream:
            for row in rows:
                stream.write_row(row)
    except connection.dialect.loaded_dbapi.Error as error:
        raise DBAPIError.instance(
            copy, None, error, connection.dialect.loaded_dbapi.Error, dialect=connection.dialect
        ) from error
    finally:
        cursor.close()
    connection.exec_driver_sql(upsert)


def _write(target: Target, table: str, columns: tuple[str, ...], rows: Sequence) -> int:
    """Upsert `rows` (tuples in `columns` order) in one transaction."""
    if not rows:
        return 0
    database = _engine(target)
    if database.dialect.name == "postgresql":
        with database.begin() as connection:  # one transaction: committed whole or rolled back
            _copy_upsert(connection, target, table, columns, rows)
    else:
        sql = _upsert(target, table, columns)
        # One writer at a time, one transaction per batch.
        with _sqlite_writer(target), database.begin() as connection:
            connection.exec_driver_sql(sql, list(rows))  # a list: one execution per row
    return len(rows)


def create_schema(target: Target) -> None:
    """Create the tables if they are missing (safe to call on every run)."""
    METADATA.create_all(engine(target), checkfirst=True)


def upsert_orders(target: Target, rows: Sequence[OrderRow]) -> int:
    """Upsert one batch in a single transaction; returns the number of rows written."""
    return _write(target, "orders", ORDER_COLUMNS, rows)


def upsert_rejects(target: Target, source: str, rejects: Sequence[Reject]) -> int:
    """Record rejects with their reason; keyed on (source, line) so reruns do not repeat them."""
    rows = [(source, *reject) for reject in rejects]
    return _write(target, "rejects", REJECT_COLUMNS, rows)


def count_rows(target: Target, table: str) -> int:
    """Rows in one of the warehouse tables."""
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}")
    with engine(target).connect() as connection:
        return connection.scalar(select(func.count()).select_from(TABLES[table]))


def optimize(target: Target) -> None:
    """Let the database refresh its query statistics (after a load)."""
    database = engine(target)
    sqlite = database.dialect.name == "sqlite"
    statement = "PRAGMA optimize" if sqlite else "ANALYZE orders, rejects"
    with database.begin() as connection:
        connection.exec_driver_sql(statement)


def order_months(target: Target) -> list[str]:
    """The months (`YYYY-MM`) that have orders, oldest first."""
    month = ORDERS.c.order_month
    with engine(target).connect() as connection:
        return list(connection.scalars(select(month).distinct().order_by(month)))


def month_summary(target: Target, month: str) -> tuple[int, int]:
    """One month's order count and revenue in cents."""
    query = select(func.count(), func.coalesce(func.sum(ORDERS.c.total_cents), 0)).where(
        ORDERS.c.order_month == month
    )
    with engine(target).connect() as connection:
        orders, cents = connection.execute(query).one()
    return orders, int(cents)  # PostgreSQL's SUM of BIGINT is NUMERIC
