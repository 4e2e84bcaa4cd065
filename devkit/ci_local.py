"""Run a rendered project's CI commands here, in order, the way its CI would.

Library behind `scripts/smoke.py` and `tests/test_ci_commands.py`. For each CI file the
project has (`.github/workflows/*.yml`, `.gitlab-ci.yml`), every job gets a fresh clone of
the committed project and then:

- a `run:` script (GitHub) or `script:` line (GitLab) is executed as written, with the
  runner's shell (GitHub: `bash -e`, or `bash --noprofile --norc -eo pipefail` for
  `shell: bash`, and `working-directory:`; GitLab: one `bash -e` or, for `docker:` images,
  `sh -e` session per GitLab job), unless it needs something this machine must not or
  cannot use: a Docker engine, a registry login, a real Prefect workspace. Those are listed
  as skipped with the reason. Anything else that fails is a failure.
- an action (`uses:`) is replaced by its local equivalent (checkout: the fresh clone;
  setup-uv: uv on PATH with `UV_PYTHON` set to a local interpreter; paths-filter: "every
  path changed"), or skipped with the reason (Docker actions). An action with no entry in
  `ACTIONS` is a failure: someone must decide what it means here.

The run simulates a push to the default branch where every job runs (job-level `if:` and
GitLab `rules:` are not evaluated); step-level `if:` is evaluated. Secrets are empty, as
GitHub gives them to a fork's pull request. PyYAML only, besides the standard library.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

STEP_TIMEOUT = 1200


def find_uv() -> str:
    """The uv the template's tests and `scripts/smoke.py` put on PATH."""
    found = shutil.which("uv")
    if found is None:
        raise SystemExit("uv is not on PATH: run through scripts/smoke.py or scripts/run_tests.py")
    return found


# Commands that need what a local run must not or cannot use: (pattern, reason).
SKIP_RULES = [
    (
        re.compile(r"\bprefect\b.*\bdeploy\b"),
        "deploys to a real Prefect workspace (PREFECT_API_URL / PREFECT_API_KEY secrets)",
    ),
    (re.compile(r"\bdocker\b"), "needs a Docker engine and the registry's credentials"),
]

# action (owner/name) -> (status, what replaces it here)
ACTIONS = {
    "actions/checkout": ("local", "a fresh clone of the committed project"),
    "astral-sh/setup-uv": ("local", "uv on PATH, UV_PYTHON={python}"),
    "actions/setup-python": ("local", "the local interpreter {python}"),
    "dorny/paths-filter": ("local", "every filter reports a change"),
    "docker/setup-buildx-action": ("skipped", "needs a Docker engine"),
    "docker/login-action": ("skipped", "logs in to a registry with a token"),
    "docker/build-push-action": ("skipped", "needs a Docker engine and a registry"),
}


# GitHub's shells on Linux runners: no `shell:` gives `bash -e {0}`, `shell: bash` adds
# pipefail (a KeyError on any other shell: teach the runner about it first).
GITHUB_SHELLS = {
    "default": ["bash", "-e"],
    "bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail"],
    "sh": ["sh", "-e"],
}


@dataclass
class Step:
    provider: str  # github | gitlab
    job: str
    name: str
    run: str | None = None  # the script; None for an action
    uses: str | None = None
    condition: str | None = None  # a GitHub step's `if:`
    env: dict = field(default_factory=dict)
    step_id: str | None = None
    shell: list[str] | None = None  # a GitHub step's own; else the job's
    directory: str = "."  # a GitHub step's working-directory
    status: str = "pending"  # ran | skipped | local | FAILED | not reached
    note: str = ""
    seconds: float = 0.0


@dataclass
class Job:
    provider: str
    name: str
    steps: list[Step]
    env: dict = field(default_factory=dict)
    shell: list[str] = field(default_factory=lambda: ["bash", "-e"])
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- reading the CI files


def github_jobs(path: Path) -> list[Job]:
    data = yaml.safe_load(path.read_text())
    jobs = []
    for job_name, job in data["jobs"].items():
        defaults = {
            **data.get("defaults", {}).get("run", {}),
            **job.get("defaults", {}).get("run", {}),
        }
        steps = []
        for number, step in enumerate(job.get("steps", []), 1):
            uses = step.get("uses", "")
            if "@" in uses:  # owner/name and the commit's first 7 digits
                uses = f"{uses.split('@')[0]} ({uses.split('@')[1][:7]})"
            name = step.get("name") or uses or step["run"].splitlines()[0]
            steps.append(
                Step(
                    "github",
                    job_name,
                    name if len(name) <= 60 else name[:57] + "...",
                    run=step.get("run"),
                    uses=step.get("uses"),
                    condition=step.get("if"),
                    env=step.get("env", {}),
                    step_id=step.get("id", f"step{number}"),
                    shell=GITHUB_SHELLS[step.get("shell", defaults.get("shell", "default"))],
                    directory=step.get("working-directory", defaults.get("working-directory", ".")),
                )
            )
        env = {**data.get("env", {}), **job.get("env", {})}
        jobs.append(Job("github", job_name, steps, env=env))
    return jobs


