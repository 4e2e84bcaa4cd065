"""The orders report: map-reduce over months, a branch chosen by a parameter, a schedule."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from dateutil.rrule import rrulestr

from etl import warehouse
from etl.flows.example_etl import EtlParams, example_etl
from etl.flows.orders_report import orders_report
from etl.target import Target
from etl.tasks.report import combine, write_csv
from etl_tools import checks
from tests.conftest import WAREHOUSES, fresh_warehouse


def test_combine_adds_up_the_months():
    months = [
        {"month": "2026-02", "orders": 2, "revenue_cents": 500},
        {"month": "2026-01", "orders": 1, "revenue_cents": 100},
    ]
    report = combine(months)
    assert report["orders"] == 3
    assert report["revenue_cents"] == 600
    assert [m["month"] for m in report["months"]] == ["2026-01", "2026-02"]


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
def test_map_reduce_matches_the_table(loaded):
    report = orders_report(upstream_flow_run="prefect.flow-run.abc", database=loaded)
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
    assert "file" not in report  # the default branch only logs


@pytest.mark.usefixtures("prefect_server")
def test_csv_branch_writes_the_report(loaded):
    report = orders_report(database=loaded, output="csv")
    with open(report["file"], newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sum(int(row["orders"]) for row in rows) == 196
