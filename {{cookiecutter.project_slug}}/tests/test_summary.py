"""What a run leaves on its page in the UI: a summary, its rejects, the report's table.

The artifacts are read back from the session's real Prefect server by their stable keys
and the run's id: a run with rejects, one without, one with the rejects table switched
off, and the report. The summary names the warehouse without its password.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    ArtifactFilterKey,
)
from sqlalchemy.engine import make_url

from etl.flows.example_etl import EtlParams, example_etl
from etl.flows.orders_report import orders_report
from etl.summary import REJECTS_SHOWN, artifact_key, markdown_table, publish_rejects
from etl.target import Target
from etl.tasks.extract import resolve_source
from etl.utils.settings import PROJECT


def table(artifact) -> list[dict]:
    """A table artifact's rows (the API returns them as JSON text)."""
    return json.loads(artifact.data) if isinstance(artifact.data, str) else artifact.data


def artifacts(state, what: str) -> list:
    """The run's artifacts of one key (its flow's `what`), newest first."""
    flow_name = "orders-report" if what == "by-month" else "example-etl"
    key = artifact_key(flow_name, what)
    with get_client(sync_client=True) as client:
        return client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=[key]),
                flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id]),
            )
        )


def run_name_of(state) -> str:
    """The run's name in the runs list (`example-etl-<source>-<date>`)."""
    with get_client(sync_client=True) as client:
        return client.read_flow_run(state.state_details.flow_run_id).name


def utc_today() -> str:
    return dt.datetime.now(dt.timezone.utc).date().isoformat()


def test_keys_are_stable_and_name_the_project_and_the_flow():
    assert artifact_key("example-etl", "summary") == f"{PROJECT}-example-etl-summary"
    assert artifact_key("Orders_Report", "by month") == f"{PROJECT}-orders-report-by-month"


def test_a_key_is_made_of_what_keys_allow_and_never_ends_in_a_dash():
    assert artifact_key("example-etl", "rejects (all)") == f"{PROJECT}-example-etl-rejects-all"


def test_a_value_holding_a_pipe_or_a_line_break_stays_in_its_cell():
    assert markdown_table({"reason": "a|b\nc"}).splitlines()[-1] == "| reason | a\\|b c |"
    table = markdown_table({"read": 3, "loaded": 2})
    assert table == "| | |\n| --- | --- |\n| read | 3 |\n| loaded | 2 |\n"


@pytest.mark.usefixtures("prefect_server")
def test_a_run_with_rejects_shows_its_figures_and_why_rows_were_set_aside(database, run_logs):
    state = example_etl(EtlParams(database=database), return_state=True)
    assert state.is_completed()
    [summary] = artifacts(state, "summary")
    text = summary.data
    assert text.startswith("## example-etl: sample\n"), text
    for fact in (
        "| source | sample |",
        "| rows read | 201 |",
        "| loaded | 196 (196 new, 0 updated) |",
        "| orders in the warehouse | 196 |",
    ):
        assert fact in text, text
    duration = re.search(r"^\| duration \| (\d+\.\d) s \|$", text, re.MULTILINE)
    assert duration and 0 < float(duration[1]) < 600, text
    shown = Target.of(database).shown
    logs = run_logs(state.state_details.flow_run_id)
    assert f"loaded 196 rows, rejected 5; warehouse: {shown}" in logs, logs
    assert "| rejected | 5 (the rejects table says why) |" in text
    assert summary.description == "196 rows loaded (196 new), 5 rejected"
    password = make_url(database).password if "://" in database else None
    assert f"| warehouse | {Target.of(database).shown} |" in text  # where the rows went
    assert password is None or f":{password}@" not in text  # the URL shown masked
    [rejects] = artifacts(state, "rejects")
    rows = table(rejects)
    assert len(rows) == 5 and {"line", "reason", "raw"} <= set(rows[0])
    assert "5 rejects" in rejects.description

    again = example_etl(EtlParams(database=database), return_state=True)  # a rerun updates
    assert "| loaded | 196 (0 new, 196 updated) |" in artifacts(again, "summary")[0].data


