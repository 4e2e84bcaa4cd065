"""etl-dev's local stand-in, without a server: what it deploys instead of what, and the
mirror its git_clone step clones. (The whole `etl-dev --once` path runs in the
template's tests and in CI.)"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from etl_tools.dev import DevError, choose, project_root
from etl_tools.stand_in import GIT_CLONE, SET_WORKING_DIRECTORY, local_plan, snapshot

ROOT = Path(__file__).resolve().parents[1]
MIRROR = "file:///tmp/mirror.git"


def project_config() -> dict:
    return yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))


def test_the_projects_own_prefect_yaml_deploys_every_deployment_locally():
    config = project_config()
    plan = local_plan(config, MIRROR)
    names = [d["name"] for d in plan.config["deployments"]]
    assert names == [d["name"] for d in config["deployments"]]
    pools = {d["work_pool"]["name"] for d in config["deployments"]}
    assert set(plan.pools) == pools
    assert plan.notes, "etl-dev must say what it exercises and stands in for"
    assert plan.config is not config and config == project_config(), "original untouched"


def test_git_clone_stays_a_git_clone_of_the_mirror_without_credentials():
    config = {
        "pull": [
            {GIT_CLONE: {"id": "clone", "repository": "https://x/y.git", "branch": "dev",
                         "access_token": "{{ prefect.blocks.secret.t }}"}},
            {SET_WORKING_DIRECTORY: {"directory": "{{ clone.directory }}"}},
        ],
        "deployments": [{"name": "d", "work_pool": {"name": "p"}}],
    }  # fmt: skip
    plan = local_plan(config, MIRROR)
    clone = plan.config["pull"][0][GIT_CLONE]
    assert clone == {"id": "clone", "repository": MIRROR, "branch": "dev"}
    assert plan.branches == {"dev"}
    assert plan.config["pull"][1] == config["pull"][1]


@pytest.mark.parametrize(
    "pull",
    [
        [{"prefect_aws.deployments.steps.pull_from_s3": {"bucket": "b", "folder": "f"}}],
        [{SET_WORKING_DIRECTORY: {"directory": "/opt/prefect/app"}}],
    ],
    ids=["s3", "image"],
)
def test_other_storages_are_stood_in_for_by_the_mirror_and_say_so(pull):
    config = {
        "build": [{"prefect_docker.deployments.steps.build_docker_image": {}}],
        "push": [{"prefect_aws.deployments.steps.push_to_s3": {}}],
        "pull": pull,
        "definitions": {"work_pool_type": "ecs"},
        "deployments": [
            {"name": "d", "work_pool": {"name": "p", "job_variables": {"image": "x:1"}}}
        ],
    }
    plan = local_plan(config, MIRROR)
    assert plan.config["build"] is None and plan.config["push"] is None
    assert plan.config["pull"][0][GIT_CLONE]["repository"] == MIRROR
    assert plan.config["deployments"][0]["work_pool"] == {"name": "p"}
    assert plan.pools == {"p": "ecs"}
    notes = " ".join(plan.notes)
    assert "stood in for" in notes and "process pool of the same name" in notes


def test_local_storage_runs_the_checkout_unchanged():
    pull = [{SET_WORKING_DIRECTORY: {"directory": "{{ $PWD }}"}}]
    plan = local_plan({"pull": pull, "deployments": []}, MIRROR)
    assert plan.config["pull"] == pull and not plan.branches


@pytest.mark.skipif(shutil.which("git") is None, reason="the mirror is a git repository")
def test_snapshot_holds_the_working_copy_without_ignored_files(tmp_path):
    work = tmp_path / "work"
    (work / "etl").mkdir(parents=True)
    (work / "etl" / "flow.py").write_text("print('uncommitted change')\n")
    (work / ".gitignore").write_text("**/.env\n**/.etl-dev\n")
    (work / ".env").write_text("SECRET=1\n")
    (work / ".etl-dev").mkdir()
    (work / ".etl-dev" / "prefect.db").write_text("state")
    mirror = work / ".etl-dev" / "mirror.git"
    snapshot(work, mirror, work / ".etl-dev" / "index", {"main"})
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "--quiet", "--branch", "main", mirror.as_uri(), str(clone)], check=True
    )
    files = sorted(p.relative_to(clone).as_posix() for p in clone.rglob("*") if p.is_file())
    files = [f for f in files if not f.startswith(".git/")]
    assert files == [".gitignore", "etl/flow.py"]
    assert not (work / ".git").exists(), "the project's own repository is never touched"


def test_wrong_place_and_unknown_deployment_are_one_line_errors(tmp_path):
    with pytest.raises(DevError, match="run it in the project"):
        project_root(tmp_path)
    assert project_root(ROOT / "etl") == ROOT
    deployed = [{"name": "prod", "flow_id": "f"}]
    with pytest.raises(DevError, match="no deployment named 'dev'; deployments: prod"):
        choose(None, deployed, "dev", [])


@pytest.mark.slow  # a second Python process imports Prefect: seconds
def test_a_prefect_command_waits_for_its_go_file(tmp_path):
    """etl-dev starts its deploy and worker early (they import Prefect while the server
    boots); each runs its command only once etl-dev creates the go file."""
    import sys
    import time

    from prefect import __version__

    go = tmp_path / "go"
    script = ROOT / "etl_tools" / "prefect_when_ready.py"
    process = subprocess.Popen(
        [sys.executable, str(script), str(go), "--", "--version"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        time.sleep(1)
        assert process.poll() is None, process.communicate()[0]  # waiting, not done
        go.touch()
        output, _ = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 0, output
    assert output.strip().splitlines()[-1] == __version__
