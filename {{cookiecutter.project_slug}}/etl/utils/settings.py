"""Settings from the environment and `.env`, read in one place.

Every variable the project reads is declared here with a default that works on a laptop,
so a flow never reaches for `os.environ` itself and `.env.example` can be checked
against this class.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime settings; `ETL_`-prefixed environment variables override `.env`."""

    model_config = SettingsConfigDict(env_prefix="ETL_", env_file=".env", extra="ignore")

    database_path: Path = Field(
        default=Path("data/warehouse.db"),
        description="SQLite file the example flow loads into (relative to the working directory).",
    )
    batch_size: int = Field(default=50_000, ge=1, description="Rows per mapped task.")
{%- if cookiecutter.notifications == "slack" %}
    slack_block: str = Field(
        default="{{ cookiecutter.project_slug }}-slack",
        description="Name of the SlackWebhook block that failure notifications go to.",
    )
{%- endif %}


def get_settings() -> Settings:
    """Read settings now (not at import), so tests and workers see the current environment."""
    return Settings()
