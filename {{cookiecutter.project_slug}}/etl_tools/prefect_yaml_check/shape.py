"""Values of the wrong kind, which make Prefect reject the whole file (PY003).

`prefect deploy` validates prefect.yaml with its model (`PrefectYamlModel`); one refused
value anywhere and it skips the whole file, then fails as if there were no deployment. The
same rules are written here in plain words, so they are reported without Prefect
installed ("schedule must be a mapping with cron, interval or rrule", not a list of
pydantic union members). When Prefect imports, its model runs too and adds what it refuses
beyond these rules, at the field it names.
"""

from __future__ import annotations

from .document import Document
from .locate import where

TEXT = ("name", "version", "version_type", "description", "flow_name", "entrypoint")
SCHEDULE_KEYS = {
    "cron", "interval", "rrule", "timezone", "anchor_date", "active", "parameters", "slug",
    "replaces", "day_or",
}  # fmt: skip
BOOLEAN_TEXT = {"true", "false", "yes", "no", "on", "off", "1", "0", "t", "f", "y", "n"}
ONE_OF = "a mapping with one of cron, interval or rrule"


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no)"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    return {dict: "a mapping", list: "a list", str: "text", type(None): "empty"}.get(
        type(value), type(value).__name__
    )


class Shape:
    """The checks, each reporting PY003 at the offending value's path."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.paths: list[tuple] = []  # what was reported, for Prefect's model to skip

    def bad(self, path: tuple, problem: str) -> None:
        self.paths.append(path)
        self.doc.add(path, "PY003", where=where(path), problem=problem)

    def check(self) -> list[tuple]:
        data = self.doc.data
        for key in ("name", "prefect-version"):
            self.text((key,), data.get(key))
        for section in ("build", "push", "pull"):
            self.steps((section,), data.get(section))
        deployments = data.get("deployments", [])
        if not isinstance(deployments, list):
            problem = f"must be a list of '- name: ...' items, not {_kind(deployments)}"
            self.bad(("deployments",), problem)
            return self.paths
        for index, deployment in enumerate(deployments):
            at = ("deployments", index)
            if not isinstance(deployment, dict):
                self.bad(at, f"a deployment must be a mapping, not {_kind(deployment)}")
            else:
                self.deployment(at, deployment)
        return self.paths

    def text(self, path: tuple, value: object) -> None:
        if value is None or isinstance(value, str):
            return
        hint = f" (write it in quotes: '{value}')" if isinstance(value, (int, float)) else ""
        self.bad(path, f"must be text, not {_kind(value)}{hint}")

    def steps(self, path: tuple, steps: object) -> None:
        if steps is None or isinstance(steps, dict):
            return
        if not isinstance(steps, list):
            self.bad(path, f"must be a list of steps, not {_kind(steps)}")
            return
        for number, step in enumerate(steps):
            if not isinstance(step, dict):
                self.bad(path + (number,), f"a step must be a mapping, not {_kind(step)}")

    def deployment(self, at: tuple, deployment: dict) -> None:
        for key in TEXT:
            self.text(at + (key,), deployment.get(key))
        for key in ("build", "push", "pull"):
            self.steps(at + (key,), deployment.get(key))
        self.mapping(at + ("parameters",), deployment, "of parameter names and values")
        tags = deployment.get("tags")
        if tags is not None and not isinstance(tags, (str, list)):
            self.bad(at + ("tags",), f"must be a list of tags, not {_kind(tags)}")
        for key in ("paused", "enforce_parameter_schema"):
            self.boolean(at + (key,), deployment.get(key))
        limit = deployment.get("concurrency_limit")
        if isinstance(limit, (float, bool, list)) or (
            isinstance(limit, str) and not limit.strip().isdigit()
        ):
            self.bad(at + ("concurrency_limit",), f"must be a whole number, not {_kind(limit)}")
        for key in ("triggers", "sla", "schedules"):
            value = deployment.get(key)
            if value is not None and not isinstance(value, list):
                self.bad(at + (key,), f"must be a list, not {_kind(value)}")
        self.schedule(at + ("schedule",), deployment.get("schedule"), optional=True)
        schedules = deployment.get("schedules")
        for number, schedule in enumerate(schedules if isinstance(schedules, list) else []):
            self.schedule(at + ("schedules", number), schedule, optional=False)
        self.work_pool(at + ("work_pool",), deployment.get("work_pool"))

    def mapping(self, path: tuple, parent: dict, what: str) -> None:
        """A key Prefect defaults to {} when it is absent, but refuses when it is empty."""
        if path[-1] not in parent or isinstance(parent[path[-1]], dict):
            return
        value = parent[path[-1]]
        if value is None:
            self.bad(path, "is empty; write {} or delete the line")
        else:
            self.bad(path, f"must be a mapping {what}, not {_kind(value)}")

    def boolean(self, path: tuple, value: object) -> None:
        if value is None or isinstance(value, bool):
            return
        if isinstance(value, str) and value.strip().lower() in BOOLEAN_TEXT:
            return
        if isinstance(value, int) and value in (0, 1):
            return
        self.bad(path, f"must be true or false, not {_kind(value)}")

    def schedule(self, path: tuple, schedule: object, optional: bool) -> None:
        if optional and schedule is None:
            return
        if not isinstance(schedule, dict):
            example = ""
            if isinstance(schedule, str):
                example = f" (write {{cron: '{schedule}'}} if it is a cron)"
            self.bad(path, f"must be {ONE_OF}, not {_kind(schedule)}{example}")
            return
        if not schedule or "schedule" in schedule:
            return  # empty (no schedule), or Prefect's own stored form
        unknown = [key for key in schedule if key not in SCHEDULE_KEYS]
        for key in unknown:
            self.bad(path + (key,), "is no schedule key Prefect takes (it refuses the schedule)")
        if not unknown and sum(k in schedule for k in ("cron", "interval", "rrule")) != 1:
            self.bad(path, f"must be {ONE_OF} (exactly one)")
        if "parameters" in schedule:
            self.mapping(path + ("parameters",), schedule, "of parameter names and values")

    def work_pool(self, path: tuple, pool: object) -> None:
        if pool is None:
            return
        if not isinstance(pool, dict):
            self.bad(path, f"must be a mapping (name:, job_variables:), not {_kind(pool)}")
            return
        for key in ("name", "work_queue_name"):
            self.text(path + (key,), pool.get(key))
        self.mapping(path + ("job_variables",), pool, "of job variables")


def check_shape(doc: Document) -> list[tuple]:
    """Report what Prefect's model refuses; the data paths reported."""
    return Shape(doc).check()


