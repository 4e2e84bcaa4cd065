"""Option matrix: every code_storage × work_pool_type, the other choices (python, CI,
notifications, warehouse, Prefect line) pairwise.

Each supported combination is rendered, linted with ruff, and its tests that need no
Prefect server run, slow tier included: the unit tests, and the integrity tests, which
call the project's own checks at every depth (core, Prefect's models and worker schemas,
and the `--tools` linters: hadolint, the CI and Compose files' schemas). One pytest
process per row: Prefect is imported once. (`python -m etl_tools.checks --deep --tools`,
the command line over the same functions, runs in the generated CI: test_ci_commands.py.)
Combinations that cannot work are refused by the
answer model (`answer_model.combination_problems`, the one place that knows them) with one
clear line and leave nothing behind.
"""

from __future__ import annotations

import itertools
import subprocess
import sys

import pytest

from devkit.matrix import MATRIX, OTHERS, POOLS, STORAGES, UNSUPPORTED, VALUES, label, supported
from devkit.render import BIN, render, render_cli, run_rendered


def test_matrix_covers_every_storage_pool_and_every_pair():
    rows = {(a["code_storage"], a["work_pool_type"]) for a in MATRIX}
    assert rows == set(itertools.product(STORAGES, POOLS)) - set(UNSUPPORTED)
    for x, y in itertools.combinations(["work_pool_type", *OTHERS], 2):
        seen = {(a[x], a[y]) for a in MATRIX}
        wanted = {
            (u, v)
            for u, v in itertools.product(VALUES[x], VALUES[y])
            if supported(
                {
                    "code_storage": "git",
                    "work_pool_type": "process",
                    **{n: VALUES[n][0] for n in OTHERS},
                    x: u,
                    y: v,
                }
            )
        }
        assert wanted <= seen, (x, y, wanted - seen)


@pytest.mark.parametrize("answers", MATRIX, ids=label)
def test_supported_combination_renders_checks_and_tests_clean(answers, tmp_path):
    project = render(tmp_path, **answers)
    for command in (["check", "."], ["format", "--check", "."]):
        ruff = subprocess.run(
            [str(BIN / "ruff"), *command], cwd=project, capture_output=True, text=True
        )
        assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    # test_server.py starts servers of its own (the test server's seeding), and the go-file
    # test a second Prefect process, the same for every answer: not per row (the whole
    # suite runs them, test_ci_commands.py).
    tests = run_rendered(
        project, sys.executable, "-m", "pytest", "-q", "-rps", "-m", "not server", "--slow",
        "--ignore=tests/test_server.py", "-p", "no:cacheprovider",
        "--deselect=tests/test_dev_tools.py::test_a_prefect_command_waits_for_its_go_file",
    )  # fmt: skip
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert "slow tier" not in tests.stdout, tests.stdout[-3000:]
    linters = "PASSED tests/test_integrity.py::test_dockerfile_and_ci_files_pass_their_linters"
    assert linters in tests.stdout, "the --tools checks did not run"


@pytest.mark.parametrize(
    ("storage", "pool"), list(UNSUPPORTED), ids=["-".join(k) for k in UNSUPPORTED]
)
def test_unsupported_combination_is_refused_in_one_line(storage, pool, tmp_path):
    result = render_cli(tmp_path, code_storage=storage, work_pool_type=pool)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [f"error: code_storage: {UNSUPPORTED[(storage, pool)]}"], result.stderr
    assert list(tmp_path.iterdir()) == []


def test_prefect_3_9_on_python_3_10_is_refused_in_one_line(tmp_path):
    result = render_cli(tmp_path, python_version="3.10", prefect_version="3.9.1")
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "needs Python 3.11" in errors[0], result.stderr
    assert list(tmp_path.iterdir()) == []


LINE_CONSTRAINTS = {"3.9.1": "whenever>=0.11", "3.8.8": "sqlalchemy>=2.0,<2.1"}


@pytest.mark.parametrize("prefect", list(LINE_CONSTRAINTS))
def test_each_prefect_line_constrains_what_breaks_it(prefect, tmp_path):
    """3.8's scheduler fails on SQLAlchemy 2.1, 3.9's on whenever 0.10 (schedules never
    fire, silently); both lines break with FastAPI >= 0.151. The rendered pyproject.toml
    must constrain what breaks its line, and only that."""
    import tomllib

    project = render(tmp_path, prefect_version=prefect, python_version="3.11")
    deps = tomllib.loads((project / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"prefect=={prefect}" in deps and "fastapi<0.151" in deps
    for line, constraint in LINE_CONSTRAINTS.items():
        assert (constraint in deps) is (line == prefect), deps
    dockerfile = (project / "Dockerfile").read_text()
    assert f"FROM prefecthq/prefect:{prefect}-python3.11\n" in dockerfile
