"""Check a `prefect.yaml` for what `prefect deploy` rejects or silently changes.

    prefect-yaml-check [PATH ...] [--strict] [--ignore CODE] [--pool-type TYPE] [--no-code]
    python -m etl_tools.prefect_yaml_check ...       # the same, inside a generated project

One line per finding, `path:line: CODE message`, at the line of the offending key; an
`ok: ...` line when a file is clean; exit 1 when anything was found. By default only what
fails or silently changes behaviour is reported; `--strict` adds the generated project's
house style (descriptions, tags, documented `{{ $VARS }}`, no absolute paths, parameters
for on-demand runs). Rule codes are stable: skip one with `--ignore CODE`, in
`[tool.prefect-yaml-check]` of a `pyproject.toml` (`ignore = ["PY050"]`, `strict = true`,
`pool-type = "docker"`), or on the line itself with `# prefect-yaml-check: ignore[PY050]`.

The core needs only the standard library and PyYAML. When Prefect is importable, its own
model of the file (`PrefectYamlModel`) validates first and its field locations are
reported; `--deep` also imports each flow (this runs the project's code).

This one file is the single source: the template's root package installs it as the
`prefect-yaml-check` command, and every generated project carries it in `etl_tools/`.
"""

from __future__ import annotations

import ast
import difflib
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

RULES = {
    # correctness: fails at deploy or run time, or silently changes behaviour
    "PY001": "the file cannot be read or is not valid YAML",
    "PY002": "the file is not a mapping of prefect.yaml sections",
    "PY003": "Prefect's own model of prefect.yaml rejects it (the whole file is skipped)",
    "PY005": "a key is written twice; YAML keeps the last one",
    "PY010": "a top-level key Prefect ignores (misspelt, or a deployment key at the top)",
    "PY011": "a deployment key Prefect ignores",
    "PY012": "a work_pool key Prefect ignores",
    "PY013": "a tag that is not a string",
    "PY020": "job_variables beside work_pool instead of inside it (dropped by prefect deploy)",
    "PY021": "work_queue_name on the deployment instead of its work_pool (ignored)",
    "PY030": "a deployment without an entrypoint",
    "PY031": "an entrypoint Prefect cannot parse",
    "PY032": "the entrypoint's file does not exist",
    "PY033": "the entrypoint's function is not in its file",
    "PY034": "the entrypoint's function is not a flow",
    "PY035": "a parameter the flow does not take",
    "PY036": "a scheduled deployment misses a required flow parameter",
    "PY037": "the same schedule twice on one deployment (every run happens twice)",
    "PY040": "a path on one person's machine (set_working_directory written by prefect deploy)",
    "PY050": "an image on a moving 'latest' tag",
    "PY051": "an image name Docker refuses (capital letters in the repository)",
    "PY060": "a secret in plain text",
    "PY061": "a secret block inside job_variables or parameters (stored in plain text)",
    "PY070": "a step function that does not import in Prefect 3",
    "PY071": "a step whose inputs are not indented under its function",
    "PY072": "a {{ reference }} that no step or Prefect fills (left as literal text)",
    "PY080": "a work pool name the server refuses (names starting with 'prefect' are reserved)",
    "PY090": "the flow does not load or its parameters do not validate (--deep)",
    "PY091": "a job variable the pool's worker does not take (--deep, pool type known)",
    # house style (--strict): the generated project's own rules
    "PY101": "a deployment without a description",
    "PY102": "a deployment without tags",
    "PY103": "a deployment without a work pool",
    "PY104": "a {{ $VAR }} that .env.example does not document",
    "PY105": "an absolute path (not a container path)",
    "PY106": "a top-level key Prefect ignores",
    "PY107": "an on-demand deployment misses a required flow parameter",
    "PY108": "no deployments",
}
STRICT_RULES = {code for code in RULES if code >= "PY100"}

