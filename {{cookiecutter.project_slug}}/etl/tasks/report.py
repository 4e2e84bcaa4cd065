"""Report tasks: read monthly totals from the warehouse, combine them, write them out."""

from __future__ import annotations

import csv
from pathlib import Path

from prefect import task
from prefect.tasks import exponential_backoff

from etl import warehouse
from etl.target import Target


@task(retries=2, retry_delay_seconds=exponential_backoff(backoff_factor=1))
def list_months(target: Target) -> list[str]:
    """The months that have orders, oldest first (I/O: retried)."""
    return warehouse.order_months(target)


@task(retries=2, retry_delay_seconds=exponential_backoff(backoff_factor=1))
def month_totals(target: Target, month: str) -> dict:
    """One month's order count and revenue in cents (the map step; I/O: retried)."""
    return month_total(target, month)


def month_total(target: Target, month: str) -> dict:
    """One month's figures as the report keeps them."""
    orders, cents = warehouse.month_summary(target, month)
    return {"month": month, "orders": orders, "revenue_cents": cents}


def combine(months: list[dict]) -> dict:
    """Fold monthly totals into one report (the reduce step)."""
    return {
        "months": sorted(months, key=lambda m: m["month"]),
        "orders": sum(m["orders"] for m in months),
        "revenue_cents": sum(m["revenue_cents"] for m in months),
    }


@task(tags=["pure"])
def combine_totals(months: list[dict]) -> dict:
    """Reduce the mapped monthly totals (pure)."""
    return combine(months)


@task(retries=2, retry_delay_seconds=exponential_backoff(backoff_factor=1))
def write_report_csv(report: dict, path: str) -> str:
    """Write the monthly totals as CSV; returns the file's absolute path (I/O: retried)."""
    return write_csv(report, path)


def write_csv(report: dict, path: str) -> str:
    """The report's months as a CSV file, its folder created if missing."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["month", "orders", "revenue_cents"])
        writer.writeheader()
        writer.writerows(report["months"])
    return str(target.resolve())
