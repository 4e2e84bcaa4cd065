"""The warehouse target: named once per run, never shown with its password, and a SQLite
file's folders made on first use, however deep."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect import flow

from etl import warehouse
from etl.target import Target, resolve, warehouse_path
from etl.utils.api import check_api
from etl.utils.settings import PROJECT, ConfigurationError, data_home
from etl.warehouse import count_rows, create_schema

SECRET_URL = "postgresql+psycopg://etl:s3cret-pass@db.example.com:5432/warehouse"


def test_a_target_never_shows_its_password():
    target = Target.of(SECRET_URL)
    for text in (str(target), repr(target), target.shown, f"{target}", f"{[target]}"):
        assert "s3cret-pass" not in text, text
        assert "db.example.com:5432/warehouse" in text
    assert target.url == SECRET_URL and target.file is None


def test_a_password_given_as_a_query_option_is_not_shown():
    target = Target.of(
        "postgresql+psycopg://etl@db.example.com/warehouse?password=s3cret-pass&sslmode=require"
    )
    assert target.shown == (
        "postgresql+psycopg://etl@db.example.com/warehouse?password=***&sslmode=require"
    )


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://etl:s3cret@pass@db.example.com/warehouse",  # an @ not encoded
        "postgresql+psycopg://etl:s3cret@pass:word@db.example.com:5432/warehouse",
        "postgresql+psycopg://etl:s3cret-pass@db.example.com:port/warehouse",
    ],
)
def test_a_url_that_does_not_parse_is_refused_without_quoting_it(url):
    """SQLAlchemy's own errors quote the URL, and an unencoded `@` in a password parses
    as part of the host: either would show part of the password in a log or a message."""
    with pytest.raises(ConfigurationError) as error:
        Target.of(url)
    message = str(error.value)
    assert message.startswith("the warehouse URL does not parse: ") and "%40" in message
    assert "s3cret" not in message and "pass" not in message.replace("password", "")
    assert error.value.__suppress_context__  # the original error is not shown with it


def test_a_file_is_named_by_its_absolute_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = Target.of("data/warehouse.db")
    assert target.file == tmp_path / "data" / "warehouse.db"
    assert target.url == f"sqlite:///{tmp_path}/data/warehouse.db"
    assert target.shown == str(tmp_path / "data" / "warehouse.db")
    assert Target.of(target.url) == target  # the URL names the same file


@pytest.mark.parametrize("form", ["path", "url"])
def test_a_new_warehouse_folders_deep_is_created_on_first_use(tmp_path, form):
    """A fresh worker's ~/.local/share/<project>/data/ does not exist yet: neither do its
    parents. SQLite creates the file, not its folders."""
    file = tmp_path / "home" / ".local" / "share" / "data" / "warehouse.db"
    target = Target.of(file if form == "path" else f"sqlite:///{file}")
    create_schema(target)
    assert file.is_file()
    assert count_rows(target, "orders") == 0


def test_a_run_takes_its_parameter_then_the_url_then_the_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ETL_DATABASE_PATH", "from-settings.db")
    monkeypatch.delenv("ETL_WAREHOUSE_URL", raising=False)
    monkeypatch.setenv("ETL_WAREHOUSE_BLOCK", "")  # a project without a warehouse block
    assert resolve().file == tmp_path / "from-settings.db"
    monkeypatch.setenv("ETL_WAREHOUSE_URL", SECRET_URL)
    assert resolve().url == SECRET_URL
    assert resolve("param.db").file == tmp_path / "param.db"
    assert resolve("sqlite:///" + str(tmp_path / "u.db")).file == Path(tmp_path / "u.db")


@pytest.mark.usefixtures("prefect_server")
def test_deployed_runs_read_the_warehouse_url_from_its_block(monkeypatch):
    """A deployed run has no ETL_WAREHOUSE_URL: the Secret block the block script saved
    names the warehouse; a block that is not there is one line saying how to save it."""
    from prefect.blocks.system import Secret

    monkeypatch.delenv("ETL_WAREHOUSE_URL", raising=False)
    Secret(value=SECRET_URL).save("test-warehouse-url", overwrite=True)
    monkeypatch.setenv("ETL_WAREHOUSE_BLOCK", "test-warehouse-url")
    assert resolve().url == SECRET_URL
    monkeypatch.setenv("ETL_WAREHOUSE_BLOCK", "no-such-block")
    with pytest.raises(ConfigurationError) as error:
        resolve()
    assert str(error.value) == (
        "no warehouse: set ETL_WAREHOUSE_URL, or save the Secret block 'no-such-block' "
        "(`python -m etl_tools.blocks`, from WAREHOUSE_URL in .env)"
    )


def test_a_workers_runs_keep_their_data_in_the_users_data_folder(tmp_path, monkeypatch):
    """A process worker deletes each run's folder: relative warehouse paths of its runs
    live under $XDG_DATA_HOME/<project>, by default ~/.local/share/<project>."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert data_home() == tmp_path / "home" / ".local" / "share" / PROJECT
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_home() == tmp_path / "xdg" / PROJECT


