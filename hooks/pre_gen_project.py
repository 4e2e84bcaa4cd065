"""Check every answer before anything is written.

One line per mistake, naming the question and what is allowed, then exit 1: cookiecutter
removes the half-made directory. Standard library only, no network, no subprocess.
Cookiecutter renders answers given as key=value or in a config file as Jinja before this
hook runs (7*7 in double braces arrives as '49'), so the answers as given (`_cookiecutter`)
are checked for Jinja syntax as well as the rendered ones; such answers are rejected.
"""

from __future__ import annotations

import json
import re
import sys
import zoneinfo

ANSWERS = json.loads({{cookiecutter | tojson | tojson}})  # noqa: F821
GIVEN = json.loads({{_cookiecutter | default({}) | tojson | tojson}})  # noqa: F821
DEFAULTS = json.loads({{template_defaults() | tojson | tojson}})  # noqa: F821

# The slug is the distribution name; these would clash with a dependency or the tooling.
RESERVED_SLUGS = """prefect etl cookiecutter pip setuptools python test tests fastapi pydantic
pydantic-settings python-dotenv prefect-aws prefect-gitlab prefect-docker prefect-kubernetes
pytest ruff pre-commit hatchling""".split()  # noqa: SIM905
SLUG = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
EMAIL = re.compile(r"[\w%+-]+(\.[\w%+-]+)*@(" + LABEL + r"\.)+[A-Za-z]{2,63}", re.A)
HOST, PORT, SEGMENT = LABEL + r"(\." + LABEL + r")*", r"(:[0-9]+)?/", r"(?!\.\.?(/|$))[\w.~%+-]+"
SCHEMES = rf"(https://{HOST}{PORT}|ssh://([\w.-]+@)?{HOST}{PORT}|git@{HOST}:|file:///([A-Za-z]:/)?)"
REPOSITORY = re.compile(rf"{SCHEMES}{SEGMENT}(/{SEGMENT})*/?", re.A)
BRANCH = re.compile(r"(?![-/.])(?!.*(\.\.|//|/\.|\.lock(/|$)|/$|\.$))[\w./-]+", re.A)
URL_PROBLEM = "must be an https://host/path, ssh://[user@]host/path, git@host:path or "
URL_PROBLEM += "file:///path URL, without credentials, spaces or '..'"
TZ_SHAPE = re.compile(r"[A-Za-z][\w+-]*(/[A-Za-z0-9][\w+-]*)*", re.A)
JINJA = re.compile(r"\{(\{|%|#)")  # what cookiecutter would evaluate as a template
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
CRON_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12))
CRON_FIELDS += (("day of week", 0, 7),)
MONTHS = "_ jan feb mar apr may jun jul aug sep oct nov dec".split()  # noqa: SIM905
DAYS = "sun mon tue wed thu fri sat".split()  # noqa: SIM905
CRON_NAMES = {3: {m: i for i, m in enumerate(MONTHS) if i}, 4: {d: i for i, d in enumerate(DAYS)}}
CRON_MACROS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def show(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:57] + "...")


def text(value: str, limit: int, required: bool = True) -> str | None:
    if required and not value.strip():
        return "must not be empty"
    if len(value) > limit:
        return f"at most {limit} characters (got {len(value)})"
    if CONTROL.search(value):
        return "must be one line of text, without control characters or line breaks"
    return None


def pattern(regex: re.Pattern, limit: int, what: str):
    return lambda v: None if len(v) <= limit and regex.fullmatch(v) else f"{show(v)} {what}"


def one_of(*allowed: str):
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


def timezone(name: str) -> str | None:
    zones = set() if name == "UTC" else zoneinfo.available_timezones() - {"localtime"}
    if name == "UTC" or name in zones:  # what Prefect accepts
        return None
    if not zones and TZ_SHAPE.fullmatch(name) and len(name) < 60:  # no tz database (Windows)
        why = "not checked: this Python has no time zone data (pip install tzdata)"
        print(f"warning: schedule_timezone: {show(name)} {why}", file=sys.stderr)
        return None
    return f"{show(name)} is not an IANA time zone name, e.g. 'UTC' or 'Europe/Berlin'"