def gitlab_jobs(path: Path) -> list[Job]:
    data = yaml.safe_load(path.read_text())
    stages = data.get("stages", ["build", "test", "deploy"])
    default_image = data.get("default", {}).get("image", "")
    found = []
    for name, job in data.items():
        if name.startswith(".") or not isinstance(job, dict) or "script" not in job:
            continue
        image = job.get("image", default_image)
        lines = [line for key in ("before_script", "script") for line in job.get(key, [])]
        steps = [Step("gitlab", name, line.splitlines()[0][:60], run=line) for line in lines]
        env = {**data.get("variables", {}), **job.get("variables", {})}
        # The docker image is Alpine (busybox sh); the uv images are Debian with bash.
        shell = ["sh", "-e"] if str(image).startswith("docker:") else ["bash", "-e"]
        job_notes = [f"image {image} -> local shell {shell[0]}"]
        found.append(
            (
                stages.index(job.get("stage", "test")),
                Job("gitlab", name, steps, env, shell, job_notes),
            )
        )
    return [job for _, job in sorted(found, key=lambda pair: pair[0])]


def ci_jobs(project: Path) -> list[Job]:
    jobs = []
    for workflow in sorted((project / ".github/workflows").glob("*.y*ml")):
        jobs += github_jobs(workflow)
    if (project / ".gitlab-ci.yml").is_file():
        jobs += gitlab_jobs(project / ".gitlab-ci.yml")
    return jobs


# ---------------------------------------------------------------- GitHub expressions


class Context(dict):
    """A GitHub expression context: attribute access; unknown names are an error."""

    def __getattr__(self, name):
        if name not in self:
            raise NameError(f"unknown property {name!r} for the local runner")
        value = self[name]
        return (
            Context(value) if isinstance(value, dict) and not isinstance(value, Context) else value
        )


class Secrets(dict):
    def __getattr__(self, name):
        self.setdefault(name, "")
        return ""  # as GitHub gives a fork's pull request: empty


def hash_files(root: Path, *patterns: str) -> str:
    files = sorted({p for pattern in patterns for p in root.glob(pattern) if p.is_file()})
    if not files:
        return ""
    digest = hashlib.sha256()
    for path in files:
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def evaluate(expression: str, contexts: dict, root: Path):
    """A GitHub expression (the subset CI files here use) as a Python value."""
    python = expression.strip()
    python = re.sub(r"&&", " and ", python)
    python = re.sub(r"\|\|", " or ", python)
    python = re.sub(r"!(?!=)", " not ", python)
    python = re.sub(r"\btrue\b", "True", python)
    python = re.sub(r"\bfalse\b", "False", python)
    python = re.sub(r"\bnull\b", "None", python)
    names = {**contexts, "hashFiles": lambda *p: hash_files(root, *p)}
    try:
        return eval(python, {"__builtins__": {}}, names)  # noqa: S307 - our own CI files
    except Exception as error:
        raise RuntimeError(f"cannot evaluate ${{{{ {expression} }}}} here: {error}") from error


def substitute(text: str, contexts: dict, root: Path) -> str:
    def value(match):
        result = evaluate(match.group(1), contexts, root)
        return {True: "true", False: "false", None: ""}.get(result, str(result))

    return re.sub(r"\$\{\{(.*?)\}\}", value, str(text))


def read_key_values(path: Path) -> dict:
    """GITHUB_ENV / GITHUB_OUTPUT: `KEY=value` lines and `KEY<<EOF` blocks."""
    values, lines = {}, path.read_text().splitlines() if path.exists() else []
    while lines:
        line = lines.pop(0)
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, marker = line.split("<<", 1)
            block = []
            while lines and lines[0] != marker:
                block.append(lines.pop(0))
            lines = lines[1:]
            values[key] = "\n".join(block)
        elif "=" in line:
            key, val = line.split("=", 1)
            values[key] = val
    return values


# ---------------------------------------------------------------- running


def skip_reason(script: str) -> str | None:
    for pattern, reason in SKIP_RULES:
        if pattern.search(script):
            return reason
    return None