@pytest.mark.usefixtures("prefect_server")
def test_a_run_without_rejects_says_so(tmp_path):
    source = tmp_path / "clean.csv"
    with resolve_source("sample").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    with source.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows[:11])  # the header and ten good rows
    # Parameters as a deployment stores them: plain JSON (Prefect validates them into an
    # EtlParams before it names the run).
    params = {"source": str(source), "database": str(tmp_path / "w.db")}
    state = example_etl(params, return_state=True)
    assert run_name_of(state) == f"example-etl-clean-{utc_today()}"
    assert "| rejected | none |" in artifacts(state, "summary")[0].data
    [rejects] = artifacts(state, "rejects")
    assert table(rejects) == [] and rejects.description.startswith("No rejects")


@pytest.mark.usefixtures("prefect_server")
def test_a_long_list_of_rejects_is_capped_and_the_table_can_be_switched_off(tmp_path, monkeypatch):
    source = tmp_path / "bad.csv"
    with resolve_source("sample").open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([[str(n)] + ["x"] * (len(header) - 1) for n in range(1, 151)])
    params = EtlParams(source=str(source), database=str(tmp_path / "w.db"))
    state = example_etl(params, return_state=True)
    assert run_name_of(state) == f"example-etl-bad-{utc_today()}"
    [rejects] = artifacts(state, "rejects")
    assert len(table(rejects)) == REJECTS_SHOWN
    assert f"The first {REJECTS_SHOWN} of 150 rejects" in rejects.description

    monkeypatch.setenv("ETL_REJECTS_ARTIFACT", "false")
    state = example_etl(params, return_state=True)
    assert artifacts(state, "rejects") == []
    assert "| rejected | 150 (the rejects table says why) |" in artifacts(state, "summary")[0].data


@flow
def rejects_of_a_run(rejects: list) -> str | None:
    """publish_rejects in a flow run of its own: artifacts belong to a run."""
    return publish_rejects("example-etl", rejects)


@pytest.mark.usefixtures("prefect_server")
@pytest.mark.parametrize(
    ("count", "description"),
    [
        (REJECTS_SHOWN, f"{REJECTS_SHOWN} rejects: the rows set aside, and why."),
        (
            REJECTS_SHOWN + 1,
            f"The first {REJECTS_SHOWN} of {REJECTS_SHOWN + 1} rejects; the warehouse's "
            "rejects table holds them all.",
        ),
    ],
    ids=["at-the-cap", "one-more"],
)
def test_the_rejects_table_says_when_it_holds_only_the_first_ones(count, description):
    """Up to the cap the table is complete; one more, and it says where the rest are."""
    rejects = [(line, "quantity: not a number", "x") for line in range(2, count + 2)]
    [artifact] = artifacts(rejects_of_a_run(rejects, return_state=True), "rejects")
    assert artifact.description == description
    assert len(table(artifact)) == REJECTS_SHOWN


@pytest.mark.usefixtures("prefect_server")
def test_the_report_publishes_its_months(tmp_path):
    database = str(tmp_path / "w.db")
    example_etl(EtlParams(database=database))
    state = orders_report(database=database, return_state=True)
    [months] = artifacts(state, "by-month")
    report = state.result()
    assert [row["month"] for row in table(months)] == [m["month"] for m in report["months"]]
    assert sum(int(row["orders"]) for row in table(months)) == report["orders"] == 196
    # Revenue in currency units, as the description's total, from the report's cents.
    for row, month in zip(table(months), report["months"], strict=True):
        assert row["revenue"] == f"{month['revenue_cents'] / 100:.2f}", row
    revenue = f"{report['revenue_cents'] / 100:.2f}"
    assert months.description == (
        f"Orders by month from {Target.of(database)}: 196 orders, revenue {revenue}."
    )
