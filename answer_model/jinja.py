"""Cookiecutter's Jinja, extended: answers checked as they arrive, and quoted where they land.

Free-text answers (project name, description, author) can hold quotes, backslashes,
emoji or control characters. Each filter returns a complete literal for its format, so a
rendered TOML, YAML or Python file parses and means exactly what the user typed.
Cookiecutter reaches `install` through `template_jinja.py` (``_extensions`` in
``cookiecutter.json``), which loads this package afresh for every commit of the template.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
from pathlib import Path

from cookiecutter.exceptions import FailedHookException
from jinja2 import FileSystemBytecodeCache, Template
from jinja2.ext import Extension

from . import DEFAULTS, JINJA, QUESTIONS, made_from, plan, refusals

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


class AnswersRefused(FailedHookException, SystemExit):
    """Answers the model refuses, after their `error:` lines are printed.

    A FailedHookException, so cookiecutter's command line prints one line instead of a
    traceback, as it does for a failed hook, and callers of its API can catch it; and a
    SystemExit with status 1, so programs that do not know it (cruft's `create` and
    `update --variables-to-update`, whose command line prints a traceback for any other
    exception) end with status 1 and nothing more.
    """

    def __init__(self, message: str):
        super().__init__(message)
        self.code = 1


class CheckedTemplate(Template):
    """A template that checks the answers it is rendered with, then offers their `plan`.

    Cookiecutter renders the next question's default (and each of its choices) with the
    answers given so far, and every file with all of them: checking here refuses a bad
    answer right after it is given, before the next question, before cookiecutter writes
    its replay file, and before any directory exists. Every template then sees `plan`,
    the consequences of the answers (`answer_model.Plan`).
    """

    source: str | None = None  # set by `_from_string`: what cookiecutter asked to render

    def render(self, *args, **kwargs):
        context = dict(*args, **kwargs)
        _check(self.environment, self.source, context, lambda: Template.render(self, context))
        return super().render(context)


class PlainText:
    """Text without Jinja syntax, which renders to itself after the same answer checks.

    Cookiecutter compiles every path name and every file it renders (about 200 per
    project, a third of a render's time), and most of them hold no Jinja at all. Jinja
    gives such text back unchanged unless it rewrites line endings or the environment
    rewrites the source; `is_plain` leaves those to Jinja.
    """

    def __init__(self, environment, source: str):
        self.environment = environment
        self.source = source

    def render(self, *args, **kwargs) -> str:
        _check(self.environment, self.source, dict(*args, **kwargs), lambda: self.source)
        return self.source


def is_plain(environment, source: object) -> bool:
    """Whether Jinja, as `environment` is set up, would render `source` to itself: no
    delimiter, no line ending it would rewrite, no extension that rewrites the source."""
    if not isinstance(source, str) or "\r" in source:
        return False
    if environment.line_statement_prefix or environment.line_comment_prefix:
        return False
    if source.endswith("\n") and not environment.keep_trailing_newline:
        return False
    if "\n" in source and environment.newline_sequence != "\n":
        return False
    if any(_rewrites_source(extension) for extension in environment.extensions.values()):
        return False
    starts = (
        environment.block_start_string,
        environment.variable_start_string,
        environment.comment_start_string,
    )
    return not any(start in source for start in starts)


def _rewrites_source(extension: Extension) -> bool:
    """Whether an extension changes the source before Jinja reads it."""
    kind = type(extension)
    return kind.preprocess is not Extension.preprocess or (
        kind.filter_stream is not Extension.filter_stream
    )


def _check(environment, source, context: dict, render) -> None:
    """Refuse bad answers (at the first render that has them) and add their `plan`."""
    answers = context.get("cookiecutter")
    if isinstance(answers, dict):
        context.setdefault("plan", _checked_plan(environment, answers, context))
        if "_cookiecutter" not in context:  # still reading answers
            _refuse_given_jinja(source, answers, render)


def _from_string(environment, from_string):
    """`Environment.from_string` that remembers the source on the template it returns,
    and skips the compile for plain text (every path name cookiecutter renders)."""

    def remembering(source, *args, **kwargs):
        if not args and not kwargs and is_plain(environment, source):
            return PlainText(environment, source)
        template = from_string(source, *args, **kwargs)
        template.source = source
        return template

    return remembering


def _get_template(environment, get_template):
    """`Environment.get_template` that skips the compile for a plain file, when called
    with a name only, as cookiecutter does; Jinja's own include, import and extends pass
    their parent's name too, and get a real template."""

    def plain_or_compiled(name, *args, **kwargs):
        if not args and not kwargs and environment.loader is not None:
            source, _, _ = environment.loader.get_source(environment, name)
            if is_plain(environment, source):
                return PlainText(environment, source)
        return get_template(name, *args, **kwargs)

    return plain_or_compiled


def _refuse_given_jinja(source, answers: dict, render) -> None:
    """An answer given as key=value or in a config file arrives as the source of the
    next question's default; the template's own defaults may hold Jinja, a user's may not."""
    question = next((q for q in QUESTIONS if q not in answers), None)
    if question is None or not isinstance(source, str) or not JINJA.search(source):
        return
    default = DEFAULTS[question]
    if source in (default if isinstance(default, list) else [default]):
        return
    refused = refusals({**answers, question: render()}, {question: source})
    _stop([line for line in refused if line.startswith(f"{question}: ")])


def _stop(refused: list[str]) -> None:
    for line in refused:
        print(f"error: {line}", file=sys.stderr)
    if refused:
        raise AnswersRefused("answers refused (see the error lines); nothing was written")


def _checked_plan(environment, answers: dict, context: dict):
    """Refuse bad answers (printing one line each); the plan once every answer is in."""
    answers = {q: answers[q] for q in QUESTIONS if q in answers}
    given = context.get("_cookiecutter") if isinstance(context.get("_cookiecutter"), dict) else {}
    key = json.dumps([answers, given], sort_keys=True, default=repr)
    if key not in _ACCEPTED:
        made = frozenset(q for q in answers if _is_made(environment, q, answers))
        _stop(refusals(answers, given, made))
        _ACCEPTED.add(key)
    complete = len(answers) == len(QUESTIONS)
    return plan(answers) if complete else None


_ACCEPTED: set[str] = set()


def _is_made(environment, question: str, answers: dict) -> bool:
    """Whether the answer is the template's own default, made from earlier answers."""
    sources = made_from(question)
    if not sources or not all(source in answers for source in sources):
        return False
    try:
        made = _default_template(environment, question).render(cookiecutter=answers)
    except Exception:  # noqa: BLE001 - an earlier answer the default cannot use: not made
        return False
    return made == answers[question]


def _default_template(environment, question: str) -> Template:
    """A question's default, compiled once per environment (cookiecutter renders with the
    answers so far before every question, and each time every answer is checked again);
    kept on the environment, so it goes when the environment does."""
    compiled = environment.__dict__.setdefault("_answer_model_defaults", {})
    if question not in compiled:
        raw = str(DEFAULTS[question])
        compiled[question] = environment.from_string(raw, template_class=Template)
    return compiled[question]


class CompiledFiles(FileSystemBytecodeCache):
    """Jinja's own cache of compiled templates, kept in the checkout's `__pycache__/jinja`.

    Compiling the files that hold Jinja was a fifth of a render. Jinja keys each entry by
    the file's path and checks it against a hash of the source, so an edited file, or
    another commit's (cruft renders two from one checkout), compiles again. The checkout
    rather than the temp dir: no one else can write there who could not edit the
    template itself, and renders leave the temp dir as they found it. A disk that cannot
    keep the cache (a read-only checkout) only makes the render compile, as before.
    """

    def __init__(self):
        super().__init__(str(Path(__file__).resolve().parents[1] / "__pycache__" / "jinja"))

    def load_bytecode(self, bucket) -> None:
        with contextlib.suppress(OSError):
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket) -> None:
        with contextlib.suppress(OSError):
            Path(self.directory).mkdir(parents=True, exist_ok=True)
            super().dump_bytecode(bucket)


def install(environment) -> None:
    """The quoting filters, the answer checks (`CheckedTemplate`, `PlainText`), the
    shortcut for plain text and the cache of compiled files, on `environment`."""
    if environment.bytecode_cache is None:
        environment.bytecode_cache = CompiledFiles()
    environment.filters["toml_string"] = toml_string
    environment.filters["yaml_string"] = yaml_string
    environment.filters["python_string"] = python_string
    environment.template_class = CheckedTemplate
    environment.from_string = _from_string(environment, environment.from_string)
    environment.get_template = _get_template(environment, environment.get_template)
