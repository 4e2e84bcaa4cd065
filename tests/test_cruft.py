"""Generated projects take template updates with cruft, from every earlier version, and keep
the user's own edits; an answer can be changed later the same way.

The template repository the tests update from is a clone of this one (its whole history)
with the working tree committed on top as `main`: what a user's `cruft update` would get
once this change lands. Projects are generated at real older commits of that history
(`history_commits` says which, by a rule, so new commits are covered without editing
this file), edited the way a team edits its project, committed, and updated. An updated
project must then be byte for byte what a fresh render of `main` with the same answers
gives, plus the same edits, with no conflict and no `.rej` file; its unit tests run.
Offline: cruft clones the local repository.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from devkit.readme import shell_blocks
from devkit.render import BIN, DEFAULTS, TEMPLATE
from devkit.shell import documented_env, missing_tool, uv_cache

GIT = shutil.which("git")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(GIT is None, reason="cruft needs git"),
]
IDENTITY = ["-c", "user.name=Template Test", "-c", "user.email=test@example.com"]
# The oldest commit projects are updated from: its template is the oldest whose rendered
# projects the template still supports (the example flow's shape in etl/, prefect.yaml's
# definitions). Every later version of the render machinery is covered from here on.
OLDEST = "8785834"
# What renders a project from answers: a change here is a new "version" of the renderer.
MACHINERY = (
    "cookiecutter.json",
    "template_jinja.py",
    "local_extensions.py",
    "answer_model",
    "hooks",
)
UPDATE = ["update", "--skip-apply-ask", "--allow-untracked-files"]


def git(cwd, *args: str) -> str:
    result = subprocess.run(
        [GIT, *IDENTITY, *args], cwd=cwd, capture_output=True, text=True, check=True
    )
    return result.stdout


def cruft(cwd, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "cruft"), *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def history_commits() -> list[str]:
    """The older commits projects are generated at, oldest first, by this rule:

    - on main's first-parent history from OLDEST, every commit right before one that
      changed the render machinery (MACHINERY): the last project a team could generate
      with each version of it;
    - every commit whose `cookiecutter.json` asks a different set of questions than its
      parent did: the first project with each set of answers (the warehouse question...);
    - OLDEST itself, and HEAD~1.
    A commit the rule adds later is tested without editing this file.
    """
    shallow = git(TEMPLATE, "rev-parse", "--is-shallow-repository").strip() == "true"
    if shallow or subprocess.run([GIT, "cat-file", "-e", OLDEST], cwd=TEMPLATE).returncode:
        reason = f"needs the template's git history back to {OLDEST} (clone without --depth)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    line = git(TEMPLATE, "rev-list", "--first-parent", f"{OLDEST}^..HEAD").split()
    changed = set(
        git(TEMPLATE, "rev-list", "--first-parent", f"{OLDEST}..HEAD", "--", *MACHINERY).split()
    )
    picks = {
        git(TEMPLATE, "rev-parse", OLDEST).strip(),
        git(TEMPLATE, "rev-parse", "HEAD~1").strip(),
    }
    picks |= {older for newer, older in zip(line, line[1:], strict=False) if newer in changed}
    for commit in git(TEMPLATE, "rev-list", f"{OLDEST}..HEAD", "--", "cookiecutter.json").split():
        if questions(commit) != questions(f"{commit}^"):
            picks.add(commit)
    order = git(TEMPLATE, "rev-list", "--reverse", "--topo-order", f"{OLDEST}^..HEAD").split()
    return [commit for commit in order if commit in picks]


def questions(commit: str) -> set[str]:
    text = git(TEMPLATE, "show", f"{commit}:cookiecutter.json")
    return {key for key in json.loads(text) if not key.startswith("_")}


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory) -> Path:
    """This repository's history, with the working tree committed on top as `main`."""
    repo = tmp_path_factory.mktemp("template") / "template"
    git(TEMPLATE, "clone", "--quiet", "--no-local", str(TEMPLATE), str(repo))
    git(repo, "checkout", "--quiet", "-B", "main", git(TEMPLATE, "rev-parse", "HEAD").strip())
    for name in filter(None, git(repo, "ls-files", "-z").split("\0")):
        (repo / name).unlink()
    listed = git(TEMPLATE, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, listed.split("\0")):
        if (TEMPLATE / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(TEMPLATE / name, repo / name)
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "--allow-empty", "-m", "the working tree")
    return repo


