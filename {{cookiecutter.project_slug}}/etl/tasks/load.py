"""Load: the warehouse writes and the run's audit, as retried tasks.

The writes themselves live in `etl.warehouse`: each batch is one transaction and an
upsert, so a retry (or a rerun) of any task here is safe.

The tasks that take rows are not cached (`cache_policy=NO_CACHE`): a write must run every
time. Prefect's default policy (inputs + source + run id) caches nothing either, since
results are not persisted, but it still hashes every row of the task's inputs, through
JSON, before each run, for a key nothing reads: about 1.8 s per 200,000 rows across
validate and load in the template's benchmarks (with a profiler), more than the writes.
"""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff

from etl import warehouse
from etl.records import Reject
from etl.target import Target
from etl.utils.batch import Batch


@task(retries=2, retry_delay_seconds=exponential_backoff(backoff_factor=1), cache_policy=NO_CACHE)
def load_batch(target: Target, rows: Batch) -> int:
    """Load one transformed batch (I/O: retried; atomic and idempotent, so retries are safe)."""
    return warehouse.upsert_orders(target, rows.rows)


@task(retries=2, retry_delay_seconds=exponential_backoff(backoff_factor=1), cache_policy=NO_CACHE)
def load_rejects(target: Target, source: str, rejects: list[Reject]) -> int:
    """Record the rejected rows with their reasons (I/O: retried)."""
    return warehouse.upsert_rejects(target, source, rejects)


@task(retries=2, retry_delay_seconds=exponential_backoff(backoff_factor=1))
def prepare_warehouse(target: Target) -> int:
    """Create the warehouse tables if needed; returns how many orders they hold already
    (what the run adds is the difference, the rest of what it loads are updates)."""
    warehouse.create_schema(target)
    return warehouse.count_rows(target, "orders")


@task(retries=2, retry_delay_seconds=exponential_backoff(backoff_factor=1))
def optimize_warehouse(target: Target) -> None:
    """Refresh the warehouse's query statistics after a load (clean-up: runs even on failure)."""
    warehouse.optimize(target)


@task(retries=2, retry_delay_seconds=exponential_backoff(backoff_factor=1))
def reconcile(target: Target, read: int, loaded: int, rejected: int) -> dict:
    """Audit the run: every row read was loaded or rejected; returns both tables' counts.

    A task, not a subflow: a subflow would add its own flow run (about a second of
    orchestration per run, measured in the template's benchmarks) to check two numbers.
    """
    return audit(target, read, loaded, rejected)


def audit(target: Target, read: int, loaded: int, rejected: int) -> dict:
    """`reconcile`'s check, as a plain function (tested directly, and seen by mutmut)."""
    if read != loaded + rejected:
        raise ValueError(f"row counts do not add up: read {read} != {loaded} + {rejected}")
    return {
        "orders_in_table": warehouse.count_rows(target, "orders"),
        "rejects_in_table": warehouse.count_rows(target, "rejects"),
    }
