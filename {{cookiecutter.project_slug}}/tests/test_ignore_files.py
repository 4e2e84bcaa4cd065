"""The three ignore files agree, and keep secrets and clutter out while keeping code in."""

from __future__ import annotations

import pathspec
import pytest

from etl_tools import checks
from etl_tools.docker_context import docker_context, read_dockerignore

SECRETS_AND_CLUTTER = [
    ".env",
    ".env.prod",
    "config/.env.local",
    "deploy/key.pem",
    "server.key",
    "id_rsa",
    ".aws/credentials",
    "credentials.json",
    ".venv/lib/site.py",
    "etl/__pycache__/flows.cpython-312.pyc",
    "data/warehouse.db",
    "local.sqlite",
    "dist/pkg.whl",
    # What a Python user's tools write (GitHub's Python.gitignore): coverage, tox, notebooks.
    "htmlcov/index.html",
    "coverage.xml",
    ".tox/py312/log.txt",
    "notebooks/.ipynb_checkpoints/a.ipynb",
    "etl/.mypy_cache/x.json",
    "build.log",
]
KEPT = [
    ".env.example",
    "etl/data/orders.csv",
    "etl/flows/example_etl.py",
    "pyproject.toml",
]


def test_ignore_files_share_one_core(project_root):
    assert checks.ignore_file_problems(project_root) == []


@pytest.mark.parametrize("name", checks.IGNORE_FILES)
def test_secrets_and_clutter_are_ignored_and_code_is_kept(project_root, tmp_path, name):
    text = (project_root / name).read_text()
    if name == ".dockerignore":  # Docker's own rules (the Docker SDK's), on a real tree
        for path in SECRETS_AND_CLUTTER + KEPT:
            (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / path).write_text("x")
        sent = set(docker_context(tmp_path, read_dockerignore(text)))

        def ignored(path: str) -> bool:
            return path not in sent

    else:  # git's dialect, by pathspec (Prefect's filter_files reads .prefectignore with it)
        ignored = pathspec.PathSpec.from_lines("gitwildmatch", text.splitlines()).match_file
    assert [p for p in SECRETS_AND_CLUTTER if not ignored(p)] == []
    assert [p for p in KEPT if ignored(p)] == []
