"""The warehouse target: named once per run, never shown with its password, and a SQLite
file's folders made on first use, however deep."""

from __future__ import annotations

from pathlib import Path

import pytest

from etl.target import Target, resolve
from etl.warehouse import count_rows, create_schema

SECRET_URL = "postgresql+psycopg://etl:s3cret-pass@db.example.com:5432/warehouse"


def test_a_target_never_shows_its_password():
    target = Target.of(SECRET_URL)
    for text in (str(target), repr(target), target.shown, f"{target}", f"{[target]}"):
        assert "s3cret-pass" not in text, text
        assert "db.example.com:5432/warehouse" in text
    assert target.url == SECRET_URL and target.file is None


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