def create(template: Path, out: Path, *args: str) -> Path:
    """`cruft create` into `out`; the project's folder, committed as a new repository."""
    created = cruft(
        out.parent, "create", "--no-input", "--output-dir", str(out), *args, str(template)
    )
    assert created.returncode == 0, created.stdout + created.stderr
    (project,) = out.iterdir()
    git(project, "init", "--quiet", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "--quiet", "-m", "generated")
    return project


# --- what a team does to its project between generating and updating it


FLOW = '''"""Our own pipeline, beside the template's example."""

from prefect import flow


@flow(name="team-flow")
def team_flow(limit: int = 10) -> int:
    return limit
'''
SECTION = "## Our team\n\nThe data team owns these pipelines; ask in #data.\n\n"
CRON = ('      cron: "0 2 * * *"\n', '      cron: "30 5 * * *"\n')


def edit_like_a_team(project: Path) -> None:
    """A new flow file, a README section, a changed setting (the production schedule)."""
    (project / "etl" / "flows" / "team_flow.py").write_text(FLOW)
    readme = project / "README.md"
    title, rest = readme.read_text().split("\n\n", 1)
    description, rest = rest.split("\n\n", 1)
    readme.write_text(f"{title}\n\n{description}\n\n{SECTION}{rest}")
    prefect_yaml = project / "prefect.yaml"
    assert CRON[0] in prefect_yaml.read_text()
    prefect_yaml.write_text(prefect_yaml.read_text().replace(*CRON))


def tree(project: Path) -> dict[str, bytes]:
    """Every file of the project but git's own and Python's bytecode (which any import
    writes, and .gitignore leaves out), by relative path."""
    return {
        str(path.relative_to(project)): path.read_bytes()
        for path in sorted(project.rglob("*"))
        if path.is_file() and not {".git", "__pycache__"} & set(path.relative_to(project).parts)
    }


def answers(project: Path) -> dict:
    context = json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"]
    return {k: v for k, v in context.items() if not k.startswith("_")}


def conflicts(project: Path) -> list[str]:
    """Files cruft could not merge: `.rej` files, and git's unmerged or marked files."""
    found = [str(p.relative_to(project)) for p in project.rglob("*.rej")]
    status = git(project, "status", "--porcelain")
    found += [line[3:] for line in status.splitlines() if line[:2] in ("UU", "AA", "DU", "UD")]
    found += [name for name, data in tree(project).items() if b"\n<<<<<<< " in data]
    return sorted(set(found))


def fresh_render(template: Path, out: Path, context: dict) -> Path:
    created = cruft(
        out.parent, "create", "--no-input", "--output-dir", str(out),
        "--extra-context", json.dumps(context), str(template),
    )  # fmt: skip
    assert created.returncode == 0, created.stdout + created.stderr
    (project,) = out.iterdir()
    return project


