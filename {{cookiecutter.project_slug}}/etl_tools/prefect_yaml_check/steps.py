"""Build, push and pull steps, and the `{{ }}` templates in them (PY070-PY072).

A step is a one-key mapping: the function's import path, with its inputs indented under
it. Prefect fills `{{ step-id.output }}` from an earlier step, `{{ $VAR }}` from the
environment and `{{ prefect.blocks.* }}` / `{{ prefect.variables.* }}` from the server; a
template is a bare name (letters, digits, `.`, `-`, `$`, `[ ]`) between braces. Anything
else (a call, quotes, a filter, `{{ prefect.steps.x }}`) reaches the step as literal text.
"""

from __future__ import annotations

import difflib
import re

from .document import Document
from .locate import walk

# Prefect 3's built-in steps (prefect.deployments.steps, its pull and utility modules)
PREFECT_STEPS = {
    "git_clone", "agit_clone", "pull_from_remote_storage", "pull_with_block",
    "set_working_directory", "run_shell_script", "pip_install_requirements", "run_step",
}  # fmt: skip
STEP_MODULES = ("pull.", "utility.", "core.")
RENAMED_STEPS = {"git_clone_project": "git_clone"}
TEMPLATE = re.compile(r"\{\{(.*?)\}\}")
PLACEHOLDER = re.compile(r"^\s*([\w.\-\[\]$]+)\s*$")  # Prefect's own pattern
HEAD = re.compile(r"^\s*\$?([A-Za-z_][\w-]*)")
# besides step outputs: the run's context when a worker starts it (job_variables), events
FILLED_AT_RUN = {"flow_run", "flow", "deployment", "work_pool", "event", "ctx"}
FILLED_BY_PREFECT = ("prefect.blocks.", "prefect.variables.")


def check_steps(doc: Document) -> None:
    for where, steps in _sections(doc):
        listed = steps if isinstance(steps, list) else [steps]
        for number, step in enumerate(listed):
            if not isinstance(step, dict):
                continue
            at = where + ((number,) if isinstance(steps, list) else ())
            functions = [k for k in step if isinstance(k, str) and "." in k]
            if len(step) > 1 and functions:
                inputs = ", ".join(str(k) for k in step if k not in functions)
                doc.add(at + (functions[0],), "PY071", step=functions[0], inputs=inputs)
                continue
            for name in step:
                why = step_problem(name) if isinstance(name, str) else None
                if why:
                    doc.add(at + (name,), "PY070", step=name, why=why)


def _sections(doc: Document) -> list[tuple[tuple, object]]:
    """The step sections that run: a top-level one every deployment replaces never does."""
    deployments = doc.deployments()
    sections = [
        ((s,), doc.data.get(s))
        for s in ("build", "push", "pull")
        if not deployments or any(d.get(s) is None for _, d, _ in deployments)
    ]
    for index, deployment, _ in deployments:
        for s in ("build", "push", "pull"):
            sections.append((("deployments", index, s), deployment.get(s)))
    return sections


def step_problem(name: str) -> str | None:
    """Why a step's function does not import in Prefect 3, or None."""
    module, _, function = name.rpartition(".")
    if ".projects.steps." in name or module.endswith(".projects.steps"):
        new = module.replace(".projects.steps", ".deployments.steps")
        function = RENAMED_STEPS.get(function, function)
        return f"Prefect 2's name; use '{new}.{function}'"
    if name.startswith("prefect.deployments.steps."):
        function = name.removeprefix("prefect.deployments.steps.")
        for prefix in STEP_MODULES:
            function = function.removeprefix(prefix)
        if function not in PREFECT_STEPS:
            close = difflib.get_close_matches(function, PREFECT_STEPS, n=1)
            return f"no such step; did you mean {close[0]!r}?" if close else "no such step"
    elif "." not in name:
        return "a step is the full import path of a function, module.function"
    return None


def check_templates(doc: Document) -> None:
    """`{{ }}` that nothing fills stay literal text in the step or value."""
    ids = _step_ids(doc)
    places = [((s,), doc.data.get(s)) for s in ("build", "push", "pull")]
    for index, deployment, _ in doc.deployments():
        for key in ("build", "push", "pull", "work_pool", "parameters", "entrypoint"):
            places.append((("deployments", index, key), deployment.get(key)))
    for base, value in places:
        items = [(base, None, value)] if isinstance(value, str) else walk(value, base)
        for path, _, text in items:
            if isinstance(text, str):
                for content in TEMPLATE.findall(text):
                    why = unfilled(content, ids)
                    if why:
                        doc.add(path, "PY072", text=f"{{{{{content}}}}}", why=why)


def _step_ids(doc: Document) -> set[str]:
    sections = {k: doc.data.get(k) for k in ("build", "push", "pull")}
    for index, deployment, _ in doc.deployments():
        sections[index] = {k: deployment.get(k) for k in ("build", "push", "pull")}
    return {v for _, key, v in walk(sections) if key == "id" and isinstance(v, str)}


def unfilled(content: str, ids: set[str]) -> str | None:
    """Why Prefect leaves `{{content}}` as it is, or None when something fills it."""
    head = HEAD.match(content)
    name = head.group(1) if head else ""
    if not PLACEHOLDER.match(content):
        if name == "prefect" or name in ids or content.strip().startswith("$"):
            return "Prefect fills only a bare name: no calls, quotes, spaces or filters"
        return None  # not meant for Prefect (the flow's own template?)
    text = content.strip()
    if text.startswith("$") or name in ids or name in FILLED_AT_RUN:
        return None
    if name == "prefect":
        if text.startswith(FILLED_BY_PREFECT):
            return None
        return "Prefect fills only prefect.blocks.* and prefect.variables.*"
    rest = text[len(name) :]
    if not rest:
        return "a placeholder (of a prefect init recipe?) that nothing fills; write the value"
    close = difflib.get_close_matches(name, ids, n=1)
    return f"no step has id {name!r}" + (f"; did you mean {close[0]!r}?" if close else "")
