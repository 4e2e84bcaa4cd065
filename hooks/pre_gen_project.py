"""Check every answer before anything is written.

One line per mistake, naming the question and what is allowed, then exit 1: cookiecutter
removes the half-made directory. Standard library only, no network, no subprocess.
"""

from __future__ import annotations

import json
import re
import sys
import zoneinfo

ANSWERS = json.loads({{ cookiecutter | tojson | tojson }})

CHOICES = {
    "python_version": ("3.10", "3.11", "3.12", "3.13"),
    "code_storage": ("git", "gitlab", "s3", "docker", "local"),
    "work_pool_type": ("process", "docker", "kubernetes", "ecs"),
    "ci_provider": ("github", "gitlab", "none"),
    "notifications": ("slack", "none"),
}
TESTED_PREFECT = ("3.8.4", "3.8.5", "3.8.6", "3.8.7", "3.8.8")
RESERVED_SLUGS = {"prefect", "etl", "cookiecutter", "pip", "setuptools", "python", "test", "tests"}
SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
REPOSITORY = re.compile(r"^(https://|ssh://|file:///)[A-Za-z0-9._~:/%@+-]+$|^git@[A-Za-z0-9.-]+:[A-Za-z0-9._/-]+$")
BRANCH = re.compile(r"^(?!-|/)(?!.*(\.\.|//|@\{|\.lock$|/$|\.$))[A-Za-z0-9._/-]{1,100}$")
CRON_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7))
CRON_NAMES = {
    3: {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)},
    4: {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())},
}
CRON_MACROS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def text_problem(name: str, value: str, limit: int, required: bool = True) -> str | None:
    if required and not value.strip():
        return f"{name}: must not be empty"
    if len(value) > limit:
        return f"{name}: at most {limit} characters (got {len(value)})"
    if CONTROL.search(value):
        return f"{name}: must be one line without control characters"
    return None


def cron_values(part: str, index: int) -> set[int]:
    """The values one cron field allows; raises ValueError with the reason."""
    name, low, high = CRON_FIELDS[index]
    values: set[int] = set()
    for item in part.lower().split(","):
        body, _, step = item.partition("/")
        if step and not step.isdigit() or step == "0":
            raise ValueError(f"{name} step {step!r} must be a positive number")
        if body == "*":
            start, stop = low, high
        else:
            ends = [CRON_NAMES.get(index, {}).get(e, e) for e in body.split("-", 1)]
            if not all(str(e).isdigit() for e in ends):
                raise ValueError(f"{name} {item!r} is not a number, range or name")
            start, stop = int(ends[0]), int(ends[-1])
            if step and len(ends) == 1:
                stop = high
        if not (low <= start <= stop <= high):
            raise ValueError(f"{name} {item!r} is outside {low}-{high}")
        values.update(range(start, stop + 1, int(step or 1)))
    return values


def cron_problem(expression: str) -> str | None:
    if expression.strip().lower() in CRON_MACROS:
        return None
    parts = expression.split()
    if len(parts) != 5:
        return f"schedule_cron: {expression!r} needs 5 fields (minute hour day month weekday), e.g. '0 2 * * *'"
    try:
        fields = [cron_values(part, i) for i, part in enumerate(parts)]
    except ValueError as error:
        return f"schedule_cron: {error}"
    days, months, weekdays = fields[2], fields[3], parts[4]
    if weekdays == "*" and not any(day <= DAYS_IN_MONTH[m - 1] for m in months for day in days):
        return f"schedule_cron: {expression!r} never fires (no such day in those months)"
    return None


def timezone_problem(name: str) -> str | None:
    try:
        if not name or name != name.strip() or name.startswith(("/", ".")):
            raise ValueError
        zoneinfo.ZoneInfo(name)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return f"schedule_timezone: {name!r} is not an IANA time zone name, e.g. 'UTC' or 'Europe/Berlin'"
    return None


def problems(answers: dict) -> list[str]:
    found = [
        text_problem("project_name", answers["project_name"], 100),
        text_problem("description", answers["description"], 300, required=False),
        text_problem("author_name", answers["author_name"], 100),
        cron_problem(answers["schedule_cron"]),
        timezone_problem(answers["schedule_timezone"]),
    ]
    slug = answers["project_slug"]
    if not SLUG.match(slug) or len(slug) > 50:
        found.append(f"project_slug: {slug!r} must be lowercase letters, digits and single hyphens, starting with a letter, at most 50 characters")
    elif slug in RESERVED_SLUGS:
        found.append(f"project_slug: {slug!r} is reserved (it would shadow a package); pick another name")
    if not EMAIL.match(answers["author_email"]) or len(answers["author_email"]) > 254:
        found.append(f"author_email: {answers['author_email']!r} is not an email address like name@example.com")
    for question, allowed in CHOICES.items():
        if answers[question] not in allowed:
            found.append(f"{question}: {answers[question]!r} is not one of {', '.join(allowed)}")
    if answers["prefect_version"] not in TESTED_PREFECT:
        found.append(f"prefect_version: {answers['prefect_version']!r} is not supported; use one of {', '.join(TESTED_PREFECT)}")
    if not REPOSITORY.match(answers["repository_url"]):
        found.append(f"repository_url: {answers['repository_url']!r} must be an https://, ssh://, git@host:path or file:/// URL without spaces or quotes")
    if not BRANCH.match(answers["repository_branch"]):
        found.append(f"repository_branch: {answers['repository_branch']!r} is not a valid git branch name")
    storage, pool = answers["code_storage"], answers["work_pool_type"]
    if storage == "docker" and pool == "process":
        found.append("code_storage: 'docker' bakes the code into an image, which a process work pool cannot run; choose work_pool_type docker, kubernetes or ecs")
    if storage == "local" and pool != "process":
        found.append(f"code_storage: 'local' runs the worker's own checkout, which a {pool} container cannot see; use work_pool_type process, or git/s3/docker storage")
    if pool == "kubernetes" and answers["python_version"] == "3.10":
        found.append("python_version: prefect-kubernetes 0.8 needs Python 3.11 or newer; choose 3.11, 3.12 or 3.13 for a kubernetes work pool")
    return [line for line in found if line]


if __name__ == "__main__":
    mistakes = problems(ANSWERS)
    for mistake in mistakes:
        print(f"error: {mistake}", file=sys.stderr)
    sys.exit(1 if mistakes else 0)
