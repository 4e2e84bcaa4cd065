"""The template's own shape: files that read as what they are, and choices that are data.

- Every Python file of the template is Python before it is rendered (Jinja only inside
  string literals), so editors, ruff and readers can take it as it is.
- No file branches on an answer's literal value (`cookiecutter.work_pool_type == ...`):
  templates read the answer model's `plan`, so a choice lives in one place.
- The recipes of docs/questions.md hold: a new work pool type is one model entry and its
  choice in cookiecutter.json; a new notification channel is one model entry, its choice
  and its module. Each is tried in a temporary copy of the template.
"""

from __future__ import annotations

import ast
import fnmatch
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from devkit.render import BIN, TEMPLATE

PROJECT = TEMPLATE / "{{cookiecutter.project_slug}}"
TEMPLATE_FILES = [
    path
    for root in (PROJECT, TEMPLATE / "templates", TEMPLATE / "hooks")
    for path in sorted(root.rglob("*"))
    if path.is_file() and "__pycache__" not in path.parts
]
ANSWER_COMPARED = re.compile(r"cookiecutter\.\w+\s*(==|!=)|\bin\s+cookiecutter\.\w+")


@pytest.mark.parametrize(
    "path",
    [p for p in TEMPLATE_FILES if p.suffix == ".py"],
    ids=lambda p: str(p.relative_to(TEMPLATE)),
)
def test_every_python_file_is_python_before_rendering(path):
    text = path.read_text(encoding="utf-8")
    ast.parse(text, filename=str(path))
    if not copied_verbatim(path):  # a rendered file: no `{% if %}` even inside strings
        assert "{%" not in text, "Jinja control structures in a Python file"


def copied_verbatim(path: Path) -> bool:
    """Cookiecutter copies the file without rendering it (`_copy_without_render`)."""
    if PROJECT not in path.parents:
        return False
    relative = str(path.relative_to(PROJECT))
    globs = json.loads((TEMPLATE / "cookiecutter.json").read_text())["_copy_without_render"]
    return any(fnmatch.fnmatch(relative, pattern) for pattern in globs)


def test_no_template_branches_on_an_answers_value():
    found = [
        f"{path.relative_to(TEMPLATE)}:{text.count(chr(10), 0, match.start()) + 1}: {match[0]}"
        for path in TEMPLATE_FILES
        for text in [path.read_text(encoding="utf-8", errors="replace")]
        for match in ANSWER_COMPARED.finditer(text)
    ]
    assert found == [], "read the plan instead:\n" + "\n".join(found)


# --- the recipes, in a temporary copy


@pytest.fixture
def copy(tmp_path) -> Path:
    """The template's files (as git would list them) in a git repository of their own."""
    target = tmp_path / "template"
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=TEMPLATE, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    for name in filter(None, listed.split("\0")):
        if (TEMPLATE / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(TEMPLATE / name, target / name)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=target, check=True)
    subprocess.run([*git, "add", "-A"], cwd=target, check=True)
    subprocess.run([*git, "commit", "-qm", "copy"], cwd=target, check=True)
    return target


