"""Build context and upload set of a cluttered project, and the Dockerfile's cache layers.

A freshly rendered project is small; a real checkout is not. `clutter()` adds what a
working copy accumulates: a virtual environment (>= 100 MB), a `.git` with history, data
output, caches, a local SQLite database, build output and a `.env`. Then:

- the Docker build context is the tree filtered by `.dockerignore` with Docker's own rules,
  by the generated project's `etl_tools/docker_context.py` (the Docker SDK's
  `docker.utils.build.exclude_paths`; the project's tests check it against the examples of
  Docker's documentation). pathspec's gitwildmatch is computed too, for the docs' remark
  that the shared core reads the same in both dialects: it is written as `**/` patterns,
  which git and Docker read alike (a bare name such as `tests` matches at any depth to
  git, only at the root to Docker);
- the `.prefectignore` upload set is what `prefect_aws.deployments.steps.push_to_s3`
  uploads: Prefect's own `prefect.utilities.filesystem.filter_files`;
- the Dockerfile is parsed into instructions, and a change to one file is traced to the
  first instruction whose inputs contain it: that layer and every one after it rebuild.
"""

from __future__ import annotations

import fnmatch
import os
import random
import shlex
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

# --- clutter --------------------------------------------------------------------------


def _random_file(path: Path, size: int, rng: random.Random) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(rng.randbytes(size))


def _add_venv(project: Path, venv_mb: int, rng: random.Random) -> None:
    """A real interpreter layout (python -m venv), then site-packages filled the way
    installed wheels fill it: many small modules and a few large native libraries."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(project / ".venv")], check=True
    )
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site = project / ".venv" / "lib" / version / "site-packages"
    big = venv_mb * 1024 * 1024 * 9 // 10
    for number in range(24):  # native extensions
        _random_file(site / f"pkg{number:02d}" / f"_native{number}.so", big // 24, rng)
    small = venv_mb * 1024 * 1024 // 10
    for number in range(1500):  # pure-Python modules and their bytecode
        module = site / f"pkg{number % 24:02d}" / f"mod{number}.py"
        _random_file(module, small // 3000, rng)
        _random_file(module.parent / "__pycache__" / f"mod{number}.cpython.pyc", small // 3000, rng)


def _add_git_history(project: Path, rng: random.Random) -> None:
    """A `.git` with 41 commits: README edits, and a large file added then removed."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "b@example.com",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "b@example.com",
    }

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=project, env=env, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", "initial")
    notes = project / "etl" / "data" / "fixtures.bin"
    for number in range(40):  # history: edits, and a large file added then removed
        with (project / "README.md").open("a") as handle:
            handle.write(f"\nChange {number}.\n")
        if number == 5:
            _random_file(notes, 8 * 1024 * 1024, rng)
        if number == 30:
            notes.unlink()
        git("add", "-A")
        git("commit", "-q", "-m", f"change {number}")


def _add_data_output(project: Path, rng: random.Random) -> None:
    """`data/`: a SQLite warehouse and monthly CSV exports."""
    data = project / "data"
    data.mkdir(exist_ok=True)
    with sqlite3.connect(data / "warehouse.db") as connection:
        connection.execute("CREATE TABLE orders (order_id INTEGER PRIMARY KEY, payload BLOB)")
        connection.executemany(
            "INSERT INTO orders VALUES (?, ?)",
            ((i, rng.randbytes(200)) for i in range(60_000)),
        )
    for month in range(1, 7):
        _random_file(data / "exports" / f"orders-2026-{month:02d}.csv", 1024 * 1024, rng)


