"""Secrets and clutter stay out of git, the Docker build context and Prefect uploads.

A project is littered the way real ones are, then each tool's own rules are applied:
a real `git add -A --dry-run`, Docker's `.dockerignore` rules (the Docker SDK's, through
etl_tools/docker_context.py), and Prefect's own `filter_files` (what `push_to_s3` uploads
with `.prefectignore`).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from prefect.utilities.filesystem import filter_files

from etl_tools.docker_context import docker_context

LEAKS = {
    ".env": "GIT_ACCESS_TOKEN=ghp_leak1\n",
    ".env.prod": "AWS_SECRET_ACCESS_KEY=leak2\n",
    "config/.env.local": "SLACK_WEBHOOK_URL=leak3\n",
    "deploy/id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\nleak4\n",
    "certs/server.pem": "-----BEGIN PRIVATE KEY-----\nleak5\n",
    ".aws/credentials": "[default]\naws_secret_access_key = leak6\n",
    "credentials.json": '{"private_key": "leak7"}',
    "secrets/warehouse.yaml": "password: leak9\n",
    "config/.secrets/token": "leak10\n",
    "keys/etl-service-account.json": '{"type": "service_account", "private_key": "leak11"}',
    "gcp/application_default_credentials.json": '{"refresh_token": "leak12"}',
    "ops/prod-credentials.json": '{"password": "leak13"}',
    ".kube/config": "users:\n- user: {token: leak14}\n",
    "deploy/kubeconfig.yaml": "users:\n- user: {token: leak15}\n",
    "deploy/prod.kubeconfig": "users:\n- user: {token: leak16}\n",
    ".netrc": "machine github.com password leak17\n",
    "certs/client.p12": "leak18\n",
    ".venv/lib/site.py": "clutter\n",
    "etl/__pycache__/x.cpython-312.pyc": "clutter\n",
    ".mypy_cache/3.12/x.json": "clutter\n",
    "dist/pkg-0.1.tar.gz": "clutter\n",
}
DATABASES = ["data/warehouse.db", "local.sqlite3"]
KEPT = [".env.example", "etl/data/orders.csv", "etl/flows/example_etl.py", "pyproject.toml"]
KEPT += ["tests/test_secrets.py", "etl_tools/blocks.py"]  # near-misses of the secret patterns


@pytest.fixture(scope="module")
def littered(tmp_path_factory):
    """A copy of the project with secrets, clutter and a populated database in it."""
    root = tmp_path_factory.mktemp("littered") / "project"
    shutil.copytree(
        Path(__file__).resolve().parents[1],
        root,
        ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", ".*_cache"),
    )
    for name, text in LEAKS.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    for name in DATABASES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(root / name) as connection:
            connection.execute("CREATE TABLE t (secret TEXT)")
            connection.execute("INSERT INTO t VALUES ('leak8')")
    return root


def leaked(included: set[str]) -> list[str]:
    """The planted secrets, clutter and databases that a tool would include."""
    return sorted(name for name in [*LEAKS, *DATABASES] if name in included)


def test_git_adds_no_secret(littered):
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    subprocess.run([git, "init", "-q"], cwd=littered, check=True)
    result = subprocess.run(
        [git, "add", "-A", "--dry-run"], cwd=littered, capture_output=True, text=True, check=True
    )
    added = {line.split("'")[1] for line in result.stdout.splitlines() if line.startswith("add ")}
    assert leaked(added) == []
    assert [name for name in KEPT if name not in added] == []


def test_docker_context_has_no_secret(littered):
    context = set(docker_context(littered))
    assert leaked(context) == []
    assert {"pyproject.toml", "README.md", "etl/flows/example_etl.py"} <= context


def test_prefect_upload_has_no_secret(littered):
    patterns = (littered / ".prefectignore").read_text().splitlines()
    uploaded = filter_files(str(littered), patterns, include_dirs=False, as_posix=True)
    assert leaked(uploaded) == []
    assert [name for name in KEPT if name not in uploaded] == []


@pytest.mark.parametrize(
    ("lines", "path", "sent"),
    [
        ([".env"], ".env", False),
        ([".env"], "sub/.env", True),  # Docker: no `**/`, root only (unlike git)
        (["**/.env"], "sub/.env", False),
        (["**/.env*", "!**/.env.example"], "a/.env.example", True),
        (["/data"], "data/x/y.db", False),  # a folder excludes everything below it
        (["*.py[cod]"], "x.pyc", False),
        (["tests"], "tests/test_x.py", False),
    ],
)
def test_docker_rules(tmp_path, lines, path, sent):
    (tmp_path / ".dockerignore").write_text("\n".join(lines) + "\n")
    (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / path).write_text("x")
    assert (path in docker_context(tmp_path)) == sent


@pytest.mark.usefixtures("prefect_server")
def test_flow_logs_hold_no_secret(monkeypatch, tmp_path, failing_params, run_logs):
    """Not a token, a webhook, nor a warehouse URL's password, even when a run fails on it."""
    from etl.flows.example_etl import EtlParams, example_etl
    from tests.conftest import postgres_url
    from tests.faults import fresh_schema

    server = postgres_url()  # before the environment below replaces ETL_WAREHOUSE_URL
    secrets = {
        "GIT_ACCESS_TOKEN": "ghp_flowleak1",
        "SLACK_WEBHOOK_URL": "https://x/flowleak2",
        # Nothing listens on port 9: the run fails connecting, and its errors are logged.
        "ETL_WAREHOUSE_URL": "postgresql+psycopg://etl:flowleak3@127.0.0.1:9/warehouse",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in secrets.items()))
    monkeypatch.chdir(tmp_path)  # the flow reads settings from ./.env too
    leaks = [*secrets.values(), "flowleak3"]

    good = example_etl(EtlParams(database=str(tmp_path / "w.db")), return_state=True)
    bad = example_etl(failing_params, return_state=True)
    unreachable = example_etl(EtlParams(), return_state=True)  # the URL from settings
    runs = [good, bad, unreachable]
    assert unreachable.is_failed()
    if server:  # a real server: a completed run on a URL with a password
        with fresh_schema(server) as url:
            monkeypatch.setenv("ETL_WAREHOUSE_URL", url)
            served = example_etl(EtlParams(), return_state=True)
        assert served.is_completed()
        runs.append(served)
        credentials = url.split("://", 1)[1].split("@", 1)[0]  # user:password
        leaks += [url, f"{credentials}@"]

    messages = [m for run in runs for m in run_logs(run.state_details.flow_run_id)]
    assert len(messages) > 5
    assert [m for m in messages if any(v in m for v in leaks)] == []
