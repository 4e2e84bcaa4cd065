"""Transform: derive the warehouse columns from validated orders.

The step is pure (same input, same output), so it is cached on its inputs and on this
module's source: a rerun after a crash reuses finished batches, and editing anything in
this file (not only the task's own body, which is all Prefect's TASK_SOURCE hashes)
invalidates the cache.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from prefect import task
from prefect.cache_policies import INPUTS, CacheKeyFnPolicy

from etl.utils.batch import Batch

MODULE_HASH = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def module_source(context, parameters) -> str:
    """A cache key part that changes whenever this module's code changes."""
    return MODULE_HASH


def to_record(order: dict) -> dict:
    """One warehouse row: amounts in integer cents, normalised country, month bucket."""
    unit_cents = int((Decimal(order["unit_price"]) * 100).quantize(Decimal(1), ROUND_HALF_UP))
    ordered_at = dt.date.fromisoformat(order["ordered_at"])
    return {
        "order_id": order["order_id"],
        "customer": order["customer"],
        "country": order["country"].upper(),
        "quantity": order["quantity"],
        "unit_price_cents": unit_cents,
        "total_cents": unit_cents * order["quantity"],
        "ordered_at": ordered_at.isoformat(),
        "order_month": ordered_at.strftime("%Y-%m"),
    }


@task(
    tags=["pure"],
    cache_policy=INPUTS + CacheKeyFnPolicy(cache_key_fn=module_source),
    cache_expiration=timedelta(days=1),
)
def transform_batch(orders: list[dict]) -> Batch:
    """Transform one batch of valid orders (pure: cached, never retried)."""
    return Batch([to_record(order) for order in orders])
