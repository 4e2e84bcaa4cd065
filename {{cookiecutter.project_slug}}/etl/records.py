"""The values a source row becomes on its way to the warehouse, one type per stage.

Extract numbers each row (`SourceRow`); validation parses it once into an `Order` of typed
values, or a `Reject` with a reason; transform turns an `Order` into the warehouse's row
(`etl.warehouse.OrderRow`). Each stage reads its input's fields as they are: nothing is
parsed twice, and the source line number is called `line` everywhere.

They are named tuples of standard-library values: cheap to build (no dict per row), and
they pickle as plain data, which Prefect needs when results are persisted or sent to
other processes (Dask).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple


class SourceRow(NamedTuple):
    """One row as read: its line in the source file and its fields as strings."""

    line: int
    fields: dict[str, str]


class Order(NamedTuple):
    """One valid order, parsed once: amounts as Decimal, dates as date."""

    line: int
    order_id: int
    customer: str
    country: str
    quantity: int
    unit_price: Decimal
    ordered_at: dt.date


class Reject(NamedTuple):
    """A row that was not loaded: where it was, why, and what it held (JSON)."""

    line: int
    reason: str
    raw: str


class Checked(NamedTuple):
    """Validation's answer for a batch: the orders to load and the rows refused."""

    valid: list[Order]
    rejects: list[Reject]
