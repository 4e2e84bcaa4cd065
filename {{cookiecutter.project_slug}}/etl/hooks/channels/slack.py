"""Slack: failure messages go to the incoming webhook of a SlackWebhook block.

The block (`ETL_SLACK_BLOCK`, by default `{{ cookiecutter.project_slug }}-slack`) is saved
by `python -m etl_tools.blocks` from `SLACK_WEBHOOK_URL` in `.env`. Without the block the
failure is only logged.
"""

from __future__ import annotations

from logging import Logger, LoggerAdapter

from prefect.blocks.notifications import SlackWebhook
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SlackSettings(BaseSettings):
    """This channel's setting, read like the project's others (`ETL_` variables, `.env`)."""

    model_config = SettingsConfigDict(env_prefix="ETL_", env_file=".env", extra="ignore")

    slack_block: str = Field(
        default="{{ cookiecutter.project_slug }}-slack",
        description="Name of the SlackWebhook block that failure notifications go to.",
    )


def block_name() -> str:
    return SlackSettings().slack_block


def send(message: str, logger: Logger | LoggerAdapter) -> None:
    """Post `message` to the webhook; only log when the block does not exist."""
    name = block_name()
    try:
        webhook = SlackWebhook.load(name)
    except ValueError:
        logger.info("No SlackWebhook block %r; failure only logged.", name)
        return
    with webhook.raise_on_failure():
        webhook.notify(message)
