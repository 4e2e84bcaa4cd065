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


def test_the_served_flows_are_the_projects_each_once_under_one_name_and_its_tags():
    """What `python -m etl.serve` serves: flows of etl/flows/ (the example's two, and the
    ones `etl-new-flow` adds; a flow written by hand is served once you add its line)."""
    deployments = served_deployments()
    names = [d.flow_name for d in deployments]
    assert set(names) <= project_flows() and len(set(names)) == len(names), names
    assert {"example-etl", "orders-report"} <= set(names)
    assert {d.name for d in deployments} == {"served"}
    assert SERVED_TAGS == [PROJECT, "served"]
    for deployment in deployments:
        assert deployment.tags == SERVED_TAGS, deployment.flow_name
        assert deployment.work_pool_name is None  # served: this process runs them
