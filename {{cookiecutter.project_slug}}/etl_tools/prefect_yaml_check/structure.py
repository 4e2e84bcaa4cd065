"""Keys Prefect ignores, and deployments that cannot deploy as written (PY005-PY039, PY080).

Prefect's model ignores unknown keys without a word. An ignored key is reported when it
carries intent Prefect drops (an `env:`, a pool's settings, a deployment's fields written
one level too high); one that changes nothing (a `version: 3` marker, an empty mapping) is
house style, reported only with --strict.
"""

from __future__ import annotations

import difflib
import re

from .document import Document
from .locate import line_of

TOP_LEVEL_KEYS = {"name", "prefect-version", "build", "push", "pull", "deployments", "definitions"}
SECTIONS = ("build", "push", "pull", "deployments", "definitions")
DEPLOYMENT_KEYS = {
    "name", "version", "version_type", "tags", "description", "schedule", "schedules",
    "paused", "concurrency_limit", "flow_name", "entrypoint", "parameters",
    "enforce_parameter_schema", "build", "push", "pull", "work_pool", "triggers", "sla",
}  # fmt: skip
WORK_POOL_KEYS = {"name", "work_queue_name", "job_variables"}
# Top-level keys that say how runs should be made, none of which Prefect reads there.
INTENT_KEYS = {
    "env": "runs get no such environment; put it under each work_pool's job_variables.env",
    "environment": "runs get no such environment; put it under work_pool.job_variables.env",
    "job_variables": "it belongs under each deployment's work_pool",
    "work_pools": "prefect deploy creates no pool; create it with `prefect work-pool create`",
    "pools": "prefect deploy creates no pool; create it with `prefect work-pool create`",
    "work_queues": "prefect deploy creates no queue; name it in work_pool.work_queue_name",
    "flows": "deployments name their flow by entrypoint, under 'deployments'",
    "variables": "prefect deploy creates no variable; use `prefect variable set`",
    "blocks": "prefect deploy creates no block; create it in code or with `prefect block`",
    "automations": "write them as triggers under a deployment",
}
# What an ignored deployment key was probably meant to do, and how Prefect does it.
DEPLOYMENT_HINTS = {
    "env": "put it under work_pool.job_variables.env",
    "environment": "put it under work_pool.job_variables.env",
    "working_dir": "a set_working_directory pull step sets the folder runs start in",
    "working_directory": "a set_working_directory pull step sets the folder runs start in",
    "path": "a set_working_directory pull step sets the folder runs start in",
    "infra_overrides": "Prefect 2's; use work_pool.job_variables",
    "infrastructure": "Prefect 2's; the work pool runs the flow",
    "storage": "Prefect 2's; a pull step gets the code",
    "work_queue": "write work_pool.work_queue_name",
    "image": "put it under work_pool.job_variables.image",
}
# Deployment keys that describe the project as well: harmless beside a deployments list.
MARKERS = {"version", "description", "tags"}
SCHEDULE_DEFAULTS = {"day_or": True, "active": True}
SCHEDULE_KEYS = {"cron", "interval", "rrule", "timezone", "anchor_date", "active", "day_or"}
POOL_NAME_REFUSED = re.compile(r"[/%&<>]")


def _empty(value: object) -> bool:
    return value is None or value == {} or value == [] or value == ""


def check_top_level(doc: Document) -> None:
    has_deployments = bool(doc.deployments())
    # a deployment written at the top level (a Prefect 2 deployment.yaml saved as
    # prefect.yaml): its markers are part of it too
    at_top = any(key in DEPLOYMENT_KEYS - MARKERS - TOP_LEVEL_KEYS for key in doc.data)
    for key, value in doc.data.items():
        if not isinstance(key, str) or key in TOP_LEVEL_KEYS:
            continue
        close = difflib.get_close_matches(key, SECTIONS, n=1, cutoff=0.8)
        if close:
            doc.add((key,), "PY010", key=key, why=f"did you mean {close[0]!r}?")
        elif key in INTENT_KEYS and not _empty(value):
            doc.add((key,), "PY010", key=key, why=INTENT_KEYS[key])
        elif key in DEPLOYMENT_KEYS and not has_deployments and (at_top or key not in MARKERS):
            why = "this file has no 'deployments' list, so nothing deploys; write one"
            doc.add((key,), "PY010", key=key, why=why)
        elif key in DEPLOYMENT_KEYS and key not in MARKERS and _dropped(doc, key, value):
            why = "it belongs under each deployment (or in 'definitions', used with an anchor)"
            doc.add((key,), "PY010", key=key, why=why)
        else:
            doc.add((key,), "PY106", key=key)


def _dropped(doc: Document, key: str, value: object) -> bool:
    """Whether a deployment key at the top says something a deployment does not: some
    deployment lacks the key (a default that is not applied), and the value is not empty."""
    if _empty(value):
        return False
    return any(key not in deployment for _, deployment, _ in doc.deployments())


def check_deployments(doc: Document) -> None:
    deployments = doc.deployments()
    if doc.options.strict and not deployments:
        doc.add(("deployments",), "PY108")
    _check_names(doc, deployments)
    _check_twice(doc, deployments)
    for index, deployment, label in deployments:
        at = ("deployments", index)
        _check_keys(doc, at, deployment, label)
        _check_tags(doc, at, deployment, label)
        _check_pool(doc, at, deployment, label)
        if doc.options.strict:
            for key, code in (("description", "PY101"), ("tags", "PY102")):
                if not deployment.get(key):
                    doc.add(at + (key,), code, deployment=label)


