"""Run one `prefect` command as soon as `etl-dev` says so, with Prefect already imported.

    python etl_tools/prefect_when_ready.py GO_FILE [--warm MODULE]... [--pool NAME]... \
        -- PREFECT_ARGUMENTS...

`etl-dev` starts its deploy and its worker this way at the same time as the server: the
seconds each needs to import Prefect (and the project's flows) pass while the server
boots, instead of after it. Once GO_FILE exists, the process pools named by `--pool` are
created if missing (with the process worker's default job template, as `prefect
work-pool create --type process` makes them), then `prefect PREFECT_ARGUMENTS...` runs in
this process, exactly as `python -m prefect` would run it. If `etl-dev` goes away first,
nothing runs (exit status 3). It is run as a file, not a module: a worker's working
directory is empty (its flows come from their pull steps), so the project is not importable
there; the command then sees the folder it runs in first on `sys.path`, as under
`python -m prefect`.
"""

from __future__ import annotations

import argparse
import importlib
import os
import runpy
import sys
import time
from pathlib import Path

WAIT_SECONDS = 900  # a ceiling for a server that never comes up; etl-dev stops us sooner


def warm(modules: list[str]) -> None:
    """Import what the command will need; a module that fails here fails there, loudly."""
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception:  # noqa: BLE001, S112 - the command itself reports the problem
            continue


def wait_for(go: Path, parent: int) -> bool:
    deadline = time.monotonic() + WAIT_SECONDS
    while not go.exists():
        if os.getppid() != parent or time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def create_process_pools(names: list[str]) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists
    from prefect.workers.process import ProcessWorker

    template = ProcessWorker.get_default_base_job_template()
    with get_client(sync_client=True) as client:
        for name in names:
            pool = WorkPoolCreate(name=name, type="process", base_job_template=template)
            try:
                client.create_work_pool(work_pool=pool)
                print(f"created work pool {name}", flush=True)
            except ObjectAlreadyExists:
                pass


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--" not in argv:
        print("usage: prefect_when_ready.py GO_FILE [options] -- ARGUMENTS...", file=sys.stderr)
        return 2
    split = argv.index("--")
    parser = argparse.ArgumentParser(prog="prefect_when_ready")
    parser.add_argument("go", type=Path)
    parser.add_argument("--warm", action="append", default=[], metavar="MODULE")
    parser.add_argument("--pool", action="append", default=[], metavar="NAME")
    args = parser.parse_args(argv[:split])
    parent = os.getppid()
    sys.path[0] = os.getcwd()  # this file's folder, as a script; `python -m` has the cwd
    warm(["prefect", *args.warm])
    if not wait_for(args.go, parent):
        return 3
    if args.pool:
        create_process_pools(args.pool)
    sys.argv = ["prefect", *argv[split + 1 :]]
    runpy.run_module("prefect", run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
