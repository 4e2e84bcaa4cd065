"""One prefect.yaml being checked: its data, its lines, and what is known about its runs.

Checks receive a `Document`, read `doc.data`, and report with `doc.add(path, code, ...)`,
naming the data path of what they found; the document turns it into a line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .locate import line_of, walk
from .rules import Finding, finding

# Pool types whose runs are in a container: a path inside the image is not a host path.
CONTAINER_POOLS = {
    "docker",
    "kubernetes",
    "ecs",
    "cloud-run",
    "cloud-run-v2",
    "vertex-ai",
    "azure-container-instance",
    "modal",
    "coiled",
}


@dataclass
class Options:
    strict: bool = False  # the house style rules too (severity `style`)
    ignore: frozenset[str] = frozenset()
    pool_type: str | None = None  # the work pool's type, when the file does not say it
    code: bool = True  # read the flows' code (entrypoints, parameters)
    prefect: bool | None = None  # Prefect's own model too; None: when it imports
    deep: bool = False  # import each flow with Prefect (runs the project's code)
    root: Path | None = None  # where `prefect deploy` runs; default: the file's folder


class Document:
    def __init__(self, path: Path, text: str, data: dict, node: yaml.Node, options: Options):
        self.path = path
        self.text = text
        self.data = data
        self.node = node
        self.options = options
        self.root = options.root or path.parent
        self.findings: list[Finding] = []
        self.workdirs = dockerfile_workdirs(self.root, data)

    def add(self, at: tuple, code: str, **fields: object) -> None:
        """Report rule `code` at the line of the data path `at`."""
        self.findings.append(finding(line_of(self.node, at), code, **fields))

    def add_line(self, line: int, code: str, **fields: object) -> None:
        self.findings.append(finding(line, code, **fields))

    def reported(self, code: str) -> set[int]:
        return {f.line for f in self.findings if f.code == code}

    def deployments(self) -> list[tuple[int, dict, str]]:
        """(index, deployment, label) of every deployment that is a mapping."""
        found = self.data.get("deployments")
        if not isinstance(found, list):
            return []
        return [
            (index, item, repr(item.get("name")) if item.get("name") else f"#{index + 1}")
            for index, item in enumerate(found)
            if isinstance(item, dict)
        ]

    def pool_type(self) -> str | None:
        """The pool's type when it is known: an option, or `definitions.work_pool_type`."""
        if self.options.pool_type is not None:
            return self.options.pool_type
        definitions = self.data.get("definitions")
        found = definitions.get("work_pool_type") if isinstance(definitions, dict) else None
        return found if isinstance(found, str) else None

    def in_container(self, deployment: dict | None) -> bool:
        """Whether runs are in a container: from the pool's type if it is known here, else
        from an image in the deployment's job variables or a build step."""
        pool_type = (self.pool_type() or "").casefold()
        if pool_type.partition(":")[0] in CONTAINER_POOLS or pool_type == "prefect:managed":
            return True  # `ecs:push`, `cloud-run:push`, Prefect Cloud's managed pools too
        if pool_type == "process":
            return False
        # no type, or one not known here: what the file itself says
        pool = (deployment or {}).get("work_pool")
        variables = pool.get("job_variables") if isinstance(pool, dict) else None
        if isinstance(variables, dict) and variables.get("image"):
            return True
        steps = self.steps("build", deployment)
        return any("docker" in str(step) or "image" in str(step) for step in steps)

    def steps(self, section: str, deployment: dict | None = None) -> list:
        """The steps of a section that run for `deployment` (its own, else the file's)."""
        steps = (deployment or {}).get(section) or self.data.get(section) or []
        return steps if isinstance(steps, list) else [steps]


def dockerfile_workdirs(root: Path, data: dict) -> list[str]:
    """WORKDIR paths of the Dockerfiles the file builds, or of any `Dockerfile` in the
    repository's top two levels (not a dev container's), with ARG/ENV defaults filled in."""
    paths = {root / "Dockerfile", *root.glob("*/Dockerfile")}
    for _, key, value in walk(data.get("build")):
        if key == "dockerfile" and isinstance(value, str) and value != "auto":
            paths.add(root / value)
    workdirs = []
    for path in sorted(paths):
        if ".devcontainer" in path.parts:
            continue
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        values = dict(re.findall(r"^\s*(?:ARG|ENV)\s+(\w+)[= ]\"?([^\s\"]+)", text, re.M | re.I))
        for workdir in re.findall(r"^\s*WORKDIR\s+[\"']?([^\s\"']+)", text, re.M | re.I):
            workdirs.append(
                re.sub(r"\$\{?(\w+)\}?", lambda m, v=values: v.get(m.group(1), m.group(0)), workdir)
            )
    return [w.rstrip("/") or "/" for w in workdirs if w.startswith("/")]
