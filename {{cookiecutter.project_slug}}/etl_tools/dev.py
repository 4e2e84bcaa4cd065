"""`etl-dev`: from a fresh checkout to a Completed deployed run on this machine, one command.

    uv run etl-dev          # server, pools, deployments, worker; runs `dev`; Ctrl-C stops all
    uv run etl-dev --once   # the same, then stops and exits with the run's result

What it does, in order (think `astro dev start`, without Docker):
1. starts a local Prefect server whose state lives in `.etl-dev/` (ignored by git, Docker
   and uploads), or reuses the one a running `etl-dev` started; never another server
   (`PREFECT_API_URL` is ignored: stand-in deployments must not replace real ones);
2. while it boots: snapshots the working copy into a local git mirror, writes the
   `prefect.yaml` to deploy through the local stand-in for code storage and pools (see
   stand_in.py: what is exercised and what is stood in for is printed), and starts the
   deploy and a worker per pool, which import Prefect and wait (prefect_when_ready.py);
3. once it answers: creates the work pools, deploys every deployment, starts a run of
   the `dev` deployment for the worker, checks (while the worker runs it) that the
   scheduler created the scheduled deployments' runs, and follows the run to its final
   state;
4. prints the UI address and where the data landed.
Exit code with `--once`: 0 only when the run is Completed (and schedules fire).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from etl_tools.processes import PREFECT, Background, api, free_port, healthy, wait_until
from etl_tools.stand_in import local_plan, snapshot

STATE_DIR = ".etl-dev"
FINAL_STATES = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
SERVER_START_SECONDS = 180  # generous: a loaded 2-core machine needs 10-30 s
DEPLOY_SECONDS = 300  # a ceiling: the deploy takes seconds once the server answers
SCHEDULE_SECONDS = 120  # Prefect schedules new deployments within ~5 s; generous for a busy machine


class DevError(Exception):
    """An expected problem: one line for the user, no traceback."""


def say(message: str) -> None:
    print(f"[etl-dev] {message}", flush=True)


def project_root(start: Path) -> Path:
    for folder in (start, *start.parents):
        if (folder / "prefect.yaml").is_file() and (folder / "pyproject.toml").is_file():
            return folder
    raise DevError("no prefect.yaml and pyproject.toml here or above: run it in the project")


def prefect_env(state: Path, api_url: str) -> dict[str, str]:
    """What etl-dev's processes run with: its own server and home, whatever the shell set
    (a stale PREFECT_API_URL, a profile or key of a real workspace)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_API_URL=api_url,
        PREFECT_HOME=str(state / "prefect-home"),
        PREFECT_CLI_PROMPT="false",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
    )
    return env


