"""Settings from the environment and `.env`, read in one place.

Every variable the project reads is declared here with a default that works on a laptop,
so a flow never reaches for `os.environ` itself and `.env.example` can be checked
against this class.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT = "{{ cookiecutter.project_slug }}"
"""The project's name: in artifact keys, block names and its data folder."""


class ConfigurationError(RuntimeError):
    """A setting is missing or wrong: the message says which, and how to fix it.

    Expected mistakes (no warehouse block, a driver not installed, a database that does
    not answer) raise this, so the command line prints one line instead of a traceback.
    """


class Settings(BaseSettings):
    """Runtime settings; `ETL_`-prefixed environment variables override `.env`."""

    model_config = SettingsConfigDict(env_prefix="ETL_", env_file=".env", extra="ignore")

    database_path: Path = Field(
        default=Path("data/warehouse.db"),
        description="SQLite file the example flow loads into (see warehouse_path for relative).",
    )
    warehouse_url: SecretStr | None = Field(
        default=None,
        description="SQLAlchemy URL of the warehouse (postgresql+psycopg://...): wins over "
        "database_path and the warehouse block. Masked wherever settings are shown.",
    )
    batch_size: int = Field(default=50_000, ge=1, description="Rows per mapped task.")
    rejects_artifact: bool = Field(
        default=True,
        description="Publish each run's rejected rows (line, reason, the row as read) as a "
        "table on its page in the UI; false for a source whose raw rows must not be shown.",
    )
    warehouse_block: str = Field(
        default="{{ plan.warehouse_block }}",
        description="Secret block holding the warehouse URL of deployed runs (empty: the "
        "warehouse is the SQLite file of database_path).",
    )


def get_settings() -> Settings:
    """Read settings now (not at import), so tests and workers see the current environment."""
    return Settings()


def data_home() -> Path:
    """Where runs started by a worker keep relative paths: `$XDG_DATA_HOME/<project>`.

    A process worker runs each flow in a temporary directory (its code clone) and deletes
    it when the run ends; data written there would vanish with a Completed run.
    """
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / PROJECT
