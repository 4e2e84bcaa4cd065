"""What `docker build .` sends: the build context after `.dockerignore`, by the Docker SDK.

One implementation, and not ours: the Docker SDK for Python (`docker`, which Prefect and
prefect-docker install; the dev group pins it) builds its context with
`docker.utils.build.exclude_paths`, a port of moby's pattern matcher. This module reads
`.dockerignore` the way the SDK's `APIClient.build` does and asks that function which
paths go. The project's tests check it against the examples of Docker's documentation
(tests/test_docker_context.py) and use it to keep secrets out of the image
(tests/test_secrets.py); the template's benchmark measures the build context with it.

The rules, as Docker documents them: a pattern is matched against the whole path from the
context root (`tests` means the root's `tests` only; `**/` reaches any depth), leading and
trailing slashes and `.`/`..` are cleaned away, a pattern that matches a directory keeps out
everything below it, `!` re-includes, the last matching line wins, and `Dockerfile` and
`.dockerignore` are sent even when excluded (the builder needs them; `COPY` cannot take
them). One difference from the Docker CLI, from the SDK: it compares paths and patterns
case-insensitively.

Development only (like the rest of `etl_tools`): the project's checks (`etl-check`, the
post-generation hook) never import it.
"""

from __future__ import annotations

import os
from pathlib import Path

from docker.utils.build import exclude_paths


def read_dockerignore(text: str) -> list[str]:
    """The patterns of a `.dockerignore`, as the Docker SDK's `APIClient.build` reads them:
    each line stripped; blank lines and lines starting with `#` (comments) dropped."""
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def docker_context(
    root: str | os.PathLike[str],
    patterns: list[str] | None = None,
    dockerfile: str = "Dockerfile",
) -> list[str]:
    """The files (and symlinks) that `docker build` sends from `root`, relative POSIX
    paths, sorted; directories are left out of the list.

    `patterns` defaults to those of `root/.dockerignore` (none when it is missing).
    """
    root = Path(root)
    if patterns is None:
        ignore = root / ".dockerignore"
        text = ignore.read_text(encoding="utf-8") if ignore.is_file() else ""
        patterns = read_dockerignore(text)
    # exclude_paths appends `!<dockerfile>` to the list it is given: hand it a copy.
    sent = exclude_paths(str(root), list(patterns), dockerfile=dockerfile)
    return sorted(
        Path(path).as_posix()
        for path in sent
        if (root / path).is_symlink() or not (root / path).is_dir()
    )
