"""Unit tests of the task logic: plain functions and `task.fn`, no Prefect server."""

from __future__ import annotations

import csv
import datetime as dt
import json
import pickle
import threading
from decimal import Decimal

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from etl.records import Order, Reject, SourceRow
from etl.target import Target
from etl.tasks.extract import extract, read_rows
from etl.tasks.load import audit
from etl.tasks.transform import to_record, transform_batch
from etl.tasks.validate import check_rows, split_duplicates
from etl.utils.batch import Batch, batched
from etl.warehouse import (
    OrderRow,
    count_rows,
    create_schema,
    engine,
    upsert_orders,
    upsert_rejects,
)
from tests import faults

FIELDS = {
    "order_id": "7",
    "customer": "Acme Ltd",
    "country": "de",
    "quantity": "3",
    "unit_price": "19.99",
    "ordered_at": "2026-03-04",
}
GOOD = SourceRow(2, FIELDS)


def with_fields(**changes: str) -> SourceRow:
    """GOOD with some fields changed."""
    return SourceRow(GOOD.line, {**FIELDS, **changes})


def test_sample_source_has_every_row():
    rows = read_rows("sample")
    assert len(rows) == 201
    assert rows[0].line == 2
    assert set(rows[0].fields) == {*FIELDS}


def test_extract_reads_a_csv_path(tmp_path):
    path = tmp_path / "orders.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(FIELDS))
        writer.writeheader()
        writer.writerow(FIELDS)
    assert extract.fn(str(path)) == Batch([GOOD])


def test_a_quoted_line_break_stays_in_its_field(tmp_path):
    """Spreadsheets export a multi-line cell as a quoted field with a line break (CRLF from
    Excel): the field keeps it byte for byte, and the row after it keeps its true line."""
    path = tmp_path / "orders.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(FIELDS))
        writer.writeheader()
        writer.writerow({**FIELDS, "customer": "Acme Ltd\r\nBilling department"})
        writer.writerow({**FIELDS, "order_id": "8"})
    first, second = read_rows(str(path))
    assert first.fields["customer"] == "Acme Ltd\r\nBilling department"
    assert (first.line, second.line) == (3, 4)  # the line each row ends on, as csv counts
    assert second.fields == {**FIELDS, "order_id": "8"}


def test_a_source_with_only_its_header_has_no_rows(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(",".join(FIELDS) + "\n", encoding="utf-8")
    assert read_rows(str(path)) == []
    assert check_rows([]).valid == check_rows([]).rejects == []


def test_extract_names_a_missing_source():
    with pytest.raises(FileNotFoundError, match="no-such.csv"):
        read_rows("no-such.csv")


def test_check_rows_keeps_good_rows_typed():
    result = check_rows([GOOD])
    assert result.rejects == []
    assert result.valid == [
        Order(
            line=2,
            order_id=7,
            customer="Acme Ltd",
            country="de",
            quantity=3,
            unit_price=Decimal("19.99"),
            ordered_at=dt.date(2026, 3, 4),
        )
    ]
    [order] = result.valid
    assert type(order.unit_price) is Decimal and type(order.ordered_at) is dt.date


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("quantity", "three", "quantity"),
        ("country", "", "country"),
        ("unit_price", "-5.00", "unit_price"),
        ("ordered_at", "2026-13-45", "ordered_at"),
    ],
)
def test_check_rows_rejects_with_a_reason(field, value, reason):
    result = check_rows([with_fields(**{field: value})])
    assert result.valid == []
    [rejected] = result.rejects
    assert rejected.line == 2
    assert rejected.reason.startswith(reason)
    assert json.loads(rejected.raw)[field] == value  # the row as it was read


# Each bound of `OrderFields`: the last value it accepts and the first it refuses. Removing
# (or loosening) any one bound makes its case fail.
BOUNDS = [
    ("order_id", "1", "0"),
    ("customer", "A", "  "),
    ("customer", "x" * 200, "x" * 201),
    ("country", "de", "d"),
    ("country", "de", "deu"),
    ("country", "de", "d1"),
    ("quantity", "1", "0"),
    ("quantity", "100000", "100001"),
    ("unit_price", "0.01", "0.00"),
    ("unit_price", "9999999999.99", "99999999999.99"),  # at most 12 digits
    ("unit_price", "19.99", "19.999"),  # at most 2 decimal places
    ("ordered_at", "2026-02-28", "2026-02-29"),  # a real date (2026 is no leap year)
]


