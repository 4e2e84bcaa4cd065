"""Render with the default answers and with each single non-default choice.

For every variant: the files the answers need are there and the others are pruned, no
template text is left, ruff is clean as rendered, TOML/YAML parse, and the rendered
project's own core checks pass. Rendering twice gives the same bytes.
"""

from __future__ import annotations

import filecmp
import fnmatch
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from devkit.render import BIN, DEFAULTS, TEMPLATE, copy_template, render

# Each variant changes one answer from the defaults (plus what that answer requires).
VARIANTS = {
    "default": {},
    "python-3.10": {"python_version": "3.10", "prefect_version": "3.8.8"},
    "python-3.11": {"python_version": "3.11"},
    "python-3.13": {"python_version": "3.13"},
    "storage-gitlab": {"code_storage": "gitlab"},
    "storage-s3": {"code_storage": "s3"},
    "storage-docker": {"code_storage": "docker", "work_pool_type": "docker"},
    "storage-local": {"code_storage": "local"},
    "pool-docker": {"work_pool_type": "docker"},
    "pool-kubernetes": {"work_pool_type": "kubernetes"},
    "pool-ecs": {"work_pool_type": "ecs"},
    "ci-gitlab": {"ci_provider": "gitlab"},
    "ci-none": {"ci_provider": "none"},
    "notifications-none": {"notifications": "none"},
    "schedule": {"schedule_cron": "30 6 * * 1-5", "schedule_timezone": "Europe/Berlin"},
}


@pytest.fixture(scope="module", params=list(VARIANTS), ids=list(VARIANTS))
def variant(request, tmp_path_factory):
    answers = VARIANTS[request.param]
    return answers, render(tmp_path_factory.mktemp(request.param), **answers)


def test_core_checks_pass(variant):
    """The project's own checks on every file, as its `etl-check` runs them (the hook ran
    them on the files the render could change)."""
    _, project = variant
    checks = subprocess.run(
        [sys.executable, "-m", "etl_tools.checks"], cwd=project, capture_output=True, text=True
    )
    assert checks.returncode == 0, checks.stdout + checks.stderr