def add_choice(copy: Path, question: str, choice: str) -> None:
    path = copy / "cookiecutter.json"
    questions = json.loads(path.read_text(encoding="utf-8"))
    questions[question].append(choice)
    path.write_text(json.dumps(questions, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def add_entry(copy: Path, table: str, entry: str) -> None:
    """Append `entry` to the dict `table` of answer_model/choices.py, as a person would."""
    path = copy / "answer_model" / "choices.py"
    text = path.read_text(encoding="utf-8")
    start = text.index(f"\n{table} = {{\n")
    end = text.index("\n}\n", start)
    path.write_text(text[:end] + "\n" + entry + text[end:], encoding="utf-8")


def changed_files(copy: Path) -> set[str]:
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=copy, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return {line[3:] for line in status.splitlines()}


def render(copy: Path, out: Path, **answers: str) -> Path:
    command = [str(BIN / "cookiecutter"), "--no-input", "-o", str(out), str(copy)]
    result = subprocess.run(
        command + [f"{k}={v}" for k, v in answers.items()],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    (project,) = out.iterdir()
    return project


POOL_ENTRY = """    "nomad": Pool(
        job_variables=(("datacenter", "dc1"), ("job_name", "{project_slug}-run")),
        first_run="a Nomad cluster the worker reaches; each run is a Nomad job;",
        dev_stand_in=IMAGE_STAND_IN,
        compose_environment=("NOMAD_ADDR: ${{NOMAD_ADDR:?set NOMAD_ADDR in .env}}",),
        compose_note=OUTSIDE_THE_STACK,
        env_example=("# The Nomad API the compose worker talks to.", "NOMAD_ADDR=http://change-me:4646"),
    ),"""


def test_a_new_work_pool_type_is_a_model_entry_and_its_choice(copy, tmp_path):
    add_entry(copy, "POOLS", POOL_ENTRY)
    add_choice(copy, "work_pool_type", "nomad")
    assert changed_files(copy) == {"answer_model/choices.py", "cookiecutter.json"}
    project = render(copy, tmp_path / "out", work_pool_type="nomad")
    prefect_yaml = (project / "prefect.yaml").read_text(encoding="utf-8")
    assert "name: my-prefect-pipelines-nomad" in prefect_yaml
    assert (
        'datacenter: "dc1"' in prefect_yaml
        and 'job_name: "my-prefect-pipelines-run"' in prefect_yaml
    )
    assert 'image: "{{ $PREFECT_IMAGE }}"' in prefect_yaml
    compose = (project / "docker-compose.yml").read_text(encoding="utf-8")
    assert "NOMAD_ADDR: ${NOMAD_ADDR:?set NOMAD_ADDR in .env}" in compose
    assert '"--type", "nomad"' in compose
    assert "NOMAD_ADDR=http://change-me:4646" in (project / ".env.example").read_text()
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert "a Nomad cluster the worker reaches" in readme
    assert "The nomad pool is stood in for by a process pool" in readme


CHANNEL_ENTRY = """    "teams": Notifications(
        env_example=("# Teams incoming webhook for failure messages.", "TEAMS_WEBHOOK_URL="),
        files=("etl/hooks/channels/teams.py",),
    ),"""
CHANNEL = '''"""Microsoft Teams: failure messages go to an incoming webhook."""

SENT: list[str] = []


def send(message, logger) -> None:
    SENT.append(message)
'''


def test_a_new_notification_channel_is_a_model_entry_its_choice_and_its_module(copy, tmp_path):
    add_entry(copy, "NOTIFICATIONS", CHANNEL_ENTRY)
    add_choice(copy, "notifications", "teams")
    module = copy / "{{cookiecutter.project_slug}}" / "etl" / "hooks" / "channels" / "teams.py"
    module.write_text(CHANNEL, encoding="utf-8")
    assert changed_files(copy) == {
        "answer_model/choices.py",
        "cookiecutter.json",
        "{{cookiecutter.project_slug}}/etl/hooks/channels/teams.py",
    }
    teams = render(copy, tmp_path / "teams", notifications="teams")
    slack = render(copy, tmp_path / "slack")
    channels = "from etl.hooks.channels import CHANNELS; print([c.__name__ for c in CHANNELS])"
    found = subprocess.run(
        [sys.executable, "-c", channels], cwd=teams, capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "['etl.hooks.channels.teams']"
    assert "TEAMS_WEBHOOK_URL=" in (teams / ".env.example").read_text(encoding="utf-8")
    assert not (slack / "etl" / "hooks" / "channels" / "teams.py").exists()
    assert (slack / "etl" / "hooks" / "channels" / "slack.py").exists()
    assert not (teams / "etl" / "hooks" / "channels" / "slack.py").exists()


def test_the_templates_own_code_is_linted_and_formatted():
    """tests, devkit, scripts, benchmarks, hooks and the answer model: one ruff setup."""
    paths = ["tests", "devkit", "scripts", "benchmarks", "hooks", "answer_model"]
    paths.append("template_jinja.py")
    for command in (["check"], ["format", "--check"]):
        result = subprocess.run(
            [str(BIN / "ruff"), *command, *paths], cwd=TEMPLATE, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr
