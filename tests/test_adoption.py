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
import yaml

from devkit.prefect_server import prefect_server
from devkit.render import BIN, TEMPLATE, render
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
    assert (repo / "prefect.toml").read_text() == (rendered / "prefect.toml").read_text()
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


# --- the whole path, on four repository shapes ---------------------------------------

ORDERS_FLOW = """\
from prefect import flow


@flow(name="{name}")
def {function}(day: str = "2026-01-01") -> str:
    print(f"{name} for {{day}}")
    return day
"""
GIT = ["git", "-c", "user.name=Adopter", "-c", "user.email=adopter@example.com"]


def run(cwd: Path, *command: str, env: dict | None = None) -> str:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
    return result.stdout


def adopter(tmp_path: Path, name: str, shape: str) -> tuple[Path, Path]:
    """A repository of one flow, `name`, pushed to a local origin; and its render."""
    origin, repo = tmp_path / f"{name}.git", tmp_path / name
    run(tmp_path, "git", "init", "--quiet", "--bare", str(origin))
    (repo / "flows").mkdir(parents=True)
    function = name.replace("-", "_")
    (repo / "flows" / f"{function}.py").write_text(ORDERS_FLOW.format(name=name, function=function))
    (repo / "requirements.txt").write_text("prefect\n")
    if shape == "own-files":
        (repo / ".env.example").write_text("# theirs\nWAREHOUSE_URL=postgresql://db/sales\n")
        (repo / "prefect.yaml").write_text(
            f"# theirs\nname: {name}\nprefect-version: 3.9.1\ndeployments:\n"
            f"  - name: daily\n    entrypoint: flows/{function}.py:{function}\n"
            "    parameters: {day: '2026-02-02'}\n"
        )
    rendered = render(tmp_path / f"render-{name}", project_name="Sales", project_slug="sales",
                      repository_url=origin.as_uri(), notifications="none")  # fmt: skip
    return repo, rendered


def by_hand(repo: Path, name: str, shape: str) -> None:
    """What the docs ask a person to do in words after the merge."""
    function = name.replace("-", "_")
    path = repo / "prefect.yaml"
    config = yaml.safe_load(path.read_text())
    if shape == "own-files":  # take the pool and the pull steps, point the deployment at it
        generated = yaml.safe_load((repo / "prefect.generated.yaml").read_text())
        config["pull"] = generated["pull"]
        for deployment in config["deployments"]:
            deployment["work_pool"] = generated["definitions"]["work_pool"]
        (repo / "prefect.generated.yaml").unlink()
    else:  # the generated file became theirs: its deployments point at their flow
        config["deployments"] = [
            d | {"entrypoint": f"flows/{function}.py:{function}", "parameters": {"day": "x"}}
            for d in config["deployments"]
            if d["name"] in ("dev", "prod")
        ]
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    env = (repo / ".env.example").read_text()  # `cp .env.example .env`, then real values
    if shape == "private":
        env = env.replace("GIT_ACCESS_TOKEN=change-me", "GIT_ACCESS_TOKEN=adopter-test-token")
    else:  # a public repository: no token
        env = env.replace("GIT_ACCESS_TOKEN=change-me", "GIT_ACCESS_TOKEN=")
    (repo / ".env").write_text(env.replace("change-me-postgres-password", "adopterpassword"))
    run(repo, *GIT, "init", "--quiet", "-b", "main")
    run(repo, *GIT, "add", "-A")
    run(repo, *GIT, "commit", "--quiet", "-m", "adopt the template's parts")
    origin = next(repo.parent.glob(f"{name}.git"))
    run(repo, *GIT, "push", "--quiet", str(origin), "main")


SHAPES = {  # flow name: (shape, what it has)
    "orders": "private",  # no prefect.yaml, no .env.example; a token
    "refunds": "public",  # no prefect.yaml, no .env.example; no token
    "sales": "own-files",  # its own prefect.yaml and .env.example
}


def test_adopting_on_three_shapes_ends_in_completed_runs(tmp_path):
    """The docs' merge, check and deploy blocks, as written, in three repositories; the
    flows then run on a process worker from their pull steps (git clone of the origin)."""
    text = DOC.read_text()
    blocks = {
        marker: block_after(text, f"<!-- adoption: {marker} -->")
        for marker in ("merge", "no-prefect-yaml", "check-merged", "deploy")
    }
    with prefect_server(tmp_path / "server") as server:
        env = documented_env(
            TEMPLATE=str(TEMPLATE), PREFECT_API_URL=server.api_url,
            UV_TOOL_DIR=str(tmp_path / "tools"), UV_TOOL_BIN_DIR=str(tmp_path / "bin"),
        )  # fmt: skip
        # The repository's own environment, with prefect: the template's stands in for it.
        env["PATH"] = f"{BIN}:{env['PATH']}"
        runs = {}
        for name, shape in SHAPES.items():
            repo, rendered = adopter(tmp_path, name, shape)
            merge = blocks["merge"].replace("/tmp/render/sales", str(rendered))
            result = run_bash(merge + blocks["no-prefect-yaml"], repo, env)
            assert result.returncode == 0, result.stdout + result.stderr
            assert len(variables(repo / ".env.example")) >= 2
            by_hand(repo, name, shape)
            checked = run_bash(blocks["check-merged"], repo, env)
            assert checked.returncode == 0, checked.stdout + checked.stderr
            deploy = blocks["deploy"].split("prefect worker start")[0]  # one worker, below
            deployed = run_bash(f'R="{rendered}"\n' + deploy, repo, env)
            assert deployed.returncode == 0, deployed.stdout + deployed.stderr
            if shape == "public":
                assert "GIT_ACCESS_TOKEN is empty" in deployed.stdout
            deployment = "daily" if shape == "own-files" else "dev"
            runs[name] = server.request(
                "POST",
                f"/deployments/{server.deployment(name, deployment)['id']}/create_flow_run",
                {},
            )["id"]
        worker_line = next(
            line for line in blocks["deploy"].splitlines() if line.startswith("prefect worker")
        )
        worker = run_bash(worker_line.split("#")[0], tmp_path, env)  # an unrelated folder
        assert worker.returncode == 0, worker.stdout + worker.stderr
        for name, run_id in runs.items():
            state = (server.wait_for_state(run_id)["state"] or {}).get("type")
            assert state == "COMPLETED", f"{name}: {state}\n{worker.stdout[-3000:]}"


def test_an_upload_leaves_out_secrets_and_keeps_the_repositorys_data_inputs(rendered, tmp_path):
    """s3 storage uploads what `.prefectignore` keeps: the generated core drops `/data`,
    so a repository whose inputs live in data/ deletes that line, as the docs say."""
    from prefect.utilities.filesystem import filter_files

    repo = tmp_path / "repo"
    for path in ("data/inputs/orders.csv", "flows/etl.py", ".env", ".venv/lib/x.py"):
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text("x")
    merge = block_after(DOC.read_text(), "<!-- adoption: merge -->").replace(
        "/tmp/render/sales", str(rendered)
    )
    assert run_bash(merge, repo, documented_env()).returncode == 0
    ignore = (repo / ".prefectignore").read_text().splitlines()
    assert "data/inputs/orders.csv" not in filter_files(str(repo), ignore)  # the pitfall
    ignore.remove("/data")  # what the docs say to do
    uploaded = filter_files(str(repo), ignore)
    assert {"data/inputs/orders.csv", "flows/etl.py"} <= uploaded
    assert not uploaded & {".env", ".venv/lib/x.py"}