# --- Prefect's own model, when it is installed ---------------------------------------------


def prefect_model():
    """(PrefectYamlModel, ValidationError), or None without Prefect."""
    try:
        from prefect.cli.deploy._models import PrefectYamlModel  # private, but Prefect's rules
        from pydantic import ValidationError
    except Exception:  # noqa: BLE001 - any import failure means: no Prefect here
        return None
    return PrefectYamlModel, ValidationError


def check_with_prefect(doc: Document, model, known: list[tuple]) -> bool:
    """Prefect's own validation; one finding per field it names that the plain rules did
    not report already. True when the file passed."""
    prefect_yaml_model, validation_error = model
    try:
        prefect_yaml_model.model_validate(doc.data)
        return True
    except validation_error as error:
        errors = error.errors()
    except Exception as error:  # noqa: BLE001 - the model's own validators raise TypeError
        doc.add((), "PY003", where="the file", problem=f"is refused by Prefect's model: {error}")
        return False
    members: dict[tuple, str] = {}  # data path of a union -> the member reported for it
    for item in errors:
        path, member = _data_path(doc.data, list(item.get("loc", ())))
        if member and members.setdefault(member[0], member[1]) != member[1]:
            continue  # one union member's complaints are enough (the first, as the rules)
        if any(path[: len(k)] == k for k in known):
            continue  # said already, in plain words
        problem = "is required" if item.get("type") == "missing" else item.get("msg", "invalid")
        problem = problem if problem == "is required" else f"is refused by Prefect: {problem}"
        doc.add(path, "PY003", where=where(path) or "the file", problem=problem)
    return False


def _data_path(data: object, loc: list) -> tuple[tuple, tuple | None]:
    """The file's path of a pydantic error location, and (where, name) of the union member
    it names."""
    path: tuple = ()
    member = None
    while loc:
        part = loc.pop(0)
        present = isinstance(data, dict) and part in data
        present = present or isinstance(data, list) and isinstance(part, int) and part < len(data)
        if present:
            data, path = data[part], path + (part,)  # type: ignore[index]
        elif loc:
            member = member or (path, str(part))  # a union member's name, not a file's key
        else:
            path += (part,)
    return path, member
