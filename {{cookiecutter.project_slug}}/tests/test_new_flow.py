"""`etl-new-flow`: a new pipeline in the house's shape, or one line and nothing written.

The command runs in a copy of this project; its result must pass the project's own core
checks and keep every byte of `prefect.yaml` that was there (the whole path, flow run
included, is run by the template's tests through the README's "Add a pipeline" section).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from etl_tools import checks, new_flow

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    copy = tmp_path / "project"
    ignore = shutil.ignore_patterns(".venv", ".git", ".etl-dev", "data", "*cache*")
    shutil.copytree(ROOT, copy, ignore=ignore)
    monkeypatch.chdir(copy)
    return copy


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    "name", ["Customer Orders!", "flow_under_test", "orders-", "a--b", "class"]
)
def test_a_bad_name_is_one_line_and_nothing_is_written(project, capsys, name):
    before = tree(project)
    assert new_flow.main([name]) == 1
    out = capsys.readouterr()
    assert out.out == "" and len(out.err.strip().splitlines()) == 1, out.err
    assert out.err.startswith("etl-new-flow: error: ")
    assert tree(project) == before


def test_a_flow_that_exists_is_refused(project, capsys):
    assert new_flow.main(["flow-under-test"]) == 0
    before = tree(project)
    assert new_flow.main(["flow-under-test"]) == 1
    assert "exists already" in capsys.readouterr().err
    assert tree(project) == before


def test_the_dry_run_says_what_it_would_write_and_writes_nothing(project, capsys):
    before = tree(project)
    assert new_flow.main(["flow-under-test", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would add etl/flows/flow_under_test.py" in out
    assert "would change prefect.yaml" in out
    assert tree(project) == before


def test_the_new_flow_uses_the_files_shared_parts_and_keeps_every_byte(project):
    prefect_yaml = (project / "prefect.yaml").read_text()
    assert new_flow.main(["flow-under-test"]) == 0
    after = (project / "prefect.yaml").read_text()
    assert after.startswith(prefect_yaml.rstrip("\n"))  # comments, anchors, order: all kept
    added = after[len(prefect_yaml.rstrip("\n")) :]
    assert "work_pool: *work_pool" in added and "- *production_schedule" in added
    deployments = yaml.safe_load(after)["deployments"]
    new = {d["name"]: d for d in deployments if "flow-under-test" in d["tags"]}
    example = next(d for d in deployments if d["name"] == "dev")
    assert set(new) == {"dev", "prod"}
    assert new["dev"]["work_pool"] == example["work_pool"]  # the same alias, resolved
    assert new["prod"]["schedules"] and not new["dev"].get("schedules")
    assert new["dev"]["entrypoint"] == "etl/flows/flow_under_test.py:flow_under_test"
    serve = (project / "etl" / "serve.py").read_text()
    assert "from etl.flows.flow_under_test import flow_under_test\n" in serve
    assert 'flow_under_test.to_deployment(name="served", tags=SERVED_TAGS)' in serve
    assert checks.core_problems(project) == []


def test_a_file_without_the_shared_anchors_is_refused(project, capsys):
    path = project / "prefect.yaml"
    path.write_text(path.read_text().replace("production_schedule", "prod_cron"))
    before = tree(project)
    assert new_flow.main(["flow-under-test"]) == 1
    assert "no &production_schedule anchor" in capsys.readouterr().err
    assert tree(project) == before


@pytest.mark.source_text  # it lints etl/serve.py, which mutmut rewrites
@pytest.mark.parametrize("name", ["ab", "a-thirty-character-flow-name-1"])
def test_the_written_code_passes_ruff_as_it_is_for_short_and_long_names(project, name):
    """The project's ruff settings hold for what etl-new-flow writes, at any allowed length."""
    ruff = Path(sys.executable).with_name("ruff")
    if not ruff.exists():
        pytest.skip("ruff is not installed beside this Python (the project's dev group has it)")
    assert new_flow.main([name]) == 0
    module = name.replace("-", "_")
    written = [f"etl/flows/{module}.py", f"etl/tasks/{module}.py", f"tests/test_{module}.py"]
    for command in (["check"], ["format", "--check"]):
        result = subprocess.run(
            [str(ruff), *command, *written, "etl/serve.py"],
            cwd=project, capture_output=True, text=True,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
