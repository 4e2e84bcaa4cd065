"""The example flow on a real (temporary) Prefect server: counts, idempotency, hooks."""

from __future__ import annotations

from pathlib import Path

import pytest

from etl.flows.example_etl import EtlParams, example_etl
from etl.target import Target
from etl.tasks.extract import resolve_source
from etl.warehouse import count_rows
from tests.conftest import WAREHOUSES, fresh_warehouse
from tests.faults import order

pytestmark = pytest.mark.usefixtures("prefect_server")


@pytest.fixture(scope="module", params=WAREHOUSES)
def sample_run(request, tmp_path_factory, prefect_server):
    """The sample loaded into a fresh warehouse, which two tests read: one flow run, not
    two. Yields the warehouse and the run's summary."""
    with fresh_warehouse(request.param, tmp_path_factory.mktemp("sample")) as database:
        yield database, example_etl(EtlParams(database=database, batch_size=50))


def test_sample_run_accounts_for_every_row(sample_run):
    database, summary = sample_run
    assert summary["read"] == 201
    assert summary["loaded"] == 196
    assert summary["rejected"] == 5
    assert summary["read"] == summary["loaded"] + summary["rejected"]
    assert count_rows(Target.of(database), "orders") == 196
    assert count_rows(Target.of(database), "rejects") == 5


def test_the_summary_says_where_the_rows_went(sample_run):
    database, summary = sample_run
    assert summary["database"] == Target.of(database).shown
    assert summary["orders_in_table"] == 196 and summary["new"] == 196


def test_a_source_with_only_its_header_loads_nothing_and_completes(database, tmp_path):
    source = tmp_path / "empty.csv"
    header = Path(resolve_source("sample")).read_text(encoding="utf-8").splitlines()[0]
    source.write_text(header + "\n", encoding="utf-8")
    summary = example_etl(EtlParams(source=str(source), database=database))
    counts = {key: summary[key] for key in ("read", "loaded", "rejected", "new")}
    assert counts == {"read": 0, "loaded": 0, "rejected": 0, "new": 0}
    assert summary["orders_in_table"] == summary["rejects_in_table"] == 0


def test_rerun_gives_the_same_table(database):
    example_etl(EtlParams(database=database, batch_size=64))
    again = example_etl(EtlParams(database=database, batch_size=50))
    assert again["orders_in_table"] == 196
    assert again["rejects_in_table"] == 5


def test_a_rerun_with_a_corrected_source_row_updates_that_row(database, tmp_path):
    """The upsert must update on conflict: skipping conflicting rows would keep the old values."""
    source = tmp_path / "orders.csv"
    lines = Path(resolve_source("sample")).read_text(encoding="utf-8").splitlines(keepends=True)
    header, first = lines[0].rstrip("\n").split(","), lines[1].rstrip("\n").split(",")
    source.write_text("".join(lines), encoding="utf-8")
    example_etl(EtlParams(source=str(source), database=database))
    row = dict(zip(header, first, strict=True))
    before = order(database, int(row["order_id"]))

    corrected = {**row, "quantity": str(int(row["quantity"]) + 1), "customer": "Corrected Ltd"}
    lines[1] = ",".join(corrected[name] for name in header) + "\n"
    source.write_text("".join(lines), encoding="utf-8")
    again = example_etl(EtlParams(source=str(source), database=database))

    after = order(database, int(row["order_id"]))
    assert again["orders_in_table"] == 196
    assert after["customer"] == "Corrected Ltd" != before["customer"]
    assert after["quantity"] == before["quantity"] + 1
    assert after["total_cents"] == after["quantity"] * after["unit_price_cents"]


