"""The test server's app: Prefect's own, whose `503` answers say to retry at once.

On SQLite, a request that meets another connection's write gets "database is locked" at
once, and Prefect's server answers `503` without a `Retry-After` header; its client then
waits a fixed 2 s before it sends the same request again (docs/prefect-behaviours.md). In
a test session that was one to three waits per run, the largest part of its spread. Here
the answer carries `Retry-After: 0.05`, which the client honours: the same retry, sent
sooner. Nothing else of the app changes.
"""

from __future__ import annotations

RETRY_AFTER = b"0.05"


def create_app():
    """The factory `tests/server.py` gives uvicorn (Prefect's server is imported here, in
    the server's process: the tests' process never needs it)."""
    from prefect.server.api.server import create_app as create_prefect_app

    return RetrySoon(create_prefect_app())


class RetrySoon:
    """ASGI middleware: a `503` answer without `Retry-After` gets `RETRY_AFTER`."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_retry_after(message):
            if message["type"] == "http.response.start" and message["status"] == 503:
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"retry-after" for name, _ in headers):
                    message = {**message, "headers": [*headers, (b"retry-after", RETRY_AFTER)]}
            await send(message)

        return await self.app(scope, receive, send_with_retry_after)
