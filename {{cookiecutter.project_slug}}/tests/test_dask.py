"""Scaling out: the same flow with its tasks on a local Dask cluster (the `dask` extra)."""

from __future__ import annotations

import os

import pytest

from etl.flows.example_etl import EtlParams, example_etl
from etl.target import Target
from etl.warehouse import count_rows

prefect_dask = pytest.importorskip("prefect_dask", reason="install the 'dask' extra")

pytestmark = [pytest.mark.usefixtures("prefect_server"), pytest.mark.slow]


def test_flow_runs_on_a_local_dask_cluster(database, project_root, monkeypatch):
    # Dask worker processes import the project's modules: put the project on their path.
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(project_root), os.environ.get("PYTHONPATH", "")])
    )
    runner = prefect_dask.DaskTaskRunner(
        cluster_kwargs={
            "n_workers": 2,
            "threads_per_worker": 1,
            "processes": True,
            "dashboard_address": None,
        }
    )

    summary = example_etl.with_options(task_runner=runner)(
        EtlParams(database=database, batch_size=40)
    )

    assert summary["read"] == summary["loaded"] + summary["rejected"] == 201
    assert count_rows(Target.of(database), "orders") == 196
