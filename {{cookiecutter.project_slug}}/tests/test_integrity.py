"""Project policy, checked like a linter: every deployment loads and follows the rules.

The rules live in `etl_tools/checks.py` (also run by pre-commit and by the template
that generated this project); these tests make a broken rule fail the suite.
"""

from __future__ import annotations

import shutil

import pytest
import yaml

from etl_tools import checks


def test_project_passes_the_core_checks(project_root):
    assert checks.core_problems(project_root) == []


def test_deployments_load_and_their_parameters_validate(project_root):
    assert checks.deep_problems(project_root) == []


def test_every_task_retries_or_is_pure():
    assert checks.task_policy_problems() == []


def test_every_deployment_has_tags_description_and_pool(project_root):
    deployments = checks.load_prefect_yaml(project_root)["deployments"]
    assert {d["name"] for d in deployments} >= {"dev", "prod"}
    for deployment in deployments:
        assert deployment["tags"], deployment["name"]
        assert deployment["description"], deployment["name"]
        assert deployment["work_pool"]["name"], deployment["name"]


def test_prod_is_scheduled_and_dev_is_not(project_root):
    deployments = {d["name"]: d for d in checks.load_prefect_yaml(project_root)["deployments"]}
    assert deployments["prod"]["schedules"]
    assert not deployments["dev"].get("schedules")


@pytest.fixture
def project_copy(project_root, tmp_path):
    """A copy of the project's checked files, to break on purpose."""
    copy = tmp_path / "project"
    for name in ["prefect.yaml", ".env.example", *checks.IGNORE_FILES]:
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(project_root / name, copy / name)
    shutil.copytree(project_root / "etl", copy / "etl")
    return copy


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("work_pool: *work_pool", "workpool: *work_pool", "unknown key 'workpool'"),
        ("example_etl.py:example_etl", "example_etl.py:no_such_flow", "no function no_such_flow"),
        pytest.param(
            "example_etl.py:example_etl",
            "example_etl.py:run_name",
            "not decorated with @flow",
            marks=pytest.mark.source_text,  # under mutmut, run_name has its decorator
        ),
        ("      params:\n", "      limit: 3\n      params:\n", "'limit' is not a parameter"),
        ("definitions:", "defintions:", "unknown top-level key 'defintions'"),
        ("deployments:", "deployments: [\n", "not valid YAML"),
    ],
)
def test_broken_prefect_yaml_is_reported(project_copy, old, new, expected):
    path = project_copy / "prefect.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    problems = checks.prefect_yaml_problems(project_copy)
    assert any(expected in problem for problem in problems), problems


def test_undocumented_env_var_is_reported(project_copy):
    path = project_copy / "prefect.yaml"
    path.write_text(path.read_text() + "\n# image: {{ $UNDOCUMENTED_IMAGE }}\n")
    problems = checks.prefect_yaml_problems(project_copy)
    assert any("UNDOCUMENTED_IMAGE" in problem for problem in problems), problems


def test_absolute_path_is_reported(project_copy):
    path = project_copy / "prefect.yaml"
    text = path.read_text().replace("source: sample", "source: /home/me/orders.csv", 1)
    path.write_text(text)
    problems = checks.prefect_yaml_problems(project_copy)
    assert any("absolute path" in problem for problem in problems), problems


def test_drifted_ignore_file_is_reported(project_copy):
    path = project_copy / ".dockerignore"
    path.write_text(path.read_text().replace("**/.env\n", "", 1))
    problems = checks.ignore_file_problems(project_copy)
    assert any(".dockerignore" in p and "**/.env" in p for p in problems), problems


def test_leftover_template_text_is_reported(project_copy):
    leftover = "{" * 2 + " cookiecutter" + ".project_slug }}"  # split so this file has none
    (project_copy / "etl" / "extra.py").write_text(f"NAME = '{leftover}'\n")
    problems = checks.leftover_problems(project_copy)
    assert any("etl/extra.py:1" in problem for problem in problems), problems


def test_files_the_template_copies_are_skipped_only_when_named(project_copy):
    """The template's hook names the files it copies as they are (`copied`); every other
    caller, and every other file, is still checked."""
    (project_copy / "tests").mkdir()
    (project_copy / "tests" / "test_broken.py").write_text("def broken(:\n")
    (project_copy / "etl" / "broken.py").write_text("def broken(:\n")
    everything = checks.python_problems(project_copy)
    rendered = checks.python_problems(project_copy, copied=["tests/*"])
    assert [p.split(":")[0] for p in everything] == ["etl/broken.py", "tests/test_broken.py"]
    assert [p.split(":")[0] for p in rendered] == ["etl/broken.py"]