def test_ruff_is_clean_as_rendered(variant):
    _, project = variant
    for command in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run(
            [str(BIN / "ruff"), *command], cwd=project, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_structured_files_parse(variant):
    _, project = variant
    tomllib.loads((project / "pyproject.toml").read_text())
    for path in [*project.rglob("*.yaml"), *project.rglob("*.yml")]:
        yaml.safe_load(path.read_text())


def test_files_follow_the_answers(variant):
    answers, project = variant
    ci = answers.get("ci_provider", "github")
    assert (project / ".github/workflows/ci.yml").exists() == (ci == "github")
    assert (project / ".gitlab-ci.yml").exists() == (ci == "gitlab")
    slack = answers.get("notifications", "slack") == "slack"
    assert (project / "tests/test_notifications.py").exists() == slack
    source = "\n".join(p.read_text() for p in (project / "etl").rglob("*.py"))
    assert ("Slack" in source) == slack
    assert ("SLACK_WEBHOOK_URL" in (project / ".env.example").read_text()) == slack
    for name in ["Dockerfile", "prefect.yaml", ".env.example", "README.md", "tests/test_flow.py"]:
        assert (project / name).is_file(), name


def test_dependencies_follow_the_answers(variant):
    answers, project = variant
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    extras = pyproject["project"].get("optional-dependencies", {})
    assert "dask" in extras  # the rest per answer: tests/test_answer_model.py
    prefect = answers.get("prefect_version", DEFAULTS["prefect_version"])
    assert f"prefect=={prefect}" in pyproject["project"]["dependencies"]


def test_versions_agree_across_files(variant):
    answers, project = variant
    python = answers.get("python_version", "3.12")
    dockerfile = (project / "Dockerfile").read_text()
    prefect = answers.get("prefect_version", DEFAULTS["prefect_version"])
    assert f"FROM prefecthq/prefect:{prefect}-python{python}\n" in dockerfile
    for ci_file in [project / ".github/workflows/ci.yml", project / ".gitlab-ci.yml"]:
        if ci_file.exists():
            assert python in ci_file.read_text()


def test_schedule_follows_the_answers(variant):
    answers, project = variant
    data = yaml.safe_load((project / "prefect.yaml").read_text())
    prod = next(d for d in data["deployments"] if d["name"] == "prod")
    [schedule] = prod["schedules"]
    assert schedule["cron"] == answers.get("schedule_cron", "0 2 * * *")
    assert schedule["timezone"] == answers.get("schedule_timezone", "UTC")


def test_rendering_twice_gives_the_same_bytes(tmp_path):
    """With bytecode writing on, as on a user's machine (tests/conftest.py): the hook
    imports the project's checks, and their `__pycache__` must not stay behind."""
    first = render(tmp_path / "a")
    second = render(tmp_path / "b")
    assert not os.environ.get("PYTHONDONTWRITEBYTECODE")
    assert list(first.rglob("__pycache__")) == []
    comparison = filecmp.dircmp(first, second)
    pending = [comparison]
    while pending:
        current = pending.pop()
        assert current.left_only == current.right_only == current.diff_files == []
        _, mismatch, errors = filecmp.cmpfiles(
            current.left, current.right, current.common_files, shallow=False
        )
        assert mismatch == errors == []
        pending.extend(current.subdirs.values())


@pytest.mark.parametrize("answers", [[], ["project_slug=Bad_Slug"]], ids=["made", "refused"])
def test_a_render_leaves_the_temp_dir_as_it_found_it(tmp_path, answers):
    """Every render loads the answer model and runs the hook through temporary files; a
    user's temp dir kept one folder and one script per render, refused answers included."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    result = subprocess.run(
        [str(BIN / "cookiecutter"), "--no-input", "-o", str(tmp_path / "out"), ".", *answers],
        cwd=TEMPLATE,
        env={**os.environ, "TMPDIR": str(temp)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == (1 if answers else 0), result.stdout + result.stderr
    assert (tmp_path / "out" / "my-prefect-pipelines").is_dir() is not bool(answers)
    assert sorted(p.name for p in temp.iterdir()) == []


def test_a_relative_template_path_renders(tmp_path):
    """`cookiecutter .` from a checkout: the hook still tells defaults from typed Jinja."""
    result = subprocess.run(
        [str(BIN / "cookiecutter"), "--no-input", "-o", str(tmp_path), "."],
        cwd=TEMPLATE,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "my-prefect-pipelines" / "prefect.yaml").is_file()


def test_the_ignore_core_starts_from_githubs_python_gitignore(default_project):
    """Every pattern of GitHub's Python.gitignore (tests/data/github_gitignore, source
    recorded) is in the shared core of the three ignore files, in the `**/` form git,
    Docker and Prefect read alike: what Python's tools write stays out of all three."""
    github = (TEMPLATE / "tests/data/github_gitignore/Python.gitignore").read_text()
    core = (default_project / ".gitignore").read_text().split("# <<< shared core")[0]
    patterns = set(core.splitlines())
    missing = []
    for line in (raw.strip() for raw in github.splitlines()):
        if not line or line.startswith("#"):
            continue
        body = line.removeprefix("!")
        wanted = body if "/" in body.rstrip("/") else f"**/{body}"
        if ("!" if line.startswith("!") else "") + wanted not in patterns:
            missing.append(line)
    assert missing == []


def _every_template_text() -> list[str]:
    """Each text file of the template and each of its path names (relative to the project
    folder, as cookiecutter renders them)."""
    texts = []
    project = TEMPLATE / "{{cookiecutter.project_slug}}"
    for path in sorted(project.rglob("*")):
        texts.append(str(path.relative_to(project)))
        if path.is_file() and "__pycache__" not in path.parts:
            texts.append(path.read_text(encoding="utf-8"))
    return texts


def test_plain_text_skips_jinja_and_renders_as_jinja_would():
    """`PlainText` stands in for Jinja only where Jinja would give the text back as it is:
    checked on every file and path name of the template, in cookiecutter's environment and
    in ones that drop a final newline, write CR LF or rewrite the source, and on the texts
    Jinja would change."""
    from cookiecutter.environment import StrictEnvironment
    from jinja2 import Environment
    from jinja2.ext import Extension

    from answer_model.jinja import is_plain

    class Shouting(Extension):
        def preprocess(self, source, name, filename=None):
            return source.upper()

    tricky = ["a\r\nb", "ends\n", "{{ 1 }}", "{# c #}", "{% if 1 %}x{% endif %}", "a { b } c"]
    plain_seen = 0
    for environment in (
        StrictEnvironment(keep_trailing_newline=True),
        Environment(),
        Environment(keep_trailing_newline=True, newline_sequence="\r\n"),
        Environment(extensions=[Shouting]),
    ):
        for text in _every_template_text() + tricky:
            if is_plain(environment, text):
                plain_seen += 1
                assert environment.from_string(text).render() == text, text[:80]
    assert plain_seen > 100  # most path names and files, so the shortcut is exercised
    cookiecutters = StrictEnvironment(keep_trailing_newline=True)
    assert [t for t in tricky if not is_plain(cookiecutters, t)] == tricky[:1] + tricky[2:5]


