"""The rule each free-text question's answer must follow, one function per shape.

Each rule returns None for a good answer, or the reason it is refused, phrased to follow
the answer in one line (`project_slug: 'My Project' must be ...`). Standard library only:
cookiecutter loads this before anything is written, with no network and no subprocess.
"""

from __future__ import annotations

import functools
import re
import sys
import zoneinfo
from collections.abc import Callable

Rule = Callable[[str], "str | None"]

# The slug is the distribution name; these would clash with a dependency or the tooling.
RESERVED_SLUGS = frozenset(
    """prefect etl etl-tools cookiecutter pip setuptools python test tests fastapi pydantic
    pydantic-settings python-dotenv prefect-aws prefect-gitlab prefect-docker prefect-kubernetes
    prefect-dask pytest ruff pre-commit hatchling docker""".split()  # noqa: SIM905
)
SLUG = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
EMAIL = re.compile(r"[\w%+-]+(\.[\w%+-]+)*@(" + LABEL + r"\.)+[A-Za-z]{2,63}", re.A)
HOST, PORT, SEGMENT = LABEL + r"(\." + LABEL + r")*", r"(:[0-9]+)?/", r"(?!\.\.?(/|$))[\w.~%+-]+"
SCHEMES = rf"(https://{HOST}{PORT}|ssh://([\w.-]+@)?{HOST}{PORT}|git@{HOST}:|file:///([A-Za-z]:/)?)"
REPOSITORY = re.compile(rf"{SCHEMES}{SEGMENT}(/{SEGMENT})*/?", re.A)
BRANCH = re.compile(r"(?![-/.])(?!.*(\.\.|//|/\.|\.lock(/|$)|/$|\.$))[\w./-]+", re.A)
URL_PROBLEM = (
    "must be an https://host/path, ssh://[user@]host/path, git@host:path or "
    "file:///path URL, without credentials, spaces or '..'"
)
TZ_SHAPE = re.compile(r"[A-Za-z][\w+-]*(/[A-Za-z0-9][\w+-]*)*", re.A)
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
CRON_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12))
CRON_FIELDS += (("day of week", 0, 7),)
MONTHS = "_ jan feb mar apr may jun jul aug sep oct nov dec".split()  # noqa: SIM905
DAYS = "sun mon tue wed thu fri sat".split()  # noqa: SIM905
CRON_NAMES = {3: {m: i for i, m in enumerate(MONTHS) if i}, 4: {d: i for i, d in enumerate(DAYS)}}
CRON_MACROS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def show(value: str) -> str:
    """The answer as the message quotes it: repr, cut to 60 characters."""
    return repr(value if len(value) <= 60 else value[:57] + "...")


def text(limit: int, required: bool = True) -> Rule:
    """One line of free text, at most `limit` characters."""

    def rule(value: str) -> str | None:
        if required and not value.strip():
            return "must not be empty"
        if len(value) > limit:
            return f"at most {limit} characters (got {len(value)})"
        if CONTROL.search(value):
            return "must be one line of text, without control characters or line breaks"
        return None

    return rule


def pattern(regex: re.Pattern, limit: int, what: str) -> Rule:
    return lambda v: None if len(v) <= limit and regex.fullmatch(v) else f"{show(v)} {what}"


def one_of(*allowed: str) -> Rule:
    return lambda v: None if v in allowed else f"{show(v)} is not one of {', '.join(allowed)}"


def slug(value: str) -> str | None:
    if len(value) > 50 or not SLUG.fullmatch(value):
        shape = "1-50 lowercase letters, digits and single hyphens, starting with a letter"
        return f"{show(value)} must be {shape}"
    return f"{show(value)} is reserved (a dependency or tool)" if value in RESERVED_SLUGS else None


def cron_values(part: str, index: int) -> set[int]:
    """The values one cron field allows; raises ValueError with the reason."""
    name, low, high = CRON_FIELDS[index]
    values: set[int] = set()
    for item in part.lower().split(","):
        body, slash, step = item.partition("/")
        if slash and not (step.isascii() and step.isdigit() and int(step) > 0):
            raise ValueError(f"{name} step {step!r} must be a positive number")
        names = CRON_NAMES.get(index, {})
        ends = [low, high] if body == "*" else [names.get(e, e) for e in body.split("-", 1)]
        if not all(str(e).isascii() and str(e).isdigit() for e in ends):
            raise ValueError(f"{name} {item!r} is not a number, range or name")
        start, stop = int(ends[0]), int(ends[-1] if len(ends) == 2 or not slash else high)
        if not (low <= start <= stop <= high):
            raise ValueError(f"{name} {item!r} is outside {low}-{high}")
        values.update(range(start, stop + 1, int(step or 1)))
    return values


def cron(expression: str) -> str | None:
    """A 5-field cron (or a macro) that Prefect accepts and that fires at least once a year."""
    if expression in CRON_MACROS:
        return None
    parts = expression.split()
    if len(parts) != 5 or len(expression) > 100 or CONTROL.search(expression):
        return f"{show(expression)} must be 5 fields on one line (minute hour day month weekday)"
    try:
        fields = [cron_values(part, i) for i, part in enumerate(parts)]
    except ValueError as error:
        return str(error)
    if parts[4] == "*" and not any(d <= DAYS_IN_MONTH[m - 1] for m in fields[3] for d in fields[2]):
        return f"{show(expression)} never fires (no such day in those months)"
    return None


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones() - {"localtime"})


def timezone(name: str) -> str | None:
    """An IANA name Prefect accepts; shape only where Python has no time zone data."""
    if name == "UTC" or name in _zones():
        return None
    if not _zones() and TZ_SHAPE.fullmatch(name) and len(name) < 60:  # no tz database (Windows)
        why = "not checked: this Python has no time zone data (pip install tzdata)"
        print(f"warning: schedule_timezone: {show(name)} {why}", file=sys.stderr)
        return None
    return f"{show(name)} is not an IANA time zone name, e.g. 'UTC' or 'Europe/Berlin'"