def _check_names(doc: Document, deployments: list[tuple[int, dict, str]]) -> None:
    """`prefect deploy --all` (checked with Prefect 3.9.1): a file's only deployment is
    deployed, name or not, and without one deploying fails; among several, an unnamed
    one is skipped with a yellow line. prefect init's stanza (no name, no entrypoint)
    beside named deployments is skipped and loses nothing: not reported."""
    unnamed = [d for d in deployments if not d[1].get("name")]
    if len(deployments) == 1 and unnamed:
        ((index, deployment, label),) = unnamed
        if _skeleton(deployment):
            says, fix = "'An entrypoint must be provided'", "fill in prefect init's stanza"
        else:
            says, fix = "'A deployment name must be provided'", "give it a name"
        doc.add(("deployments", index), "PY038", deployment=label, says=says, fix=fix)
        return
    for index, deployment, label in unnamed:
        if not _skeleton(deployment) or len(unnamed) == len(deployments):
            doc.add(("deployments", index), "PY042", deployment=label)


def _check_twice(doc: Document, deployments: list[tuple[int, dict, str]]) -> None:
    """The same name for the same entrypoint twice: the later replaces the earlier on the
    server (Prefect 3.9.1 deploys both, the second over the first, without a word)."""
    seen: dict[tuple, int] = {}
    for index, deployment, label in deployments:
        name, entrypoint = deployment.get("name"), deployment.get("entrypoint")
        if not isinstance(name, str) or not isinstance(entrypoint, str):
            continue
        if (name, entrypoint) in seen:
            other = seen[(name, entrypoint)]
            doc.add(("deployments", index, "name"), "PY043", deployment=label, other=other)
        seen.setdefault((name, entrypoint), line_of(doc.node, ("deployments", index, "name")))


def _skeleton(deployment: dict) -> bool:
    """prefect init's stanza: no name and no entrypoint."""
    return not deployment.get("name") and not deployment.get("entrypoint")


def _check_keys(doc: Document, at: tuple, deployment: dict, label: str) -> None:
    for key, value in deployment.items():
        if not isinstance(key, str) or key in DEPLOYMENT_KEYS:
            continue
        if key == "job_variables" and not _empty(value):
            doc.add(at + (key,), "PY020", deployment=label)
        elif key == "work_queue_name" and not _empty(value):
            doc.add(at + (key,), "PY021", deployment=label)
        elif _harmless(deployment, key, value):
            doc.add(at + (key,), "PY109", deployment=label, key=key)
        else:
            close = difflib.get_close_matches(key, DEPLOYMENT_KEYS, n=1, cutoff=0.75)
            hint = f"did you mean {close[0]!r}?" if close else "check the spelling"
            hint = DEPLOYMENT_HINTS.get(key, hint)
            doc.add(at + (key,), "PY011", deployment=label, key=key, hint=hint)


def _harmless(deployment: dict, key: str, value: object) -> bool:
    """An ignored key that loses nothing: empty, Prefect 2's `is_schedule_active: true`
    (the default anyway), or a copy of what every schedule says already."""
    if _empty(value) or (key == "is_schedule_active" and value is not False):
        return True
    if key not in SCHEDULE_KEYS:
        return False
    if value == SCHEDULE_DEFAULTS.get(key, ...):
        return True
    schedules = deployment.get("schedules")
    schedules = schedules if isinstance(schedules, list) else [deployment.get("schedule")]
    return all(isinstance(s, dict) and s.get(key) == value for s in schedules)


def _check_tags(doc: Document, at: tuple, deployment: dict, label: str) -> None:
    tags = deployment.get("tags")
    if isinstance(tags, str) and tags.strip() and "{{" not in tags:
        chars = ", ".join(repr(c) for c in list(dict.fromkeys(tags))[:6])
        doc.add(at + ("tags",), "PY014", deployment=label, chars=chars, value=tags)
    for number, tag in enumerate(tags if isinstance(tags, list) else []):
        if isinstance(tag, (list, dict)):  # an alias's items carry the anchor's line
            kind = type(tag).__name__
            doc.add(at + ("tags",), "PY013", deployment=label, number=number + 1, kind=kind)


def _check_pool(doc: Document, at: tuple, deployment: dict, label: str) -> None:
    pool = deployment.get("work_pool")
    if isinstance(pool, dict):
        for key, value in pool.items():
            if not isinstance(key, str) or key in WORK_POOL_KEYS:
                continue
            if _empty(value):
                doc.add(at + ("work_pool", key), "PY109", deployment=label, key=f"work_pool.{key}")
            else:
                doc.add(at + ("work_pool", key), "PY012", deployment=label, key=key)
        name = pool.get("name")
        if isinstance(name, str):
            _check_pool_name(doc, at + ("work_pool", "name"), name)
    if _skeleton(deployment) or (pool is not None and not isinstance(pool, dict)):
        return  # skipped by prefect deploy, or refused by its model (PY003)
    if not isinstance(pool, dict) or not pool.get("name"):
        where = at + ("work_pool", "name") if isinstance(pool, dict) else at + ("work_pool",)
        doc.add(where, "PY039", deployment=label)


def _check_pool_name(doc: Document, path: tuple, name: str) -> None:
    if name.casefold().startswith("prefect"):
        doc.add(path, "PY080", name=name, why="names starting with 'prefect' are reserved")
    elif POOL_NAME_REFUSED.search(name) and "{{" not in name:
        doc.add(path, "PY080", name=name, why="'/', '%', '&', '<' and '>' are not allowed")


def check_duplicates(doc: Document, duplicates) -> None:
    for line, key, other in duplicates:
        doc.add_line(line, "PY005", key=key, other=other)
