"""The local stand-in for code storage and work pools that `etl-dev` deploys with.

`prefect.yaml` says how workers get the code (a git clone, an S3 download, an image) and
what runs it (a process, a container, a Kubernetes job). On one laptop, with no remote
repository, bucket or container engine, `etl-dev` deploys a copy of it in which:

- a `git_clone` pull step stays a real `git_clone`, from a local bare mirror that holds a
  snapshot of the working copy (uncommitted changes included), without credentials;
- other storages (S3 upload and download, an image's baked-in code) are stood in for by
  that same `git_clone` of the mirror, and their build and push steps are left out;
- `local` storage (`set_working_directory: {{ $PWD }}`) runs this checkout, as it says;
- every pool becomes a process pool of the same name, without the container-only
  `job_variables` (image, namespace, cpu ...).

Everything else (entrypoints, parameters, schedules, triggers, tags) is deployed as written.
`LocalPlan.notes` says, in one line each, what is exercised and what is stood in for.
"""

from __future__ import annotations

import copy
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

GIT_CLONE = "prefect.deployments.steps.git_clone"
SET_WORKING_DIRECTORY = "prefect.deployments.steps.set_working_directory"
CREDENTIAL_KEYS = ("access_token", "credentials")
STAND_IN_BRANCH = "etl-dev"
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "etl-dev",
    "GIT_AUTHOR_EMAIL": "etl-dev@localhost",
    "GIT_COMMITTER_NAME": "etl-dev",
    "GIT_COMMITTER_EMAIL": "etl-dev@localhost",
}


@dataclass
class LocalPlan:
    """The prefect.yaml to deploy locally, the pools it needs and what was stood in for."""

    config: dict
    pools: dict[str, str] = field(default_factory=dict)  # name -> type prefect.yaml gives
    branches: set[str] = field(default_factory=set)  # mirror branches the pull steps clone
    notes: list[str] = field(default_factory=list)


def _step_name(step: object) -> str:
    return next(iter(step), "") if isinstance(step, dict) and len(step) == 1 else ""


def _mirror_pull(mirror_url: str) -> list[dict]:
    clone = {"id": "clone", "repository": mirror_url, "branch": STAND_IN_BRANCH}
    return [
        {GIT_CLONE: clone},
        {SET_WORKING_DIRECTORY: {"directory": "{{ clone.directory }}"}},
    ]


def _local_storage(section: dict, mirror_url: str, plan: LocalPlan, where: str) -> None:
    """Rewrite the build/push/pull of one section (the file, or one deployment) in place."""
    pull = section.get("pull")
    if not isinstance(pull, list):
        return
    names = [_step_name(step) for step in pull]
    if GIT_CLONE in names:
        for step in pull:
            if _step_name(step) == GIT_CLONE:
                options = step[GIT_CLONE]
                original = options.get("repository")
                options["repository"] = mirror_url
                options.setdefault("branch", "main")
                plan.branches.add(str(options["branch"]))
                for key in CREDENTIAL_KEYS:
                    options.pop(key, None)
        plan.notes.append(
            f"{where}: the git_clone pull step runs for real, from a local mirror of your "
            f"working copy instead of {original} (no credentials needed)"
        )
        return
    local = all(name == SET_WORKING_DIRECTORY for name in names) and any(
        "$PWD" in str(step[SET_WORKING_DIRECTORY].get("directory", "")) for step in pull
    )
    if local:
        plan.notes.append(f"{where}: local storage runs this checkout, as prefect.yaml says")
        return
    replaced = ", ".join(sorted({name.rsplit(".", 1)[-1] for name in names if name}))
    section["pull"] = _mirror_pull(mirror_url)
    for key in ("build", "push"):
        if section.get(key):
            section[key] = None
    plan.branches.add(STAND_IN_BRANCH)
    plan.notes.append(
        f"{where}: stood in for: build/push and the pull steps ({replaced}) are replaced by a "
        "git_clone of a local mirror of your working copy; deploy for real to exercise them"
    )


def local_plan(config: dict, mirror_url: str) -> LocalPlan:
    """The locally deployable copy of a parsed prefect.yaml (the original is not changed)."""
    plan = LocalPlan(config=copy.deepcopy(config))
    _local_storage(plan.config, mirror_url, plan, "code storage")
    definitions = plan.config.get("definitions") or {}
    pool_type = str(definitions.get("work_pool_type") or "process")
    for deployment in plan.config.get("deployments") or []:
        name = deployment.get("name", "?")
        _local_storage(deployment, mirror_url, plan, f"deployment {name}")
        pool = deployment.get("work_pool") or {}
        if not pool.get("name"):
            continue
        plan.pools[pool["name"]] = pool_type
        if pool_type != "process":
            deployment["work_pool"] = {k: v for k, v in pool.items() if k != "job_variables"}
    for name, kind in plan.pools.items():
        if kind != "process":
            plan.notes.append(
                f"work pool {name}: a {kind} pool is stood in for by a process pool of the "
                "same name: flows run as processes here, not in the project's image"
            )
    return plan


def snapshot(root: Path, mirror: Path, index: Path, branches: set[str]) -> str:
    """Commit the working copy (what .gitignore lets into git) to `branches` of `mirror`.

    A separate index and a bare mirror: the project's own repository, index and branches
    are never touched, and the project need not be a git repository at all.
    """
    env = dict(os.environ, **GIT_IDENTITY)
    env["GIT_INDEX_FILE"] = str(index)

    def git(*args: str) -> str:
        result = subprocess.run(  # noqa: S603
            ["git", *args],  # noqa: S607
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode:
            raise RuntimeError(f"git {args[0]} failed: {result.stderr.strip()}")
        return result.stdout.strip()

    if not (mirror / "HEAD").exists():
        git("init", "--quiet", "--bare", str(mirror))
        exclude = mirror / "info" / "exclude"
        exclude.parent.mkdir(parents=True, exist_ok=True)
        exclude.write_text(".etl-dev/\n.venv/\n.git/\n", encoding="utf-8")
    env.update(GIT_DIR=str(mirror), GIT_WORK_TREE=str(root))
    git("add", "--all", ".")
    commit = git("commit-tree", git("write-tree"), "-m", "etl-dev: snapshot of the working copy")
    for branch in branches:
        git("update-ref", f"refs/heads/{branch}", commit)
    return commit