@pytest.mark.parametrize(("field", "accepted", "refused"), BOUNDS)
def test_each_validation_bound_holds(field, accepted, refused):
    assert check_rows([with_fields(**{field: accepted})]).rejects == []
    [rejected] = check_rows([with_fields(**{field: refused})]).rejects
    assert rejected.reason.startswith(field), rejected.reason


def test_a_row_with_several_problems_names_every_one():
    """Whoever fixes the source sees every field that is wrong at once, not the first."""
    [rejected] = check_rows([with_fields(country="Germany", quantity="three")]).rejects
    fields = [part.split(":")[0] for part in rejected.reason.split("; ")]
    assert fields == ["country", "quantity"], rejected.reason


def test_an_unexpected_column_is_rejected():
    [rejected] = check_rows([SourceRow(2, {**FIELDS, "discount": "5"})]).rejects
    assert rejected.reason.startswith("discount")


def test_missing_field_is_rejected():
    row = SourceRow(2, {k: v for k, v in FIELDS.items() if k != "customer"})
    [rejected] = check_rows([row]).rejects
    assert "customer" in rejected.reason


def test_duplicates_keep_the_first_row():
    valid = check_rows([GOOD, GOOD._replace(line=9)]).valid
    result = split_duplicates(valid)
    assert [o.line for o in result.valid] == [2]
    [duplicate] = result.rejects
    assert duplicate.line == 9
    assert duplicate.reason == "duplicate order_id (first on line 2)"
    raw = json.loads(duplicate.raw)  # the row as read: its fields, not where it was
    assert set(raw) == set(FIELDS) and raw["unit_price"] == "19.99"


def test_transform_is_exact_in_cents():
    [order] = check_rows([GOOD]).valid
    record = to_record(order)
    assert record.unit_price_cents == 1999
    assert record.total_cents == 5997
    assert record.country == "DE"
    assert record.ordered_at == "2026-03-04"
    assert record.order_month == "2026-03"
    assert transform_batch.fn([order]) == Batch([record])


def test_typed_values_survive_pickling():
    """Dask ships arguments and results between processes by pickle."""
    [order] = check_rows([GOOD]).valid
    values = [GOOD, order, Reject(3, "why", "{}"), to_record(order), Batch([to_record(order)])]
    assert pickle.loads(pickle.dumps(values)) == values


def test_batched_covers_every_item_once():
    assert list(batched(list(range(7)), 3)) == [[0, 1, 2], [3, 4, 5], [6]]


def _records(count: int) -> list[OrderRow]:
    [order] = check_rows([GOOD]).valid
    return [to_record(order._replace(order_id=i)) for i in range(1, count + 1)]


def test_upsert_is_idempotent(database):
    create_schema(Target.of(database))
    upsert_orders(Target.of(database), _records(5))
    upsert_orders(Target.of(database), _records(5))
    assert count_rows(Target.of(database), "orders") == 5


def test_an_empty_batch_writes_nothing_and_says_so(database):
    target = Target.of(database)
    create_schema(target)
    assert upsert_orders(target, []) == 0
    assert upsert_rejects(target, "sample", []) == 0
    assert count_rows(target, "orders") == count_rows(target, "rejects") == 0


def test_a_failing_batch_leaves_nothing_behind(database):
    create_schema(Target.of(database))
    records = _records(3)
    records[2] = records[2]._replace(customer=None)  # violates NOT NULL mid-batch
    with pytest.raises(IntegrityError) as error:
        upsert_orders(Target.of(database), records)
    assert count_rows(Target.of(database), "orders") == 0
    # The error names the statement that failed: PostgreSQL's batches arrive by COPY.
    copy = database.startswith("postgresql")
    assert error.value.statement.startswith("COPY _stage_orders" if copy else "INSERT INTO orders")


def test_a_corrected_row_updates_the_table(database):
    """An upsert that did nothing on conflict would keep the old values: this fails then."""
    create_schema(Target.of(database))
    first = _records(3)
    upsert_orders(Target.of(database), first)
    corrected = first[1]._replace(
        customer="Acme GmbH",
        quantity=4,
        total_cents=7996,
        ordered_at="2026-04-01",
        order_month="2026-04",
    )
    upsert_orders(Target.of(database), [corrected])
    assert count_rows(Target.of(database), "orders") == 3
    assert faults.order(database, corrected.order_id) == corrected._asdict()
    assert faults.order(database, first[0].order_id) == first[0]._asdict()  # the others untouched


