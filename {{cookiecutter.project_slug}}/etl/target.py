"""Where a run loads: the warehouse, named once per run and passed down as a `Target`.

A run's warehouse comes from the flow's `database` parameter (a SQLite file or a
SQLAlchemy URL), else `ETL_WAREHOUSE_URL`, else the project's default: the URL in the
warehouse block (what a PostgreSQL project's deployed runs use) or the SQLite file
`ETL_DATABASE_PATH`. `resolve` decides once, when a run starts; the tasks and
`etl.warehouse` take the `Target` and never tell a path from a URL again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from etl.utils.settings import ConfigurationError, data_home, get_settings

# Query options that hold a credential (psycopg takes `?password=`), masked where shown.
SECRET_OPTION = re.compile(r"pass|secret|token|key", re.IGNORECASE)


@dataclass(frozen=True)
class Target:
    """A warehouse: its SQLAlchemy URL, which may hold a password, and how to show it.

    Its text forms (`str`, `repr`, `shown`) never hold the password, so a target in a
    log line, an error or a run summary gives nothing away.
    """

    url: str = field(repr=False)

    @classmethod
    def of(cls, database: str | Path) -> Target:
        """A SQLite file path or a SQLAlchemy URL, as a target (the one place they differ)."""
        text = str(database)
        if "://" in text:
            parsed(text)  # raises on a malformed URL, before any run uses it
            return cls(text)
        return cls(f"sqlite:///{Path(text).resolve()}")

    @property
    def file(self) -> Path | None:
        """The SQLite file, or None for a database server."""
        url = make_url(self.url)
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        return Path(url.database)

    @property
    def shown(self) -> str:
        """What may be shown: the file's path, or the URL without its password."""
        if self.file is not None:
            return str(self.file)
        url = make_url(self.url)
        options = {k: "***" if SECRET_OPTION.search(k) else v for k, v in url.query.items()}
        shown = url.set(query=options).render_as_string(hide_password=True)
        return shown.replace("=%2A%2A%2A", "=***")

    def __str__(self) -> str:
        return self.shown

    def __repr__(self) -> str:
        return f"Target({self.shown!r})"


def parsed(url: str) -> URL:
    """`url` parsed, or ConfigurationError without its text: SQLAlchemy's own errors quote
    the URL, password and all, and an `@` left unencoded in a password parses as part of
    the host (so the rest of the password would be shown as the server's name)."""
    try:
        result = make_url(url)
    except (ArgumentError, ValueError):
        result = None
    if result is None or "@" in (result.host or ""):
        raise ConfigurationError(
            "the warehouse URL does not parse: write it as "
            "driver://user:password@host:port/database, with any @ : / % in the user name "
            "or password percent-encoded (@ as %40)"
        ) from None
    return result


def resolve(database: str | None = None) -> Target:
    """The warehouse a run loads into: `database` if given (a path or a URL), else
    `ETL_WAREHOUSE_URL`, else the warehouse block (when the project has one), else the
    SQLite file of `ETL_DATABASE_PATH` (see `warehouse_path`)."""
    if database:
        return Target.of(database if "://" in database else warehouse_path(database))
    settings = get_settings()
    url = settings.warehouse_url.get_secret_value().strip() if settings.warehouse_url else ""
    if url:
        return Target.of(url)
    if settings.warehouse_block:
        return Target.of(block_url(settings.warehouse_block))
    return Target.of(warehouse_path())


def warehouse_path(database: str | None = None) -> Path:
    """The warehouse file, absolute: `database` if given, else `ETL_DATABASE_PATH`.

    A relative path is taken from the working directory for a local or served run, and
    from `data_home()` for a run a worker started, so its data outlives the run (a
    process worker deletes the run's directory). Set an absolute `ETL_DATABASE_PATH` on
    the worker to choose the place yourself.
    """
    path = Path(database) if database else get_settings().database_path
    if path.is_absolute():
        return path
    from prefect.context import FlowRunContext  # imported late: targets name without Prefect

    context = FlowRunContext.get()
    started_by_worker = bool(context and context.flow_run and context.flow_run.work_pool_name)
    return (data_home() / path if started_by_worker else path).resolve()


def block_url(name: str) -> str:
    """The warehouse URL in the Secret block `name`, with a clear error when it is missing."""
    from prefect.blocks.system import Secret  # imported late: targets name without Prefect

    try:
        return Secret.load(name).get()
    except ValueError as error:
        raise ConfigurationError(
            f"no warehouse: set ETL_WAREHOUSE_URL, or save the Secret block {name!r} "
            "(`python -m etl_tools.blocks`, from WAREHOUSE_URL in .env)"
        ) from error