def test_a_plain_file_can_still_be_included():
    """Jinja's include asks for a real template (with its parent's name), never `PlainText`."""
    from cookiecutter.environment import StrictEnvironment
    from jinja2 import DictLoader

    from answer_model.jinja import PlainText, install

    environment = StrictEnvironment(keep_trailing_newline=True)
    install(environment)
    environment.loader = DictLoader({"outer": "<{% include 'inner' %}>", "inner": "plain"})
    assert isinstance(environment.get_template("inner"), PlainText)
    assert environment.get_template("outer").render() == "<plain>"


@pytest.mark.parametrize(
    ("broken", "line"),
    [
        ("etl/serve.py", "def broken(:\n"),  # rendered by Jinja
        ("etl/__init__.py", "def broken(:\n"),  # plain: rendered as it is
        ("README.md", "{{ cookiecutter.project_slug }}\n{{ '{{' }} cookiecutter.typo }}\n"),
    ],
)
def test_the_hook_refuses_a_broken_render_and_leaves_nothing(tmp_path, broken, line):
    """A file the render breaks fails the post-generation hook with its path and line, and
    cookiecutter removes the half-made project."""
    template = copy_template(tmp_path / "template")
    path = template / "{{cookiecutter.project_slug}}" / broken
    path.write_text(path.read_text() + line)
    out = tmp_path / "out"
    result = subprocess.run(
        [str(BIN / "cookiecutter"), "--no-input", "-o", str(out), str(template)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert f"error: {broken}:" in result.stderr, result.stderr
    assert not out.exists() or list(out.iterdir()) == []


def test_compiled_files_are_kept_and_an_edited_file_compiles_again(tmp_path):
    """Jinja's cache of compiled files (answer_model/jinja.py: `CompiledFiles`): the first
    render fills it, one entry per file that holds Jinja; the next loads from it, writing
    nothing, and gives the same bytes; an edited file compiles again and renders as edited."""
    template = copy_template(tmp_path / "template")
    cache = template / "__pycache__" / "jinja"

    def cli(out: str) -> Path:
        result = subprocess.run(
            [str(BIN / "cookiecutter"), "--no-input", "-o", str(tmp_path / out), str(template)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return tmp_path / out / "my-prefect-pipelines"

    def entries() -> dict[str, int]:
        return {entry.name: entry.stat().st_mtime_ns for entry in cache.iterdir()}

    first = cli("first")
    filled = entries()
    project = template / "{{cookiecutter.project_slug}}"
    copied = DEFAULTS["_copy_without_render"]
    holding_jinja = [
        path
        for path in project.rglob("*")
        if path.is_file()
        and not any(fnmatch.fnmatch(path.relative_to(project).as_posix(), p) for p in copied)
        and any(start in path.read_text() for start in ("{{", "{%", "{#"))
    ]
    included = 1  # prefect.yaml's include of templates/prefect_yaml/git.yaml
    assert len(filled) == len(holding_jinja) + included > included
    second = cli("second")
    assert entries() == filled  # loaded, not compiled and written again
    assert not filecmp.dircmp(first, second).diff_files
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "Edited: {{ cookiecutter.project_slug }}.\n")
    third = cli("third")
    assert (third / "README.md").read_text().endswith("Edited: my-prefect-pipelines.\n")
    assert entries().keys() == filled.keys() and entries() != filled


def test_a_checkout_that_cannot_keep_compiled_files_still_renders(tmp_path):
    """A `__pycache__` that is not a folder (or cannot be written) only costs the compile."""
    template = copy_template(tmp_path / "template")
    (template / "__pycache__").write_text("not a folder\n")
    result = subprocess.run(
        [str(BIN / "cookiecutter"), "--no-input", "-o", str(tmp_path / "out"), str(template)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "my-prefect-pipelines" / "prefect.yaml").is_file()
