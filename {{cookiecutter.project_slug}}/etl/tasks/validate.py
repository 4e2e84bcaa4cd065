"""Validate: every row becomes a typed `Order` or a `Reject` with a reason.

This is the only place a row's strings are parsed: an `Order` carries int, Decimal and
date values on to transform, which uses them as they are. Nothing is dropped silently:
the flow's counts must add up to ``read = loaded + rejected``, and each reject keeps its
line and raw values.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from prefect import task
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from etl.records import Checked, Order, Reject, SourceRow


class OrderFields(BaseModel):
    """The rules a source row's fields must meet to become an `Order`."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    order_id: int = Field(gt=0)
    customer: str = Field(min_length=1, max_length=200)
    country: str = Field(pattern=r"^[A-Za-z]{2}$")  # two letters: the pattern holds the length
    quantity: int = Field(gt=0, le=100_000)
    unit_price: Decimal = Field(gt=0, max_digits=12, decimal_places=2)
    ordered_at: dt.date


def describe(error: ValidationError) -> str:
    """A one-line reason from a pydantic error: field and message for each problem."""
    parts = []
    for item in error.errors():
        field = ".".join(str(loc) for loc in item["loc"]) or "row"
        parts.append(f"{field}: {item['msg']}")
    return "; ".join(parts)


def check_rows(rows: list[SourceRow]) -> Checked:
    """Split source rows into typed orders and rejects, parsing each row once."""
    valid, rejects = [], []
    for line, fields in rows:
        try:
            order = OrderFields.model_validate(fields)
        except ValidationError as error:
            rejects.append(Reject(line, describe(error), json.dumps(fields)))
            continue
        valid.append(
            Order(
                line,
                order.order_id,
                order.customer,
                order.country,
                order.quantity,
                order.unit_price,
                order.ordered_at,
            )
        )
    return Checked(valid, rejects)


def split_duplicates(orders: list[Order]) -> Checked:
    """Keep the first order of each order_id; later ones become rejects naming the first line."""
    first_line: dict[int, int] = {}
    kept, rejects = [], []
    for order in orders:
        seen = first_line.setdefault(order.order_id, order.line)
        if seen == order.line:
            kept.append(order)
        else:
            raw = {name: str(value) for name, value in order._asdict().items() if name != "line"}
            reason = f"duplicate order_id (first on line {seen})"
            rejects.append(Reject(order.line, reason, json.dumps(raw)))
    return Checked(kept, rejects)


@task(tags=["pure"], cache_policy=NO_CACHE)
def validate_batch(rows: list[SourceRow]) -> Checked:
    """Validate one batch (pure, CPU only: tagged `pure`, so no retries needed).

    Not cached (`NO_CACHE`): Prefect's default policy would still hash every row of the
    batch for a cache key that nothing uses (see `etl.tasks.load`)."""
    return check_rows(rows)
