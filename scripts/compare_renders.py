"""Render every row of the option matrix from two versions of the template and diff them.

    uv run python -m scripts.compare_renders 3627d2d          # that commit vs the work tree
    uv run python -m scripts.compare_renders 3627d2d --full   # and print every diff

A restructuring of the template should change the rendered projects only where it means
to: this prints, per file, how many rows differ and how many lines change, so the summary
can go into a closing note. Renders through the working tree's environment (cookiecutter
from `uv run`), each version with its own hooks and extensions.
"""

from __future__ import annotations

import argparse
import collections
import difflib
import subprocess
import sys
import tempfile
from pathlib import Path

from devkit.matrix import MATRIX, label
from devkit.render import TEMPLATE as ROOT


def render(template: Path, row: dict, out: Path) -> Path:
    command = [sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(out), str(template)]
    command += [f"{key}={value}" for key, value in row.items()]
    out.mkdir(parents=True)  # run from there: `-m` puts the working directory on sys.path
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=out)
    if result.returncode:
        raise SystemExit(f"{template.name} {label(row)}: {result.stderr or result.stdout}")
    return next(out.iterdir())


def files(root: Path) -> dict[str, Path]:
    return {str(p.relative_to(root)): p for p in sorted(root.rglob("*")) if p.is_file()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="git revision to compare the working tree with")
    parser.add_argument("--full", action="store_true", help="print every unified diff")
    args = parser.parse_args()
    changed: dict[str, list[int]] = collections.defaultdict(list)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(base), args.base],
            check=True,
        )
        try:
            for row in MATRIX:
                name = label(row)
                before = files(render(base, row, Path(tmp) / "b" / name))
                after = files(render(ROOT, row, Path(tmp) / "a" / name))
                for path in sorted(before.keys() | after.keys()):
                    old = before[path].read_text("utf-8").splitlines() if path in before else []
                    new = after[path].read_text("utf-8").splitlines() if path in after else []
                    diff = list(
                        difflib.unified_diff(
                            old, new, f"before/{path}", f"after/{path}", lineterm="", n=1
                        )
                    )
                    if diff:
                        changed[path].append(sum(1 for d in diff[2:] if d[:1] in "+-"))
                        if args.full:
                            print(f"## {name}\n" + "\n".join(diff))
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], check=True
            )
    print(f"{len(MATRIX)} rows rendered from {args.base} and from the working tree")
    for path, lines in sorted(changed.items()):
        print(f"{path}: differs in {len(lines)} rows, {min(lines)}-{max(lines)} changed lines")
    if not changed:
        print("no rendered file differs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