TOP_LEVEL_KEYS = {"name", "prefect-version", "build", "push", "pull", "deployments", "definitions"}
DEPLOYMENT_KEYS = {
    "name",
    "version",
    "version_type",
    "tags",
    "description",
    "schedule",
    "schedules",
    "paused",
    "concurrency_limit",
    "flow_name",
    "entrypoint",
    "parameters",
    "enforce_parameter_schema",
    "build",
    "push",
    "pull",
    "work_pool",
    "triggers",
    "sla",
}
WORK_POOL_KEYS = {"name", "work_queue_name", "job_variables"}
SCHEDULE_DEFAULTS = {"day_or": True, "active": True}
SCHEDULE_KEYS = {
    "cron", "interval", "rrule", "timezone", "anchor_date", "active", "parameters", "slug",
    "replaces", "day_or",
}  # fmt: skip
# Prefect 3's built-in steps (prefect.deployments.steps); others import from their package.
PREFECT_STEPS = {
    "git_clone",
    "pull_from_remote_storage",
    "pull_with_block",
    "set_working_directory",
    "run_shell_script",
    "pip_install_requirements",
}
RENAMED_STEPS = {"git_clone_project": "git_clone", "set_working_directory": "set_working_directory"}
CONTAINER_POOLS = {
    "docker",
    "kubernetes",
    "ecs",
    "cloud-run",
    "cloud-run-v2",
    "vertex-ai",
    "azure-container-instance",
    "modal",
    "coiled",
}
ENV_VAR = re.compile(r"\{\{\s*\$([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
TEMPLATED = re.compile(r"\{\{.*\}\}")
HOST_ONLY_PATH = re.compile(r"^(/Users/|~|[A-Za-z]:[\\/])")  # never inside a Linux container
HOME_PATH = re.compile(r"^(/Users/|/home/|/root(/|$)|/workspaces/|/mnt/[a-z]/|~|[A-Za-z]:[\\/])")
ABSOLUTE_PATH = re.compile(r"^(/|~|[A-Za-z]:[\\/])")
TOKENS = re.compile(
    r"\b(pnu_[A-Za-z0-9]{30,}|pnb_[A-Za-z0-9]{30,}|gh[pousr]_[A-Za-z0-9]{30,}"
    r"|github_pat_[A-Za-z0-9_]{40,}|glpat-[A-Za-z0-9_-]{20,}|AKIA[0-9A-Z]{16}"
    r"|xox[abpr]-[A-Za-z0-9-]{10,}|sk-[A-Za-z0-9]{32,})"
    r"|hooks\.slack\.com/services/T[A-Z0-9]+/"
)
SECRET_KEY = re.compile(
    r"(^|_)(password|passwd|secret|token|api_?key|access_?key|secret_?key|private_?key|auth_?key)$",
    re.IGNORECASE,
)
SECRET_BLOCK = re.compile(r"\{\{\s*prefect\.blocks\.(secret|[\w-]*credentials)\.", re.IGNORECASE)
REFERENCE = re.compile(r"\{\{\s*([A-Za-z_][\w-]*)((?:\.[\w-]+)*)\s*\}\}")
# what Prefect fills in a {{ }} besides step outputs: blocks and variables at deploy time,
# the run's context when a worker starts it (job_variables), events (triggers)
FILLED_BY_PREFECT = {"prefect", "flow_run", "flow", "deployment", "work_pool", "event", "ctx"}
SUPPRESS = re.compile(r"#\s*prefect-yaml-check:\s*ignore(?:\[([A-Z0-9, ]+)\])?")


@dataclass(frozen=True, order=True)
class Finding:
    line: int
    code: str
    message: str

    def format(self, path: str) -> str:
        return f"{path}:{self.line}: {self.code} {self.message}"


@dataclass
class Options:
    strict: bool = False
    ignore: frozenset[str] = frozenset()
    pool_type: str | None = None
    code: bool = True
    prefect: bool | None = None  # None: use Prefect's model when it imports
    deep: bool = False
    root: Path | None = None  # where `prefect deploy` runs; default: the file's folder


# --- the YAML, with the line of every key --------------------------------------------------


def _child(node: yaml.Node, key: object) -> tuple[yaml.Node, yaml.Node] | None:
    """(key node, value node) of a mapping entry, following `<<:` merges like PyYAML."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in reversed(node.value):
            if (
                isinstance(key_node, yaml.ScalarNode)
                and key_node.value == str(key)
                and key_node.tag != "tag:yaml.org,2002:merge"
            ):
                return key_node, value_node
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                merged = (
                    value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                )
                for source in merged:
                    found = _child(source, key)
                    if found:
                        return found
    return None


def line_of(node: yaml.Node | None, path: tuple) -> int:
    """The 1-based line of the deepest key or item of `path` the document has."""
    if node is None:
        return 1
    line = node.start_mark.line + 1
    for part in path:
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
            continue
        found = _child(node, part)
        if found is None:
            break
        key_node, node = found
        line = key_node.start_mark.line + 1
    return line


MAX_NODES = 1_000_000


def _expanded_size(node: yaml.Node, sizes: dict[int, int]) -> int:
    """How many nodes the document has with every alias expanded (linear time)."""
    if id(node) not in sizes:
        sizes[id(node)] = 1  # a node being counted (YAML allows no cycles here)
        children = []
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [item for pair in node.value for item in pair]
        sizes[id(node)] = 1 + sum(_expanded_size(child, sizes) for child in children)
    return sizes[id(node)]


def _duplicate_keys(node: yaml.Node, seen: set[int]) -> list[Finding]:
    if id(node) in seen:
        return []
    seen.add(id(node))
    findings = []
    if isinstance(node, yaml.MappingNode):
        keys: dict[str, int] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                if key_node.value in keys:
                    findings.append(
                        Finding(
                            key_node.start_mark.line + 1,
                            "PY005",
                            f"key {key_node.value!r} is written twice (also line "
                            f"{keys[key_node.value]}); YAML keeps this one and drops the other",
                        )
                    )
                keys[key_node.value] = key_node.start_mark.line + 1
            findings += _duplicate_keys(value_node, seen)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            findings += _duplicate_keys(item, seen)
    return findings


def _walk(value: object, path: tuple = ()):
    """Every (path, key or None, value) below `value`, depth first."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield path + (key,), key, item
            yield from _walk(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield path + (index,), None, item
            yield from _walk(item, path + (index,))


def _where(path: tuple) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# --- configuration -------------------------------------------------------------------------


def read_config(start: Path) -> dict:
    """`[tool.prefect-yaml-check]` of the nearest pyproject.toml at or above `start`."""
    for folder in [start, *start.parents]:
        path = folder / "pyproject.toml"
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            try:
                import tomllib
            except ImportError:  # Python 3.10: read the few keys by hand
                return _config_by_hand(text)
            try:
                return tomllib.loads(text).get("tool", {}).get("prefect-yaml-check", {})
            except tomllib.TOMLDecodeError:
                return {}
    return {}


def _config_by_hand(text: str) -> dict:
    match = re.search(r"^\[tool\.prefect-yaml-check\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    if not match:
        return {}
    config: dict[str, Any] = {}
    for key, value in re.findall(r"^([\w-]+)\s*=\s*(.+)$", match.group(1), re.M):
        if value.startswith("["):
            config[key] = re.findall(r"[\"']([^\"']+)[\"']", value)
        elif value.strip() in ("true", "false"):
            config[key] = value.strip() == "true"
        else:
            config[key] = value.strip().strip("\"'")
    return config


# --- the checks ----------------------------------------------------------------------------


class _File:
    """One prefect.yaml: its data, its node tree and what is known about where code runs."""

    def __init__(self, path: Path, data: dict, node: yaml.Node, options: Options):
        self.path = path
        self.data = data
        self.node = node
        self.options = options
        self.root = options.root or path.parent
        self.findings: list[Finding] = []
        self.workdirs = _dockerfile_workdirs(self.root, data)

    def add(self, path: tuple, code: str, message: str) -> None:
        self.findings.append(Finding(line_of(self.node, path), code, message))

    def deployments(self) -> list[tuple[int, dict, str]]:
        found = self.data.get("deployments")
        if not isinstance(found, list):
            return []
        return [
            (index, item, repr(item.get("name")) if item.get("name") else f"#{index + 1}")
            for index, item in enumerate(found)
            if isinstance(item, dict)
        ]

    def pool_type(self) -> str | None:
        """The pool's type when it is known: an option, or `definitions.work_pool_type`."""
        definitions = self.data.get("definitions")
        if self.options.pool_type is None and isinstance(definitions, dict):
            found = definitions.get("work_pool_type")
            return found if isinstance(found, str) else None
        return self.options.pool_type

    def in_container(self, deployment: dict) -> bool:
        """Whether this deployment's runs are in a container: from the pool's type if known,
        else from an image in the file."""
        pool_type = self.pool_type()
        if isinstance(pool_type, str):
            return pool_type in CONTAINER_POOLS
        pool = deployment.get("work_pool")
        variables = pool.get("job_variables") if isinstance(pool, dict) else None
        if isinstance(variables, dict) and variables.get("image"):
            return True
        return any("docker" in str(step) or "image" in str(step) for step in self._steps("build"))

    def _steps(self, section: str, deployment: dict | None = None) -> list:
        steps = (deployment or {}).get(section) or self.data.get(section) or []
        return steps if isinstance(steps, list) else [steps]


def _dockerfile_workdirs(root: Path, data: dict) -> list[str]:
    """WORKDIR paths of the Dockerfiles the file builds, or of any `Dockerfile` in the
    repository's top two levels (not a dev container's), with ARG/ENV defaults filled in."""
    paths = {root / "Dockerfile", *root.glob("*/Dockerfile")}
    for _, key, value in _walk(data.get("build")):
        if key == "dockerfile" and isinstance(value, str) and value != "auto":
            paths.add(root / value)
    workdirs = []
    for path in sorted(paths):
        if ".devcontainer" in path.parts:
            continue
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        values = dict(re.findall(r"^\s*(?:ARG|ENV)\s+(\w+)[= ]\"?([^\s\"]+)", text, re.M | re.I))
        for workdir in re.findall(r"^\s*WORKDIR\s+[\"']?([^\s\"']+)", text, re.M | re.I):
            workdirs.append(
                re.sub(r"\$\{?(\w+)\}?", lambda m, v=values: v.get(m.group(1), m.group(0)), workdir)
            )
    return [w.rstrip("/") or "/" for w in workdirs if w.startswith("/")]


def _check_top_level(f: _File) -> None:
    for key in f.data:
        if not isinstance(key, str) or key in TOP_LEVEL_KEYS:
            continue
        close = difflib.get_close_matches(key, TOP_LEVEL_KEYS, n=1, cutoff=0.8)
        if close and close[0] not in ("name", "prefect-version"):  # those two are unused
            f.add(
                (key,),
                "PY010",
                f"unknown top-level key {key!r} (Prefect ignores it; did you mean {close[0]!r}?)",
            )
        elif key in DEPLOYMENT_KEYS | {"job_variables", "work_queue_name"}:
            f.add(
                (key,),
                "PY010",
                f"{key!r} at the top level is ignored by Prefect; "
                "it belongs under each deployment (or in 'definitions' with an anchor)",
            )
        else:
            f.add(
                (key,),
                "PY106",
                f"unknown top-level key {key!r} (Prefect ignores it; "
                "put shared parts under 'definitions')",
            )


# Deployment keys whose value must be a container: Prefect rejects anything else.
CONTAINER_KEYS = {
    "work_pool": (dict, "a mapping"),
    "parameters": (dict, "a mapping"),
    "schedules": (list, "a list"),
}


def _check_shape(f: _File) -> None:
    """What Prefect's model rejects, for when Prefect is not installed."""
    deployments = f.data.get("deployments")
    if deployments is not None and not isinstance(deployments, list):
        f.add(
            ("deployments",),
            "PY003",
            "deployments must be a list of mappings "
            f"('- name: ...'), not a {type(deployments).__name__}",
        )
        return
    for section in ("build", "push", "pull"):
        steps = f.data.get(section)
        if steps is not None and not isinstance(steps, (list, dict)):
            f.add((section,), "PY003", f"{section} must be a list of steps")
    for index, deployment in enumerate(deployments or []):
        if not isinstance(deployment, dict):
            f.add(("deployments", index), "PY003", f"deployments[{index}] must be a mapping")
            continue
        for key in ("name", "version", "description", "entrypoint", "flow_name"):
            value = deployment.get(key)
            if value is not None and not isinstance(value, str):
                kind = type(value).__name__
                f.add(
                    ("deployments", index, key),
                    "PY003",
                    f"deployments[{index}].{key}: must be a string, not {kind}",
                )
        for key, (kind, what) in CONTAINER_KEYS.items():
            value = deployment.get(key)
            if value is not None and not isinstance(value, kind):
                f.add(
                    ("deployments", index, key),
                    "PY003",
                    f"deployments[{index}].{key} must be {what}",
                )
        schedules = deployment.get("schedules")
        for number, schedule in enumerate(schedules if isinstance(schedules, list) else []):
            where = ("deployments", index, "schedules", number)
            if not isinstance(schedule, dict):
                f.add(where, "PY003", f"{_where(where)} must be a mapping")
            elif schedule and "schedule" not in schedule:
                for key in schedule:
                    if key not in SCHEDULE_KEYS:
                        f.add(
                            where + (key,),
                            "PY003",
                            f"{_where(where + (key,))}: Extra inputs are not permitted",
                        )
                if sum(k in schedule for k in ("cron", "interval", "rrule")) == 1:
                    continue
                f.add(
                    where,
                    "PY003",
                    f"{_where(where)}: exactly one of 'cron', 'interval', 'rrule'",
                )


def _prefect_model():
    try:
        from prefect.cli.deploy._models import PrefectYamlModel  # private, but Prefect's rules
        from pydantic import ValidationError
    except Exception:  # noqa: BLE001 - any import failure means: no Prefect here
        return None
    return PrefectYamlModel, ValidationError


def _check_with_prefect(f: _File, model) -> bool:
    """Prefect's own validation; one finding per field it names. True when it passed."""
    PrefectYamlModel, ValidationError = model
    try:
        PrefectYamlModel.model_validate(f.data)
        return True
    except ValidationError as error:
        errors = error.errors()
    except Exception as error:  # noqa: BLE001 - the model's own validators raise TypeError
        f.add((), "PY003", f"Prefect's model rejects the file: {error}")
        return False
    reported: dict[tuple, str] = {}  # data path of a union -> the member reported for it
    for item in errors:
        data, path, member = f.data, (), None
        loc = list(item.get("loc", ()))
        while loc:
            part = loc.pop(0)
            present = isinstance(data, dict) and part in data
            present = (
                present or isinstance(data, list) and isinstance(part, int) and part < len(data)
            )
            if present:
                data, path = data[part], path + (part,)
            elif loc:  # a union member's name, not a key of the file
                member = member or (path, part)
            else:
                path += (part,)
        if member:
            first = reported.setdefault(member[0], member[1])
            if first != member[1]:
                continue
        message = item.get("msg", "invalid")
        if item.get("type") == "missing":
            message = f"{_where(path)} is required"
        else:
            message = f"{_where(path) or 'the file'}: {message}"
        f.add(path, "PY003", f"{message} (Prefect skips this prefect.yaml)")
    return False


def _check_deployment(f: _File, index: int, deployment: dict, label: str) -> None:
    at = ("deployments", index)
    for key in deployment:
        if not isinstance(key, str) or key in DEPLOYMENT_KEYS:
            continue
        if key == "job_variables":
            f.add(
                at + (key,),
                "PY020",
                f"deployment {label}: job_variables beside work_pool "
                "are dropped by prefect deploy; move them under work_pool",
            )
        elif key == "is_schedule_active" and deployment[key] is not False:
            continue  # Prefect 2's switch; ignored now, and `true` was the default anyway
        elif key in SCHEDULE_KEYS and _repeats_schedules(deployment, key):
            continue  # a stray copy of what every schedule says already
        elif key == "work_queue_name":
            f.add(
                at + (key,),
                "PY021",
                f"deployment {label}: work_queue_name here is ignored "
                "(runs go to the pool's default queue); move it under work_pool",
            )
        else:
            close = difflib.get_close_matches(key, DEPLOYMENT_KEYS, n=1, cutoff=0.75)
            hint = f"did you mean {close[0]!r}?" if close else "check the spelling"
            f.add(
                at + (key,),
                "PY011",
                f"unknown key {key!r} in deployment {label} (Prefect ignores it; {hint})",
            )
    tags = deployment.get("tags")
    if isinstance(tags, list):
        for number, tag in enumerate(tags):
            if isinstance(tag, (list, dict)):
                f.add(
                    at + ("tags",),  # an alias's items carry the anchor's line
                    "PY013",
                    f"deployment {label}: tag {number + 1} is a {type(tag).__name__}, not a "
                    "string (an alias of a list inside a list?); deploying fails",
                )
    pool = deployment.get("work_pool")
    if isinstance(pool, dict):
        for key in pool:
            if isinstance(key, str) and key not in WORK_POOL_KEYS:
                f.add(
                    at + ("work_pool", key),
                    "PY012",
                    f"unknown work_pool key {key!r} in "
                    f"deployment {label} (allowed: {', '.join(sorted(WORK_POOL_KEYS))})",
                )
        name = pool.get("name")
        if isinstance(name, str) and name.casefold().startswith("prefect"):
            f.add(
                at + ("work_pool", "name"),
                "PY080",
                f"work pool {name!r}: the server refuses "
                "pool names starting with 'prefect' (reserved); rename the pool",
            )
    if f.options.strict:
        for key, code in (("description", "PY101"), ("tags", "PY102")):
            if not deployment.get(key):
                f.add(at + (key,), code, f"deployment {label}: give it {key}")
        if not isinstance(pool, dict) or not pool.get("name"):
            f.add(at + ("work_pool",), "PY103", f"deployment {label}: work_pool needs a name")
    schedules = deployment.get("schedules")
    seen: dict[str, int] = {}
    for number, schedule in enumerate(schedules if isinstance(schedules, list) else []):
        if not isinstance(schedule, dict) or not schedule:
            continue
        same = repr(sorted((k, str(v)) for k, v in schedule.items() if k != "anchor_date"))
        if same in seen:
            f.add(
                at + ("schedules", number),
                "PY037",
                f"deployment {label}: schedule {number + 1} repeats schedule {seen[same] + 1} "
                "(written twice by repeated deploys?); each run would happen twice",
            )
        seen.setdefault(same, number)
    entrypoint = deployment.get("entrypoint")
    if not entrypoint and deployment.get("name") is None:
        return  # an unnamed stanza (prefect init writes one): prefect deploy skips it
    if not entrypoint:
        f.add(
            at + ("entrypoint",) if "entrypoint" in deployment else at,
            "PY030",
            f"deployment {label} has no entrypoint ('path/to/file.py:flow' or "
            "'package.module:flow'); prefect deploy fails without one",
        )
    elif isinstance(entrypoint, str) and f.options.code:
        _check_entrypoint(f, at, deployment, label, entrypoint)


def _repeats_schedules(deployment: dict, key: str) -> bool:
    schedules = deployment.get("schedules")
    schedules = schedules if isinstance(schedules, list) else [deployment.get("schedule")]
    if deployment[key] == SCHEDULE_DEFAULTS.get(key, ...):
        return True  # says what Prefect does anyway
    return all(isinstance(s, dict) and s.get(key) == deployment[key] for s in schedules)


def _scheduled(deployment: dict) -> bool:
    schedules = deployment.get("schedules")
    if isinstance(schedules, list):
        return any(isinstance(s, dict) and s and s.get("active") is not False for s in schedules)
    schedule = deployment.get("schedule")
    return isinstance(schedule, dict) and bool(schedule) and schedule.get("active") is not False


def _check_entrypoint(f: _File, at: tuple, deployment: dict, label: str, entrypoint: str) -> None:
    if ".py:" in entrypoint:
        file_part, _, function = entrypoint.rpartition(":")
        candidates = [file_part]
    elif ":" in entrypoint or "." in entrypoint:
        module, _, function = entrypoint.rpartition(":" if ":" in entrypoint else ".")
        parts = module.split(".")
        candidates = [
            "/".join(parts) + ".py",
            "/".join(parts) + "/__init__.py",
            "src/" + "/".join(parts) + ".py",
        ]
    else:
        f.add(
            at + ("entrypoint",),
            "PY031",
            f"deployment {label}: entrypoint {entrypoint!r} "
            "must be 'path/to/file.py:flow' or 'package.module:flow'",
        )
        return
    function = function.split(".")[0]
    roots = [f.root, Path.cwd()]
    found, relative = next(
        ((root / name, name) for root in roots for name in candidates if (root / name).is_file()),
        (None, ""),
    )
    if found is None:
        if ".py:" in entrypoint:  # a module path may be installed (pip step, image)
            f.add(
                at + ("entrypoint",),
                "PY032",
                f"deployment {label}: entrypoint file "
                f"{candidates[0]!r} does not exist (paths are relative to where prefect "
                "deploy runs)",
            )
        return
    try:
        tree = ast.parse(found.read_text(encoding="utf-8", errors="replace"))
    except (SyntaxError, ValueError):
        return  # the file's own problem; Python reports it
    signature = _flow_signature(tree, function)
    if signature is None:
        f.add(
            at + ("entrypoint",),
            "PY033",
            f"deployment {label}: no function {function} in {relative}",
        )
        return
    if signature == "not a flow":
        f.add(
            at + ("entrypoint",),
            "PY034",
            f"deployment {label}: {function} is not decorated with @flow",
        )
        return
    if signature == "unknown":
        return
    names, required, any_keyword = signature
    given = deployment.get("parameters") if isinstance(deployment.get("parameters"), dict) else {}
    if not any_keyword:
        for name in given:
            if name not in names:
                f.add(
                    at + ("parameters", name),
                    "PY035",
                    f"deployment {label}: {name!r} is not "
                    f"a parameter of the flow ({', '.join(names) or 'none'})",
                )
    missing = [name for name in required if name not in given]
    if not missing:
        return
    schedules = deployment.get("schedules") if isinstance(deployment.get("schedules"), list) else []
    if _scheduled(deployment):
        for number, schedule in enumerate(schedules or [deployment.get("schedule")]):
            if not isinstance(schedule, dict) or not schedule:
                continue
            own = schedule.get("parameters") if isinstance(schedule.get("parameters"), dict) else {}
            lacking = [name for name in missing if name not in own]
            if lacking:
                where = at + ("schedules", number) if schedules else at + ("schedule",)
                f.add(
                    where,
                    "PY036",
                    f"deployment {label}: its scheduled runs fail: the flow "
                    f"needs {', '.join(map(repr, lacking))}; add under 'parameters'",
                )
    elif f.options.strict:
        f.add(
            at + ("parameters",),
            "PY107",
            f"deployment {label}: the flow needs parameter "
            f"{', '.join(map(repr, missing))}; add it under 'parameters'",
        )


def _flow_signature(tree: ast.Module, function: str):
    """(names, required, takes **kwargs) of a module-level @flow, or why not."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == function:
            if not node.decorator_list:
                return "not a flow"
            if not any(_is_flow_decorator(d) for d in node.decorator_list):
                return "unknown"  # another decorator may make it a flow
            args = node.args
            positional = args.posonlyargs + args.args
            required = [a.arg for a in positional[: len(positional) - len(args.defaults)]]
            required += [
                a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None
            ]
            names = [a.arg for a in positional + args.kwonlyargs]
            return names, required, args.kwarg is not None
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            bound = {(a.asname or a.name).split(".")[0] for a in node.names}
            if function in bound or "*" in bound:
                return "unknown"  # imported from elsewhere
        elif isinstance(node, ast.ClassDef) and node.name == function:
            return "unknown"
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(getattr(t, "id", None) == function for t in targets):
                return "unknown"  # e.g. `etl = flow(run)`
    if any(isinstance(n, ast.FunctionDef) and n.name == "__getattr__" for n in tree.body):
        return "unknown"
    for node in ast.walk(tree):  # defined under `if`/`try` at module level
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == function:
            return "unknown"
    return None


def _is_flow_decorator(node: ast.expr) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    return name in ("flow", "Flow")


def _check_steps(f: _File) -> None:
    deployments = f.deployments()
    sections = [
        ((s,), f.data.get(s))
        for s in ("build", "push", "pull")
        if not deployments or any(d.get(s) is None for _, d, _ in deployments)
    ]  # a section every deployment replaces with its own is never run
    for index, deployment, _ in deployments:
        sections += [
            (("deployments", index, s), deployment.get(s)) for s in ("build", "push", "pull")
        ]
    for where, steps in sections:
        for number, step in enumerate(steps if isinstance(steps, list) else [steps]):
            if not isinstance(step, dict):
                continue
            at = where + ((number,) if isinstance(steps, list) else ())
            functions = [k for k in step if isinstance(k, str) and "." in k]
            if len(step) > 1 and functions:
                inputs = ", ".join(str(k) for k in step if k not in functions)
                f.add(
                    at + (functions[0],),
                    "PY071",
                    f"step {functions[0]!r} has its inputs ({inputs}) beside it instead of "
                    "indented under it; Prefect needs one key per step",
                )
                continue
            for name in step:
                if not isinstance(name, str):
                    continue
                path = where + ((number, name) if isinstance(steps, list) else (name,))
                problem = _step_problem(name)
                if problem:
                    f.add(path, "PY070", problem)


def _check_references(f: _File) -> None:
    """`{{ id.output }}` needs a step with that id; `{{ name }}` alone is a placeholder of
    `prefect init`'s recipes that nothing fills: both stay literal text."""
    ids = {
        value
        for _, key, value in _walk(
            {k: f.data.get(k) for k in ("build", "push", "pull")}
            | {i: {k: d.get(k) for k in ("build", "push", "pull")} for i, d, _ in f.deployments()}
        )
        if key == "id" and isinstance(value, str)
    }
    places = [(("build",), f.data.get("build")), (("push",), f.data.get("push"))]
    places += [(("pull",), f.data.get("pull"))]
    for index, deployment, _ in f.deployments():
        for key in ("build", "push", "pull", "work_pool", "parameters", "entrypoint"):
            places.append((("deployments", index, key), deployment.get(key)))
    for base, value in places:
        items = [(base, None, value)] if isinstance(value, str) else _walk(value, base)
        for path, _, text in items:
            if not isinstance(text, str):
                continue
            for head, rest in REFERENCE.findall(text):
                if head in ids or head in FILLED_BY_PREFECT:
                    continue
                if rest:
                    message = f"{{{{ {head}{rest} }}}}: no step has id {head!r}"
                    close = difflib.get_close_matches(head, ids, n=1)
                    message += f" (did you mean {close[0]!r}?)" if close else ""
                else:
                    message = f"{{{{ {head} }}}} is a placeholder nothing fills; write the value"
                f.add(path, "PY072", message + "; Prefect leaves it as literal text")


def _step_problem(name: str) -> str | None:
    if name.startswith("prefect.projects.steps."):
        function = name.rpartition(".")[2]
        new = "prefect.deployments.steps." + RENAMED_STEPS.get(function, function)
        return f"step {name!r} is Prefect 2's name and does not import in Prefect 3; use {new!r}"
    if name.startswith("prefect.deployments.steps."):
        function = name.removeprefix("prefect.deployments.steps.")
        if function not in PREFECT_STEPS:
            close = difflib.get_close_matches(function, PREFECT_STEPS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            return f"step {name!r} does not exist in Prefect 3{hint}"
    elif "." not in name:
        return f"step {name!r} must be the full import path of a function (module.function)"
    return None


def _check_values(f: _File) -> None:
    """Secrets, images, paths and variables, wherever they are written."""
    blocks_at = [
        (("deployments", i, "work_pool", "job_variables"), d, "job_variables")
        for i, d, _ in f.deployments()
    ] + [(("deployments", i, "parameters"), d, "parameters") for i, d, _ in f.deployments()]
    for path, deployment, kind in blocks_at:
        value: Any = deployment
        for part in path[2:]:
            value = value.get(part) if isinstance(value, dict) else None
        for sub, _, text in _walk(value, path):
            names = ENV_VAR.findall(text) if isinstance(text, str) else []
            for name in names:
                if SECRET_KEY.search(name):
                    f.add(
                        sub,
                        "PY061",
                        f"{{{{ ${name} }}}} in {kind}: prefect deploy fills it from the "
                        "environment and stores the secret in plain text on the deployment; "
                        "use a secret block read by the flow instead",
                    )
            if isinstance(text, str) and SECRET_BLOCK.search(text):
                f.add(
                    sub,
                    "PY061",
                    f"{text.strip()!r} in {kind}: prefect deploy resolves it "
                    "and stores the secret in plain text on the deployment; read the block "
                    "in the flow instead",
                )
    for path, key, value in _walk(f.data):
        if isinstance(value, str):
            text = value.strip()
            if TOKENS.search(text):
                f.add(
                    path,
                    "PY060",
                    f"{_where(path)} holds a token in plain text; "
                    "use '{{ prefect.blocks.secret.NAME }}' in a pull step, or read it in the flow",
                )
            elif _plain_secret(key, text):
                f.add(
                    path,
                    "PY060",
                    f"{_where(path)}: a {key} in plain text; reference a block or variable instead",
                )
            if key in ("image", "image_name") and not TEMPLATED.search(text):
                repository = text.partition("@")[0]
                if ":" in repository.rpartition("/")[2]:
                    repository = repository.rpartition(":")[0]
                if repository != repository.lower():
                    f.add(
                        path,
                        "PY051",
                        f"image {text!r}: Docker refuses capital letters in a repository name "
                        f"(write {repository.lower()!r})",
                    )
            if _is_latest(key, text):
                f.add(
                    path,
                    "PY050",
                    f"image {text!r} uses the 'latest' tag, which moves: "
                    "pin a version or commit tag",
                )
    for index, deployment, label in f.deployments():
        _check_paths(f, ("deployments", index), deployment, label)
    if not f.deployments():
        _check_paths(f, (), {}, "")


def _plain_secret(key: object, text: str) -> bool:
    """A literal value under a secret's name (an API key, a password), not a reference."""
    if not isinstance(key, str) or not text or TEMPLATED.search(text):
        return False
    if key.upper() == "PREFECT_API_KEY":
        return True  # never belongs in the file, whatever it looks like
    return bool(SECRET_KEY.search(key)) and _looks_secret(text)


def _looks_secret(text: str) -> bool:
    """A value, not a name: no spaces, 8+ characters of 2+ kinds, not naming a secret."""
    if len(text) < 8 or " " in text or text.startswith("$") or "://" in text:
        return False
    if re.search(r"password|passwd|secret|token|key", text, re.IGNORECASE):
        return False  # the name of a secret or of a key in one
    kinds = [r"[a-z]", r"[A-Z]", r"[0-9]", r"[^A-Za-z0-9]"]
    return sum(bool(re.search(kind, text)) for kind in kinds) >= 2


def _is_latest(key: object, text: str) -> bool:
    if TEMPLATED.search(text):
        return False
    if key == "tag":
        return text.casefold() == "latest" or text.casefold().endswith("-latest")
    if key in ("image", "image_name", "base_image") or (
        isinstance(key, str) and key.endswith("image")
    ):
        tag = text.rpartition("/")[2].partition("@")[0]
        return ":" in tag and "latest" in tag.rpartition(":")[2].casefold()
    return False


def _check_paths(f: _File, at: tuple, deployment: dict, label: str) -> None:
    """A working folder on one person's machine fails everywhere else (correctness): a
    Windows or macOS path always, a home folder unless the runs are in a container. Under
    --strict any absolute path outside the image's WORKDIR is reported (house style)."""
    container = f.in_container(deployment) if deployment else False
    sources = [(("pull",), f.data.get("pull")), (at + ("pull",), deployment.get("pull"))]
    if f.options.strict:
        sources = [((), {k: v for k, v in f.data.items() if k != "deployments"}), (at, deployment)]
    for base, value in sources:
        for path, key, text in _walk(value, base):
            if not isinstance(text, str) or not ABSOLUTE_PATH.match(text.strip()):
                continue
            if any(text == w or text.startswith(w.rstrip("/") + "/") for w in f.workdirs):
                continue  # where the image puts the code
            host_only = bool(HOST_ONLY_PATH.match(text))
            if key == "directory" and (host_only or HOME_PATH.match(text) and not container):
                f.add(
                    path,
                    "PY040",
                    f"{text!r} is a folder on one machine; runs elsewhere "
                    "fail. Use a git_clone pull step, or a relative path",
                )
            elif f.options.strict:
                f.add(
                    path,
                    "PY105",
                    f"absolute path {text!r}; use a path relative to the project root",
                )


def _check_variables(f: _File, text: str) -> None:
    if not f.options.strict:
        return
    documented = set()
    example = f.root / ".env.example"
    if example.is_file():
        pattern = re.compile(r"^#?\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=", re.M)
        documented = set(pattern.findall(example.read_text(encoding="utf-8", errors="replace")))
    for number, line in enumerate(text.splitlines(), 1):
        for name in ENV_VAR.findall(line):
            if name not in documented:
                f.findings.append(
                    Finding(
                        number,
                        "PY104",
                        f"{{{{ ${name} }}}} is not documented in .env.example; add it there",
                    )
                )


def _check_deep(f: _File) -> None:
    """Import each flow with Prefect and validate its parameters (runs the project's code)."""
    try:
        from prefect.flows import load_flow_from_entrypoint
    except Exception:  # noqa: BLE001
        f.add((), "PY090", "--deep needs Prefect installed")
        return
    for index, deployment, label in f.deployments():
        entrypoint = deployment.get("entrypoint")
        if not isinstance(entrypoint, str) or not entrypoint:
            continue
        target = str(f.root / entrypoint) if ".py:" in entrypoint else entrypoint
        try:
            flow = load_flow_from_entrypoint(target, use_placeholder_flow=False)
            parameters = deployment.get("parameters")
            flow.validate_parameters(parameters if isinstance(parameters, dict) else {})
        except BaseException as error:  # noqa: BLE001 - report any failure as one line
            if isinstance(error, KeyboardInterrupt):
                raise
            first = (str(error).strip().splitlines() or [""])[0]
            f.add(
                ("deployments", index, "entrypoint"),
                "PY090",
                f"deployment {label}: {type(error).__name__}: {first}",
            )


WORKERS = {
    "process": "prefect.workers.process:ProcessWorker",
    "docker": "prefect_docker.worker:DockerWorker",
    "kubernetes": "prefect_kubernetes.worker:KubernetesWorker",
    "ecs": "prefect_aws.workers.ecs_worker:ECSWorker",
}


def _check_job_variables(f: _File) -> None:
    """Each deployment's job_variables against its worker's own JSON schema (--deep), when
    the pool's type is known and its worker is installed."""
    import importlib

    pool_type = f.pool_type()
    if pool_type not in WORKERS:
        return
    module, _, name = WORKERS[pool_type].partition(":")
    try:
        import jsonschema

        worker = getattr(importlib.import_module(module), name)
        schema = worker.get_default_base_job_template()["variables"]
    except Exception:  # noqa: BLE001 - the worker's package is not installed here
        f.add((), "PY091", f"install the {pool_type} worker's package to check job_variables")
        return
    for index, deployment, label in f.deployments():
        pool = deployment.get("work_pool")
        variables = pool.get("job_variables") if isinstance(pool, dict) else None
        if not isinstance(variables, dict):
            continue
        at = ("deployments", index, "work_pool", "job_variables")
        for key in variables:
            if key not in schema.get("properties", {}):
                f.add(
                    at + (key,),
                    "PY091",
                    f"deployment {label}: job_variables.{key} is not a {pool_type} worker setting",
                )
        resolved = {k: v for k, v in variables.items() if not TEMPLATED.search(str(v))}
        for error in jsonschema.Draft202012Validator(schema).iter_errors(resolved):
            where = ".".join(str(p) for p in error.absolute_path)
            if where.split(".")[0] in schema.get("properties", {}):
                f.add(
                    at + tuple(error.absolute_path),
                    "PY091",
                    f"deployment {label}: job_variables.{where}: {error.message}",
                )


def check_text(text: str, path: Path, options: Options) -> tuple[list[Finding], int]:
    """Findings for one prefect.yaml's text, and how many deployments it has."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        return [Finding(line, "PY001", f"not valid YAML: {problem}")], 0
    except RecursionError:
        return [Finding(1, "PY001", "not valid YAML: nested too deeply")], 0
    if data is None:
        return [Finding(1, "PY001", "the file is empty; it needs a 'deployments' list")], 0
    if _expanded_size(node, {}) > MAX_NODES:
        return [Finding(1, "PY001", "too large once its aliases are expanded (alias bomb?)")], 0
    if not isinstance(data, dict):
        kind = type(data).__name__
        return [
            Finding(1, "PY002", f"the file is a {kind}, not a mapping with a 'deployments' list")
        ], 0
    f = _File(path, data, node, options)
    f.findings += _duplicate_keys(node, set())
    _check_top_level(f)
    model = _prefect_model() if options.prefect is not False else None
    if options.prefect and model is None:
        f.add((), "PY003", "Prefect is not importable here; install it to validate with its model")
    valid = _check_with_prefect(f, model) if model else True
    if model is None:
        _check_shape(f)
    deployments = f.deployments()
    if options.strict and not deployments:
        f.add(("deployments",), "PY108", "no deployments")
    for index, deployment, label in deployments:
        _check_deployment(f, index, deployment, label)
    _check_steps(f)
    _check_references(f)
    _check_values(f)
    _check_variables(f, text)
    if options.deep and valid and not any(x.code < "PY100" for x in f.findings):
        _check_deep(f)
        _check_job_variables(f)
    return f.findings, len(deployments)


def check_file(path: Path, options: Options | None = None) -> tuple[list[Finding], int]:
    """Findings for one prefect.yaml (after ignores and suppressions), and its deployments."""
    options = options or Options()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return [Finding(1, "PY001", f"cannot read the file: {error}")], 0
    findings, count = check_text(text, Path(path), options)
    lines = text.splitlines()
    kept, seen = [], set()
    for finding in sorted(set(findings)):
        if (finding.line, finding.code) in seen:
            continue  # an anchor's line, reached again through each alias of it
        seen.add((finding.line, finding.code))
        if finding.code in options.ignore:
            continue
        if finding.code in STRICT_RULES and not options.strict:
            continue
        line = lines[finding.line - 1] if 0 < finding.line <= len(lines) else ""
        suppressed = SUPPRESS.search(line)
        if suppressed and (not suppressed.group(1) or finding.code in suppressed.group(1)):
            continue
        kept.append(finding)
    return kept, count


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="prefect-yaml-check",
        description="Check prefect.yaml files for what prefect deploy rejects or silently "
        "changes. Exit 1 when anything is found.",
        epilog="Rules: " + "; ".join(f"{code} {text}" for code, text in RULES.items()),
    )
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        default=[Path("prefect.yaml")],
        metavar="PATH",
        help="prefect.yaml files (default: ./prefect.yaml)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        default=None,
        help="also the generated project's house style (PY1xx)",
    )
    parser.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="CODE",
        help="skip a rule (repeat, or comma-separated)",
    )
    parser.add_argument(
        "--pool-type",
        help="the work pool's type (process, docker, "
        "kubernetes, ...) when the file does not say it",
    )
    parser.add_argument(
        "--root",
        type=Path,
        help="where prefect deploy runs (entrypoints "
        "are relative to it); default: each file's folder",
    )
    parser.add_argument(
        "--no-code", action="store_true", help="skip the checks that read the flows' code"
    )
    parser.add_argument(
        "--no-prefect",
        action="store_true",
        help="do not validate with Prefect's model even if it is installed",
    )
    parser.add_argument(
        "--deep",
        action="store_true",
        help="also import each flow with Prefect (runs the project's code)",
    )
    args = parser.parse_args(argv)
    status = 0
    for path in args.paths:
        config = read_config(path.resolve().parent)
        ignore = config.get("ignore", [])
        ignore = [ignore] if isinstance(ignore, str) else list(ignore or [])
        for item in args.ignore:
            ignore += [code.strip() for code in item.split(",") if code.strip()]
        unknown = sorted({c for c in ignore if c not in RULES})
        if unknown:
            parser.error(f"unknown rule code(s) {', '.join(unknown)} (see --help)")
        strict = args.strict if args.strict is not None else bool(config.get("strict", False))
        options = Options(
            strict=strict,
            ignore=frozenset(ignore),
            pool_type=args.pool_type or config.get("pool-type"),
            code=not args.no_code,
            prefect=False if args.no_prefect else None,
            deep=args.deep,
            root=args.root,
        )
        findings, count = check_file(path, options)
        for finding in findings:
            print(finding.format(str(path)))
        if findings:
            status = 1
        else:
            mode = "strict" if strict else "correctness; --strict adds house style"
            print(f"ok: {path}: {count} deployment{'s' * (count != 1)} checked ({mode})")
    return status


if __name__ == "__main__":
    sys.exit(main())