@flow
def where_the_warehouse_goes() -> str:
    """Where a run's relative warehouse path lands (resolve, as the flows call it)."""
    target = resolve("data/warehouse.db")
    assert target.file == warehouse_path("data/warehouse.db")
    return str(target.file)


def test_a_workers_run_resolves_a_relative_warehouse_in_the_users_data_folder(
    prefect_server, tmp_path, monkeypatch
):
    """A run of a deployment on a work pool (what a worker executes) keeps its relative
    warehouse under data_home(); the same flow called from the project folder keeps it
    there. The deployed run is executed here as a worker's process does, by its id."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.flow_engine import run_flow

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    relative = Path("data/warehouse.db")
    assert where_the_warehouse_goes() == str(tmp_path / relative)
    with get_client(sync_client=True) as client:
        pool = client.create_work_pool(
            WorkPoolCreate(name="test-target-pool", type="process"), overwrite=True
        )
        flow_id = client.create_flow(where_the_warehouse_goes)
        deployment_id = client.create_deployment(
            flow_id=flow_id, name="test-target", work_pool_name=pool.name
        )
        flow_run = client.create_flow_run_from_deployment(deployment_id)
    assert flow_run.work_pool_name == pool.name
    in_a_workers_run = run_flow(where_the_warehouse_goes, flow_run=flow_run)
    assert in_a_workers_run == str(tmp_path / "xdg" / PROJECT / relative)


def test_a_warehouse_that_cannot_be_opened_is_one_line_saying_where_to_look(tmp_path):
    """A folder where the SQLite file should be: the driver's reason, then what to check."""
    target = Target.of(tmp_path)
    with pytest.raises(ConfigurationError) as error:
        warehouse.check(target)
    assert str(error.value) == (
        f"warehouse {target}: cannot connect: unable to open database file "
        "(check ETL_WAREHOUSE_URL, or the warehouse block, and that the server runs)"
    )


def test_a_server_that_answers_passes_the_api_check_with_or_without_a_final_slash(
    prefect_server,
):
    """`check_api` asks the configured server's /health: both spellings of its URL work."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    for url in (prefect_server, prefect_server + "/"):
        with temporary_settings(updates={PREFECT_API_URL: url}):
            check_api()  # no error: the server answers
    stale = temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:9/api"})
    with stale, pytest.raises(ConfigurationError) as error:
        check_api()
    assert str(error.value) == (
        "no Prefect server answers at http://127.0.0.1:9/api (PREFECT_API_URL or your Prefect "
        "profile): start it, or `unset PREFECT_API_URL` to run on a temporary local server"
    )


@pytest.mark.parametrize("status", [401, 404])
def test_a_server_that_answers_health_with_an_error_passes_the_api_check(status):
    """A server that is there but answers /health otherwise (a Prefect Cloud workspace URL
    may want the API key, or have no such path) is not a server that is gone: Prefect's
    own client reports what else is wrong."""
    import http.server

    from prefect.settings import PREFECT_API_URL, temporary_settings

    from tests.conftest import serving

    class Refusing(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the name http.server calls
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args):  # quiet
            pass

    with serving(Refusing) as port:
        url = f"http://127.0.0.1:{port}/api/accounts/a/workspaces/w"
        with temporary_settings(updates={PREFECT_API_URL: url}):
            check_api()  # no error: a server answered
