"""Serve the project's flows from one long-running process, without a work pool.

    python -m etl.serve

`prefect.serve` registers one deployment per flow (named `served`) and runs their flow
runs in this process's machine until it is stopped (Ctrl-C or SIGTERM). Choose it for
an always-on VM or container that should just run the flows; choose work-pool
deployments (`prefect.yaml`) when runs need their own infrastructure (containers,
Kubernetes jobs, ECS tasks) or when deploys must not restart a process.
"""

from __future__ import annotations

from prefect import serve

from etl.flows.example_etl import example_etl
from etl.flows.orders_report import orders_report

SERVED_TAGS = ["{{ cookiecutter.project_slug }}", "served"]


def served_deployments() -> list:
    """The deployments this process serves; add a line here when you add a flow."""
    return [
        example_etl.to_deployment(name="served", tags=SERVED_TAGS),
        orders_report.to_deployment(name="served", tags=SERVED_TAGS),
    ]


def main() -> None:
    serve(*served_deployments())


if __name__ == "__main__":
    main()
