"""The session's test server (tests/server.py): a session keeps the database it migrated,
and the next session starts on that copy, which is a working server database; its app
(tests/server_app.py) tells the client when to retry a `503`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from etl_tools.processes import api
from tests.server import TestServer, seed_name
from tests.server_app import RETRY_AFTER, RetrySoon

ROOT = Path(__file__).resolve().parents[1]


def migrated_copy(request, tmp_path: Path) -> Path:
    """Where a session keeps its migrated copy: pytest's cache, where this session's server
    (the `prefect_server` fixture) left it. Without the cache (`-p no:cacheprovider`), a
    server started here on an empty database migrates it and leaves the copy in tmp_path."""
    cache = getattr(request.config, "cache", None)
    if cache is not None:
        return cache.mkdir("prefect-test-server")
    first = TestServer(ROOT, tmp_path)
    try:
        assert not first.seeded
        first.api_url()
    finally:
        first.stop()
    assert not first.folder.exists(), "stop() leaves the temporary folder behind"
    return tmp_path


@pytest.mark.slow
def test_a_second_session_starts_on_the_migrated_copy(prefect_server, request, tmp_path):
    seeds = migrated_copy(request, tmp_path)
    assert (seeds / seed_name()).is_file(), "the session kept no migrated copy"
    second = TestServer(ROOT, seeds)
    try:
        assert second.seeded
        url = second.api_url()
        created = api(f"{url}/flows/", "POST", {"name": "seeded-server-check"})
        assert api(f"{url}/flows/{created['id']}")["name"] == "seeded-server-check"
        assert api(f"{url}/block_types/slug/secret") is not None, "no block types"
    finally:
        second.stop()
    assert list(seeds.glob("*.partial")) == []
    assert not second.folder.exists(), "stop() leaves the temporary folder behind"


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


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (503, [], [(b"retry-after", RETRY_AFTER)]),  # Prefect's 503: retry at once
        (503, [(b"Retry-After", b"30")], [(b"Retry-After", b"30")]),  # its own is kept
        (200, [], []),
    ],
)
def test_the_test_servers_503_says_when_to_retry(status, headers, expected):
    """tests/server_app.py: a `503` without `Retry-After` gets one; nothing else changes."""

    async def answer(scope, receive, send):
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"{}"})

    sent = []

    async def send(message):
        sent.append(message)

    asyncio.run(RetrySoon(answer)({"type": "http"}, None, send))
    assert sent[0]["headers"] == expected
    assert sent[1] == {"type": "http.response.body", "body": b"{}"}
