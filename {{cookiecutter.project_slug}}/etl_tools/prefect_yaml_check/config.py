"""`[tool.prefect-yaml-check]` of a repository's pyproject.toml.

    [tool.prefect-yaml-check]
    ignore = ["PY050"]
    strict = false
    fail-on = "warning"
    pool-type = "docker"

Python 3.10 has no tomllib and the checker needs nothing beyond PyYAML, so on 3.10 these
few flat keys are read by hand.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any


def read_config(start: Path) -> dict:
    """The table of the nearest pyproject.toml at or above `start` (empty if none)."""
    for folder in [start, *start.parents]:
        path = folder / "pyproject.toml"
        if path.is_file():
            return parse(path.read_text(encoding="utf-8", errors="replace"))
    return {}


def parse(text: str) -> dict:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        return by_hand(text)
    try:
        return tomllib.loads(text).get("tool", {}).get("prefect-yaml-check", {})
    except tomllib.TOMLDecodeError:
        return {}


def by_hand(text: str) -> dict:
    """The table's `key = value` lines: strings, booleans and lists of strings."""
    match = re.search(r"^\[tool\.prefect-yaml-check\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    if not match:
        return {}
    config: dict[str, Any] = {}
    for key, value in re.findall(r"^([\w-]+)\s*=\s*(.+)$", match.group(1), re.M):
        value = value.split("#", 1)[0].strip() if not value.startswith("[") else value
        if value.startswith("["):
            config[key] = re.findall(r"[\"']([^\"']+)[\"']", value)
        elif value in ("true", "false"):
            config[key] = value == "true"
        else:
            config[key] = value.strip("\"'")
    return config
