"""`etl-new-flow NAME`: add a pipeline in the house's shape, working as written.

    uv run etl-new-flow customer-orders            # writes it
    uv run etl-new-flow customer-orders --dry-run  # says what it would write

Writes, for a flow named `customer-orders` (module `customer_orders`):

- `etl/flows/customer_orders.py`: the flow, with typed parameters, a run name, failure
  hooks and `log_prints`, as `example_etl.py` has them;
- `etl/tasks/customer_orders.py`: its steps: a retried read of a CSV source and a pure
  check of each row (bad rows kept aside with their reason), to fill in;
- `etl/data/customer_orders.csv`: a small sample source, so it runs at once;
- `tests/test_customer_orders.py`: a unit test of the check and a run of the flow;
- `customer-orders/dev` and `customer-orders/prod` in `prefect.yaml`, written with the
  file's own shared parts (`*work_pool`, `*production_schedule`) after its last
  deployment, every other byte of the file kept (comments, anchors, order);
- its line in `etl/serve.py`.

A name that is not lowercase words joined by single hyphens, or a flow that exists, is
refused in one line and nothing is written. Once written, the project's own checks run;
if they fail, every file is put back as it was.
"""

from __future__ import annotations

import argparse
import keyword
import re
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
MAX_NAME = 30  # every generated line still fits ruff's 100 columns
ANCHORS = ("work_pool", "production_schedule")


class NewFlowError(Exception):
    """An expected mistake: one line for the user, nothing written."""


@dataclass(frozen=True)
class Flow:
    """The names one flow goes by."""

    name: str  # customer-orders: the flow's name, in prefect.yaml and the UI

    @property
    def module(self) -> str:  # customer_orders: its modules and its function
        return self.name.replace("-", "_")

    @property
    def params(self) -> str:  # CustomerOrdersParams
        return "".join(part.capitalize() for part in self.name.split("-")) + "Params"


def check_name(name: str) -> Flow:
    if not NAME.fullmatch(name) or len(name) > MAX_NAME:
        raise NewFlowError(
            f"{name!r} is not a flow name: use lowercase letters, digits and single hyphens, "
            f"starting with a letter, at most {MAX_NAME} characters (e.g. customer-orders)"
        )
    flow = Flow(name)
    if keyword.iskeyword(flow.module) or flow.module in {"etl", "test", "tests"}:
        raise NewFlowError(f"{name!r} is a name Python reserves; choose another")
    return flow


def project_root(start: Path) -> Path:
    for folder in (start, *start.parents):
        if (folder / "prefect.yaml").is_file() and (folder / "etl" / "flows").is_dir():
            return folder
    raise NewFlowError("no prefect.yaml and etl/flows/ here or above: run it in the project")


# --- the files, from the templates beside this module ---------------------------------


def template(name: str, flow: Flow, slug: str) -> str:
    folder = resources.files("etl_tools").joinpath("new_flow_templates")
    text = folder.joinpath(f"{name}.tmpl").read_text("utf-8")
    return (
        text.replace("__FLOW_NAME__", flow.name)
        .replace("__MODULE__", flow.module)
        .replace("__PARAMS__", flow.params)
        .replace("__PROJECT__", slug)
    )


def new_files(root: Path, flow: Flow, slug: str) -> dict[Path, str]:
    files = {
        root / "etl" / "flows" / f"{flow.module}.py": template("flow.py", flow, slug),
        root / "etl" / "tasks" / f"{flow.module}.py": template("tasks.py", flow, slug),
        root / "etl" / "data" / f"{flow.module}.csv": template("sample.csv", flow, slug),
        root / "tests" / f"test_{flow.module}.py": template("test_flow.py", flow, slug),
    }
    existing = [str(path.relative_to(root)) for path in files if path.exists()]
    if existing:
        raise NewFlowError(f"{flow.name!r} exists already ({', '.join(existing)}); choose another")
    return files


# --- prefect.yaml: two deployments appended to its list, as text ------------------------


