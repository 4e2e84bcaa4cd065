"""The rendered docker-compose.yml, in every supported combination of answers.

The schema check (`check-jsonschema --builtin-schema vendor.compose-spec`) runs in the
project's own `python -m etl_tools.checks --tools` (see test_matrix); here, what the schema
cannot say: the three services and how they depend on each other, pinned images (the
server's the same as the project's Dockerfile), health checks, named volumes, the worker
for this project's pool with resource limits and explicit polling settings, every
variable documented in `.env.example`, and no secret in the file. The end-to-end test
runs the file's database URL, worker command and health checks against a real server.
"""

from __future__ import annotations

import re
import sys

import pytest

from devkit.compose import (
    COMPOSE_FILE,
    MissingVariable,
    env_example,
    interpolate,
    load_compose,
    raw_compose,
    variables,
)
from devkit.matrix import MATRIX, label
from devkit.render import render, run_rendered

SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|KEY", re.IGNORECASE)
ONLY_A_VARIABLE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(:?[-?][^}]*)?\}")
PINNED = re.compile(r"[\w./-]+:(\d+\.\d+(\.\d+)?)[\w.-]*")


@pytest.mark.parametrize("answers", MATRIX, ids=label)
def test_compose_stack_is_complete_pinned_and_secret_free(answers, tmp_path):
    project = render(tmp_path, **answers)
    pool, slug = answers["work_pool_type"], project.name
    text = (project / COMPOSE_FILE).read_text()
    compose = raw_compose(project)
    services = compose["services"]
    assert set(services) == {"postgres", "server", "worker"}

    # Pinned images; the server runs the project's own Prefect and Python.
    base = re.search(r"^FROM\s+(\S+)", (project / "Dockerfile").read_text(), re.MULTILINE)
    assert services["server"]["image"] == base.group(1)
    assert PINNED.fullmatch(services["postgres"]["image"]), services["postgres"]["image"]
    assert services["worker"]["build"] == "."  # the project's image: Prefect + this project
    assert "latest" not in text

    # Start order by health: postgres, then the server, then the worker.
    for name, service in services.items():
        assert service["healthcheck"]["test"], name
        assert service.get("restart") == "unless-stopped", name
    assert services["server"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert services["worker"]["depends_on"] == {"server": {"condition": "service_healthy"}}

    # Data lives in named volumes declared at the top level.
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith(("/", ".", "$", "~")):
                assert source in compose["volumes"], (name, volume)
    # A PostgreSQL warehouse is a database and role of its own, made by the init script.
    init = "./postgres-init:/docker-entrypoint-initdb.d:ro"
    server_warehouse = answers.get("warehouse") == "postgres"
    assert services["postgres"]["volumes"] == ["postgres-data:/var/lib/postgresql/data"] + (
        [init] if server_warehouse else []
    )
    assert (project / "postgres-init" / "10-warehouse.sh").exists() == server_warehouse
    warehouse_env = {k for k in services["postgres"]["environment"] if k.startswith("WAREHOUSE")}
    assert warehouse_env == (
        {"WAREHOUSE_DB_USER", "WAREHOUSE_DB_PASSWORD", "WAREHOUSE_DB_NAME"}
        if server_warehouse
        else set()
    )

    # The worker serves this project's pool, within limits, polling as documented.
    worker = services["worker"]
    command = worker["command"]
    assert command[:3] == ["prefect", "worker", "start"]
    assert command[command.index("--pool") + 1] == f"{slug}-{pool}"
    assert command[command.index("--type") + 1] == pool
    limits = worker["deploy"]["resources"]["limits"]
    assert float(limits["cpus"]) > 0 and re.fullmatch(r"\d+[MG]", limits["memory"])
    for setting in ("PREFECT_WORKER_QUERY_SECONDS", "PREFECT_WORKER_PREFETCH_SECONDS"):
        assert float(worker["environment"][setting]) > 0
    commented = re.search(r"(\n *#[^\n]*)+\n *PREFECT_WORKER_QUERY_SECONDS:", text)
    assert commented and "poll" in commented.group(0).lower(), "explain the polling settings"
    docker_socket = "/var/run/docker.sock:/var/run/docker.sock"
    assert (docker_socket in worker.get("volumes", [])) == (pool == "docker")

    # Every setting comes from .env, and .env.example documents each one.
    documented = set(env_example(project, commented=True))
    assert variables(text) - documented == set(), "document these in .env.example"
    for name, service in services.items():
        for key, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(key):
                assert ONLY_A_VARIABLE.fullmatch(str(value)), f"{name}.{key} holds a value"
    placeholders = {v for v in env_example(project).values() if "change-me" in v}
    assert not any(p in text for p in placeholders)

    # With .env.example's values the file resolves: no required variable is left unset.
    stack = load_compose(project, env_example(project))
    url = stack["services"]["server"]["environment"]["PREFECT_SERVER_DATABASE_CONNECTION_URL"]
    settings = env_example(project)
    assert url == (
        f"postgresql+asyncpg://{settings['POSTGRES_USER']}:{settings['POSTGRES_PASSWORD']}"
        f"@postgres:5432/{settings['POSTGRES_DB']}"
    )
    assert stack["services"]["worker"]["environment"]["PREFECT_API_URL"] == (
        "http://server:4200/api"
    )


def test_unset_password_stops_compose_instead_of_starting_without_one(default_project):
    text = (default_project / COMPOSE_FILE).read_text()
    settings = env_example(default_project)
    del settings["POSTGRES_PASSWORD"]
    with pytest.raises(MissingVariable, match="POSTGRES_PASSWORD"):
        interpolate(text, settings)


def test_invalid_compose_file_fails_the_projects_tool_checks(tmp_path):
    project = render(tmp_path)
    path = project / COMPOSE_FILE
    text = path.read_text()
    assert "condition: service_healthy" in text
    path.write_text(text.replace("condition: service_healthy", "condition: healthy", 1))
    result = run_rendered(project, sys.executable, "-m", "etl_tools.checks", "--tools")
    assert result.returncode == 1
    assert f"{COMPOSE_FILE}:" in result.stderr, result.stderr
