"""One file, start to end: parse it, run every check in order, keep what is not ignored."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from . import deep, entrypoints, schedules, shape, steps, structure, values
from .document import Document, Options
from .locate import MAX_NODES, duplicate_keys, expanded_size
from .rules import Finding, finding

SUPPRESS = re.compile(r"#\s*prefect-yaml-check:\s*ignore(?:\[([A-Z0-9, ]+)\])?")


def check_text(text: str, path: Path, options: Options) -> tuple[list[Finding], int]:
    """Findings for one prefect.yaml's text (before ignores), and its deployments."""
    parsed = _parse(text)
    if isinstance(parsed, Finding):
        return [parsed], 0
    data, node = parsed
    doc = Document(path, text, data, node, options)
    structure.check_duplicates(doc, duplicate_keys(node))
    known = shape.check_shape(doc)
    model = shape.prefect_model() if options.prefect is not False else None
    if options.prefect and model is None:
        problem = "cannot be validated with Prefect's model: Prefect does not import here"
        doc.add((), "PY003", where="the file", problem=problem)
    valid = shape.check_with_prefect(doc, model, known) if model else not known
    structure.check_top_level(doc)
    structure.check_deployments(doc)
    schedules.check_schedules(doc)
    entrypoints.check_entrypoints(doc)
    steps.check_steps(doc)
    steps.check_templates(doc)
    values.check_values(doc)
    if options.strict:
        values.check_documented_variables(doc)
    if options.deep and valid and not any(f.severity == "error" for f in doc.findings):
        deep.check_flows(doc)
        deep.check_job_variables(doc)
    return doc.findings, len(doc.deployments())


def _parse(text: str) -> tuple[dict, yaml.Node] | Finding:
    """(data, node tree) of a prefect.yaml, or the one finding that says why not."""
    loader = yaml.SafeLoader(text)  # parsed once: the node tree, then the data built from it
    try:
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        return finding(mark.line + 1 if mark else 1, "PY001", reason=f"not valid YAML: {problem}")
    except RecursionError:
        return finding(1, "PY001", reason="not valid YAML: nested too deeply")
    finally:
        loader.dispose()
    if data is None:
        return finding(1, "PY002", reason="is empty")
    if expanded_size(node) > MAX_NODES:
        return finding(1, "PY002", reason="is too large once its aliases are expanded")
    if not isinstance(data, dict):
        return finding(1, "PY002", reason=f"is a {type(data).__name__}")
    return data, node


def check_file(path: Path, options: Options | None = None) -> tuple[list[Finding], int]:
    """Findings for one prefect.yaml (after ignores, suppressions and, without --strict,
    the house style rules), and how many deployments it has."""
    options = options or Options()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return [finding(1, "PY000")], 0
    except (OSError, UnicodeDecodeError) as error:
        return [finding(1, "PY001", reason=str(error))], 0
    findings, count = check_text(text, Path(path), options)
    return _kept(findings, text.splitlines(), options), count


def _kept(findings: list[Finding], lines: list[str], options: Options) -> list[Finding]:
    kept, seen = [], set()
    for item in sorted(set(findings)):
        if (item.line, item.code) in seen:
            continue  # an anchor's line, reached again through each alias of it
        seen.add((item.line, item.code))
        if item.code in options.ignore or (item.severity == "style" and not options.strict):
            continue
        line = lines[item.line - 1] if 0 < item.line <= len(lines) else ""
        if not suppressed(line, item.code):
            kept.append(item)
    return kept


def suppressed(line: str, code: str) -> bool:
    """`# prefect-yaml-check: ignore` (all rules) or `ignore[PY050, PY060]` on the line."""
    match = SUPPRESS.search(line)
    return bool(match) and (not match.group(1) or code in match.group(1))
