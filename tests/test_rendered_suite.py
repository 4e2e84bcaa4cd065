"""The rendered project's own checks and test suite, run for real.

The option matrix (test_matrix.py) runs every variant's checks and unit tests; here the
rendered tests that need a server run too: the whole suite for the default answers in a
fresh environment (the quickstart), and the answer-dependent tests for other variants.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import TEMPLATE, clean_env, render, run_rendered

# The default answers' whole suite runs in the quickstart test below, in a fresh
# environment. These variants change what the answer-dependent tests exercise (the
# blocks the script saves, notifications or none), so those tests run for each of them.
VARIANTS = {
    "s3-ecs-no-slack": {"code_storage": "s3", "notifications": "none", "work_pool_type": "ecs"},
    "gitlab-kubernetes": {
        "code_storage": "gitlab",
        "work_pool_type": "kubernetes",
        "ci_provider": "gitlab",
    },
    "local-no-slack": {"code_storage": "local", "notifications": "none"},
}
ANSWER_DEPENDENT_TESTS = ["tests/test_blocks.py", "tests/test_flow.py", "tests/test_integrity.py"]


@pytest.mark.slow
@pytest.mark.parametrize("name", list(VARIANTS))
def test_answer_dependent_tests_pass(name, tmp_path):
    project = render(tmp_path, **VARIANTS[name])
    tests = [t for t in ANSWER_DEPENDENT_TESTS if (project / t).exists()]
    if (project / "tests/test_notifications.py").exists():
        tests.append("tests/test_notifications.py")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests]
    result = run_rendered(project, *command)
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
