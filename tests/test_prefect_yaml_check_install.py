"""`prefect-yaml-check` installs from this repository without copying a file.

The template's root is a project whose wheel is one package: the rendered project's
`etl_tools/prefect_yaml_check/`, force-included by hatch (pyproject.toml). These tests
install it the ways a repository would, from a local path and from a local git clone (no
network beyond the package registries): `uvx --from`, `pip install`, and pre-commit with
this repository's `.pre-commit-hooks.yaml`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from devkit.shell import documented_env

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "{{cookiecutter.project_slug}}" / "etl_tools" / "prefect_yaml_check"
# Artoss/labour_market_AU's shape: job_variables beside the pool, dropped by prefect deploy.
PREFECT_YAML = """\
deployments:
  - name: labour-daily-monitor
    entrypoint: flows/monitor.py:monitor
    work_pool:
      name: default
    job_variables:
      env:
        PGDATABASE: labour_market_au
"""
FLOW = "from prefect import flow\n\n\n@flow\ndef monitor():\n    pass\n"

pytestmark = pytest.mark.slow


def run(*command: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """A command in the shell a reader has: the system's folders and uv (tests/shell.py)."""
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=600, env=env or documented_env()
    )


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """A local git clone of this repository's committed state."""
    target = tmp_path_factory.mktemp("clone") / "template"
    result = run("git", "clone", "--quiet", str(ROOT), str(target), cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return target


@pytest.fixture
def repository(tmp_path) -> Path:
    """Someone's repository: its own prefect.yaml and flows in a subfolder."""
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "monitor.py").write_text(FLOW)
    (tmp_path / "prefect.yaml").write_text(PREFECT_YAML)
    return tmp_path


def tool_env(tmp_path: Path) -> dict:
    return documented_env(
        UV_TOOL_DIR=str(tmp_path / "tools"), UV_TOOL_BIN_DIR=str(tmp_path / "bin")
    )


@pytest.mark.parametrize("source", ["path", "git clone"])
def test_uvx_from_the_template_repository(source, clone, repository, tmp_path):
    origin = str(ROOT) if source == "path" else f"git+file://{clone}"
    command = ["uv", "tool", "run", "--from", origin, "prefect-yaml-check"]
    result = run(*command, "prefect.yaml", cwd=repository, env=tool_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr  # a warning: not failing
    assert result.stdout.splitlines() == [
        "prefect.yaml:6: PY020 warning: deployment 'labour-daily-monitor': job_variables beside "
        "work_pool are dropped by prefect deploy; move them under work_pool"
    ]
    strict = run(
        *command, "prefect.yaml", "--fail-on", "warning", cwd=repository, env=tool_env(tmp_path)
    )
    assert strict.returncode == 1, strict.stdout + strict.stderr
    fixed = PREFECT_YAML.replace("    job_variables:", "      job_variables:").replace(
        "      env:\n        PG", "        env:\n          PG"
    )
    (repository / "prefect.yaml").write_text(fixed)
    result = run(*command, "prefect.yaml", cwd=repository, env=tool_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok: prefect.yaml: 1 deployment checked")


def test_the_installed_package_is_the_rendered_projects_files(repository, tmp_path):
    """One source of truth: the wheel carries the very files every project is rendered with,
    byte for byte and no others, rebuilt when one changes (pyproject.toml's uv cache-keys),
    not a stale copy."""
    where = "import prefect_yaml_check; print(prefect_yaml_check.__file__)"
    command = ["uv", "tool", "run", "--from", str(ROOT), "python", "-c", where]
    result = run(*command, cwd=repository, env=tool_env(tmp_path))
    assert result.returncode == 0, result.stderr
    installed = Path(result.stdout.strip()).parent
    assert installed.parent.name == "site-packages"  # one top-level package, nothing else
    source = {p.name: p.read_bytes() for p in PACKAGE.glob("*.py")}
    assert {p.name: p.read_bytes() for p in installed.glob("*.py")} == source
    assert not [p for p in installed.iterdir() if p.is_file() and p.suffix != ".py"]


def test_pip_install_from_a_clone(clone, repository, tmp_path):
    venv = tmp_path / "venv"
    assert run(sys.executable, "-m", "venv", str(venv), cwd=tmp_path).returncode == 0
    pip = run(str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(clone), cwd=tmp_path)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    result = run(str(venv / "bin" / "prefect-yaml-check"), "prefect.yaml", cwd=repository)
    assert result.returncode == 0 and ": PY020 warning: " in result.stdout, (
        result.stdout + result.stderr
    )


def test_pre_commit_hook_from_this_repository(clone, repository, tmp_path):
    """`pre-commit try-repo` installs the hook the way a `.pre-commit-config.yaml` entry does."""
    env = dict(tool_env(tmp_path), PRE_COMMIT_HOME=str(tmp_path / "pre-commit"))
    (repository / "prefect.yaml").write_text(PREFECT_YAML.replace("name: default", "name: prefect"))
    assert run("git", "init", "-q", cwd=repository).returncode == 0
    assert run("git", "add", ".", cwd=repository).returncode == 0
    command = ["uv", "tool", "run", "pre-commit", "try-repo", str(clone), "prefect-yaml-check"]
    result = run(*command, "--all-files", cwd=repository, env=env)
    assert result.returncode == 1, result.stdout + result.stderr  # an error (a reserved name)
    assert "prefect.yaml:5: PY080 error: " in result.stdout, result.stdout
    assert "prefect.yaml:6: PY020 warning: " in result.stdout, result.stdout
