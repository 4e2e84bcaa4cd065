"""Entrypoints and parameters, read from the flows' code without running it (PY030-PY041).

`prefect deploy` imports each entrypoint: `path/to/file.py:flow` relative to where it runs,
or `package.module:flow` from the Python path. The file is parsed (never imported) to find
the function, whether it is a `@flow`, and which parameters it takes.
"""

from __future__ import annotations

import ast
from pathlib import Path

from .document import Document

ABSOLUTE = ("/", "~")


def check_entrypoints(doc: Document) -> None:
    for index, deployment, label in doc.deployments():
        at = ("deployments", index)
        entrypoint = deployment.get("entrypoint")
        if not entrypoint and not deployment.get("name"):
            continue  # prefect init's stanza: skipped by prefect deploy, or PY038
        if not entrypoint:
            where = at + ("entrypoint",) if "entrypoint" in deployment else at
            doc.add(where, "PY030", deployment=label)
        elif isinstance(entrypoint, str) and _candidates(entrypoint) is None:
            where = at + ("entrypoint",)
            doc.add(where, "PY031", deployment=label, entrypoint=entrypoint)
        elif isinstance(entrypoint, str) and doc.options.code:
            _check_entrypoint(doc, at, deployment, label, entrypoint)


def _candidates(entrypoint: str) -> tuple[list[str], str] | None:
    """(files the entrypoint may be, function name), or None when Prefect cannot parse it
    (checked with Prefect 3.9.1: `flows.py` alone looks for a function named `py`)."""
    if "{{" in entrypoint:
        return [], ""  # filled in at deploy time
    if ".py:" in entrypoint:
        file_part, _, function = entrypoint.rpartition(":")
        return ([file_part], function.split(".")[0]) if function else None
    if ":" not in entrypoint and ("/" in entrypoint or entrypoint.endswith(".py")):
        return None  # a file needs its function: path/to/file.py:flow
    if ":" not in entrypoint and "." not in entrypoint:
        return None
    module, _, function = entrypoint.rpartition(":" if ":" in entrypoint else ".")
    parts = "/".join(module.split("."))
    return [f"{parts}.py", f"{parts}/__init__.py", f"src/{parts}.py"], function.split(".")[0]


def _check_entrypoint(doc: Document, at: tuple, deployment: dict, label: str, entrypoint: str):
    where = at + ("entrypoint",)
    candidates, function = _candidates(entrypoint) or ([], "")
    if not candidates:
        return
    roots = [doc.root, Path.cwd()]
    found = next(
        ((root / name, name) for root in roots for name in candidates if (root / name).is_file()),
        None,
    )
    if found is None:
        if ".py:" not in entrypoint:
            return  # a module path may be installed (a pip step, the image)
        if entrypoint.startswith(ABSOLUTE):
            doc.add(where, "PY041", deployment=label, entrypoint=entrypoint)
        else:
            doc.add(where, "PY032", deployment=label, file=candidates[0])
        return
    path, relative = found
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except (SyntaxError, ValueError):
        return  # the file's own problem; Python reports it
    signature = flow_signature(tree, function)
    if signature is None:
        doc.add(where, "PY033", deployment=label, function=function, file=relative)
    elif signature == "not a flow":
        doc.add(where, "PY034", deployment=label, function=function)
    elif signature != "unknown":
        _check_parameters(doc, at, deployment, label, signature)


def _check_parameters(doc: Document, at: tuple, deployment: dict, label: str, signature) -> None:
    names, required, any_keyword = signature
    given = deployment.get("parameters")
    given = given if isinstance(given, dict) else {}
    if not any_keyword:
        for name in given:
            if name not in names:
                listed = ", ".join(names) or "none"
                where = at + ("parameters", name)
                doc.add(where, "PY035", deployment=label, name=name, names=listed)
    missing = [name for name in required if name not in given]
    if not missing:
        return
    if not scheduled(deployment):
        if doc.options.strict:
            names = ", ".join(map(repr, missing))
            doc.add(at + ("parameters",), "PY107", deployment=label, names=names)
        return
    schedules = deployment.get("schedules")
    listed = schedules if isinstance(schedules, list) else [deployment.get("schedule")]
    for number, schedule in enumerate(listed):
        if not isinstance(schedule, dict) or not schedule:
            continue
        own = schedule.get("parameters") if isinstance(schedule.get("parameters"), dict) else {}
        lacking = [name for name in missing if name not in own]
        if lacking:
            where = at + (("schedules", number) if isinstance(schedules, list) else ("schedule",))
            doc.add(where, "PY036", deployment=label, names=", ".join(map(repr, lacking)))


def scheduled(deployment: dict) -> bool:
    schedules = deployment.get("schedules")
    if isinstance(schedules, list):
        return any(isinstance(s, dict) and s and s.get("active") is not False for s in schedules)
    schedule = deployment.get("schedule")
    return isinstance(schedule, dict) and bool(schedule) and schedule.get("active") is not False


def flow_signature(tree: ast.Module, function: str):
    """(names, required, takes **kwargs) of a module-level @flow, or why not: None (no such
    function), "not a flow", or "unknown" (imported, assigned, decorated otherwise)."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == function:
            return _signature(node)
        if _binds(node, function):
            return "unknown"
    if any(isinstance(n, ast.FunctionDef) and n.name == "__getattr__" for n in tree.body):
        return "unknown"
    for node in ast.walk(tree):  # defined under `if`/`try` at module level
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == function:
            return "unknown"
    return None


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef):
    if not node.decorator_list:
        return "not a flow"
    if not any(_is_flow_decorator(d) for d in node.decorator_list):
        return "unknown"  # another decorator may make it a flow
    args = node.args
    positional = args.posonlyargs + args.args
    required = [a.arg for a in positional[: len(positional) - len(args.defaults)]]
    required += [a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None]
    names = [a.arg for a in positional + args.kwonlyargs]
    return names, required, args.kwarg is not None


def _binds(node: ast.stmt, function: str) -> bool:
    """Whether a module-level statement binds the name some other way (import, class,
    `etl = flow(run)`)."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        bound = {(a.asname or a.name).split(".")[0] for a in node.names}
        return function in bound or "*" in bound
    if isinstance(node, ast.ClassDef):
        return node.name == function
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return any(getattr(t, "id", None) == function for t in targets)
    return False


def _is_flow_decorator(node: ast.expr) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    return name in ("flow", "Flow")
