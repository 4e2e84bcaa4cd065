"""Real failures planted in a warehouse (SQLite or PostgreSQL), and a fresh schema per test.

The database refuses or stalls a write the way a full disk or a held lock would: a
trigger on `orders`, written in each database's own dialect. Reading back goes through
the warehouse's own engine, so the same assertions hold on both databases.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from etl import warehouse
from etl.target import Target

REFUSED = "disk I/O error (injected)"


def is_sqlite(database: str) -> bool:
    return warehouse.engine(Target.of(database)).dialect.name == "sqlite"


def execute(database: str, *statements: str) -> None:
    """Run statements in one transaction on the warehouse."""
    with warehouse.engine(Target.of(database)).begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)


def order_ids(database: str) -> list[int]:
    with warehouse.engine(Target.of(database)).connect() as connection:
        return list(connection.scalars(select(warehouse.ORDERS.c.order_id)))


def order(database: str, order_id: int) -> dict:
    """One row of `orders`, by its id, as a dict."""
    query = select(warehouse.ORDERS).where(warehouse.ORDERS.c.order_id == order_id)
    with warehouse.engine(Target.of(database)).connect() as connection:
        return dict(connection.execute(query).one()._mapping)


def rejects(database: str) -> dict[int, str]:
    """The rejects table as {line: reason}."""
    table = warehouse.REJECTS
    with warehouse.engine(Target.of(database)).connect() as connection:
        return dict(connection.execute(select(table.c.line, table.c.reason)).all())


def refuse_order(database: str, order_id: int) -> None:
    """Make the database refuse one row, as a full disk or a held lock would."""
    warehouse.create_schema(Target.of(database))
    if is_sqlite(database):
        execute(
            database,
            f"CREATE TRIGGER refuse BEFORE INSERT ON orders WHEN NEW.order_id = {order_id} "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END",
        )
        return
    execute(
        database,
        "CREATE FUNCTION refuse_order() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF NEW.order_id = {order_id} THEN RAISE EXCEPTION '{REFUSED}'; END IF; "
        "RETURN NEW; END $$",
        "CREATE TRIGGER refuse BEFORE INSERT ON orders FOR EACH ROW "
        "EXECUTE FUNCTION refuse_order()",
    )


def allow_orders(database: str) -> None:
    """Drop the refusing trigger (the disk has space again)."""
    execute(database, "DROP TRIGGER refuse" + ("" if is_sqlite(database) else " ON orders"))


def stall_a_batch(database: str, order_id: int) -> int:
    """Make one batch's insert never finish; returns the orders committed meanwhile.

    SQLite: once one batch of 10 is committed, the next batch's first insert runs a
    cross join of a thousand-row table with itself four times, keeping its transaction
    open and SQLite's single write lock held, so the other loads wait: 10 rows committed.
    PostgreSQL: writers do not wait for each other, so the insert of `order_id` sleeps
    and every other batch commits: all 196 orders but that batch's 10.
    """
    warehouse.create_schema(Target.of(database))
    if is_sqlite(database):
        execute(
            database,
            "CREATE TABLE spin (n INTEGER)",
            "INSERT INTO spin WITH RECURSIVE c(x) AS "
            "(SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE x < 999) SELECT x FROM c",
            "CREATE TRIGGER stall BEFORE INSERT ON orders "
            "WHEN (SELECT COUNT(*) FROM orders) >= 10 "
            "BEGIN SELECT COUNT(*) FROM spin a, spin b, spin c, spin d; END",
        )
        return 10
    execute(
        database,
        "CREATE FUNCTION stall_order() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF NEW.order_id = {order_id} THEN PERFORM pg_sleep(3600); END IF; "
        "RETURN NEW; END $$",
        "CREATE TRIGGER stall BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION stall_order()",
    )
    return 196 - 10


def unstall(database: str) -> None:
    """End the stalled write (PostgreSQL: its server process outlives the killed client)."""
    if is_sqlite(database):
        execute(database, "DROP TRIGGER stall", "DROP TABLE spin")
        return
    execute(
        database,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE wait_event = 'PgSleep' AND datname = current_database() "
        "AND pid <> pg_backend_pid()",
    )
    execute(database, "DROP TRIGGER stall ON orders")


@contextmanager
def fresh_schema(base_url: str) -> Iterator[str]:
    """A new schema on the server `base_url` names; yields a URL that works in it."""
    schema = f"etl_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    database = url.render_as_string(hide_password=False)
    try:
        yield database
    finally:
        warehouse.dispose(Target.of(database))
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
