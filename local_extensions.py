"""Jinja filters that quote an answer for the file format it lands in.

Free-text answers (project name, description, author) can hold quotes, backslashes,
emoji or control characters. Each filter returns a complete literal for its format, so a
rendered TOML, YAML or Python file parses and means exactly what the user typed.
Cookiecutter loads this module through ``_extensions`` in ``cookiecutter.json``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from jinja2.ext import Extension

_TOML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n"}
_TOML_ESCAPES |= {"\f": "\\f", "\r": "\\r"}
_SURROGATE = re.compile("[\ud800-\udfff]")
# JSON leaves these raw, but YAML forbids DEL, C1 controls, U+FFFE and U+FFFF, and may read
# NEL and U+2028/U+2029 as line breaks: escape them.
_YAML_ESCAPE = re.compile("[\x7f-\x9f\u2028\u2029\ufffe\uffff]")


def _text(value: object) -> str:
    """The answer as text; a lone surrogate has no UTF-8, TOML or YAML form, so refuse it."""
    text = str(value)
    if _SURROGATE.search(text):
        raise ValueError(f"{text!r} holds a lone surrogate, which no file format can store")
    return text


def toml_string(value: object) -> str:
    """A TOML basic string: escapes quotes, backslashes and every control character."""
    out = []
    for char in _text(value):
        if char in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def yaml_string(value: object) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML; keep non-ASCII as is)."""
    text = json.dumps(_text(value), ensure_ascii=False)
    return _YAML_ESCAPE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def python_string(value: object) -> str:
    """A Python string literal quoted the way ruff/black format it.

    ``repr`` escapes everything unprintable; its quotes are then redone: double quotes
    unless the text holds more double than single quotes (as the formatters decide).
    """
    literal = repr(str(value))
    quote = literal[0]
    # Unescape repr's own quote, leaving every other escape (and escaped backslash) alone.
    body = re.sub(r"\\(.)", lambda m: m[1] if m[1] == quote else m[0], literal[1:-1])
    quote = '"' if body.count('"') <= body.count("'") else "'"
    return quote + body.replace(quote, "\\" + quote) + quote


def work_pool_name(slug: object, pool_type: object) -> str:
    """`<slug>-<pool type>`, the one work pool name every file uses.

    The Prefect server refuses pool names that start with "prefect" (any case: "reserved
    for internal use"), and many repositories are named `prefect-...`: those get `etl-` in
    front, so every slug the pre-generation hook accepts gives a name the server accepts.
    """
    name = f"{_text(slug)}-{_text(pool_type)}"
    return f"etl-{name}" if name.lower().startswith("prefect") else name


def template_defaults() -> dict:
    """The questions and defaults exactly as `cookiecutter.json` writes them (unrendered).

    The pre-generation hook needs them to tell the template's own Jinja defaults from
    Jinja that a user typed; cookiecutter's `_repo_dir` can be relative to a working
    directory the hook never sees, but this module always knows where it lives.
    """
    return json.loads((Path(__file__).resolve().parent / "cookiecutter.json").read_text("utf-8"))


class QuoteExtension(Extension):
    """Registers the quoting filters (and the raw defaults) with cookiecutter's Jinja."""

    def __init__(self, environment):
        super().__init__(environment)
        environment.filters["toml_string"] = toml_string
        environment.filters["yaml_string"] = yaml_string
        environment.filters["python_string"] = python_string
        environment.filters["work_pool_name"] = work_pool_name
        environment.globals["template_defaults"] = template_defaults
