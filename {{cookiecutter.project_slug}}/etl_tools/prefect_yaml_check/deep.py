"""With `--deep`: Prefect itself loads each flow and each worker's schema (PY090, PY091).

This imports the project's code, so it runs only when asked, and only once the file has
no error of its own.
"""

from __future__ import annotations

import importlib

from .document import Document
from .values import TEMPLATED

WORKERS = {
    "process": "prefect.workers.process:ProcessWorker",
    "docker": "prefect_docker.worker:DockerWorker",
    "kubernetes": "prefect_kubernetes.worker:KubernetesWorker",
    "ecs": "prefect_aws.workers.ecs_worker:ECSWorker",
}


def check_flows(doc: Document) -> None:
    """Import each flow with Prefect and validate its parameters (runs the project's code)."""
    try:
        from prefect.flows import load_flow_from_entrypoint
    except Exception:  # noqa: BLE001
        doc.add((), "PY090", subject="--deep", problem="it needs Prefect installed")
        return
    for index, deployment, label in doc.deployments():
        entrypoint = deployment.get("entrypoint")
        if not isinstance(entrypoint, str) or not entrypoint:
            continue
        target = str(doc.root / entrypoint) if ".py:" in entrypoint else entrypoint
        try:
            flow = load_flow_from_entrypoint(target, use_placeholder_flow=False)
            parameters = deployment.get("parameters")
            flow.validate_parameters(parameters if isinstance(parameters, dict) else {})
        except BaseException as error:  # noqa: BLE001 - report any failure as one line
            if isinstance(error, KeyboardInterrupt):
                raise
            first = (str(error).strip().splitlines() or [""])[0]
            doc.add(
                ("deployments", index, "entrypoint"),
                "PY090",
                subject=f"deployment {label}",
                problem=f"{type(error).__name__}: {first}",
            )


def check_job_variables(doc: Document) -> None:
    """Each deployment's job_variables against its worker's own JSON schema, when the
    pool's type is known and its worker is installed."""
    pool_type = doc.pool_type()
    if pool_type not in WORKERS:
        return
    module, _, name = WORKERS[pool_type].partition(":")
    try:
        import jsonschema

        worker = getattr(importlib.import_module(module), name)
        schema = worker.get_default_base_job_template()["variables"]
    except Exception:  # noqa: BLE001 - the worker's package is not installed here
        problem = f"install the {pool_type} worker's package to check job_variables"
        doc.add((), "PY091", subject="--deep", problem=problem)
        return
    properties = schema.get("properties", {})
    for index, deployment, label in doc.deployments():
        pool = deployment.get("work_pool")
        variables = pool.get("job_variables") if isinstance(pool, dict) else None
        if not isinstance(variables, dict):
            continue
        at = ("deployments", index, "work_pool", "job_variables")
        subject = f"deployment {label}"
        for key in variables:
            if key not in properties:
                problem = f"job_variables.{key} is not a {pool_type} worker setting"
                doc.add(at + (key,), "PY091", subject=subject, problem=problem)
        resolved = {k: v for k, v in variables.items() if not TEMPLATED.search(str(v))}
        for error in jsonschema.Draft202012Validator(schema).iter_errors(resolved):
            path = ".".join(str(p) for p in error.absolute_path)
            if path.split(".")[0] in properties:
                problem = f"job_variables.{path}: {error.message}"
                doc.add(at + tuple(error.absolute_path), "PY091", subject=subject, problem=problem)
