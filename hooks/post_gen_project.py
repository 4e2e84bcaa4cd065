"""Prune what the answers don't need, then run the rendered project's own checks.

The checks live in the rendered project (`etl_tools/checks.py`), so the project keeps
them after the template is gone; this hook loads that file by path and calls it.
Standard library and PyYAML only; offline; exit 1 on any problem, and cookiecutter
removes the half-made project.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

ANSWERS = json.loads({{cookiecutter | tojson | tojson}})  # noqa: F821

# answer -> paths that only that answer needs; the paths of every other answer are removed.
ONLY_FOR = {
    ("ci_provider", "github"): [".github"],
    ("ci_provider", "gitlab"): [".gitlab-ci.yml", "renovate.json"],
    ("notifications", "slack"): ["tests/test_notifications.py"],
}


def prune(root: Path, answers: dict) -> None:
    for (question, answer), paths in ONLY_FOR.items():
        if answers[question] == answer:
            continue
        for relative in paths:
            path = root / relative
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()


def load_checks(root: Path):
    spec = importlib.util.spec_from_file_location(
        "_project_checks", root / "etl_tools" / "checks.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    project = Path.cwd()
    prune(project, ANSWERS)
    problems = load_checks(project).core_problems(project)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    sys.exit(1 if problems else 0)