def unit_tests(project: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-m", "not server", "-p", "no:cacheprovider"],
        cwd=project, capture_output=True, text=True, timeout=600,
        env={k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")},
    )  # fmt: skip


def test_the_history_rule_picks_the_versions_that_matter():
    """8785834, the last commit before the answer model, the first commit with the
    warehouse question and HEAD~1 are among the commits the rule picks."""
    picked = history_commits()
    model = git(TEMPLATE, "log", "--format=%H", "--diff-filter=A", "--", "answer_model/__init__.py")
    warehouse = [c for c in picked if "warehouse" in questions(c)]
    assert picked[0].startswith(OLDEST)
    assert git(TEMPLATE, "rev-parse", f"{model.split()[-1]}^").strip() in picked
    assert warehouse and "warehouse" not in questions(f"{warehouse[0]}^")
    assert git(TEMPLATE, "rev-parse", "HEAD~1").strip() in picked


def test_projects_from_every_earlier_version_update_and_keep_the_teams_edits(
    template_repo, tmp_path, capsys
):
    failures, results, tested = [], [], {}
    expected: dict[str, dict[str, bytes]] = {}  # a fresh render plus the edits, per answers
    for commit in history_commits():
        work = tmp_path / commit[:7]
        work.mkdir()
        created = cruft(work, "create", "--no-input", "--checkout", commit, "--output-dir",
                        str(work / "out"), str(template_repo))  # fmt: skip
        if created.returncode != 0:  # the rule's "where a complete project rendered"
            results.append(f"{commit[:7]}: did not render then: {created.stderr.strip()[-200:]}")
            continue
        (project,) = (work / "out").iterdir()
        git(project, "init", "--quiet", "-b", "main")
        git(project, "add", "-A")
        git(project, "commit", "--quiet", "-m", "generated")
        edit_like_a_team(project)
        git(project, "add", "-A")
        git(project, "commit", "--quiet", "-m", "our flow, notes and schedule")

        updated = cruft(project, *UPDATE)
        output = updated.stdout + updated.stderr
        if updated.returncode != 0 or "Traceback" in output:
            failures.append(f"{commit[:7]}: cruft update failed:\n{output[-3000:]}")
            continue
        if conflicts(project):
            failures.append(f"{commit[:7]}: conflicts in {conflicts(project)}")
            continue
        key = json.dumps(answers(project), sort_keys=True)  # most commits share the defaults
        if key not in expected:
            fresh = fresh_render(template_repo, work / "fresh", answers(project))
            edit_like_a_team(fresh)
            expected[key] = tree(fresh)
        got, want = tree(project), expected[key]
        differ = sorted(
            name for name in got.keys() | want.keys() if got.get(name) != want.get(name)
        )
        if differ:
            failures.append(f"{commit[:7]}: differs from a fresh render plus the edits: {differ}")
            continue
        digest = hashlib.sha256(repr(sorted(got.items())).encode()).hexdigest()
        tested.setdefault(digest, (commit, project))
        results.append(f"{commit[:7]}: updated, edits kept, same as a fresh render plus them")
    # Byte-identical updated projects run the same tests: run each distinct one once.
    for commit, project in tested.values():
        tests = unit_tests(project)
        if tests.returncode != 0:
            failures.append(f"{commit[:7]}: unit tests failed:\n{tests.stdout[-3000:]}")
    with capsys.disabled():
        print("\nupdated from:\n" + "\n".join(results))
    assert not failures, "\n\n".join(failures)
    assert len(tested) >= 2, results  # the 3.8-default era and the 3.9 one, at least


def test_an_edit_to_the_same_lines_as_the_template_is_the_only_conflict(template_repo, tmp_path):
    """The one file where the team and the template both changed the same lines is left
    for the team to resolve; every other file is merged."""
    project = create(template_repo, tmp_path / "out", "--checkout", OLDEST)
    ignore = project / ".gitignore"
    ignore.write_text(ignore.read_text().replace("\n", "\n# team comment\n", 3))
    edit_like_a_team(project)
    git(project, "commit", "--quiet", "-am", "our edits")
    updated = cruft(project, *UPDATE)
    assert updated.returncode == 0, updated.stdout + updated.stderr
    found = conflicts(project)
    assert found and set(found) <= {".gitignore", ".gitignore.rej"}, found
    assert (project / "etl" / "flows" / "team_flow.py").read_text() == FLOW
    assert SECTION in (project / "README.md").read_text()


def test_update_brings_template_changes_and_keeps_user_edits(template_repo, tmp_path):
    """`cruft check` and `cruft diff` see a new template commit; update takes it."""
    project = create(template_repo, tmp_path / "out")
    assert json.loads((project / ".cruft.json").read_text())["template"] == str(template_repo)
    assert cruft(project, "check").returncode == 0

    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\nOur team's own notes.\n")
    git(project, "commit", "-q", "-am", "our notes")
    gitignore = template_repo / "{{cookiecutter.project_slug}}" / ".gitignore"
    original = gitignore.read_text()
    gitignore.write_text(original + "*.log\n")
    git(template_repo, "commit", "-q", "-am", "template v2: ignore logs")
    try:
        assert cruft(project, "check").returncode != 0  # the project is behind
        diff = cruft(project, "diff", "--checkout", "main")
        assert "+*.log" in diff.stdout, diff.stdout + diff.stderr
        assert "-Our team's own notes." in diff.stdout  # the user's edit shows as theirs
        updated = cruft(project, *UPDATE)
        assert updated.returncode == 0, updated.stdout + updated.stderr
        assert (project / ".gitignore").read_text().endswith("*.log\n")
        assert "Our team's own notes." in readme.read_text()
        assert cruft(project, "check").returncode == 0
    finally:
        git(template_repo, "reset", "--quiet", "--hard", "HEAD~1")


# --- changing an answer later


CHANGES = {
    "work_pool_type process -> docker": {"work_pool_type": "docker"},
    "warehouse sqlite -> postgres": {"warehouse": "postgres"},
    "code_storage git -> s3": {"code_storage": "s3"},
}


@pytest.mark.parametrize("name", list(CHANGES))
def test_an_answer_a_team_changes_applies_without_conflict(name, template_repo, tmp_path):
    """The project, with the team's edits, becomes what the new answer would have given
    (a fresh render with it, plus the same edits): no conflict, nothing left behind."""
    project = create(template_repo, tmp_path / "out")
    edit_like_a_team(project)
    git(project, "add", "-A")
    git(project, "commit", "--quiet", "-m", "our edits")
    change = CHANGES[name]
    updated = cruft(project, *UPDATE, "--variables-to-update", json.dumps(change))
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert conflicts(project) == []
    assert answers(project) | change == answers(project)
    fresh = fresh_render(template_repo, tmp_path / "fresh", answers(project))
    edit_like_a_team(fresh)
    got, want = tree(project), tree(fresh)
    assert sorted(n for n in got.keys() | want.keys() if got.get(n) != want.get(n)) == []


def test_an_answer_the_model_refuses_changes_nothing(template_repo, tmp_path):
    """Prefect 3.9 on Python 3.10 is refused in one line, with no traceback, and the
    project is left as it was."""
    project = create(
        template_repo, tmp_path / "out",
        "--extra-context", json.dumps({"python_version": "3.10", "prefect_version": "3.8.8"}),
    )  # fmt: skip
    before = tree(project)
    change = json.dumps({"prefect_version": "3.9.1"})
    refused = cruft(project, *UPDATE, "--variables-to-update", change)
    assert refused.returncode == 1
    assert refused.stderr.splitlines() == [
        "error: python_version: Prefect 3.9.1 needs Python 3.11 or newer; choose 3.11, 3.12 "
        "or 3.13, or prefect_version 3.8.8 for Python 3.10"
    ], refused.stderr
    assert "Traceback" not in refused.stdout + refused.stderr
    assert tree(project) == before and git(project, "status", "--porcelain") == ""


# --- docs/updating.md, as written

UPDATING = TEMPLATE / "docs" / "updating.md"


def test_the_updating_page_works_as_written(template_repo, tmp_path):
    """Every runnable block of docs/updating.md, in order, in one shell, in the shell a
    reader has (tests/shell.py). The test adds only what happens around the reader: the
    answers typed at cruft's questions (Prefect 3.8.8 and no notifications, the rest
    defaults) and a new template commit after the project was generated."""
    template = tmp_path / "template"
    git(tmp_path, "clone", "--quiet", str(template_repo), str(template))
    git(template, "checkout", "--quiet", "-B", "main")
    home = tmp_path / "home"
    home.mkdir()
    blocks = [b for b in shell_blocks(UPDATING.read_text()) if not b.skip_reason]
    moved_on = (
        '(cd "$TEMPLATE" && printf "*.log\\n" >> "{{cookiecutter.project_slug}}/.gitignore"'
        ' && git commit -q -am "Ignore logs")'
    )
    lines = ["set -ex"]
    for block in blocks:
        for line in block.text.splitlines():
            lines.append(line)
            if line.startswith("git init -b main"):
                lines.append(moved_on)
    typed = {"prefect_version": "3.8.8", "notifications": "2"}  # 2: the second choice, none
    stdin = "".join(typed.get(q, "") + "\n" for q in DEFAULTS if not q.startswith("_"))
    env = documented_env(
        HOME=str(home), TEMPLATE=str(template), UV_CACHE_DIR=uv_cache(),
        GIT_AUTHOR_NAME="Reader", GIT_AUTHOR_EMAIL="reader@example.com",
        GIT_COMMITTER_NAME="Reader", GIT_COMMITTER_EMAIL="reader@example.com",
    )  # fmt: skip
    result = subprocess.run(
        ["bash", "-c", "\n".join(lines)], cwd=tmp_path, input=stdin, env=env,
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, (missing_tool(result, env["PATH"]) or "") + output[-6000:]
    project = tmp_path / "my-prefect-pipelines"
    assert (project / ".gitignore").read_text().endswith("*.log\n")  # the template's change
    assert answers(project) | {"notifications": "slack", "prefect_version": "3.9.1"} == answers(
        project
    )
    pyproject = (project / "pyproject.toml").read_text()
    assert '"prefect==3.9.1"' in pyproject and 'requires-python = ">=3.11' in pyproject
    assert "sqlalchemy" not in pyproject and '"whenever>=0.11"' in pyproject
    assert "SLACK_WEBHOOK_URL=" in (project / ".env.example").read_text()
    assert (project / "tests" / "test_notifications.py").is_file()
    assert 'name = "prefect"\nversion = "3.9.1"' in (project / "uv.lock").read_text()
    assert re.search(r"\d+ passed", result.stdout), output[-3000:]
