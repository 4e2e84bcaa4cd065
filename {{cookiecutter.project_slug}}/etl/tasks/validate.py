"""Validate: every row becomes a typed record or a reject with a reason.

Nothing is dropped silently: the flow's counts must add up to
``read = loaded + rejected``, and each reject keeps its line and raw values.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from prefect import task
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from etl.tasks.extract import LINE_KEY


class Order(BaseModel):
    """One valid source row."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    order_id: int = Field(gt=0)
    customer: str = Field(min_length=1, max_length=200)
    country: str = Field(min_length=2, max_length=2, pattern=r"^[A-Za-z]{2}$")
    quantity: int = Field(gt=0, le=100_000)
    unit_price: Decimal = Field(gt=0, max_digits=12, decimal_places=2)
    ordered_at: dt.date


def reject(row: dict[str, str], reason: str) -> dict[str, str]:
    """A reject record: where the row was, why it failed, and what it held."""
    raw = {key: value for key, value in row.items() if key != LINE_KEY}
    return {"line": row.get(LINE_KEY, "?"), "reason": reason, "raw": json.dumps(raw)}


def describe(error: ValidationError) -> str:
    """A one-line reason from a pydantic error: field and message for each problem."""
    parts = []
    for item in error.errors():
        field = ".".join(str(loc) for loc in item["loc"]) or "row"
        parts.append(f"{field}: {item['msg']}")
    return "; ".join(parts)


def check_rows(rows: list[dict[str, str]]) -> dict[str, list[dict]]:
    """Split rows into JSON-ready valid orders and rejects."""
    valid, rejects = [], []
    for row in rows:
        values = {key: value for key, value in row.items() if key != LINE_KEY}
        try:
            order = Order.model_validate(values)
        except ValidationError as error:
            rejects.append(reject(row, describe(error)))
            continue
        valid.append({**order.model_dump(mode="json"), "line": row.get(LINE_KEY, "?")})
    return {"valid": valid, "rejects": rejects}


def split_duplicates(valid: list[dict]) -> dict[str, list[dict]]:
    """Keep the first row of each order_id; later ones become rejects naming the first line."""
    first_line: dict[int, str] = {}
    kept, rejects = [], []
    for order in valid:
        seen = first_line.setdefault(order["order_id"], order["line"])
        if seen == order["line"]:
            kept.append(order)
        else:
            row = {k: str(v) for k, v in order.items() if k != "line"}
            row[LINE_KEY] = order["line"]
            rejects.append(reject(row, f"duplicate order_id (first on line {seen})"))
    return {"valid": kept, "rejects": rejects}


@task(tags=["pure"])
def validate_batch(rows: list[dict[str, str]]) -> dict[str, list[dict]]:
    """Validate one batch (pure, CPU only: tagged `pure`, so no retries needed)."""
    return check_rows(rows)