def test_invalid_parameters_are_refused_before_running():
    with pytest.raises(ValueError, match="batch_size"):
        EtlParams(batch_size=0)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # A driver this project does not install: the line names the package to add.
        ("mysql+pymysql://etl:pw123@127.0.0.1:9/w", "its driver 'pymysql' is not installed"),
        # Nothing listens on port 9 (or, without the postgres extra, psycopg is missing).
        ("postgresql+psycopg://etl:pw123@127.0.0.1:9/w", "postgresql+psycopg://etl:***@"),
    ],
)
def test_a_wrong_warehouse_stops_the_command_with_one_line(monkeypatch, capsys, url, expected):
    """Checked before the run starts: no traceback, no flow run, no password."""
    from etl.flows import example_etl as module

    monkeypatch.setenv("ETL_WAREHOUSE_URL", url)
    monkeypatch.setattr("sys.argv", ["example_etl"])
    with pytest.raises(SystemExit) as stopped:
        module.main()
    err = capsys.readouterr().err
    assert stopped.value.code == 2
    assert err.startswith("error: warehouse ") and err.count("\n") == 1
    assert expected in err and "pw123" not in err


def test_the_command_line_runs_the_flow_and_says_where_the_rows_went(monkeypatch, capsys, tmp_path):
    """`python -m etl.flows.example_etl --source ... --batch-size ... --database ...`"""
    from etl.flows import example_etl as module

    source = tmp_path / "orders.csv"
    lines = Path(resolve_source("sample")).read_text(encoding="utf-8").splitlines()
    source.write_text("\n".join(lines[:8]) + "\n", encoding="utf-8")  # seven good rows
    database = tmp_path / "w.db"
    command = ["example_etl", "--source", str(source), "--batch-size", "3"]
    monkeypatch.setattr("sys.argv", [*command, "--database", str(database)])
    module.main()
    out = capsys.readouterr().out
    assert f"Result: 7 rows in table 'orders' of {database}\n" in out, out
    assert count_rows(Target.of(database), "orders") == 7


def test_the_command_lines_help_names_every_option(monkeypatch, capsys):
    from etl.flows import example_etl as module

    monkeypatch.setattr("sys.argv", ["example_etl", "--help"])
    with pytest.raises(SystemExit) as stopped:
        module.main()
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps at the terminal width
    assert stopped.value.code == 0
    assert out.startswith("usage: ") and module.__doc__.splitlines()[0] in out
    for option, meaning in [
        ("--source SOURCE", "'sample' or a CSV path"),
        ("--batch-size BATCH_SIZE", ""),
        ("--database DATABASE", "SQLite file (or URL) to load into"),
    ]:
        assert f"{option} {meaning}".strip() in out, out


def test_the_command_checks_the_warehouse_it_was_given(monkeypatch, capsys, tmp_path):
    """`--database` names the warehouse the check opens, not the default one."""
    from etl.flows import example_etl as module

    monkeypatch.setattr("sys.argv", ["example_etl", "--database", str(tmp_path)])  # a folder
    with pytest.raises(SystemExit) as stopped:
        module.main()
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and err.count("\n") == 1, err
    assert err.startswith(f"error: warehouse {tmp_path}: cannot connect: "), err


def test_a_wrong_parameter_stops_the_command_with_one_line(monkeypatch, capsys):
    from etl.flows import example_etl as module

    monkeypatch.setattr("sys.argv", ["example_etl", "--batch-size", "0"])
    with pytest.raises(SystemExit) as stopped:
        module.main()
    err = capsys.readouterr().err
    assert stopped.value.code == 2
    assert "error: --batch-size: Input should be greater than or equal to 1" in err


def test_a_server_that_does_not_answer_stops_the_command_with_one_line(
    capsys, monkeypatch, tmp_path
):
    """A shell that still exports the URL of a server since stopped: one line, no run."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from etl.flows import example_etl as module

    monkeypatch.setattr("sys.argv", ["example_etl", "--database", str(tmp_path / "w.db")])
    stale = temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:9/api"})
    with stale, pytest.raises(SystemExit) as stopped:
        module.main()
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and err.count("\n") == 1, err
    assert err.startswith("error: no Prefect server answers at http://127.0.0.1:9/api")


def test_failure_fires_the_hook_and_keeps_the_state(failing_params, run_logs):
    state = example_etl(failing_params, return_state=True)

    assert state.is_failed()
    messages = run_logs(state.state_details.flow_run_id)
    assert any("is Failed" in message for message in messages), messages
