"""Generated projects take template updates with cruft, and keep the user's own edits.

Uses a local git copy of this template, so it runs offline: create, change the template,
`cruft check` / `cruft diff` / `cruft update`, and look at the result.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.conftest import BIN, TEMPLATE

GIT = shutil.which("git")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(GIT is None, reason="cruft needs git"),
]
IDENTITY = ["-c", "user.name=Template Test", "-c", "user.email=test@example.com"]


def git(cwd, *args: str) -> str:
    result = subprocess.run(
        [GIT, *IDENTITY, *args], cwd=cwd, capture_output=True, text=True, check=True
    )
    return result.stdout


def cruft(cwd, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "cruft"), *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def template_repo(tmp_path):
    """A git repository holding the template's tracked files, as users would clone it."""
    repo = tmp_path / "template"
    files = git(TEMPLATE, "ls-files", "-z").split("\0")
    for name in filter(None, files):
        if (TEMPLATE / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(TEMPLATE / name, repo / name)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "template v1")
    return repo


def test_update_brings_template_changes_and_keeps_user_edits(template_repo, tmp_path):
    out = tmp_path / "out"
    created = cruft(tmp_path, "create", "--no-input", "--output-dir", str(out), str(template_repo))
    assert created.returncode == 0, created.stdout + created.stderr
    project = out / "my-prefect-pipelines"
    assert json.loads((project / ".cruft.json").read_text())["template"] == str(template_repo)
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "generated")
    assert cruft(project, "check").returncode == 0

    # The user edits their project...
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\nOur team's own notes.\n")
    git(project, "commit", "-q", "-am", "our notes")
    # ...and the template improves.
    gitignore = template_repo / "{{cookiecutter.project_slug}}" / ".gitignore"
    gitignore.write_text(gitignore.read_text() + "*.log\n")
    git(template_repo, "commit", "-q", "-am", "template v2: ignore logs")

    assert cruft(project, "check").returncode != 0  # the project is behind
    diff = cruft(project, "diff", "--checkout", "main")  # the project against the new template
    assert "+*.log" in diff.stdout, diff.stdout + diff.stderr
    assert "-Our team's own notes." in diff.stdout  # the user's edit shows as theirs
    updated = cruft(project, "update", "--skip-apply-ask", "--allow-untracked-files")
    assert updated.returncode == 0, updated.stdout + updated.stderr

    assert (project / ".gitignore").read_text().endswith("*.log\n")
    assert "Our team's own notes." in readme.read_text()
    assert cruft(project, "check").returncode == 0
