"""The project's integrity rules, in one place.

The template's post-generation hook, this project's tests and its pre-commit hook all
call these functions, so a rule is written once and keeps working after the template is
gone. Each check returns a list of problems (one line each, saying what is wrong and how
to fix it); an empty list means the project passes.

The core needs only the standard library and PyYAML, so it runs before the project is
installed. `deep_problems` imports Prefect to validate with Prefect's own models.

    python -m etl_tools.checks          # the core checks
    python -m etl_tools.checks --deep   # plus the checks that import Prefect
    python -m etl_tools.checks --tools  # plus hadolint and the CI and Compose files' schemas
    python -m etl_tools.checks --prefect-yaml [OPTIONS]  # = prefect-yaml-check --strict [OPTIONS]

The rules about `prefect.yaml` live in the `prefect_yaml_check` package beside this file
(the same code the template's root installs as the `prefect-yaml-check` command); this
project runs them with `--strict`: house style on, and any finding (error, warning or
style) is a problem.
"""

from __future__ import annotations

import ast
import fnmatch
import functools
import importlib.util
import os
import re
import sys
from collections.abc import Iterable
from pathlib import Path

import yaml


def _sibling(name: str):
    """A package beside this file, also when this file is loaded by path (the template's
    hook runs before the project is installed); its modules import each other relatively,
    so it is loaded as a package, under a name of its own."""
    folder = Path(__file__).with_name(name)
    spec = importlib.util.spec_from_file_location(
        f"_project_{name}", folder / "__init__.py", submodule_search_locations=[str(folder)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


if __package__:
    from . import prefect_yaml_check
else:
    prefect_yaml_check = _sibling("prefect_yaml_check")

PREFECT_YAML = "prefect.yaml"
IGNORE_FILES = (".gitignore", ".dockerignore", ".prefectignore")
CORE_BEGIN = "# >>> shared core"
CORE_END = "# <<< shared core"
TEXT_SUFFIXES = {".py", ".toml", ".yaml", ".yml", ".md", ".cfg", ".txt", ".example", ".json"}
TEXT_NAMES = {"Dockerfile", ".gitignore", ".dockerignore", ".prefectignore", ".env.example"}
SKIP_DIRS = {".git", ".venv", "venv", "__pycache__", ".pytest_cache", ".ruff_cache", "node_modules"}
LEFTOVER = re.compile(r"\{\{\s*cookiecutter|\{%-?\s*(if|for|raw|endif|endfor)\b")
CI_PYTHON = {
    ".github/workflows/ci.yml": r'python-version: "(3\.\d+)"',
    ".gitlab-ci.yml": r"uv:[\d.]+-python(3\.\d+)",
}
SCHEMAS = {  # file -> check-jsonschema's built-in schema for it (`--tools`)
    ".github/workflows/ci.yml": "vendor.github-workflows",
    ".gitlab-ci.yml": "vendor.gitlab-ci",
    ".github/dependabot.yml": "vendor.dependabot",
    "renovate.json": "vendor.renovate",
    "docker-compose.yml": "vendor.compose-spec",
}


def text_files(root: Path) -> list[Path]:
    """Every text file of the project that a template could have rendered.

    Skipped folders (a virtual environment, caches) are never entered, so the checks
    stay fast in a working checkout."""
    found = []
    for folder, folders, files in os.walk(root):
        folders[:] = [name for name in folders if name not in SKIP_DIRS]
        for name in files:
            path = Path(folder, name)
            if path.suffix in TEXT_SUFFIXES or name in TEXT_NAMES:
                found.append(path)
    return sorted(found)


def rendered_files(root: Path, copied: Iterable[str] = ()) -> list[Path]:
    """The text files, less those matching `copied` (glob patterns, relative to `root`)."""
    copied = list(copied)
    return [
        path
        for path in text_files(root)
        if not any(fnmatch.fnmatch(path.relative_to(root).as_posix(), p) for p in copied)
    ]


def leftover_problems(root: Path, copied: Iterable[str] = ()) -> list[str]:
    """Template syntax that was not rendered (a typo in a variable name leaves it behind)."""
    problems = []
    for path in rendered_files(root, copied):
        text = path.read_text(encoding="utf-8")
        if not LEFTOVER.search(text):  # one search per file; lines only where it found one
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if LEFTOVER.search(line):
                rel = path.relative_to(root)
                problems.append(f"{rel}:{number}: unrendered template text: {line.strip()[:60]}")
    return problems


@functools.lru_cache(maxsize=256)
def _syntax_tree(source: str, filename: str) -> ast.Module:
    """One parse per file's text, shared by the checks that read Python (keyed by the text,
    so an edited file is parsed again)."""
    return ast.parse(source, filename=filename)


def python_problems(root: Path, copied: Iterable[str] = ()) -> list[str]:
    """Python files that do not parse."""
    problems = []
    for path in rendered_files(root, copied):
        if path.suffix == ".py":
            try:
                _syntax_tree(path.read_text(encoding="utf-8"), str(path))
            except SyntaxError as error:
                rel = path.relative_to(root)
                problems.append(f"{rel}:{error.lineno}: does not parse: {error.msg}")
    return problems


def runtime_import_problems(root: Path) -> list[str]:
    """The runtime package never imports the tools: workers and the image do not have them
    (`.dockerignore` keeps `etl_tools/` out), so such an import fails only when deployed."""
    problems = []
    for path in text_files(root / "etl"):
        if path.suffix != ".py":
            continue
        source = path.read_text(encoding="utf-8")
        if "etl_tools" not in source:  # no import of it can be written without its name
            continue
        try:
            tree = _syntax_tree(source, str(path))
        except SyntaxError:
            continue  # python_problems reports it
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(name.split(".")[0] == "etl_tools" for name in names):
                rel = path.relative_to(root)
                problems.append(
                    f"{rel}:{node.lineno}: imports etl_tools, which workers and the image do not "
                    "have; move what the pipeline needs into etl/"
                )
    return problems


def load_prefect_yaml(root: Path) -> dict:
    """The parsed `prefect.yaml`; raises ValueError with a one-line reason."""
    path = root / PREFECT_YAML
    if not path.is_file():
        raise ValueError(f"{PREFECT_YAML} is missing")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ValueError(f"{PREFECT_YAML} is not valid YAML{where}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{PREFECT_YAML} must be a mapping with a 'deployments' list")
    return data


def prefect_yaml_problems(root: Path) -> list[str]:
    """prefect.yaml's rules, house style included (`prefect_yaml_check --strict`)."""
    path = Path(root) / PREFECT_YAML
    if not path.is_file():
        return [f"{PREFECT_YAML} is missing"]
    options = prefect_yaml_check.Options(strict=True, root=Path(root), prefect=False)
    findings, _ = prefect_yaml_check.check_file(path, options)
    return [finding.format(PREFECT_YAML) for finding in findings]


def ignore_core(path: Path) -> list[str] | None:
    """The lines between the shared-core markers of one ignore file, or None if absent."""
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    starts = [i for i, line in enumerate(lines) if line.startswith(CORE_BEGIN)]
    ends = [i for i, line in enumerate(lines) if line.startswith(CORE_END)]
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        return None
    return lines[starts[0] + 1 : ends[0]]


def ignore_file_problems(root: Path) -> list[str]:
    """The three ignore files carry the same shared core (secrets, venvs, caches, data)."""
    cores: dict[str, list[str]] = {}
    problems = []
    for name in IGNORE_FILES:
        path = root / name
        if not path.is_file():
            problems.append(f"{name} is missing")
            continue
        core = ignore_core(path)
        if core is None:
            problems.append(f"{name}: no shared core between {CORE_BEGIN!r} and {CORE_END!r}")
        else:
            cores[name] = core
    reference_name = IGNORE_FILES[0]
    reference = cores.get(reference_name)
    for name, core in cores.items():
        if reference is not None and core != reference:
            missing = sorted(set(reference) - set(core))
            extra = sorted(set(core) - set(reference))
            problems.append(
                f"{name}: shared core differs from {reference_name} "
                f"(missing {missing}, extra {extra}); copy the block verbatim"
            )
    return problems


def dockerfile_problems(root: Path) -> list[str]:
    """The base image is pinned to the project's Prefect pin and CI's Python (never latest)."""
    dockerfile = root / "Dockerfile"
    if not dockerfile.is_file():
        return ["Dockerfile is missing"]
    if not (root / "pyproject.toml").is_file():
        return ["pyproject.toml is missing (the Dockerfile's base image follows its Prefect pin)"]
    base = re.search(r"^FROM\s+(\S+)", dockerfile.read_text(encoding="utf-8"), re.MULTILINE)
    pin = re.search(r'"prefect==([^"]+)"', (root / "pyproject.toml").read_text(encoding="utf-8"))
    if not base or not pin:
        return ["Dockerfile needs a FROM line and pyproject.toml a 'prefect==X' pin"]
    match = re.fullmatch(r"prefecthq/prefect:(.+)-python(3\.\d+)", base.group(1))
    if not match or match.group(1) != pin.group(1):
        wanted = f"prefecthq/prefect:{pin.group(1)}-pythonX.Y"
        return [f"Dockerfile: base image {base.group(1)} must be {wanted}"]
    python = match.group(2)
    problems = []
    for name, pattern in CI_PYTHON.items():
        path = root / name
        if path.is_file():
            found = set(re.findall(pattern, path.read_text(encoding="utf-8")))
            if found != {python}:
                problems.append(
                    f"{name}: Python {sorted(found)} differs from Dockerfile's {python}"
                )
    return problems


# Prefect settings that a prefect.toml can set to a value Prefect mishandles:
# (table, key) -> (the problem, the fix).
SETTING_TRAPS = {
    ("server.services.task_run_recorder", "flush_interval"): (
        "Prefect truncates it to whole seconds (0.5 becomes 0: an idle server spins a core)",
        "use a whole number of seconds, 1 or more",
    ),
}


def toml_settings(text: str) -> dict[tuple[str, str], tuple[int, str]]:
    """`(table, key) -> (line, raw value)` of a flat TOML file (prefect.toml's shape);
    standard library only, and Python 3.10 has no tomllib."""
    found, table = {}, ""
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        header = re.fullmatch(r"\[\s*([\w.-]+)\s*\]", line)
        if header:
            table = header.group(1)
        elif "=" in line:
            key, value = (part.strip() for part in line.split("=", 1))
            found[(table, key)] = (number, value)
    return found


def prefect_settings_problems(root: Path) -> list[str]:
    """prefect.toml values Prefect mishandles without a word."""
    path = root / "prefect.toml"
    if not path.is_file():
        return []
    problems = []
    for (table, key), (line, value) in toml_settings(path.read_text(encoding="utf-8")).items():
        trap = SETTING_TRAPS.get((table, key))
        if trap and not re.fullmatch(r"[1-9]\d*(\.0*)?", value):
            problem, fix = trap
            problems.append(f"prefect.toml:{line}: {table}.{key} = {value}: {problem}; {fix}")
    return problems


def core_problems(root: Path, copied: Iterable[str] = ()) -> list[str]:
    """Every check that needs only the standard library and PyYAML.

    The template's hook passes `copied`, its `_copy_without_render` patterns: those files
    are the same bytes for every answer (and its own tests check them), so the per-file
    checks skip them there; every other caller checks every file.
    """
    root = Path(root)
    return (
        leftover_problems(root, copied)
        + python_problems(root, copied)
        + runtime_import_problems(root)
        + prefect_yaml_problems(root)
        + ignore_file_problems(root)
        + dockerfile_problems(root)
        + prefect_settings_problems(root)
    )


def deep_problems(root: Path) -> list[str]:
    """Checks with Prefect itself: its prefect.yaml model, then each flow loaded and its
    parameters validated (this imports the project's code)."""
    root = Path(root)
    options = prefect_yaml_check.Options(strict=True, root=root, prefect=True, deep=True)
    findings, _ = prefect_yaml_check.check_file(root / PREFECT_YAML, options)
    return [f.format(PREFECT_YAML) for f in findings if f.code in ("PY003", "PY090")]


WORKERS = {
    "process": "prefect.workers.process:ProcessWorker",
    "docker": "prefect_docker.worker:DockerWorker",
    "kubernetes": "prefect_kubernetes.worker:KubernetesWorker",
    "ecs": "prefect_aws.workers.ecs_worker:ECSWorker",
}


def job_variable_problems(root: Path) -> list[str]:
    """Each deployment's job_variables against its worker's own schema (needs the extra)."""
    import importlib

    import jsonschema

    data = load_prefect_yaml(root)
    pool_type = (data.get("definitions") or {}).get("work_pool_type", "process")
    if pool_type not in WORKERS:
        return [f"{PREFECT_YAML}: definitions.work_pool_type must be one of {', '.join(WORKERS)}"]
    module, _, name = WORKERS[pool_type].partition(":")
    try:
        worker = getattr(importlib.import_module(module), name)
    except ImportError:
        return [f"{PREFECT_YAML}: install the '{pool_type}' extra to check its job_variables"]
    schema = worker.get_default_base_job_template()["variables"]
    problems = []
    for deployment in data.get("deployments") or []:
        label = f"{PREFECT_YAML}: deployment {deployment.get('name')!r}"
        variables = (deployment.get("work_pool") or {}).get("job_variables") or {}
        problems += [
            f"{label}: job_variables.{key} is not a {pool_type} worker setting"
            for key in variables
            if key not in schema["properties"]
        ]
        for error in jsonschema.Draft202012Validator(schema).iter_errors(variables):
            where = ".".join(str(p) for p in error.absolute_path)
            problems.append(f"{label}: job_variables.{where}: {error.message}")
    return problems


def task_policy_problems(package: str = "etl.tasks") -> list[str]:
    """Every task either retries (it does I/O) or is tagged `pure` (no I/O, safe to rerun)."""
    import importlib
    import pkgutil

    from prefect.tasks import Task

    problems = []
    for info in pkgutil.iter_modules(importlib.import_module(package).__path__):
        module = importlib.import_module(f"{package}.{info.name}")
        for name, task in vars(module).items():
            if isinstance(task, Task) and not task.retries and "pure" not in task.tags:
                problems.append(
                    f"{module.__name__}.{name}: a task must retry (retries=...) or be "
                    f'tagged "pure" when it does no I/O'
                )
    return problems


def tool_problems(root: Path) -> list[str]:
    """hadolint on the Dockerfile (warnings fail); CI and Compose files against their schemas."""
    import shutil
    import subprocess

    commands = [["hadolint", "--failure-threshold", "warning", "Dockerfile"]]
    commands += [
        ["check-jsonschema", "--builtin-schema", schema, name]
        for name, schema in SCHEMAS.items()
        if (root / name).is_file()
    ]
    problems = []
    for command in commands:
        tool = shutil.which(command[0], path=str(Path(sys.executable).parent)) or shutil.which(
            command[0]
        )
        if tool is None:
            problems.append(f"{command[0]} is not installed; run `uv sync` (dev group)")
            continue
        result = subprocess.run(  # noqa: S603 - fixed commands on the project's own files
            [tool, *command[1:]], cwd=root, capture_output=True, text=True
        )
        if result.returncode:
            output = (result.stdout + result.stderr).strip().splitlines()
            problems += [f"{command[-1]}: {line}" for line in output[:10]]
    return problems


def main(argv: list[str] | None = None) -> int:
    """Print every problem, one per line; exit 1 when there are any."""
    import argparse

    parser = argparse.ArgumentParser(description="Check the project's rules, run from its root.")
    parser.add_argument("--deep", action="store_true", help="also the checks that import Prefect")
    parser.add_argument("--tools", action="store_true", help="also hadolint and the file schemas")
    parser.add_argument(
        "--prefect-yaml",
        action="store_true",
        help="only prefect.yaml, as `prefect-yaml-check --strict` does (its options follow)",
    )
    args, rest = parser.parse_known_args(argv)
    if args.prefect_yaml:
        if args.tools:
            parser.error("--tools checks the whole project's files; leave out --prefect-yaml")
        return prefect_yaml_check.main(["--strict", *rest] + (["--deep"] if args.deep else []))
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    root = Path.cwd()
    problems = core_problems(root)
    checked = [CORE_CHECKED]
    if args.deep and not problems:
        problems = deep_problems(root) + job_variable_problems(root) + task_policy_problems()
        checked.append(DEEP_CHECKED)
    if args.tools:
        problems += tool_problems(root)
        checked.append(TOOLS_CHECKED)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"ok: {'; '.join(checked)}")
    return 1 if problems else 0


CORE_CHECKED = (
    "prefect.yaml (house style), Python syntax, runtime imports, ignore files, Dockerfile, "
    "prefect.toml, template leftovers"
)
DEEP_CHECKED = "each flow loaded with its parameters, job variables, task retries"
TOOLS_CHECKED = "hadolint, CI, Compose and Dependabot/Renovate schemas"


if __name__ == "__main__":
    raise SystemExit(main())
