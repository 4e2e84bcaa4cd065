"""Failure notifications as Prefect state hooks (`on_failure`, `on_crashed`).

A hook runs after the flow's final state is set, and this one never raises: a broken
webhook or a missing block is logged, so a failing notification cannot mask, or change,
the state of the run it reports on.
"""

from __future__ import annotations

{% if cookiecutter.notifications == "slack" -%}
from prefect.blocks.notifications import SlackWebhook
{% endif -%}
from prefect.logging.loggers import flow_run_logger
{%- if cookiecutter.notifications == "slack" %}

from etl.utils.settings import get_settings
{%- endif %}


def failure_message(flow, flow_run, state) -> str:
    """One line a person can act on: which run, which state, and why."""
    return f"Flow run {flow_run.name!r} of {flow.name!r} is {state.name}: {state.message or ''}"


def notify_failure(flow, flow_run, state) -> None:
    """Log the failure{% if cookiecutter.notifications == "slack" %} and send it to Slack when the webhook block exists{% endif %}."""
    logger = flow_run_logger(flow_run, flow)
    message = failure_message(flow, flow_run, state)
    logger.error(message)
{%- if cookiecutter.notifications == "slack" %}
    block_name = get_settings().slack_block
    try:
        webhook = SlackWebhook.load(block_name)
    except ValueError:
        logger.info("No SlackWebhook block %r; failure only logged.", block_name)
        return
    try:
        with webhook.raise_on_failure():
            webhook.notify(message)
    except Exception as error:  # noqa: BLE001 - a notification must never change the run's state
        reason = type(error).__name__
        logger.warning("Slack notification failed (%s); the run's state is unchanged.", reason)
{%- endif %}
