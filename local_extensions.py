"""Jinja filters that quote an answer for the file format it lands in.

Free-text answers (project name, description, author) can hold quotes, backslashes,
emoji or control characters. Each filter returns a complete literal for its format, so a
rendered TOML, YAML or Python file parses and means exactly what the user typed.
Cookiecutter loads this module through ``_extensions`` in ``cookiecutter.json``.
"""

from __future__ import annotations

import json

from jinja2.ext import Extension

_TOML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def toml_string(value: object) -> str:
    """A TOML basic string: escapes quotes, backslashes and every control character."""
    out = []
    for char in str(value):
        if char in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def yaml_string(value: object) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML; keep non-ASCII as is)."""
    text = json.dumps(str(value), ensure_ascii=False)
    # YAML forbids raw DEL and C1 controls in double-quoted scalars; escape them too.
    return "".join(f"\\u{ord(c):04x}" if 0x7F <= ord(c) <= 0x9F else c for c in text)


def python_string(value: object) -> str:
    """A Python string literal (``repr`` of a str is always valid source)."""
    return repr(str(value))


class QuoteExtension(Extension):
    """Registers the quoting filters with cookiecutter's Jinja environment."""

    def __init__(self, environment):
        super().__init__(environment)
        environment.filters["toml_string"] = toml_string
        environment.filters["yaml_string"] = yaml_string
        environment.filters["python_string"] = python_string