def base_env(python: str, work: Path) -> dict:
    """The machine's environment less this process's virtual environment and Prefect
    settings, with uv on PATH and UV_PYTHON set (what setup-uv / the uv image give)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GITHUB_", "CI_"))}
    env.pop("VIRTUAL_ENV", None)
    venv_bin = str(Path(sys.prefix) / ("Scripts" if os.name == "nt" else "bin"))
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and p != venv_bin]
    # setup-uv and the uv images put uv on PATH; here: the machine's, or .tools/ (installed
    # on first use, like scripts/run_tests.py does).
    path.insert(0, str(Path(find_uv()).parent))
    env.update(
        PATH=os.pathsep.join(path),
        CI="true",
        UV_PYTHON=python,
        PREFECT_HOME=str(work / "prefect-home"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
    )
    return env


def clone(repository: Path, into: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(repository), str(into)], check=True)
    return into


def run_job(job: Job, repository: Path, work: Path, python: str, slug: str, log) -> None:
    checkout = clone(repository, work / f"{job.provider}-{job.name}")
    env = base_env(python, work / f"{job.provider}-{job.name}-home")
    if job.provider == "github":
        run_github_job(job, checkout, env, python, slug, log)
    else:
        run_gitlab_job(job, checkout, env, python, slug, log)


def run_github_job(job: Job, checkout: Path, env: dict, python: str, slug: str, log) -> None:
    runner = checkout.parent / f"{checkout.name}-runner"
    runner.mkdir()
    env.update(
        GITHUB_ACTIONS="true",
        GITHUB_WORKSPACE=str(checkout),
        GITHUB_REPOSITORY=f"your-org/{slug}",
        GITHUB_EVENT_NAME="push",
        GITHUB_REF="refs/heads/main",
        GITHUB_ACTOR="local",
    )
    steps_context: dict = {}
    contexts = {
        "github": Context(
            event_name="push",
            ref="refs/heads/main",
            repository=f"your-org/{slug}",
            actor="local",
            workflow="CI",
        ),
        "secrets": Secrets(),
        "steps": Context(),
        "env": Context(),
    }
    failed = False
    for step in job.steps:
        if failed:
            step.status = "not reached"
            continue
        contexts["steps"] = Context(steps_context)
        if step.uses:
            action = step.uses.split("@")[0]
            if action not in ACTIONS:
                step.status, step.note = "FAILED", f"no local equivalent known for {action}"
                failed = True
            else:
                step.status, note = ACTIONS[action]
                step.note = note.format(python=python)
                if action == "dorny/paths-filter":
                    steps_context[step.step_id] = {"outputs": {"image": "true"}}
            log(step)
            continue
        try:
            contexts["env"] = Context({**env, **job.env})
            if step.condition and not evaluate(step.condition, contexts, checkout):
                step.status, step.note = "skipped", f"if: {step.condition} is false here"
                log(step)
                continue
            step_env = {
                k: substitute(v, contexts, checkout) for k, v in {**job.env, **step.env}.items()
            }
            script = substitute(step.run, contexts, checkout)
        except RuntimeError as error:
            step.status, step.note, failed = "FAILED", str(error), True
            log(step)
            continue
        reason = skip_reason(script)
        if reason:
            step.status, step.note = "skipped", reason
            log(step)
            continue
        files = {
            name: runner / f"{name.lower()}-{step.step_id}"
            for name in ("GITHUB_ENV", "GITHUB_OUTPUT")
        }
        for file in files.values():
            file.touch()
        script_file = runner / f"{step.step_id}.sh"
        script_file.write_text(script)
        started = time.monotonic()
        result = subprocess.run(
            [*(step.shell or job.shell), str(script_file)],
            cwd=checkout / step.directory,
            env={**env, **step_env, **{k: str(v) for k, v in files.items()}},
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT,
        )
        step.seconds = time.monotonic() - started
        env.update(read_key_values(files["GITHUB_ENV"]))
        steps_context[step.step_id] = {"outputs": read_key_values(files["GITHUB_OUTPUT"])}
        if result.returncode:
            step.status, failed = "FAILED", True
            step.note = f"exit {result.returncode}: " + tail(result.stdout + result.stderr)
        else:
            step.status = "ran"
        log(step)


def run_gitlab_job(job: Job, checkout: Path, env: dict, python: str, slug: str, log) -> None:
    env.update(
        GITLAB_CI="true",
        CI_PROJECT_DIR=str(checkout),
        CI_COMMIT_BRANCH="main",
        CI_DEFAULT_BRANCH="main",
        CI_REGISTRY="registry.example.com",
        CI_REGISTRY_IMAGE=f"registry.example.com/your-org/{slug}",
        CI_REGISTRY_USER="gitlab-ci-token",
        CI_REGISTRY_PASSWORD="",
    )
    for key, value in job.env.items():
        value = value.get("value", "") if isinstance(value, dict) else value
        env[key] = expand(str(value), env)
    # GitLab's `cache:` restores the uv cache between pipelines; here the machine's own
    # uv cache plays that part (the pipeline's UV_CACHE_DIR would start empty).
    if env.pop("UV_CACHE_DIR", None):
        job.notes.append("cache: -> this machine's uv cache (instead of the job's UV_CACHE_DIR)")
    marks = checkout.parent / f"{checkout.name}-marks"
    lines = ["set -e"]
    for number, step in enumerate(job.steps):
        reason = skip_reason(step.run)
        if reason:
            step.status, step.note = "skipped", reason
            continue
        lines += [step.run, f"echo {number} $(date +%s) >> '{marks}'"]
    script = checkout.parent / f"{checkout.name}.sh"
    script.write_text("\n".join(lines) + "\n")
    started = time.time()
    result = subprocess.run(
        [*job.shell, str(script)],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT * 2,
    )
    seconds = time.time() - started
    done = dict(line.split() for line in marks.read_text().splitlines()) if marks.exists() else {}
    failed, previous = False, started
    for number, step in enumerate(job.steps):
        if step.status == "skipped":
            pass
        elif str(number) in done:
            step.status = "ran"
            step.seconds = max(int(done[str(number)]) - previous, 0.01)
            previous = int(done[str(number)])
        elif not failed:
            step.status, failed = "FAILED", True
            step.note = f"exit {result.returncode}: " + tail(result.stdout + result.stderr)
        else:
            step.status = "not reached"
        log(step)
    job.notes.append(f"{seconds:.0f} s for the job's script")


def expand(value: str, env: dict) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), ""), str(value))


def tail(text: str, lines: int = 15) -> str:
    return " | ".join(text.strip().splitlines()[-lines:])


# ---------------------------------------------------------------- preparing a project


def find_python(version: str) -> tuple[str, str]:
    """A local interpreter for `version` (PATH, then pyenv's versions), else this one."""
    candidates = [shutil.which(f"python{version}")]
    root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    candidates += sorted(
        str(p) for p in Path(root).glob(f"versions/{version}.*/bin/python{version}")
    )
    for candidate in filter(None, candidates):
        check = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
        )
        if check.returncode == 0 and check.stdout.strip() == version:
            return candidate, f"Python {version}: {candidate}"
    here = "{}.{}".format(*sys.version_info[:2])
    return sys.executable, f"Python {version} not found here; used {here} ({sys.executable})"


