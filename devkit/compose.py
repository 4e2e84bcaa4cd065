"""Read a rendered `docker-compose.yml` the way Docker Compose does, without Docker.

Compose substitutes `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}` and
`${VAR?error}` from `.env` and the shell before it parses the YAML, and `$$` stands for a
literal `$`. The tests use this to read the settings the stack would run with, and to run
the stack's own commands (server database URL, worker command, health checks) on loopback.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import yaml

COMPOSE_FILE = "docker-compose.yml"
VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|(?P<bare>[A-Za-z_][A-Za-z0-9_]*)|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\})"
)
ENV_LINE = re.compile(r"^(#?)\s*([A-Z_][A-Z0-9_]*)=(.*)$", re.MULTILINE)


class MissingVariable(KeyError):
    """A `${VAR:?...}` or `${VAR?...}` whose variable is unset (Compose refuses to start)."""


def variables(text: str) -> set[str]:
    """Every variable name the file substitutes."""
    return {m["name"] or m["bare"] for m in VARIABLE.finditer(text) if not m["escaped"]}


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """`text` with every `${...}` substituted as Compose would, `$$` made `$`."""

    def substitute(match: re.Match) -> str:
        if match["escaped"]:
            return "$"
        name, op, arg = match["name"] or match["bare"], match["op"], match["arg"]
        value = env.get(name)
        missing = value is None or (value == "" and op is not None and op.startswith(":"))
        if op in (":-", "-"):
            return arg if missing else value
        if op in (":?", "?") and missing:
            raise MissingVariable(f"{name}: {arg}")
        return value or ""

    return VARIABLE.sub(substitute, text)


def env_example(project: Path, commented: bool = False) -> dict[str, str]:
    """The settings `.env.example` gives (and, with `commented`, those it only mentions)."""
    text = (project / ".env.example").read_text(encoding="utf-8")
    return {
        name: value
        for hash_mark, name, value in ENV_LINE.findall(text)
        if commented or not hash_mark
    }


def raw_compose(project: Path) -> dict:
    """The compose file as written (variables left in place)."""
    return yaml.safe_load((project / COMPOSE_FILE).read_text(encoding="utf-8"))


def load_compose(project: Path, env: Mapping[str, str]) -> dict:
    """The compose file as Compose sees it with `env` (what `docker compose config` shows)."""
    return yaml.safe_load(interpolate((project / COMPOSE_FILE).read_text(encoding="utf-8"), env))


def healthcheck_command(service: dict, python: str, port: int, default_port: int) -> list[str]:
    """A service's `CMD python -c ...` health check, aimed at `port` on this machine."""
    kind, program, *args = service["healthcheck"]["test"]
    assert kind == "CMD" and program == "python", service["healthcheck"]
    return [python, *(arg.replace(f":{default_port}/", f":{port}/") for arg in args)]
