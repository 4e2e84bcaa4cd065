"""Example ETL flow: extract → validate → transform → load, batched over mapped tasks.

Copy this file (and one module per step under `etl/tasks/`) to add a pipeline, then add
its deployments to `prefect.yaml`. Run it locally with `python -m etl.flows.example_etl`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

from prefect import allow_failure, flow, unmapped
from prefect.runtime import flow_run
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from etl import warehouse
from etl.hooks.notify import notify_failure
from etl.summary import publish_rejects, publish_summary
from etl.target import resolve
from etl.tasks.extract import SAMPLE_SOURCE, extract
from etl.tasks.load import (
    load_batch,
    load_rejects,
    optimize_warehouse,
    prepare_warehouse,
    reconcile,
)
from etl.tasks.transform import transform_batch
from etl.tasks.validate import split_duplicates, validate_batch
from etl.utils.api import check_api
from etl.utils.batch import batched, opaque_data
from etl.utils.settings import ConfigurationError, get_settings


class EtlParams(BaseModel):
    """Parameters of a run; Prefect validates them before the run starts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(default=SAMPLE_SOURCE, min_length=1, description="'sample' or a CSV path")
    batch_size: int | None = Field(
        default=None, ge=1, le=1_000_000, description="Rows per task; default from settings"
    )
    database: str | None = Field(
        default=None,
        description="SQLite file (or SQLAlchemy URL) to load into; default from settings",
    )


DEFAULT_PARAMS = EtlParams()


def source_label(source: str) -> str:
    """A short name for a source: used in run names and as the rejects' source key."""
    return source if source == SAMPLE_SOURCE else Path(source).stem


def run_name() -> str:
    """`example-etl-<source>-<date>`: what runs and when, readable in the runs list."""
    params = flow_run.parameters.get("params") or {}
    source = params.source if isinstance(params, EtlParams) else params.get("source")
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    return f"example-etl-{source_label(source or SAMPLE_SOURCE)}-{today}"


@flow(
    name="example-etl",
    flow_run_name=run_name,
    log_prints=True,
    on_failure=[notify_failure],
    on_crashed=[notify_failure],
)
def example_etl(params: EtlParams = DEFAULT_PARAMS) -> dict:
    """Load orders from a CSV source into the warehouse; bad rows go to `rejects`."""
    return load_orders(params)


def load_orders(params: EtlParams) -> dict:
    """The flow's steps, in a plain function the flow calls: mutation testing (mutmut)
    skips decorated functions, so logic kept here is logic the tests are measured on."""
    started = time.monotonic()
    settings = get_settings()
    target = resolve(params.database)  # once per run; shown without its password
    orders_before = prepare_warehouse(target)
    batch_size = params.batch_size or settings.batch_size

    rows = extract(params.source)
    checked = validate_batch.map(opaque_data(list(batched(rows.rows, batch_size)))).result()
    unique = split_duplicates([order for batch in checked for order in batch.valid])
    rejects = [r for batch in checked for r in batch.rejects] + unique.rejects

    transformed = transform_batch.map(opaque_data(list(batched(unique.valid, batch_size))))
    transformed.wait()  # each load gets its transform's final state: its data, or its failure
    loads = load_batch.map(unmapped(target), opaque_data([f.state for f in transformed]))
    # Clean-up runs once every load has finished, even when one failed (allow_failure).
    optimize_warehouse.submit(target, wait_for=[allow_failure(f) for f in loads]).wait()
    loaded = sum(loads.result())  # raises here if a batch could not be loaded
    load_rejects(target, source_label(params.source), opaque_data(rejects))

    summary = {
        "source": params.source,
        "read": len(rows),
        "loaded": loaded,
        "rejected": len(rejects),
        "database": target.shown,
    }
    summary.update(reconcile(target, len(rows), loaded, len(rejects)))
    summary["new"] = summary["orders_in_table"] - orders_before  # the rest were updates
    print(f"loaded {loaded} rows, rejected {len(rejects)}; warehouse: {target.shown}")
    publish(summary, rejects, time.monotonic() - started)
    return summary


def publish(summary: dict, rejects: list, seconds: float) -> None:
    """The run's figures and its rejects, on the run's page in the UI (etl/summary.py)."""
    rejected = summary["rejected"]
    facts = {
        "source": summary["source"],
        "rows read": summary["read"],
        "loaded": f"{summary['loaded']} ({summary['new']} new, "
        f"{summary['loaded'] - summary['new']} updated)",
        "rejected": f"{rejected} (the rejects table says why)" if rejected else "none",
        "warehouse": summary["database"],
        "orders in the warehouse": summary["orders_in_table"],
        "duration": f"{seconds:.1f} s",
    }
    headline = f"{summary['loaded']} rows loaded ({summary['new']} new), {rejected} rejected"
    publish_summary("example-etl", f"example-etl: {summary['source']}", facts, headline)
    publish_rejects("example-etl", rejects)


def main() -> None:
    """Run the flow once from the command line and print where the result landed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=SAMPLE_SOURCE, help="'sample' or a CSV path")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--database", default=None, help="SQLite file (or URL) to load into")
    args = parser.parse_args()
    try:
        params = EtlParams(source=args.source, batch_size=args.batch_size, database=args.database)
        warehouse.check(resolve(params.database))  # before the run: one clear line
        check_api()
    except ValidationError as error:
        problem = error.errors()[0]
        parser.error(f"--{'-'.join(map(str, problem['loc'])).replace('_', '-')}: {problem['msg']}")
    except ConfigurationError as error:
        parser.exit(2, f"error: {error}\n")
    summary = example_etl(params)
    print(f"Result: {summary['loaded']} rows in table 'orders' of {summary['database']}")


if __name__ == "__main__":
    main()
