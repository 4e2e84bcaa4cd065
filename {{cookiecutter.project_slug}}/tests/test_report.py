"""The orders report: map-reduce over months, a branch chosen by a parameter, a schedule."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from dateutil.rrule import rrulestr

from etl import warehouse
from etl.flows.example_etl import EtlParams, example_etl
from etl.flows.orders_report import orders_report
from etl.records import SourceRow
from etl.target import Target
from etl.tasks.report import combine, write_csv
from etl.tasks.transform import to_record
from etl.tasks.validate import check_rows
from etl_tools import checks
from tests.conftest import WAREHOUSES, fresh_warehouse

ROW = {
    "order_id": "1",
    "customer": "Acme Ltd",
    "country": "de",
    "quantity": "3",
    "unit_price": "19.99",
    "ordered_at": "2026-03-04",
}


def test_combine_adds_up_the_months():
    months = [
        {"month": "2026-02", "orders": 2, "revenue_cents": 500},
        {"month": "2026-01", "orders": 1, "revenue_cents": 100},
    ]
    report = combine(months)
    assert report["orders"] == 3
    assert report["revenue_cents"] == 600
    assert [m["month"] for m in report["months"]] == ["2026-01", "2026-02"]


def test_months_come_oldest_first_and_an_empty_month_has_no_revenue(database):
    """What the report's map reads: months in order, whatever order the rows came in."""
    target = Target.of(database)
    warehouse.create_schema(target)
    [order] = check_rows([SourceRow(2, ROW)]).valid
    rows = [
        to_record(order._replace(order_id=i, ordered_at=dt.date(2026, month, 1)))
        for i, month in enumerate([3, 1, 2], 1)
    ]
    warehouse.upsert_orders(target, rows)
    assert warehouse.order_months(target) == ["2026-01", "2026-02", "2026-03"]
    assert warehouse.month_summary(target, "2026-01") == (1, rows[1].total_cents)
    assert warehouse.month_summary(target, "1999-12") == (0, 0)


def test_the_csv_report_makes_its_folders_and_replaces_an_older_report(tmp_path):
    """A fresh worker has no data/reports/ yet; a second report replaces the first."""
    path = tmp_path / "data" / "reports" / "orders-by-month.csv"
    older = {"months": [{"month": "2026-01", "orders": 9, "revenue_cents": 9}]}
    report = {"months": [{"month": "2026-02", "orders": 2, "revenue_cents": 500}]}
    write_csv(older, str(path))
    assert write_csv(report, str(path)) == str(path.resolve())
    assert path.read_text(encoding="utf-8").splitlines() == [
        "month,orders,revenue_cents",
        "2026-02,2,500",
    ]


def test_weekday_schedule_fires_on_weekdays_only(project_root):
    schedules = checks.load_prefect_yaml(project_root)["definitions"]["schedules"]
    rule = rrulestr(schedules["weekdays"]["rrule"], dtstart=dt.datetime(2026, 1, 1))
    days = {moment.weekday() for moment in rule.xafter(dt.datetime(2026, 1, 1), count=20)}
    assert days == {0, 1, 2, 3, 4}


@pytest.fixture(scope="module", params=WAREHOUSES)
def loaded(request, tmp_path_factory, prefect_server):
    """One loaded warehouse that both report tests read: one ETL flow run, not two."""
    with fresh_warehouse(request.param, tmp_path_factory.mktemp("report")) as database:
        example_etl(EtlParams(database=database))
        yield database


@pytest.mark.usefixtures("prefect_server")
def test_map_reduce_matches_the_table(loaded, run_logs):
    state = orders_report(
        upstream_flow_run="prefect.flow-run.abc", database=loaded, return_state=True
    )
    report = state.result()
    with warehouse.engine(Target.of(loaded)).connect() as connection:
        count, cents = connection.exec_driver_sql(
            "SELECT COUNT(*), SUM(total_cents) FROM orders"
        ).one()
        months = connection.exec_driver_sql(
            "SELECT COUNT(DISTINCT order_month) FROM orders"
        ).scalar()
    assert (report["orders"], report["revenue_cents"]) == (count, cents) == (196, cents)
    assert len(report["months"]) == months
    assert report["upstream_flow_run"] == "abc"
    assert "file" not in report  # the default branch only logs, on the run's page
    total = f"{count} orders, revenue {cents / 100:.2f}"
    assert total in run_logs(state.state_details.flow_run_id)


@pytest.mark.usefixtures("prefect_server")
def test_csv_branch_writes_the_report(loaded, tmp_path, monkeypatch, run_logs):
    """The report goes to reports/orders-by-month.csv beside a SQLite warehouse, and beside
    the default warehouse file (data/) for a warehouse on a server; the run's log says where."""
    monkeypatch.chdir(tmp_path)
    state = orders_report(database=loaded, output="csv", return_state=True)
    report = state.result()
    beside = Target.of(loaded).file or tmp_path / "data" / "warehouse.db"
    assert report["file"] == str(beside.parent / "reports" / "orders-by-month.csv")
    logs = run_logs(state.state_details.flow_run_id)
    assert f"report written to {report['file']}" in logs, logs
    with open(report["file"], newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sum(int(row["orders"]) for row in rows) == 196
