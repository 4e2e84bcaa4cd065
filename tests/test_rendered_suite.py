"""The rendered project's own test suite, run for real, where no other test runs it.

The option matrix (test_matrix.py) runs every variant's checks and unit tests; here the
rendered tests that need a server run too, for variants whose answers change what they
exercise and that no other test runs them for. The default answers' whole suite runs as
its README says (`uv run pytest`, test_readme_commands.py) and as its CI runs it
(`uv run pytest --slow`, slow tier included, test_ci_commands.py), in freshly resolved
environments; so does the s3/ecs project's (its GitLab pipeline, there too).
"""

from __future__ import annotations

import re
import sys

import pytest
from sqlalchemy.engine import make_url

from devkit.prefect_server import fresh_postgres_database, postgres_url_or_skip
from devkit.render import render, run_rendered

# The blocks the script saves change with the code storage and the warehouse, so the
# block tests (which save them to a server and load them back) run here for GitLab's
# three, and for a PostgreSQL warehouse's URL: a second secret beside the git token (the
# script once saved that URL as the token too). The generated CI
# runs the whole suite (its `pytest --slow`) for the default answers and for S3 code on
# an ECS pool without notifications (test_ci_commands.py); test_integrity.py needs no
# server: the option matrix runs it for every storage x pool.
VARIANTS = {
    "gitlab-kubernetes-no-slack": {
        "code_storage": "gitlab",
        "work_pool_type": "kubernetes",
        "notifications": "none",
    },
    "warehouse-postgres": {"warehouse": "postgres"},
}
ANSWER_DEPENDENT_TESTS = ["tests/test_blocks.py"]


@pytest.mark.slow
@pytest.mark.parametrize("name", list(VARIANTS))
def test_answer_dependent_tests_pass(name, tmp_path):
    project = render(tmp_path, **VARIANTS[name])
    tests = [t for t in ANSWER_DEPENDENT_TESTS if (project / t).exists()]
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--slow", *tests]
    # In a shell that has been used: another workspace's profile and a stale API URL.
    stale = {"PREFECT_API_URL": "http://127.0.0.1:9/api", "PREFECT_PROFILE": "elsewhere"}
    result = run_rendered(project, *command, **stale)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " failed" not in result.stdout


# Every test of the rendered suite that takes the `database` fixture, run on PostgreSQL.
WAREHOUSE_TESTS = [
    "tests/test_tasks.py",
    "tests/test_flow.py",
    "tests/test_failures.py",
    "tests/test_report.py",
    "tests/test_secrets.py",
    "tests/test_summary.py",
    "tests/test_dask.py",
]


@pytest.mark.slow
def test_postgres_warehouse_passes_every_guarantee_on_postgres(tmp_path):
    """warehouse=postgres, its suite pointed at a fresh PostgreSQL database: the idempotent
    rerun, the refused batch, the crash and rerun, rejects and the report, for real.

    Skipped on a laptop without TEMPLATE_TEST_POSTGRES_URL; in CI (`CI` set) it fails
    instead, so the PostgreSQL cases can never be silently left out.
    """
    url = postgres_url_or_skip("the PostgreSQL warehouse")
    project = render(tmp_path, warehouse="postgres")
    with fresh_postgres_database(url) as database:
        warehouse_url = (
            make_url(url)
            .set(drivername="postgresql+psycopg", database=database.name)
            .render_as_string(hide_password=False)
        )
        # The PostgreSQL cases: the same tests' SQLite cases run in every other render.
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", "--slow"]
        command += ["-k", "postgres"]
        result = run_rendered(project, *command, *WAREHOUSE_TESTS, ETL_WAREHOUSE_URL=warehouse_url)
    output = result.stdout[-4000:] + result.stderr[-2000:]
    assert result.returncode == 0, output
    assert " failed" not in result.stdout and " skipped" not in result.stdout, output
    passed = re.search(r"(\d+) passed", result.stdout)
    assert passed and int(passed.group(1)) >= 15, output  # every PostgreSQL case ran