def with_deployments(text: str, flow: Flow, slug: str) -> str:
    """`text` with the flow's dev and prod deployments after its last deployment."""
    try:
        document = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise NewFlowError(f"prefect.yaml is not valid YAML: {error}") from None
    deployments = next(
        (value for key, value in getattr(document, "value", []) if key.value == "deployments"),
        None,
    )
    if not isinstance(deployments, yaml.SequenceNode) or not deployments.value:
        raise NewFlowError("prefect.yaml has no `deployments:` list to add to")
    missing = [anchor for anchor in ANCHORS if not re.search(rf"&{anchor}\b", text)]
    if missing:
        raise NewFlowError(
            f"prefect.yaml defines no {', '.join('&' + a for a in missing)} anchor to reuse; "
            "add the deployments by hand (see an existing one)"
        )
    entrypoint = f"etl/flows/{flow.module}.py:{flow.module}"
    if any(d.get("entrypoint") == entrypoint for d in data["deployments"] if isinstance(d, dict)):
        raise NewFlowError(f"prefect.yaml deploys {entrypoint} already")
    first = deployments.value[0]
    dash = " " * (first.start_mark.column - 2)  # the column of the list's "- "
    block = "".join(
        deployment(dash, flow, slug, name, description, schedule)
        for name, description, schedule in (
            ("dev", f"{flow.name} on demand, for development (no schedule).", False),
            ("prod", f"{flow.name} on the production schedule.", True),
        )
    )
    end = deployments.end_mark.index
    head = text[:end].rstrip("\n") + "\n"
    return head + block + text[end:].lstrip("\n")


def deployment(dash: str, flow: Flow, slug: str, name: str, about: str, schedule: bool) -> str:
    inner = dash + "  "
    lines = [
        "",
        f"{dash}- name: {name}",
        f"{inner}description: {about}",
        f"{inner}entrypoint: etl/flows/{flow.module}.py:{flow.module}",
        f"{inner}tags: [{slug}, {flow.name}, {name}]",
        f"{inner}parameters:",
        f"{inner}  params:",
        f"{inner}    source: sample",
    ]
    if schedule:
        lines += [f"{inner}schedules:", f"{inner}  - *production_schedule"]
    lines.append(f"{inner}work_pool: *work_pool")
    return "\n".join(lines) + "\n"


# --- etl/serve.py: the import and the deployment, where they sort ----------------------


def with_served(text: str, flow: Flow) -> str:
    import_line = f"from etl.flows.{flow.module} import {flow.module}\n"
    served_line = f'        {flow.module}.to_deployment(name="served", tags=SERVED_TAGS),\n'
    imports = re.findall(r"^from etl\.flows\.\w+ import \w+\n", text, re.MULTILINE)
    served = re.findall(r"^        \w+\.to_deployment\(.*\n", text, re.MULTILINE)
    if not imports or not served:
        raise NewFlowError("etl/serve.py lists its flows in another way; add yours by hand")
    after_import = max([line for line in imports if line < import_line], default=None)
    if after_import is None:
        text = text.replace(imports[0], import_line + imports[0], 1)
    else:
        text = text.replace(after_import, after_import + import_line, 1)
    return text.replace(served[-1], served[-1] + served_line, 1)


# --- the command ------------------------------------------------------------------------


def plan(root: Path, flow: Flow) -> dict[Path, str]:
    """Every file to write and its whole new content; raises before anything is written."""
    prefect_yaml, serve = root / "prefect.yaml", root / "etl" / "serve.py"
    text = prefect_yaml.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise NewFlowError(f"prefect.yaml is not valid YAML: {error}") from None
    slug = str((data if isinstance(data, dict) else {}).get("name") or root.name)
    files = new_files(root, flow, slug)
    files[prefect_yaml] = with_deployments(text, flow, slug)
    if serve.is_file():
        files[serve] = with_served(serve.read_text(encoding="utf-8"), flow)
    return files


def write(root: Path, files: dict[Path, str]) -> None:
    """Write `files`, run the project's checks, and put everything back if they fail."""
    from etl_tools import checks

    before = {path: path.read_text(encoding="utf-8") for path in files if path.exists()}
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        problems = checks.core_problems(root)
    except BaseException:
        undo(files, before)
        raise
    if problems:
        undo(files, before)
        raise NewFlowError(f"the project's checks refused the result, nothing kept: {problems[0]}")


def undo(files: dict[Path, str], before: dict[Path, str]) -> None:
    for path in files:
        if path in before:
            path.write_text(before[path], encoding="utf-8")
        else:
            path.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="etl-new-flow", description=__doc__.splitlines()[0])
    parser.add_argument("name", help="the flow's name: lowercase words joined by hyphens")
    parser.add_argument("--dry-run", action="store_true", help="say what would be written")
    args = parser.parse_args(argv)
    try:
        flow = check_name(args.name)
        root = project_root(Path.cwd())
        files = plan(root, flow)
        changed = {path for path in files if path.exists()}
        if not args.dry_run:
            write(root, files)
        verbs = ("would change", "would add") if args.dry_run else ("changed", "added")
        for path in files:
            print(f"{verbs[0] if path in changed else verbs[1]} {path.relative_to(root)}")
        if not args.dry_run:
            print(
                f"next: uv run pytest tests/test_{flow.module}.py, then "
                f"uv run etl-dev --once --deployment {flow.name}/dev"
            )
    except NewFlowError as error:
        print(f"etl-new-flow: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
