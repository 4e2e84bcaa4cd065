"""The rendered project's own checks and test suite, run for real.

The option matrix (test_matrix.py) runs every variant's checks and unit tests; here the
full rendered test suite, flow tests on a test harness included, runs for a few variants
that exercise different code (blocks, notifications, integrations). The quickstart test installs a
rendered project into its own fresh environment, runs the pipeline and its tests there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import TEMPLATE, clean_env, render, run_rendered

FULL_SUITE_VARIANTS = {
    "default": {},
    "s3-no-slack": {"code_storage": "s3", "notifications": "none", "work_pool_type": "ecs"},
    "gitlab-kubernetes": {
        "code_storage": "gitlab",
        "work_pool_type": "kubernetes",
        "ci_provider": "gitlab",
    },
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(FULL_SUITE_VARIANTS))
def test_rendered_test_suite_passes(name, tmp_path):
    project = render(tmp_path, **FULL_SUITE_VARIANTS[name])
    result = run_rendered(project, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " failed" not in result.stdout


@pytest.mark.slow
def test_quickstart_installs_runs_and_tests_a_fresh_project(tmp_path):
    """README command 1, then the rendered project's tests in its own environment."""
    env = clean_env(PREFECT_HOME=str(tmp_path / "prefect-home"))
    quickstart = subprocess.run(
        [sys.executable, str(TEMPLATE / "scripts/quickstart.py"), "--output", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    output = quickstart.stdout + quickstart.stderr
    assert quickstart.returncode == 0, output[-4000:]
    project = tmp_path / "my-prefect-pipelines"
    database = project / "data" / "warehouse.db"
    assert f"Result: 196 rows in table 'orders' of {database}" in output
    assert database.is_file()

    uv = shutil.which("uv") or str(
        TEMPLATE / ".tools" / ("Scripts" if os.name == "nt" else "bin") / "uv"
    )
    tests = subprocess.run(
        [
            uv,
            "run",
            "--python",
            sys.executable,
            "--group",
            "dev",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
    assert " passed" in tests.stdout and " failed" not in tests.stdout
