"""Orders report: monthly totals from the warehouse, after each completed ETL run.

In production it runs on an event, not a clock: the `report-prod` deployment in
`prefect.yaml` has a trigger that starts it whenever an `example-etl` flow run completes,
and passes that run's id. It shows map-reduce (one task per month, then one reduce) and a
branch chosen by a parameter (`output`).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from prefect import flow, unmapped

from etl.hooks.notify import notify_failure
from etl.summary import publish_table
from etl.target import resolve, warehouse_path
from etl.tasks.report import combine_totals, list_months, month_totals, write_report_csv

FLOW_RUN_PREFIX = "prefect.flow-run."


def run_name() -> str:
    """`orders-report-<date>`, like the ETL's run names."""
    return f"orders-report-{dt.datetime.now(dt.timezone.utc).date().isoformat()}"


@flow(
    name="orders-report",
    flow_run_name=run_name,
    log_prints=True,
    on_failure=[notify_failure],
    on_crashed=[notify_failure],
)
def orders_report(
    upstream_flow_run: str = "",
    database: str = "",
    output: Literal["log", "csv"] = "log",
) -> dict:
    """Summarise the orders table; `upstream_flow_run` names the ETL run that triggered it."""
    return build_report(upstream_flow_run, database, output)


def build_report(upstream_flow_run: str, database: str, output: str) -> dict:
    """The flow's steps, in a plain function the flow calls (as `example_etl` does: logic
    that mutation testing measures)."""
    target = resolve(database)  # once per run; shown without its password
    months = list_months(target)
    totals = month_totals.map(unmapped(target), months)  # map: one task per month
    report = combine_totals(totals)  # reduce
    report["upstream_flow_run"] = upstream_flow_run.removeprefix(FLOW_RUN_PREFIX)
    if output == "csv":  # a branch chosen by a parameter
        beside = target.file or warehouse_path()  # a server's report goes to data/
        path = beside.parent / "reports" / "orders-by-month.csv"
        report["file"] = write_report_csv(report, str(path))
        print(f"report written to {report['file']}")
    else:
        print(f"{report['orders']} orders, revenue {report['revenue_cents'] / 100:.2f}")
    lines = [
        {"month": m["month"], "orders": m["orders"], "revenue": f"{m['revenue_cents'] / 100:.2f}"}
        for m in report["months"]
    ]
    total = f"{report['orders']} orders, revenue {report['revenue_cents'] / 100:.2f}"
    publish_table("orders-report", "by-month", lines, f"Orders by month from {target}: {total}.")
    return report


if __name__ == "__main__":
    print(orders_report())
