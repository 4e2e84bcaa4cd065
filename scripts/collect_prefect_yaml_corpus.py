"""Collect real prefect.yaml files from local git mirrors into the test corpus.

    python scripts/collect_prefect_yaml_corpus.py MIRROR_DIR... [--code DIR]

Each MIRROR_DIR is a bare or normal git directory of a public repository, named
`owner+name` (the layout of the machine's mirror store). For each one, the newest commit
that added or changed a `prefect.yaml` is taken, the file is copied to
tests/data/prefect_yaml_corpus/<owner>__<name>[__<folder>].yaml and a line
`file<TAB>repo<TAB>path<TAB>commit` is added to SOURCES.tsv. With `--code DIR`, that
commit's whole tree is also extracted under DIR/<file stem>/ (not committed: the code
belongs to its authors) so the checker can be run with the flows present.
"""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "prefect_yaml_corpus"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout


def extract_code(mirror: Path, commit: str, target: Path) -> None:
    """The commit's Python files, Dockerfiles, pyproject and .env.example (what the checker
    reads)."""
    wanted = (".py", "Dockerfile", "pyproject.toml", ".env.example", ".yaml", ".yml")
    for path in git(mirror, "ls-tree", "-r", "--name-only", commit).splitlines():
        if not path.endswith(wanted):
            continue
        shown = subprocess.run(
            ["git", "-C", str(mirror), "show", f"{commit}:{path}"], capture_output=True
        )
        if shown.returncode == 0:
            (target / path).parent.mkdir(parents=True, exist_ok=True)
            (target / path).write_bytes(shown.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mirrors", nargs="+", type=Path)
    parser.add_argument("--code", type=Path)
    args = parser.parse_args()
    sources = CORPUS / "SOURCES.tsv"
    known = {}
    if sources.is_file():
        for line in sources.read_text().splitlines()[1:]:
            known[line.split("\t")[0]] = line
    for mirror in args.mirrors:
        owner, _, name = mirror.resolve().parent.name.partition("+")
        if mirror.name != "repo":
            owner, _, name = mirror.resolve().name.partition("+")
        commit = git(
            mirror,
            "log",
            "--all",
            "--format=%H",
            "-n1",
            "--diff-filter=AM",
            "--",
            "prefect.yaml",
            "*/prefect.yaml",
        ).strip()
        if not commit:
            print(f"skip {owner}/{name}: no prefect.yaml in its history")
            continue
        paths = [
            p
            for p in git(mirror, "ls-tree", "-r", "--name-only", commit).splitlines()
            if p == "prefect.yaml" or p.endswith("/prefect.yaml")
        ]
        path = sorted(paths, key=lambda p: (p.count("/"), p))[0]
        folder = path.rpartition("/")[0].replace("/", "_")
        stem = f"{owner}__{name}" + (f"__{folder}" if folder else "")
        (CORPUS / f"{stem}.yaml").write_bytes(
            subprocess.run(
                ["git", "-C", str(mirror), "show", f"{commit}:{path}"],
                capture_output=True,
                check=True,
            ).stdout
        )
        known[f"{stem}.yaml"] = f"{stem}.yaml\t{owner}/{name}\t{path}\t{commit}"
        if args.code:
            extract_code(mirror, commit, args.code / stem)
        print(f"{stem}.yaml <- {owner}/{name}:{path}@{commit[:10]}")
    header = "file\trepo\tpath\tcommit"
    sources.write_text("\n".join([header, *sorted(known.values())]) + "\n")


if __name__ == "__main__":
    main()
