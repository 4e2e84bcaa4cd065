"""The rendered project's own checks and test suite, run for real.

The option matrix (test_matrix.py) runs every variant's checks and unit tests; here the
rendered tests that need a server run too, for variants whose answers change what they
exercise. The default answers' whole suite runs in a freshly resolved environment as its
README says (`uv run pytest`, in test_readme_commands.py).
"""

from __future__ import annotations

import sys

import pytest

from tests.conftest import render, run_rendered

# The default answers' whole suite runs in test_readme_commands.py, in a fresh
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
