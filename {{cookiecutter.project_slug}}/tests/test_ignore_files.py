"""The three ignore files agree, and keep secrets and clutter out while keeping code in."""

from __future__ import annotations

import pathspec
import pytest

from etl_tools import checks

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
def test_secrets_and_clutter_are_ignored_and_code_is_kept(project_root, name):
    lines = (project_root / name).read_text().splitlines()
    spec = pathspec.PathSpec.from_lines("gitwildmatch", lines)
    assert [p for p in SECRETS_AND_CLUTTER if not spec.match_file(p)] == []
    assert [p for p in KEPT if spec.match_file(p)] == []
