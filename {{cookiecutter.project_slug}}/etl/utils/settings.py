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
    return Path(base) / "{{ cookiecutter.project_slug }}"


def warehouse_path(database: str | None = None) -> Path:
    """The warehouse file, absolute: `database` if given, else `ETL_DATABASE_PATH`.

    A relative path is taken from the working directory for a local or served run, and
    from `data_home()` for a run a worker started, so its data outlives the run. Set an
    absolute `ETL_DATABASE_PATH` on the worker to choose the place yourself.
    """
    path = Path(database) if database else get_settings().database_path
    if path.is_absolute():
        return path
    from prefect.context import FlowRunContext  # imported late: settings load without Prefect

    context = FlowRunContext.get()
    started_by_worker = bool(context and context.flow_run and context.flow_run.work_pool_name)
    return (data_home() / path if started_by_worker else path).resolve()


def warehouse_target(database: str | None = None) -> str:
    """Where a run loads: a SQLite path or a SQLAlchemy URL (secret: pass it on, never log it).

    `database` if given (a path, or a URL), else `ETL_WAREHOUSE_URL`, else the project's
    default: the SQLite file of `warehouse_path()`, or for a PostgreSQL warehouse the URL
    in its Secret block (what deployed runs use; `python -m etl_tools.blocks` saves it).
    """
    if database and "://" in database:
        return database
    if database:
        return str(warehouse_path(database))
    settings = get_settings()
    url = settings.warehouse_url
    if url is not None and url.get_secret_value().strip():
        return url.get_secret_value().strip()
    if settings.warehouse_block:
        return block_url(settings.warehouse_block)
    return str(warehouse_path())


def block_url(name: str) -> str:
    """The warehouse URL in the Secret block `name`, with a clear error when it is missing."""
    from prefect.blocks.system import Secret  # imported late: settings load without Prefect

    try:
        return Secret.load(name).get()
    except ValueError as error:
        raise ConfigurationError(
            f"no warehouse: set ETL_WAREHOUSE_URL, or save the Secret block {name!r} "
            "(`python -m etl_tools.blocks`, from WAREHOUSE_URL in .env)"
        ) from error
