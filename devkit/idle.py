"""What a process tree costs while it waits: CPU seconds from /proc, not wall time.

`share_of_a_core(pids, seconds)` samples each tree's user+system CPU time (the process and
every descendant, read from /proc/<pid>/stat) before and after a window of `seconds`, and
returns the share of one core each tree used. Linux only, standard library only.

`left_waiting(...)` is the idle measure itself, with its window and limit, for the
template's test (tests/test_first_deploy.py) and the first-deploy benchmark alike.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
IDLE_SECONDS = 30  # the window
IDLE_LIMIT = 0.10  # of one core: the most a waiting server or worker may use
READY_LINE = "Ctrl-C stops everything"  # etl-dev's line once its run is over and it waits


def _stat(pid: int) -> list[str] | None:
    try:  # the command name may hold spaces and parentheses: split after the last ')'
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def tree(root: int) -> list[int]:
    """`root` and every process below it, as they are now."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))):
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """utime + stime of each process, in seconds (a process gone since is left out)."""
    times = {}
    for pid in pids:
        if fields := _stat(pid):
            times[pid] = (int(fields[11]) + int(fields[12])) / TICKS
    return times


def share_of_a_core(roots: dict[str, int], seconds: float = 30) -> dict[str, float]:
    """Per named tree, the CPU it used over the next `seconds`, as a share of one core.

    Processes are counted when they are in the tree at the start or at the end of the
    window (one that starts and ends inside it is missed: fine for an idle tree)."""
    before = {name: cpu_seconds(tree(pid)) for name, pid in roots.items()}
    started = time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - started
    shares = {}
    for name, pid in roots.items():
        after = cpu_seconds(tree(pid))
        used = sum(after[p] - before[name].get(p, 0.0) for p in after)
        shares[name] = used / elapsed
    return shares


def left_waiting(dev_pid: int, bare_pid: int, bare_api: str) -> dict[str, float]:
    """The share of a core that `etl-dev` (past its READY_LINE: server and worker waiting)
    and a bare `prefect server start` (once it answers at `bare_api`) each use over
    IDLE_SECONDS, measured together."""
    from devkit.prefect_server import healthy, wait_for

    if wait_for(lambda: healthy(bare_api) or None, 300, 0.2) is None:
        raise RuntimeError(f"the bare server did not answer at {bare_api} within 300 s")
    return share_of_a_core({"etl-dev": dev_pid, "prefect server start": bare_pid}, IDLE_SECONDS)
