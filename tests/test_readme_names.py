"""What the READMEs name exists: every file or folder in backticks, every command they run.

A README that names a file that moved (the block script once moved from `etl/utils/` to
`etl_tools/`) or a command that is gone misleads the reader who follows it. Both READMEs
are read: the template's, and the rendered project's for several answers (its text
depends on them). A name counts as a path when it has a `/` or a file suffix; paths that
exist only once something ran (`.env`, `.etl-dev/`, the warehouse) are listed below with
what makes them.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path

import pytest

from devkit.readme import shell_blocks
from devkit.render import TEMPLATE, render

PATH = re.compile(
    r"`([\w.{}<>-]*(?:/[\w.{}<>*-]*)+|[\w-]*\.(?:py|toml|yaml|yml|md|json|sh|csv|example|lock))`"
)
FLOWS = ("example-etl/", "orders-report/", "customer-orders/")  # `flow/deployment`, not paths
# Made by running something, not shipped: the name, and what makes it.
MADE_LATER = {
    ".env": "cp .env.example .env",
    ".etl-dev/": "etl-dev",
    "uv.lock": "uv sync / uv lock",
    "data/warehouse.db": "a run of the example flow",
    "quickstart/my-prefect-pipelines/": "scripts/quickstart.py",
    ".cruft.json": "cruft create",
    "htmlcov/": "a coverage run",
    "etl/flows/customer_orders.py": "etl-new-flow customer-orders",
    "etl/tasks/customer_orders.py": "etl-new-flow customer-orders",
}
GENERATED_README_ANSWERS = {
    "default": {},
    "postgres-s3-ecs": {"warehouse": "postgres", "code_storage": "s3", "work_pool_type": "ecs"},
    "docker-gitlab": {
        "code_storage": "docker",
        "work_pool_type": "docker",
        "ci_provider": "gitlab",
    },
}


def named_paths(text: str) -> set[str]:
    found = set()
    for name in PATH.findall(text):
        if "://" in name or name.startswith(("~", "$", "/", *FLOWS)) or "<" in name or "*" in name:
            continue  # URLs, the reader's paths, deployments, placeholders, patterns
        found.add(name)
    return found


def missing(roots: list[Path], names: set[str]) -> list[str]:
    """The names found under none of `roots` (a README speaks of several trees)."""
    return sorted(
        name
        for name in names
        if name not in MADE_LATER and not any((r / name.rstrip("/")).exists() for r in roots)
    )


def commands(text: str) -> list[str]:
    """Every command line of the README's runnable bash blocks."""
    lines = []
    for block in shell_blocks(text):
        for line in block.text.splitlines():
            line = line.split("  #")[0].strip()
            if line and not line.startswith("#"):
                lines.append(line)
    return lines


OPTIONS_WITH_A_VALUE = {"--with", "--group", "--extra", "--python", "--package", "--env-file"}


def uv_run_targets(line: str) -> list[str]:
    """What each `uv run` of a command line runs, past uv's own options."""
    words, targets = shlex.split(line.rstrip("\\"), comments=True), []
    for i in [i for i, word in enumerate(words[:-1]) if words[i : i + 2] == ["uv", "run"]]:
        rest = words[i + 2 :]
        while rest and rest[0].startswith("-"):
            rest = rest[2:] if rest[0] in OPTIONS_WITH_A_VALUE else rest[1:]
        if rest:
            targets.append(rest[0])
    return targets


def run_targets(project: Path, lines: list[str]) -> list[str]:
    """`uv run X` and `python -m X` targets that the project does not provide."""
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    scripts = set(pyproject["project"].get("scripts", {}))
    # Prefect and Python, and the dependency groups' tools (pytest, ruff, pre-commit in
    # `dev`; `uv run --group mutation mutmut`).
    tools = {"prefect", "python"}
    for requirements in pyproject.get("dependency-groups", {}).values():
        tools |= {re.split(r"[\[=<>!~ ]", r)[0] for r in requirements if isinstance(r, str)}
    problems = []
    for line in lines:
        for name in uv_run_targets(line):
            if name not in scripts | tools:
                problems.append(f"`uv run {name}`: no such script in pyproject.toml")
        for module in re.findall(r"python3? -m ([\w.]+)", line):
            path = project / Path(*module.split("."))
            known = path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()
            if module.split(".")[0] in ("etl", "etl_tools") and not known:
                problems.append(f"`python -m {module}`: no such module")
    return problems


def test_the_template_readme_names_what_exists():
    text = (TEMPLATE / "README.md").read_text(encoding="utf-8")
    # The template's files, the generated project's, and the answer model's modules.
    roots = [TEMPLATE, TEMPLATE / "{{cookiecutter.project_slug}}", TEMPLATE / "answer_model"]
    assert missing(roots, named_paths(text)) == []
    for line in commands(text):
        for script in re.findall(r"python3? (scripts/[\w./]+\.py)", line):
            assert (TEMPLATE / script).is_file(), line
        for module in re.findall(r"python3? -m ((?:scripts|benchmarks|devkit)\.[\w.]+)", line):
            assert (TEMPLATE / Path(*module.split("."))).with_suffix(".py").is_file(), line


def test_the_template_readme_lists_every_question():
    text = (TEMPLATE / "README.md").read_text(encoding="utf-8")
    questions = [k for k in json.loads((TEMPLATE / "cookiecutter.json").read_text()) if k[0] != "_"]
    table = re.findall(r"^\| `([a-z_]+)`(?:, `([a-z_]+)`)? \|", text, re.MULTILINE)
    listed = {name for row in table for name in row if name}
    assert [q for q in questions if q not in listed] == []


@pytest.mark.parametrize("name", list(GENERATED_README_ANSWERS))
def test_the_generated_readme_names_what_exists(name, tmp_path):
    project = render(tmp_path, **GENERATED_README_ANSWERS[name])
    text = (project / "README.md").read_text(encoding="utf-8")
    assert missing([project, TEMPLATE], named_paths(text)) == []  # and "the template's docs/"
    assert run_targets(project, commands(text)) == []


def test_a_missing_file_or_script_is_reported(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[project.scripts]\netl-dev = "x:y"\n'
    )
    assert missing([tmp_path], named_paths("see `etl/gone.py` and `.env`")) == ["etl/gone.py"]
    lines = ["uv run etl-blocks", "uv run etl-dev --once", "uv run python -m etl.nothing"]
    assert run_targets(tmp_path, lines) == [
        "`uv run etl-blocks`: no such script in pyproject.toml",
        "`python -m etl.nothing`: no such module",
    ]
