"""Create the Prefect blocks this project needs, from `.env` and the environment.

    python -m etl_tools.blocks            # save (or overwrite) every block
    python -m etl_tools.blocks --dry-run  # check the variables, save nothing

Every variable is read and checked before anything is saved, so a missing or placeholder
value stops the script with one line naming it and leaves the server untouched. Values
are never printed. Block names are the same in every workspace (dev, prod): point
`PREFECT_API_URL` at the workspace and run the script there.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

PLACEHOLDER_MARK = "change-me"
"""`.env.example` values contain this mark; the script refuses to save them."""


@dataclass(frozen=True)
class BlockSpec:
    """One block: its type, its name, the class that builds it, and each field's source.

    A source is `$NAME` (an environment variable), `@type` (a block built before this
    one, so an S3 bucket can nest its AWS credentials) or a literal. The template writes
    them into `blocks.json`, beside this file, from its answer model; edit that file when
    the project's blocks change.
    """

    kind: str
    name: str
    cls: str
    fields: dict[str, str]
    # A block whose variables may stay empty (a token a public repository does not need, a
    # webhook a team does not have yet): "save" saves it with empty values, "skip" saves
    # none; `empty_note` says what follows. Without `when_empty`, every variable is needed.
    when_empty: str = ""
    empty_note: str = ""

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(source[1:] for source in self.fields.values() if source.startswith("$"))

    def left_empty(self, env: Mapping[str, str]) -> bool:
        """An optional block whose every variable is unset or empty."""
        return bool(self.when_empty) and not any(
            env.get(variable, "").strip() for variable in self.variables
        )

    def build(self, env: Mapping[str, str], built: dict[str, object]) -> object:
        module, _, name = self.cls.partition(":")
        cls = getattr(importlib.import_module(module), name)
        return cls(**{field: _value(source, env, built) for field, source in self.fields.items()})


def _value(source: str, env: Mapping[str, str], built: dict[str, object]) -> object:
    if source.startswith("$"):
        return env.get(source[1:], "")  # unset: only an optional block gets this far
    if source.startswith("@"):
        return built[source[1:]]
    return source


BLOCKS_FILE = Path(__file__).with_name("blocks.json")


def load_specs(path: Path = BLOCKS_FILE) -> tuple[BlockSpec, ...]:
    """The project's blocks, in the order they are saved (a block nests only earlier ones)."""
    return tuple(BlockSpec(**spec) for spec in json.loads(path.read_text(encoding="utf-8")))


SPECS = load_specs()


class MissingSettingError(Exception):
    """A variable a block needs is unset, empty or still a placeholder."""


def read_environment(env_file: Path) -> dict[str, str]:
    """`.env` values, overridden by the process environment (as CI secrets arrive)."""
    values = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
    return {**values, **os.environ}


def check_variables(specs: tuple[BlockSpec, ...], env: Mapping[str, str]) -> None:
    """Raise naming every variable that is a placeholder, or unset or empty where its
    block needs it (an optional block's may be empty, never a placeholder)."""
    optional = {v for spec in specs if spec.left_empty(env) for v in spec.variables}
    problems = []
    for variable in dict.fromkeys(v for spec in specs for v in spec.variables):
        value = env.get(variable, "").strip()
        if not value and variable not in optional:
            problems.append(f"{variable} is not set")
        elif PLACEHOLDER_MARK in value:
            problems.append(f"{variable} still holds the placeholder from .env.example")
    if problems:
        raise MissingSettingError("; ".join(problems))


def create_blocks(env: Mapping[str, str], dry_run: bool = False) -> list[str]:
    """Check every variable, build every block, then save them all (`overwrite=True`);
    one line per block: what was (or would be) saved or skipped, and why."""
    check_variables(SPECS, env)
    built: dict[str, object] = {}  # by block name: what is saved
    nested: dict[str, object] = {}  # by kind: what a later block's "@kind" field is given
    kept = [spec for spec in SPECS if not (spec.left_empty(env) and spec.when_empty == "skip")]
    for spec in kept:
        try:
            built[spec.name] = nested[spec.kind] = spec.build(env, nested)
        except ValueError:  # pydantic's message would echo the value: name the variables only
            names = ", ".join(spec.variables)
            raise MissingSettingError(f"{names} do not make a valid {spec.kind} block") from None
    lines = []
    for spec in SPECS:
        note = f" ({spec.empty_note})" if spec.left_empty(env) else ""
        if spec not in kept:
            lines.append(f"skipped {spec.kind}/{spec.name}{note}")
            continue
        if not dry_run:
            built[spec.name].save(spec.name, overwrite=True)
        lines.append(f"{'would save' if dry_run else 'saved'} {spec.kind}/{spec.name}{note}")
    return lines


def wait_for_api(url: str, seconds: float = 90) -> bool:
    """Whether the Prefect API at `url` answers within `seconds`.

    `prefect server start --background` returns before the server listens (a first start
    migrates its database), and Prefect's client does not retry a refused connection.
    """
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{url.rstrip('/')}/health", timeout=5):  # noqa: S310
                return True
        except (OSError, ValueError):
            if time.monotonic() > deadline:
                return False
            time.sleep(1)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(description="Create this project's Prefect blocks.")
    parser.add_argument("--env-file", type=Path, default=Path(".env"))
    parser.add_argument("--dry-run", action="store_true", help="check the variables only")
    args = parser.parse_args(argv)
    api_url = os.environ.get("PREFECT_API_URL", "")
    local = urllib.parse.urlparse(api_url).hostname in {"127.0.0.1", "localhost", "::1"}
    if not args.dry_run and local and not wait_for_api(api_url):
        print(f"error: no Prefect server answers at {api_url}; no blocks saved.", file=sys.stderr)
        return 1
    try:
        names = create_blocks(read_environment(args.env_file), dry_run=args.dry_run)
    except MissingSettingError as error:
        print(f"error: {error} (see .env.example); no blocks were saved.", file=sys.stderr)
        return 1
    for line in names:
        print(line)
    if not names:
        print("no blocks needed by this project's answers")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
