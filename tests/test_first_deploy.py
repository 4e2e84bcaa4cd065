"""`etl-dev` in a project resolved the way a user's is, for each supported Prefect line.

The rendered project gets its own `uv sync --all-extras`: a resolution against today's
package index, not the template's development lock, so a newly released dependency that
breaks generated projects (SQLAlchemy 2.1 silently stopped Prefect 3.8's scheduler) fails
here first. `etl-dev --once` must then deploy, see the prod schedule create its runs, run
`dev` on a real process worker to Completed, keep the data, print no traceback and leave
nothing running. The default answers (the 3.9 line) take this path in
test_readme_commands.py, S3 code on an ECS pool (both stood in for) in the generated
GitLab CI (test_ci_commands.py); here: the oldest release the template allows (the 3.8
line), with a slug the server would once have refused as a pool name, which also runs
the rendered tests that need a server. One project for both: one resolution, not two.

`etl-dev` without `--once` is also stopped with Ctrl-C while a second `etl-dev --once`
reuses its server (in the template's environment, which has the same Prefect as the default).
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time

import pytest

from answer_model.choices import PREFECT_LINES
from devkit.idle import IDLE_LIMIT, IDLE_SECONDS, READY_LINE, left_waiting
from devkit.prefect_server import free_port, stop_group
from devkit.readme import processes_mentioning, python_only_machine
from devkit.render import BIN, SAMPLE_ORDERS, clean_env, orders_in, render
from devkit.shell import uv_folder

pytestmark = pytest.mark.slow


def machine_with_uv(tmp_path) -> dict[str, str]:
    """A python3-only machine (tests.readme) with uv and uvx, and only those, added to its PATH."""
    env = python_only_machine(tmp_path)
    env["PATH"] = os.pathsep.join([str(uv_folder()), env["PATH"]])
    return env


OLDEST_PREFECT = min(
    (release for line in PREFECT_LINES.values() for release in line.releases),
    key=lambda release: tuple(int(part) for part in release.split(".")),
)


def test_the_oldest_allowed_prefect_passes_its_server_tests_and_etl_dev(tmp_path, reap):
    """The oldest release the template allows (a 3.8), with a slug the server would once
    have refused as a pool name, freshly resolved: its test server and fixtures may use
    only what that release has (3.8.4 lacks the global-settings call 3.8.8 has), and
    `etl-dev --once` deploys, sees the schedule fire and runs `dev` to Completed."""
    project = render(tmp_path / "out", prefect_version=OLDEST_PREFECT, project_name="Prefect Lab")
    env = machine_with_uv(tmp_path)
    sync = subprocess.run(
        ["uv", "sync", "--all-extras", "--python", sys.executable],
        cwd=project, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert sync.returncode == 0, sync.stdout + sync.stderr
    lock = (project / "uv.lock").read_text()
    assert f'name = "prefect"\nversion = "{OLDEST_PREFECT}"' in lock
    assert 'name = "sqlalchemy"\nversion = "2.0.' in lock, "3.8 needs SQLAlchemy 2.0"
    tests = subprocess.run(
        ["uv", "run", "--frozen", "pytest", "-q", "-p", "no:cacheprovider", "-m", "server"],
        cwd=project, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert tests.returncode == 0, tests.stdout[-6000:] + tests.stderr[-2000:]
    assert " passed" in tests.stdout and " error" not in tests.stdout, tests.stdout[-3000:]

    dev = subprocess.run(
        ["uv", "run", "--frozen", "etl-dev", "--once", "--port", str(free_port())],
        cwd=project, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    output = dev.stdout + dev.stderr
    assert dev.returncode == 0, output[-6000:]
    assert "[etl-dev] schedules fire: scheduled runs" in output, output
    assert ": Completed" in output and "Traceback" not in output, output
    assert orders_in(project / "data" / "warehouse.db") == SAMPLE_ORDERS
    assert "created work pool etl-prefect-lab-process" in output, output
    assert processes_mentioning(tmp_path) == []


def wait_for_line(process: subprocess.Popen, text: str, seconds: float) -> str:
    """Output read from `process` until a line holds `text`; fails on exit or time-out.

    A thread reads the pipe (so a silent process cannot block the test); lines stay in
    `process.lines` for the assertion message."""
    if not hasattr(process, "lines"):
        process.lines = queue.Queue()
        threading.Thread(
            target=lambda: [process.lines.put(line) for line in process.stdout], daemon=True
        ).start()
    seen, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            line = process.lines.get(timeout=0.5)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        seen.append(line)
        if text in line:
            return "".join(seen)
    raise AssertionError(f"no line with {text!r} within {seconds} s:\n{''.join(seen)}")


def test_etl_dev_keeps_running_idles_is_reused_and_stops_on_ctrl_c(tmp_path, reap, capsys):
    """`etl-dev` left running (server and worker waiting) and a bare `prefect server start`
    from the project folder (its prefect.toml) each use at most 10% of a core while idle:
    a fractional task_run_recorder flush_interval once made them spin a whole core."""
    project = render(tmp_path / "out")
    env = clean_env(HOME=str(tmp_path / "home"), PYTHONUNBUFFERED="1")
    command = [sys.executable, "-m", "etl_tools.dev", "--port", str(free_port())]
    bare_port, bare_home = free_port(), tmp_path / "bare-home"
    bare = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(bare_port)],
        cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True,
        env=clean_env(
            PREFECT_HOME=str(bare_home),
            PREFECT_SERVER_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{bare_home}/prefect.db",
        ),
    )  # fmt: skip
    first = subprocess.Popen(
        command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    try:
        wait_for_line(first, READY_LINE, 600)
        shares = left_waiting(first.pid, bare.pid, f"http://127.0.0.1:{bare_port}/api")
        with capsys.disabled():
            shown = ", ".join(f"{name} {share:.1%} of a core" for name, share in shares.items())
            print(f"\nidle over {IDLE_SECONDS} s: {shown}")
        for name, share in shares.items():
            assert share <= IDLE_LIMIT, f"{name} used {share:.0%} of a core while idle"
        stop_group(bare, ((signal.SIGTERM, 20), (signal.SIGKILL, 10)))
        again = subprocess.run(
            [*command, "--once"], cwd=project, env=env, capture_output=True, text=True,
            timeout=600,
        )  # fmt: skip
        assert again.returncode == 0, again.stdout + again.stderr
        assert "reusing the project's running server" in again.stdout, again.stdout
        assert "starting a Prefect server" not in again.stdout
        first.send_signal(signal.SIGINT)
        # A ceiling, not a wait: etl-dev stops the worker, then the server, allowing each
        # 20 s for Ctrl-C and 20 s for SIGTERM, so 90 s would leave no margin.
        rest = wait_for_line(first, "stopped everything etl-dev started", 300)
        assert first.wait(timeout=30) == 0, rest
    finally:
        stop_group(bare, ((signal.SIGTERM, 20), (signal.SIGKILL, 10)))
        if first.poll() is None:  # a failed assertion: let it clean up, then insist
            first.send_signal(signal.SIGINT)
            try:
                first.wait(timeout=60)
            except subprocess.TimeoutExpired:
                first.kill()
    assert processes_mentioning(tmp_path) == []
    assert not (project / ".etl-dev" / "server.json").exists()
