"""`python -m etl.serve`: one process serving every flow of the project, no work pool."""

from __future__ import annotations

import importlib
import pkgutil

from prefect import Flow

import etl.flows
from etl.serve import SERVED_TAGS, served_deployments
from etl.utils.settings import PROJECT


def project_flows() -> set[str]:
    """The names of the flows in etl/flows/."""
    found = set()
    for info in pkgutil.iter_modules(etl.flows.__path__):
        module = importlib.import_module(f"etl.flows.{info.name}")
        found |= {value.name for value in vars(module).values() if isinstance(value, Flow)}
    return found


def test_every_flow_is_served_once_under_one_name_with_the_projects_tags():
    """A flow added without its line in etl/serve.py would never run there."""
    deployments = served_deployments()
    names = [d.flow_name for d in deployments]
    assert sorted(names) == sorted(project_flows()) and len(set(names)) == len(names)
    assert {d.name for d in deployments} == {"served"}
    assert SERVED_TAGS == [PROJECT, "served"]
    for deployment in deployments:
        assert deployment.tags == SERVED_TAGS, deployment.flow_name
        assert deployment.work_pool_name is None  # served: this process runs them
