"""The adoption steps of docs/existing-repository.md and of the rendered README, run as written.

The repository they run in is shaped like a real one: flows in a subfolder, its own
`prefect.yaml` (with a pull step and a schedule) and its own `.env.example`, `.prefectignore`
too. The steps must merge: every byte of the repository's own files stays, variables it
lacks are added once, and the checker (installed from this repository with uvx, not
copied) passes on the result.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from devkit.render import TEMPLATE, render
from devkit.shell import bash as run_bash
from devkit.shell import documented_env

DOC = TEMPLATE / "docs" / "existing-repository.md"

PREFECT_YAML = """\
name: sales
prefect-version: 3.8.8

pull:
  - prefect.deployments.steps.git_clone:
      id: clone
      repository: https://github.com/acme/sales.git
      branch: main
      access_token: "{{ prefect.blocks.secret.acme-github }}"

deployments:
  - name: sales-daily
    entrypoint: pipelines/flows/sales.py:sales
    parameters:
      day: "2026-01-01"
    schedules:
      - cron: "0 3 * * *"
        timezone: Europe/Paris
    work_pool:
      name: acme-process
      job_variables:
        env:
          WAREHOUSE_URL: "{{ $WAREHOUSE_URL }}"
"""
ENV_EXAMPLE = "# acme's settings\nWAREHOUSE_URL=postgresql://localhost/sales\nSLACK_WEBHOOK_URL=\n"
PREFECTIGNORE = "# acme's own\n*.parquet\n"
FLOW = """\
from prefect import flow


@flow
def sales(day: str, limit: int = 100) -> int:
    return limit
"""

pytestmark = pytest.mark.slow


def block_after(text: str, marker: str) -> str:
    """The first ```bash block after `marker` in a Markdown text."""
    match = re.search(re.escape(marker) + r".*?```bash\n(.*?)```", text, re.S)
    assert match, f"no bash block after {marker!r}"
    return match.group(1)


def bash(script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    """The docs' commands in the shell a reader has (tests/shell.py)."""
    return run_bash(script, cwd, documented_env(**env))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    return render(tmp_path_factory.mktemp("render"), project_name="Sales", project_slug="sales")


@pytest.fixture
def repository(tmp_path) -> Path:
    repo = tmp_path / "acme-sales"
    (repo / "pipelines" / "flows").mkdir(parents=True)
    (repo / "pipelines" / "__init__.py").write_text("")
    (repo / "pipelines" / "flows" / "__init__.py").write_text("")
    (repo / "pipelines" / "flows" / "sales.py").write_text(FLOW)
    (repo / "prefect.yaml").write_text(PREFECT_YAML)
    (repo / ".env.example").write_text(ENV_EXAMPLE)
    (repo / ".prefectignore").write_text(PREFECTIGNORE)
    return repo


def variables(path: Path) -> list[str]:
    return re.findall(r"^([A-Z_][A-Z0-9_]*)=", path.read_text(), re.M)


def check_merge(repo: Path, rendered: Path) -> None:
    assert (repo / "prefect.yaml").read_text() == PREFECT_YAML
    assert (repo / ".prefectignore").read_text() == PREFECTIGNORE
    assert (repo / "prefect.generated.yaml").read_text() == (rendered / "prefect.yaml").read_text()
    merged = (repo / ".env.example").read_text()
    assert merged.startswith(ENV_EXAMPLE)  # acme's lines first, untouched
    names = variables(repo / ".env.example")
    assert len(names) == len(set(names))  # nothing twice
    assert set(names) == set(variables(rendered / ".env.example")) | {
        "WAREHOUSE_URL",
        "SLACK_WEBHOOK_URL",
    }


def test_the_documented_merge_keeps_the_repositorys_files(rendered, repository, tmp_path):
    script = block_after(DOC.read_text(), "<!-- adoption: merge -->")
    assert "/tmp/render/sales" in script
    script = script.replace("/tmp/render/sales", str(rendered))
    for _ in range(2):  # twice: the second run adds nothing
        result = bash(script, repository)
        assert result.returncode == 0, result.stdout + result.stderr
        check_merge(repository, rendered)


def test_the_rendered_readme_merge_keeps_the_repositorys_files(rendered, repository):
    readme = (rendered / "README.md").read_text()
    script = block_after(readme, "## Use this `prefect.yaml` in an existing repository")
    script = script.replace("/path/to/this/project", str(rendered))
    for _ in range(2):
        result = bash(script, repository)
        assert result.returncode == 0, result.stdout + result.stderr
        check_merge(repository, rendered)


def test_the_documented_check_passes_on_the_repository_and_catches_a_drift(
    rendered, repository, tmp_path
):
    text = DOC.read_text()
    env = {
        "TEMPLATE": str(TEMPLATE),
        "UV_TOOL_DIR": str(tmp_path / "tools"),
        "UV_TOOL_BIN_DIR": str(tmp_path / "bin"),
    }
    check = block_after(text, "<!-- adoption: check -->")
    result = bash(check, repository, **env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok: prefect.yaml: 1 deployment checked"), result.stdout

    merge = block_after(text, "<!-- adoption: merge -->").replace(
        "/tmp/render/sales", str(rendered)
    )
    assert bash(merge, repository).returncode == 0
    # The flow drifted: `day` renamed; the scheduled runs would now fail.
    flow = repository / "pipelines" / "flows" / "sales.py"
    flow.write_text(FLOW.replace("day: str", "date: str"))
    result = bash(block_after(text, "<!-- adoption: check-merged -->"), repository, **env)
    assert result.returncode == 1
    assert [line.split(" ")[1] for line in result.stdout.splitlines()] == ["PY035", "PY036"]