def test_sqlite_batches_loaded_at_once_write_one_at_a_time(tmp_path):
    """SQLite lets one writer in; batches from several threads queue on the warehouse's
    lock instead of polling for the file's (see `etl.warehouse`), so no two of their
    transactions are ever open together, and every row still lands."""
    database = str(tmp_path / "warehouse.db")
    create_schema(Target.of(database))
    open_now, most_open = 0, 0
    counting = threading.Lock()

    def opened(_connection):
        nonlocal open_now, most_open
        with counting:
            open_now += 1
            most_open = max(most_open, open_now)

    def closed(_connection):
        nonlocal open_now
        with counting:
            open_now -= 1

    writer = engine(Target.of(database))
    event.listen(writer, "begin", opened)
    event.listen(writer, "commit", closed)
    event.listen(writer, "rollback", closed)
    records, loaders = _records(8000), 4
    start = threading.Barrier(loaders)

    def load(batch: list[OrderRow]) -> None:
        start.wait()
        upsert_orders(Target.of(database), batch)

    threads = [threading.Thread(target=load, args=(records[i::loaders],)) for i in range(loaders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert count_rows(Target.of(database), "orders") == len(records)
    assert most_open == 1


def test_an_unknown_table_is_named(database):
    with pytest.raises(ValueError) as error:
        count_rows(Target.of(database), "order")
    assert str(error.value) == "unknown table 'order'"


def test_counts_that_do_not_add_up_stop_the_run_and_say_which(database):
    """Rows read must be rows loaded plus rows rejected: a row lost on the way fails."""
    target = Target.of(database)
    create_schema(target)
    assert audit(target, 3, 2, 1) == {"orders_in_table": 0, "rejects_in_table": 0}
    with pytest.raises(ValueError) as error:
        audit(target, 3, 2, 0)
    assert str(error.value) == "row counts do not add up: read 3 != 2 + 0"


def test_a_rejects_new_reason_replaces_the_old(database):
    create_schema(Target.of(database))
    upsert_rejects(Target.of(database), "sample", [Reject(3, "quantity: old reason", "{}")])
    upsert_rejects(Target.of(database), "sample", [Reject(3, "quantity: new reason", '{"q": 1}')])
    assert faults.rejects(database) == {3: "quantity: new reason"}


def test_rejects_are_recorded_once(database):
    create_schema(Target.of(database))
    rejects = check_rows([with_fields(quantity="x")]).rejects
    upsert_rejects(Target.of(database), "sample", rejects)
    upsert_rejects(Target.of(database), "sample", rejects)
    assert count_rows(Target.of(database), "rejects") == 1


def test_only_the_warehouse_module_talks_to_the_database(project_root):
    """Flows, tasks and hooks go through `etl.warehouse`: another engine changes one module."""
    pipeline = [
        p
        for part in ("flows", "tasks", "hooks")
        for p in (project_root / "etl" / part).rglob("*.py")
    ]
    speaking = [
        str(path.relative_to(project_root))
        for path in pipeline
        if any(word in path.read_text() for word in ("sqlite3", "SELECT ", "INSERT ", "PRAGMA "))
    ]
    assert speaking == []
    assert "from sqlalchemy import" in (project_root / "etl" / "warehouse.py").read_text()


def test_a_batch_pickles_its_rows_as_they_were():
    """Rows of one named-tuple type travel as plain tuples; anything else as it is."""
    [order] = check_rows([GOOD]).valid
    record = to_record(order)
    for batch in [Batch([record, record]), Batch([record, GOOD]), Batch([{"a": 1}]), Batch([])]:
        copy = pickle.loads(pickle.dumps(batch))
        assert copy == batch
        assert [type(row) for row in copy] == [type(row) for row in batch]


def test_retries_back_off_from_at_least_a_second(real_retry_delays):
    """Workers wait the real delays (the tests wait a hundredth): each retrying task backs
    off, starting at a second or more, so a flaky source or database gets time to recover."""
    assert real_retry_delays  # extract, load and report tasks retry
    for name, delays in real_retry_delays.items():
        assert delays[0] >= 1, name
        assert delays == sorted(set(delays)), name  # strictly growing
