"""Prune what the answers don't need, then run the rendered project's own checks.

Which files go is the answer model's decision (`answer_model.Plan.removed_paths`, written
into this script when cookiecutter renders it); the checks live in the rendered project
(`etl_tools/checks.py`), so the project keeps them after the template is gone. Files
cookiecutter copies without rendering (`_copy_without_render`) are the same for every
answer, so the per-file checks skip them here; the template's tests and the project's
own tests check every file. Standard
library and PyYAML only; offline; exit 1 on any problem, and cookiecutter removes the
half-made project. The answers themselves were checked before anything was written
(`answer_model/jinja.py`: `CheckedTemplate`).
"""

import importlib.util
import shutil
import sys
import tempfile
from pathlib import Path

# Loading the project's checks must not leave bytecode in the new project: `__pycache__`
# files hold their source's time, so two renders would differ and cruft's diffs of two
# renders would carry binary changes that do not apply.
sys.dont_write_bytecode = True

# Filled in when cookiecutter renders this hook (the model's paths and cookiecutter.json's
# patterns hold no spaces).
REMOVED = "{{ plan.removed_paths | join(' ') }}".split()  # noqa: SIM905
COPIED = "{{ cookiecutter._copy_without_render | join(' ') }}".split()  # noqa: SIM905


def run_project_checks(root: Path) -> list[str]:
    spec = importlib.util.spec_from_file_location("_checks", root / "etl_tools" / "checks.py")
    checks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(checks)
    return checks.core_problems(root, copied=COPIED)


def remove_own_copy() -> None:
    """Cookiecutter runs this hook from a rendered copy in the temp dir and never removes
    it (cookiecutter 2.7.1, `hooks.run_script_with_context`): one file per render."""
    here = Path(__file__).resolve()
    if here.parent == Path(tempfile.gettempdir()).resolve() and here.name.startswith("tmp"):
        here.unlink(missing_ok=True)


if __name__ == "__main__":
    remove_own_copy()
    project = Path.cwd()
    for relative in REMOVED:
        path = project / relative
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    for cache in sorted(project.rglob("__pycache__")):  # copied from a template imported from
        shutil.rmtree(cache)
    problems = run_project_checks(project)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    sys.exit(1 if problems else 0)
