"""Failure notifications as Prefect state hooks (`on_failure`, `on_crashed`).

A hook runs after the flow's final state is set, and this one never raises: a broken
channel or a missing block is logged, so a failing notification cannot mask, or change,
the state of the run it reports on. The failure is always logged; each module of
`etl/hooks/channels/` (the project's notification channels) sends it on as well.
"""

from __future__ import annotations

from prefect.logging.loggers import flow_run_logger

from etl.hooks.channels import CHANNELS


def failure_message(flow, flow_run, state) -> str:
    """One line a person can act on: which run, which state, and why."""
    return f"Flow run {flow_run.name!r} of {flow.name!r} is {state.name}: {state.message or ''}"


def notify_failure(flow, flow_run, state) -> None:
    """Log the failure and send it to every channel; never raise."""
    logger = flow_run_logger(flow_run, flow)
    message = failure_message(flow, flow_run, state)
    logger.error(message)
    for channel in CHANNELS:
        try:
            channel.send(message, logger)
        except Exception as error:  # noqa: BLE001 - a notification must never change the run's state
            name = channel.__name__.rpartition(".")[2]
            logger.warning(
                "%s notification failed (%s); the run's state is unchanged.",
                name.capitalize(),
                type(error).__name__,
            )
