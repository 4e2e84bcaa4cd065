"""Schedules: values prefect deploy refuses when it builds them, and copies (PY004, PY037).

Prefect's model takes any text as a cron or a timezone; `prefect deploy` then builds each
schedule and fails on a cron croniter cannot read, a timezone that is not an IANA name, or
an interval of zero or less (each seen with Prefect 3.9.1). The cron check here is a light
one (5 to 7 fields, or an @alias): it catches prose and missing fields, not every range.
"""

from __future__ import annotations

import functools
import re

from .document import Document

CRON_ALIASES = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
CRON_FIELD = re.compile(r"^[0-9A-Za-z*/,?#-]+$")


def check_schedules(doc: Document) -> None:
    for index, deployment, label in doc.deployments():
        at = ("deployments", index)
        schedules = deployment.get("schedules")
        listed = list(enumerate(schedules)) if isinstance(schedules, list) else []
        places = [(at + ("schedules", n), s) for n, s in listed]
        places.append((at + ("schedule",), deployment.get("schedule")))
        for where, schedule in places:
            if isinstance(schedule, dict):
                for key, value, why in refused(schedule):
                    fields = {"what": key, "value": value, "why": why}
                    doc.add(where + (key,), "PY004", deployment=label, **fields)
        _check_copies(doc, at, schedules, label)


def refused(schedule: dict) -> list[tuple[str, object, str]]:
    """(key, value, why) of each value prefect deploy refuses when it builds the schedule."""
    found = []
    cron, timezone, interval = (schedule.get(k) for k in ("cron", "timezone", "interval"))
    if isinstance(cron, str) and "{{" not in cron and not valid_cron(cron):
        found.append(("cron", cron, "5 fields: minute hour day month weekday, or @daily"))
    if isinstance(timezone, str) and "{{" not in timezone and not known_timezone(timezone):
        found.append(("timezone", timezone, "an IANA time zone name, such as Europe/Paris"))
    if isinstance(interval, (int, float)) and not isinstance(interval, bool) and interval <= 0:
        found.append(("interval", interval, "a number of seconds above 0"))
    return found


def valid_cron(cron: str) -> bool:
    fields = cron.split()
    if len(fields) == 1 and fields[0].lower() in CRON_ALIASES:
        return True
    return 5 <= len(fields) <= 7 and all(CRON_FIELD.match(field) for field in fields)


def known_timezone(name: str) -> bool:
    """Whether `name` is an IANA name this Python knows (any name, without tzdata).

    UTC, the usual answer, is known without listing the time zones: the list takes 20 ms,
    a third of a prefect.yaml's whole check."""
    if name == "UTC":
        return True
    zones = _timezones()
    return not zones or name in zones


@functools.cache
def _timezones() -> frozenset[str]:
    """The IANA names this Python knows (empty without tzdata: then nothing is checked)."""
    try:
        import zoneinfo

        return frozenset(zoneinfo.available_timezones())
    except Exception:  # noqa: BLE001 - no zoneinfo data here
        return frozenset()


def _check_copies(doc: Document, at: tuple, schedules: object, label: str) -> None:
    """The same schedule twice (repeated deploys append one): every run happens twice."""
    seen: dict[str, int] = {}
    for number, schedule in enumerate(schedules if isinstance(schedules, list) else []):
        if not isinstance(schedule, dict) or not schedule:
            continue
        same = repr(sorted((k, str(v)) for k, v in schedule.items() if k != "anchor_date"))
        if same in seen:
            first = seen[same] + 1
            where = at + ("schedules", number)
            doc.add(where, "PY037", deployment=label, number=number + 1, first=first)
        seen.setdefault(same, number)