def _add_caches(project: Path, rng: random.Random) -> None:
    """Bytecode, tool caches and a coverage file."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "etl", "tests"], cwd=project, check=True
    )
    for kind, count in (
        (".pytest_cache/v/cache", 20),
        (".ruff_cache/0.6.0", 200),
        (".mypy_cache/3.12/etl", 400),
    ):
        for number in range(count):
            _random_file(project / kind / f"entry{number}", 8 * 1024, rng)
    _random_file(project / ".coverage", 256 * 1024, rng)


def _add_local_database(project: Path) -> None:
    with sqlite3.connect(project / "dev.sqlite3") as connection:
        connection.execute("CREATE TABLE scratch (id INTEGER PRIMARY KEY, note TEXT)")
        connection.executemany(
            "INSERT INTO scratch VALUES (?, ?)", ((i, "x" * 100) for i in range(20_000))
        )


def _add_build_output_and_secrets(project: Path, rng: random.Random) -> None:
    _random_file(project / "dist" / "my_prefect_pipelines-0.1.0-py3-none-any.whl", 300 * 1024, rng)
    _random_file(project / "build" / "lib" / "etl" / "__init__.py", 4 * 1024, rng)
    (project / ".env").write_text("SLACK_WEBHOOK_URL=https://hooks.slack.com/services/real\n")
    (project / ".vscode").mkdir(exist_ok=True)
    (project / ".vscode" / "settings.json").write_text('{"python.testing.pytestEnabled": true}\n')


def clutter(project: Path, venv_mb: int = 120, seed: int = 7) -> dict[str, int]:
    """Fill `project` with what a real working copy holds; bytes added per kind."""
    rng = random.Random(seed)
    kinds = {
        "virtual environment (.venv)": lambda: _add_venv(project, venv_mb, rng),
        ".git with history": lambda: _add_git_history(project, rng),
        "data output (data/)": lambda: _add_data_output(project, rng),
        "caches (__pycache__, .pytest_cache, .ruff_cache, .mypy_cache, .coverage)": lambda: (
            _add_caches(project, rng)
        ),
        "local SQLite database (dev.sqlite3)": lambda: _add_local_database(project),
        "build output, .env, editor settings": lambda: _add_build_output_and_secrets(project, rng),
    }
    added = {}
    for kind, add in kinds.items():  # in this order: they share one random stream
        start = tree_bytes(project)
        add()
        added[kind] = tree_bytes(project) - start
    return added


# --- walking --------------------------------------------------------------------------


def files(root: Path) -> list[str]:
    """Every regular file and symlink under root, relative, POSIX style."""
    found = []
    for directory, dirnames, filenames in os.walk(root):
        base = Path(directory)
        for name in filenames + [d for d in dirnames if (base / d).is_symlink()]:
            found.append((base / name).relative_to(root).as_posix())
    return found


def size_of(root: Path, relative: str) -> int:
    return os.lstat(root / relative).st_size


def tree_bytes(root: Path) -> int:
    return sum(size_of(root, f) for f in files(root))


# --- .dockerignore: the rendered project's own function -------------------------------

# The one implementation of what `docker build` sends: the rendered project's own
# etl_tools/docker_context.py (the Docker SDK's exclude_paths), run inside that project.
# The project's tests check it against the examples of Docker's documentation.
LIST_CONTEXT = (
    "import json, sys; from etl_tools.docker_context import docker_context; "
    "print(json.dumps(docker_context(sys.argv[1])))"
)


def docker_context(project: Path) -> list[str]:
    """What `docker build` sends from `project`, by the project's own function."""
    result = subprocess.run(
        [sys.executable, "-c", LIST_CONTEXT, str(project)],
        cwd=project, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(result.stdout)


# --- the Dockerfile -------------------------------------------------------------------


@dataclass
class Instruction:
    line: int
    keyword: str
    arguments: str
    sources: list[str] = field(default_factory=list)  # context paths, for COPY/ADD

    def __str__(self) -> str:
        text = f"{self.keyword} {self.arguments}"
        return text if len(text) <= 70 else text[:67] + "..."


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined and comments dropped."""
    instructions, pending, start = [], "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        keyword, _, arguments = full.partition(" ")
        instruction = Instruction(start, keyword.upper(), " ".join(arguments.split()))
        if instruction.keyword in {"COPY", "ADD"}:
            words = [w for w in shlex.split(instruction.arguments) if not w.startswith("--")]
            from_stage = any(w.startswith("--from") for w in shlex.split(instruction.arguments))
            instruction.sources = [] if from_stage else words[:-1]
        instructions.append(instruction)
    return instructions


def reads(instruction: Instruction, path: str) -> bool:
    """Whether a COPY/ADD instruction takes `path` (relative to the context) as input."""
    for source in instruction.sources:
        source = source.rstrip("/") if source not in {".", "./"} else ""
        if source == "" or path == source or path.startswith(source + "/"):
            return True
        if any(c in source for c in "*?[") and _glob_reads(source, path):
            return True
    return False


def _glob_reads(source: str, path: str) -> bool:
    """A glob source (Go's filepath.Match: `*` stops at `/`) names `path` or a parent of it."""
    wanted, parts = source.split("/"), path.split("/")
    return len(parts) >= len(wanted) and all(
        fnmatch.fnmatchcase(part, pattern) for part, pattern in zip(parts, wanted, strict=False)
    )


def invalidated_by(instructions: list[Instruction], path: str, context: set[str]) -> int | None:
    """Index of the first instruction a change to `path` rebuilds (all later ones rebuild
    too); None when no instruction reads it or it is not in the build context."""
    if path not in context:
        return None
    for index, instruction in enumerate(instructions):
        if reads(instruction, path):
            return index
    return None


# --- the measurement ------------------------------------------------------------------


PROBES = [
    "etl/flows/example_etl.py",
    "pyproject.toml",
    "README.md",
    "tests/test_flow.py",
    "data/warehouse.db",
]

# What a dependency-install `RUN` names: the manifest, the lock file, a requirements file
# exported from it, or uv's own lock-aware commands.
DEPENDENCY_SOURCES = ("pyproject.toml", "uv.lock", "--locked", "requirements", "uv sync")


def _top(project: Path, paths) -> dict[str, int]:
    """Bytes per top-level entry (a directory with a trailing `/`), largest first."""
    groups: dict[str, int] = {}
    for p in paths:
        head = p.split("/", 1)[0] + ("/" if "/" in p else "")
        groups[head] = groups.get(head, 0) + size_of(project, p)
    return dict(sorted(groups.items(), key=lambda kv: -kv[1]))


def _total(project: Path, paths) -> int:
    return sum(size_of(project, p) for p in paths)


def docker_context_figures(project: Path, every: list[str]) -> tuple[dict, set[str]]:
    """What `docker build` sends (by Docker's rules, and by pathspec's gitwildmatch for
    comparison); the figures, and the set of paths sent."""
    import pathspec

    context = docker_context(project)
    docker_text = (project / ".dockerignore").read_text()
    gitwild = pathspec.PathSpec.from_lines("gitwildmatch", docker_text.splitlines())
    context_gitwild = [f for f in every if not gitwild.match_file(f)]
    figures = {
        "docker_context_bytes": _total(project, context),
        "docker_context_files": len(context),
        "docker_context_top": _top(project, context),
        "docker_context_gitwildmatch_bytes": _total(project, context_gitwild),
        "docker_dialects_agree": sorted(context) == sorted(context_gitwild),
    }
    return figures, set(context)


def prefect_upload(project: Path) -> list[str]:
    """What `push_to_s3` uploads: the tree filtered by `.prefectignore`, Prefect's way."""
    from prefect.utilities.filesystem import filter_files

    patterns = (project / ".prefectignore").read_text().splitlines()
    return sorted(
        Path(p).as_posix() for p in filter_files(str(project), patterns, include_dirs=False)
    )


def rebuilt_layers(instructions: list[Instruction], sent: set[str]) -> dict:
    """For each probe file: the first instruction a change to it rebuilds, the instructions
    rebuilt and those that stay cached."""
    layers = {}
    for probe in PROBES:
        first = invalidated_by(instructions, probe, sent)
        layers[probe] = {
            "first": first,
            "rebuilt": [] if first is None else [str(i) for i in instructions[first:]],
            "cached": [
                str(i) for i in instructions[: len(instructions) if first is None else first]
            ],
        }
    return layers


def installs_dependencies(instruction: Instruction) -> bool:
    """A `RUN` that installs the project's dependencies (from pyproject.toml, uv.lock or a
    requirements file exported from it), not the project itself (`--no-deps`)."""
    arguments = instruction.arguments
    return (
        instruction.keyword == "RUN"
        and ("install" in arguments or "uv sync" in arguments)
        and "--no-deps" not in arguments
        and any(source in arguments for source in DEPENDENCY_SOURCES)
    )


def layer_indices(instructions: list[Instruction]) -> dict[str, int | None]:
    """Where the Dockerfile copies the dependency manifest, installs the dependencies and
    copies the code (None for a step it lacks)."""

    def index_of(predicate) -> int | None:
        return next((i for i, ins in enumerate(instructions) if predicate(ins)), None)

    return {
        "copy_deps": index_of(lambda i: i.keyword == "COPY" and "pyproject.toml" in i.sources),
        "install_deps": index_of(installs_dependencies),
        "copy_code": index_of(
            lambda i: i.keyword == "COPY" and any(s.rstrip("/") == "etl" for s in i.sources)
        ),
    }


def measure(project: Path, venv_mb: int = 120) -> dict:
    clean = tree_bytes(project)
    added = clutter(project, venv_mb=venv_mb)
    every = files(project)
    context_figures, sent = docker_context_figures(project, every)
    upload = prefect_upload(project)
    instructions = parse_dockerfile((project / "Dockerfile").read_text())
    indices = layer_indices(instructions)
    steps = [indices["copy_deps"], indices["install_deps"], indices["copy_code"]]
    order_ok = None not in steps and steps[0] < steps[1] < steps[2]
    return {
        "clean_project_bytes": clean,
        "clutter_bytes": added,
        "tree_bytes": _total(project, every),
        "tree_files": len(every),
        **context_figures,
        "prefect_upload_bytes": _total(project, upload),
        "prefect_upload_files": len(upload),
        "prefect_upload_top": _top(project, upload),
        "secrets_excluded": ".env" not in sent and ".env" not in upload,
        "instructions": [str(i) for i in instructions],
        "layers": rebuilt_layers(instructions, sent),
        "layer_order_ok": order_ok,
        "layer_indices": indices,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(measure(Path(sys.argv[1])), indent=2))