CHECKS = {
    "project_name": lambda value: text(value, 100),
    "project_slug": slug,
    "description": lambda value: text(value, 300, required=False),
    "author_name": lambda value: text(value, 100),
    "author_email": pattern(EMAIL, 254, "is not an email address like name@example.com"),
    "python_version": one_of("3.10", "3.11", "3.12", "3.13"),
    "prefect_version": one_of("3.9.1", "3.8.8", "3.8.7", "3.8.6", "3.8.5", "3.8.4"),
    "code_storage": one_of("git", "gitlab", "s3", "docker", "local"),
    "work_pool_type": one_of("process", "docker", "kubernetes", "ecs"),
    "ci_provider": one_of("github", "gitlab", "none"),
    "notifications": one_of("slack", "none"),
    "schedule_cron": cron,
    "schedule_timezone": timezone,
    "repository_url": pattern(REPOSITORY, 300, URL_PROBLEM),
    "repository_branch": pattern(BRANCH, 100, "is not a valid git branch name"),
}


def combination_problems(storage: str, pool: str, python: str, prefect: str) -> dict[str, str]:
    found = {}
    if storage == "docker" and pool == "process":
        found["code_storage"] = "'docker' bakes the code into an image, which a process pool "
        found["code_storage"] += "cannot run; choose work_pool_type docker, kubernetes or ecs"
    if storage == "local" and pool != "process":
        found["code_storage"] = f"'local' runs the worker's own checkout, which a {pool} "
        found["code_storage"] += "container cannot see; use work_pool_type process"
    if pool == "kubernetes" and python == "3.10":
        found["python_version"] = "prefect-kubernetes 0.8 needs Python 3.11 or newer; "
        found["python_version"] += "choose 3.11, 3.12 or 3.13 for a kubernetes work pool"
    if prefect.startswith("3.9") and python == "3.10":
        found["python_version"] = f"Prefect {prefect} needs Python 3.11 or newer; choose 3.11, "
        found["python_version"] += "3.12 or 3.13, or prefect_version 3.8.8 for Python 3.10"
    return found


def problems(answers: dict, given: dict, defaults: dict) -> list[str]:
    found: dict[str, str | None] = {}
    for question, check in CHECKS.items():
        value, typed, default = answers.get(question), given.get(question), defaults.get(question)
        derived = isinstance(default, str) and typed == default  # it may use Jinja
        typed = value if derived or not isinstance(typed, str) else typed
        if not isinstance(value, str):
            found[question] = f"must be text, got {value!r}"
        elif JINJA.search(typed) or JINJA.search(value):
            became = f" (it became {show(value)})" if value != typed else ""
            found[question] = f"{show(typed)} holds Jinja syntax (a brace followed by a brace, % "
            found[question] += f"or #), which cookiecutter evaluates in answers{became}; remove it"
        else:
            found[question] = check(value)
        if found[question] and derived:
            # Made by the template from earlier answers: report the cause, not the effect.
            sources = dict.fromkeys(re.findall(r"cookiecutter\.(\w+)", default))
            made = ", ".join(f"{source} {show(str(answers.get(source)))}" for source in sources)
            found[question] = None if any(found.get(s) for s in sources) else (
                f"{found[question]} (made from {made}); answer {question} yourself"
            )  # fmt: skip
    questions = ("code_storage", "work_pool_type", "python_version", "prefect_version")
    if not any(found[q] for q in questions):
        found.update(combination_problems(*(answers[q] for q in questions)))
    return [f"{question}: {line}" for question, line in found.items() if line]


if __name__ == "__main__":
    mistakes = problems(ANSWERS, GIVEN, DEFAULTS)
    for mistake in mistakes:
        print(f"error: {mistake}", file=sys.stderr)
    sys.exit(1 if mistakes else 0)