def commit_project(project: Path, python: str) -> None:
    """What a user does after rendering: lock, `git init`, commit everything."""
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    subprocess.run([find_uv(), "lock", "--python", python], cwd=project, check=True, env=env)
    git = ["git", "-c", "user.name=smoke", "-c", "user.email=smoke@example.com"]
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=project, check=True)
    subprocess.run([*git, "add", "-A"], cwd=project, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "Rendered project"], cwd=project, check=True)


def run_ci(project: Path, python: str, work: Path | None = None, log=None) -> list[Job]:
    """Every job of the committed project's CI files; returns the jobs with their steps'
    outcomes. `project` must be a git repository (see `commit_project`)."""
    work = Path(work or tempfile.mkdtemp(prefix="ci-local-"))
    log = log or (lambda step: None)
    jobs = ci_jobs(project)
    for job in jobs:
        run_job(job, project, work, python, project.name, log)
    return jobs


def table(jobs: list[Job]) -> str:
    rows = [
        "| provider | job | step | status | seconds | note |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for job in jobs:
        for step in job.steps:
            what = step.name.replace("|", "\\|")
            seconds = f"{step.seconds:.0f}" if step.seconds else ""
            note = step.note.replace("|", "\\|")[:300]
            rows.append(
                f"| {job.provider} | {job.name} | {what} | {step.status} | {seconds} | {note} |"
            )
    return "\n".join(rows)


def summary(jobs: list[Job]) -> dict:
    """Counts of commands (run: scripts, script: lines) and actions by outcome."""
    counts: dict = {}
    for job in jobs:
        for step in job.steps:
            kind = "actions" if step.uses else "commands"
            key = f"{job.provider} {kind} {step.status}"
            counts[key] = counts.get(key, 0) + 1
    return counts
