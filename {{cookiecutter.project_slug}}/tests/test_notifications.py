"""Failure notifications through a real SlackWebhook block, delivered over loopback.

The block points at a local HTTP endpoint (Apprise's `json://` scheme) instead of Slack,
so the whole path runs for real: block saved and loaded, hook fired, message posted.
"""

from __future__ import annotations

import json
import socket
from http.server import BaseHTTPRequestHandler

import pytest
from prefect.blocks.notifications import SlackWebhook
from prefect.client.orchestration import get_client

from etl.flows.example_etl import example_etl
from etl.hooks.channels.slack import block_name
from tests.conftest import serving

pytestmark = pytest.mark.usefixtures("prefect_server")


class Inbox(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802 - the http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Inbox.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def inbox():
    Inbox.received = []
    with serving(Inbox) as port:
        yield port, Inbox.received


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_failure_is_posted_to_the_webhook(inbox, failing_params):
    port, received = inbox
    SlackWebhook(url=f"json://127.0.0.1:{port}/").save(block_name(), overwrite=True)

    state = example_etl(failing_params, return_state=True)

    assert state.is_failed()
    assert len(received) == 1
    # Which run, which state, and why: a person can act on the message alone.
    flow_run = get_client(sync_client=True).read_flow_run(state.state_details.flow_run_id)
    assert received[0]["message"] == (
        f"Flow run {flow_run.name!r} of 'example-etl' is Failed: {state.message}"
    )
    assert state.message


def test_a_broken_webhook_does_not_change_the_state(failing_params, run_logs):
    url = f"json://127.0.0.1:{closed_port()}/"
    SlackWebhook(url=url).save(block_name(), overwrite=True)

    state = example_etl(failing_params, return_state=True)

    assert state.is_failed()
    messages = run_logs(state.state_details.flow_run_id)
    failed = "Slack notification failed (NotificationError); the run's state is unchanged."
    assert failed in messages, messages


def test_without_its_block_a_failure_is_only_logged(failing_params, run_logs, monkeypatch):
    """A project whose team has no Slack webhook yet: the run says so on its page."""
    monkeypatch.setenv("ETL_SLACK_BLOCK", "no-such-slack-block")

    state = example_etl(failing_params, return_state=True)

    assert state.is_failed()
    messages = run_logs(state.state_details.flow_run_id)
    missing = "No SlackWebhook block 'no-such-slack-block'; failure only logged."
    assert missing in messages, messages