class Session:
    """What one `etl-dev` call started; `close()` stops it all, in reverse order."""

    def __init__(self, root: Path):
        self.root, self.state = root, root / STATE_DIR
        self.state.mkdir(exist_ok=True)
        self.started: list[Background] = []
        self.server_file = self.state / "server.json"
        self.api_url = self.ui_url = ""
        self.env: dict[str, str] = {}
        self._starting: tuple[Background, float] | None = None

    def _recorded_server(self) -> str | None:
        """The API URL of a server a running etl-dev started for this project, if alive."""
        try:
            record = json.loads(self.server_file.read_text())
            os.kill(int(record["pid"]), 0)  # still running (raises if not)
            url = str(record["api_url"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return url if healthy(url) else None

    def connect(self, port: int) -> None:
        """Reuse the project's running server or start one (`wait_for_server` waits for it);
        afterwards every command talks to it."""
        self.api_url = self._server(port)
        self.ui_url = self.api_url.removesuffix("/api")
        self.env = prefect_env(self.state, self.api_url)

    def _server(self, port: int) -> str:
        if os.environ.get("PREFECT_API_URL"):
            # The stand-in deployments (a local mirror, no job variables) must never replace
            # the real ones of a shared server or workspace: etl-dev only uses its own.
            say(f"ignoring PREFECT_API_URL={os.environ['PREFECT_API_URL']}: etl-dev deploys "
                "only to its own local server")  # fmt: skip
        recorded = self._recorded_server()
        if recorded:
            say(f"reusing the project's running server: {recorded}")
            return recorded
        port = free_port(port)
        url = f"http://127.0.0.1:{port}/api"
        home = self.state / "prefect-home"
        env = prefect_env(self.state, url)
        env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = f"sqlite+aiosqlite:///{home}/prefect.db"
        command = [*PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)]
        say(f"starting a Prefect server on 127.0.0.1:{port} (state in {STATE_DIR}/)")
        self._starting = (self.start("server", command, self.root, env), time.monotonic())
        return url

    def wait_for_server(self) -> None:
        """Return once the server this session started answers (at once for a reused one)."""
        if self._starting is None:
            return
        server, started = self._starting
        url = self.api_url
        if not wait_until(lambda: healthy(url) or not server.running(), SERVER_START_SECONDS):
            raise DevError(f"the server did not answer within {SERVER_START_SECONDS} s")
        if not server.running():
            raise DevError(f"the server stopped:\n{server.output_tail()}")
        say(f"server healthy in {time.monotonic() - started:.1f} s")
        self.server_file.write_text(json.dumps({"api_url": url, "pid": server.process.pid}))
        self._starting = None

    def start(self, name: str, command: list[str], cwd: Path, env: dict) -> Background:
        process = Background(name, command, cwd, env, self.state / "logs" / f"{name}.log")
        self.started.append(process)
        return process

    def finished(self, process: Background) -> None:
        """`process` has ended as it should: nothing left to stop, nothing to watch."""
        process.stop()
        self.started.remove(process)

    def close(self) -> None:
        """Stop what we started; a second Ctrl-C or a SIGTERM cannot cut this short."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)
        for process in reversed(self.started):
            process.stop()
            if process.name == "server":
                self.server_file.unlink(missing_ok=True)
        if self.started:
            say("stopped everything etl-dev started")


@dataclass
class Prepared:
    """What `prepare` made: the prefect.yaml to deploy, its deployments' names and pools."""

    prefect_file: Path
    names: list[str]
    pools: list[str]
    flow_modules: list[str]
    order: list[tuple[str, str]]  # (name, entrypoint) of each deployment, in file order


def prepare(session: Session) -> Prepared:
    """prefect.yaml through the local stand-in, and the working copy in the mirror its pull
    steps clone: nothing here needs the server, so it happens while the server boots."""
    try:
        config = yaml.safe_load((session.root / "prefect.yaml").read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise DevError(f"prefect.yaml is not valid YAML: {error}") from error
    if not isinstance(config, dict):
        raise DevError("prefect.yaml must be a mapping with a `deployments:` list")
    mirror = session.state / "mirror.git"
    plan = local_plan(config, mirror.resolve().as_uri())
    for note in plan.notes:
        say(note)
    if plan.branches:
        try:
            commit = snapshot(session.root, mirror, session.state / "mirror.index", plan.branches)
        except (OSError, RuntimeError) as error:
            raise DevError(f"could not mirror the working copy with git: {error}") from error
        say(f"working copy snapshot {commit[:10]} in {STATE_DIR}/mirror.git")
    local_file = session.state / "prefect.yaml"
    local_file.write_text(yaml.safe_dump(plan.config, sort_keys=False), encoding="utf-8")
    deployments = plan.config.get("deployments") or []
    entrypoints = {str(d.get("entrypoint", "")).partition(":")[0] for d in deployments}
    modules = sorted(
        path.removesuffix(".py").replace("/", ".")
        for path in entrypoints
        if path.endswith(".py") and (session.root / path).is_file()
    )
    order = [(d.get("name"), d.get("entrypoint")) for d in deployments]
    names = [d.get("name") for d in deployments]
    return Prepared(local_file, names, sorted(plan.pools), modules, order)


def when_ready(go: Path, *options: str) -> list[str]:
    """The command that imports Prefect now and runs `prefect ...` once `go` exists."""
    script = Path(__file__).with_name("prefect_when_ready.py")
    return [sys.executable, str(script), str(go), *options, "--"]


def start_deploy(session: Session, prepared: Prepared, go: Path) -> Background:
    """The deploy, started now: it creates the pools and deploys once `go` exists."""
    options = [f"--warm={m}" for m in ("prefect.cli.deploy", *prepared.flow_modules)]
    options += [f"--pool={name}" for name in prepared.pools]
    command = [*when_ready(go, *options), "--no-prompt", "deploy", "--all"]
    env = dict(session.env, PWD=str(session.root))  # `{{ $PWD }}` is the project
    return session.start("deploy", [*command, "--prefect-file", str(prepared.prefect_file)],
                         session.root, env)  # fmt: skip


def finish_deploy(session: Session, deployer: Background, prepared: Prepared, before: float):
    """Wait for the deploy; the API records of what it deployed."""
    try:
        status = deployer.process.wait(timeout=DEPLOY_SECONDS)
    except subprocess.TimeoutExpired:
        raise DevError(f"the deploy did not finish within {DEPLOY_SECONDS} s") from None
    session.finished(deployer)
    if status:
        raise DevError(f"prefect deploy failed:\n{deployer.output_tail()}")
    for line in deployer.log.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("created work pool "):
            say(line)
    body = {"deployments": {"name": {"any_": prepared.names}}}
    found = api(f"{session.api_url}/deployments/filter", "POST", body) or []
    # Only what this deploy wrote: not deployments an earlier prefect.yaml left behind.
    deployed = [d for d in found if _timestamp(d["updated"]) >= before]
    say(f"deployed {len(deployed)} deployments: {', '.join(sorted(prepared.names))}")
    return deployed


def _timestamp(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def scheduled_runs(session: Session, deployment_ids: list[str], besides: str) -> dict[str, int]:
    """Each deployment's runs in a Scheduled state, the run etl-dev started (`besides`,
    Scheduled until the worker takes it) left out: only the scheduler's count."""
    counts = {}
    scheduled = {"id": {"not_any_": [besides]}, "state": {"type": {"any_": ["SCHEDULED"]}}}
    for deployment_id in deployment_ids:
        body = {"deployments": {"id": {"any_": [deployment_id]}}, "flow_runs": scheduled}
        counts[deployment_id] = api(f"{session.api_url}/flow_runs/count", "POST", body) or 0
    return counts


def check_schedules(session: Session, deployed: list[dict], since: float, besides: str) -> None:
    """Every deployment with an active schedule gets scheduled runs, or a clear error."""
    ids = {
        d["id"]: d["name"]
        for d in deployed
        if not d.get("paused") and any(s.get("active", True) for s in d.get("schedules") or [])
    }
    if not ids:
        return

    def all_scheduled() -> dict[str, int] | None:
        counts = scheduled_runs(session, list(ids), besides)
        return counts if all(counts.values()) else None

    counts = wait_until(all_scheduled, SCHEDULE_SECONDS)
    if not counts:
        counts = scheduled_runs(session, list(ids), besides)
        missing = [ids[i] for i, n in counts.items() if not n]
        raise DevError(
            f"the scheduler created no runs for {', '.join(missing)} within "
            f"{SCHEDULE_SECONDS} s: schedules would never fire (see {STATE_DIR}/logs/server.log)"
        )
    seconds = time.monotonic() - since
    listed = ", ".join(f"{ids[i]}: {n}" for i, n in counts.items())
    say(f"schedules fire: scheduled runs {seconds:.1f} s after deploy ({listed})")


def start_workers(session: Session, pools: list[str], warehouse: Path, go: Path) -> None:
    """A process worker per pool, started now: it polls the pool once `go` exists."""
    workdir = session.state / "worker"
    workdir.mkdir(exist_ok=True)  # empty: the code can only come from the pull steps
    env = dict(session.env)
    env.update(ETL_DATABASE_PATH=str(warehouse), PREFECT_WORKER_QUERY_SECONDS="2")
    # A PostgreSQL project's deployed runs read the warehouse block, which a fresh local
    # server lacks: without an exported ETL_WAREHOUSE_URL they load into this SQLite file.
    from etl.utils.settings import get_settings

    if get_settings().warehouse_block:
        env.setdefault("ETL_WAREHOUSE_URL", f"sqlite:///{warehouse}")
    warm = when_ready(go, "--warm=prefect.cli.worker", "--warm=prefect.workers.process")
    for pool in pools:
        command = [*warm, "worker", "start", "--pool", pool, "--type", "process"]
        session.start(f"worker-{pool}", command, workdir, env)
        say(f"worker started for pool {pool} (log: {STATE_DIR}/logs/worker-{pool}.log)")


def choose(session: Session, deployed: list[dict], wanted: str, order: list[tuple]) -> dict:
    """The deployment `wanted` names: `flow-name/name`, or `name` alone, which is the first
    deployment of that name in prefect.yaml's order (`order`: its (name, entrypoint)s)."""
    flow, _, name = wanted.rpartition("/")
    found = []
    for deployment in deployed:
        if deployment["name"] != name:
            continue
        flow_name = (api(f"{session.api_url}/flows/{deployment['flow_id']}") or {}).get("name")
        if not flow or flow == flow_name:
            found.append((f"{flow_name}/{name}", deployment))
    if not found:
        known = ", ".join(sorted(d["name"] for d in deployed))
        raise DevError(f"prefect.yaml has no deployment named {wanted!r}; deployments: {known}")
    place = {key: index for index, key in enumerate(order)}
    found.sort(key=lambda item: place.get((name, item[1].get("entrypoint")), len(place)))
    others = f" (the first of {len(found)} named {name!r}: say FLOW/NAME for another)"
    say(f"running {found[0][0]}{others if len(found) > 1 else ''}")
    return found[0][1]


def start_run(session: Session, deployment: dict) -> dict:
    """A new run of `deployment`, for the worker to take on its next poll."""
    run = api(f"{session.api_url}/deployments/{deployment['id']}/create_flow_run", "POST", {})
    say(f"started run {run['name']}: {session.ui_url}/runs/flow-run/{run['id']}")
    return run


def follow(session: Session, run: dict, timeout: float) -> str:
    """Print the run's state changes; its final state type."""
    last, deadline = None, time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in session.started:
            if not process.running():
                raise DevError(f"{process.name} stopped:\n{process.output_tail()}")
        state = (api(f"{session.api_url}/flow_runs/{run['id']}") or {}).get("state") or {}
        if state.get("name") != last:
            last = state.get("name")
            say(f"run {run['name']}: {last}")
        if state.get("type") in FINAL_STATES:
            if state["type"] != "COMPLETED":
                say(f"run message: {state.get('message')}")
            return state["type"]
        time.sleep(0.25)  # one small request: a Completed run is reported within a moment
    raise DevError(f"run {run['name']} did not finish within {timeout:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="etl-dev", description=__doc__.splitlines()[0])
    once = "stop after the run; exit code 0 only if it is Completed"
    parser.add_argument("--once", action="store_true", help=once)
    which = "deployment to run: NAME or FLOW/NAME (default: dev)"
    parser.add_argument("--deployment", default="dev", help=which)
    port = os.environ.get("ETL_DEV_PORT") or "4200"  # argparse checks it is a number
    where = "server port if free (default: ETL_DEV_PORT or 4200)"
    parser.add_argument("--port", type=int, default=port, help=where)
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for the run")
    args = parser.parse_args(argv)
    session = None
    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", signal.SIGTERM)):
        signal.signal(sig, lambda *_: sys.exit(143))  # a closed terminal stops us cleanly too
    try:
        root = project_root(Path.cwd())
        session = Session(root)
        session.connect(args.port)  # starts the server, or finds the running one
        prepared = prepare(session)
        go = session.state / f"go-{os.getpid()}"  # one per etl-dev: two may share the state
        go.unlink(missing_ok=True)
        deployer = start_deploy(session, prepared, go)
        warehouse = root / "data" / "warehouse.db"
        start_workers(session, prepared.pools, warehouse, go)
        session.wait_for_server()
        before = time.time() - 1
        go.touch()
        deployed = finish_deploy(session, deployer, prepared, before)
        deployed_at = time.monotonic()
        chosen = choose(session, deployed, args.deployment, prepared.order)
        # The run first: the worker takes and runs it while the scheduler's runs appear.
        run = start_run(session, chosen)
        check_schedules(session, deployed, deployed_at, besides=run["id"])
        state = follow(session, run, args.timeout)
        say(f"UI: {session.ui_url}   data: {warehouse}")
        if args.once:
            return 0 if state == "COMPLETED" else 1
        say("server and worker keep running: Ctrl-C stops everything etl-dev started")
        while all(process.running() for process in session.started):
            time.sleep(1)
        stopped = [p.name for p in session.started if not p.running()]
        raise DevError(f"{', '.join(stopped)} stopped unexpectedly (see {STATE_DIR}/logs/)")
    except (DevError, RuntimeError, OSError) as error:  # the server refused or went away
        print(f"etl-dev: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130 if args.once else 0  # --once was cut short: not a success
    finally:
        if session is not None:
            session.close()
            for go in session.state.glob(f"go-{os.getpid()}"):
                go.unlink()


if __name__ == "__main__":
    sys.exit(main())