@pytest.mark.parametrize("value", ["0.5", "0", "1.5", '"1"'])
def test_a_fractional_flush_interval_is_reported(project_root, tmp_path, value):
    """Prefect truncates this interval to whole seconds: 0.5 makes an idle server spin a
    core (the setting's comment in prefect.toml says where)."""
    toml = (project_root / "prefect.toml").read_text()
    assert "\nflush_interval = 1\n" in toml
    (tmp_path / "prefect.toml").write_text(
        toml.replace("\nflush_interval = 1\n", f"\nflush_interval = {value}  # faster?\n")
    )
    (problem,) = checks.prefect_settings_problems(tmp_path)
    assert f"task_run_recorder.flush_interval = {value}: Prefect truncates it" in problem


def test_a_flow_importing_the_tools_is_reported(project_copy):
    flow = project_copy / "etl" / "flows" / "example_etl.py"
    flow.write_text("from etl_tools import checks\n" + flow.read_text())
    problems = checks.core_problems(project_copy)
    assert any("etl/flows/example_etl.py:1: imports etl_tools" in p for p in problems), problems


def test_job_variables_fit_the_worker_schema(project_root):
    assert checks.job_variable_problems(project_root) == []


def test_a_misspelt_job_variable_is_reported(project_copy):
    data = checks.load_prefect_yaml(project_copy)
    data["deployments"][0]["work_pool"] = {"name": "pool", "job_variables": {"envv": {}}}
    (project_copy / "prefect.yaml").write_text(yaml.safe_dump(data))
    problems = checks.job_variable_problems(project_copy)
    assert any("job_variables.envv" in problem for problem in problems), problems


def test_a_wrongly_typed_job_variable_is_reported(project_copy):
    data = checks.load_prefect_yaml(project_copy)
    data["deployments"][0]["work_pool"] = {"name": "pool", "job_variables": {"env": "A=1"}}
    (project_copy / "prefect.yaml").write_text(yaml.safe_dump(data))
    problems = checks.job_variable_problems(project_copy)
    assert any("job_variables.env" in problem for problem in problems), problems


@pytest.mark.slow  # hadolint and the schema checks, also a CI step of their own
def test_dockerfile_and_ci_files_pass_their_linters(project_root):
    assert checks.tool_problems(project_root) == []


def test_a_drifted_base_image_is_reported(project_copy, project_root):
    shutil.copy(project_root / "pyproject.toml", project_copy / "pyproject.toml")
    (project_copy / "Dockerfile").write_text("FROM prefecthq/prefect:3-latest\n")
    problems = checks.dockerfile_problems(project_copy)
    assert any("must be prefecthq/prefect:" in problem for problem in problems), problems


def test_a_latest_image_tag_is_reported(project_copy):
    data = checks.load_prefect_yaml(project_copy)
    data["deployments"][0]["work_pool"]["job_variables"] = {"image": "org/etl:latest"}
    (project_copy / "prefect.yaml").write_text(yaml.safe_dump(data))
    problems = checks.prefect_yaml_problems(project_copy)
    assert any("'latest' tag" in problem for problem in problems), problems


def test_prefect_yaml_mode_checks_an_adopting_repository(project_root, tmp_path, monkeypatch):
    """`checks.py --prefect-yaml` in a repository that has prefect.yaml, its flows and the
    image it builds from (its Dockerfile's WORKDIR is where an image's code lives) only."""
    for name in ("prefect.yaml", ".env.example", "Dockerfile"):
        shutil.copy(project_root / name, tmp_path / name)
    shutil.copytree(project_root / "etl", tmp_path / "etl")
    monkeypatch.chdir(tmp_path)
    assert checks.main(["--prefect-yaml", "--deep"]) == 0
    assert checks.main([]) == 1  # the whole-project checks miss the ignore files
    path = tmp_path / "prefect.yaml"
    path.write_text(path.read_text().replace("work_pool: *work_pool", "workpool: *work_pool"))
    assert checks.main(["--prefect-yaml"]) == 1


def test_prefect_yaml_check_command_is_strict_and_clean(project_root, tmp_path, capsys):
    """The same package any repository runs as `prefect-yaml-check`, here in house style:
    --strict fails on any finding; by default only errors fail (--fail-on for more)."""
    from etl_tools import prefect_yaml_check

    path = project_root / "prefect.yaml"
    assert prefect_yaml_check.main([str(path), "--strict", "--no-prefect"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok: ") and "(strict)" in out, out
    broken = tmp_path / "prefect.yaml"
    text = path.read_text()
    broken.write_text(text.replace("work_pool: *work_pool", "job_variables: {}", 1))
    assert prefect_yaml_check.main([str(broken), "--strict", "--no-prefect", "--no-code"]) == 1
    assert " PY039 warning: deployment 'dev' has no work pool" in capsys.readouterr().out
    moved = "job_variables: {env: {A: b}}\n    work_pool: {name: x}"
    broken.write_text(text.replace("work_pool: *work_pool", moved, 1))
    assert prefect_yaml_check.main([str(broken), "--no-prefect", "--no-code"]) == 0
    assert " PY020 warning: " in capsys.readouterr().out  # reported, not failing
    command = [str(broken), "--no-prefect", "--no-code", "--fail-on", "warning"]
    assert prefect_yaml_check.main(command) == 1
    assert prefect_yaml_check.main([*command[:3], "--strict"]) == 1
