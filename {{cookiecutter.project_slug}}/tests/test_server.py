"""The session's test server (tests/server.py): a second session starts on the database
the first one migrated, and that copy is a working server database."""

from __future__ import annotations

from pathlib import Path

import pytest

from etl_tools.processes import api
from tests.server import TestServer, seed_name

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_a_second_session_starts_on_the_migrated_copy(tmp_path):
    first = TestServer(ROOT, tmp_path)
    try:
        assert not first.seeded
        first.api_url()
    finally:
        first.stop()
    assert first.seed is not None and first.seed.is_file()
    assert not first.folder.exists(), "stop() leaves the temporary folder behind"

    second = TestServer(ROOT, tmp_path)
    try:
        assert second.seeded
        url = second.api_url()
        created = api(f"{url}/flows/", "POST", {"name": "seeded-server-check"})
        assert api(f"{url}/flows/{created['id']}")["name"] == "seeded-server-check"
        assert api(f"{url}/block_types/slug/secret") is not None, "no block types"
    finally:
        second.stop()
    assert list(tmp_path.glob("*.partial")) == []


@pytest.mark.slow
def test_a_damaged_copy_is_reported_with_the_way_out(tmp_path):
    (tmp_path / seed_name()).write_bytes(b"not a database")
    server = TestServer(ROOT, tmp_path)
    try:
        assert server.seeded
        with pytest.raises(RuntimeError, match=r"stopped \(it started on .*--cache-clear"):
            server.api_url()
    finally:
        server.stop()
