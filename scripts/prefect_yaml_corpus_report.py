"""How the prefect.yaml checker does on real public files, beside Prefect's own validation.

    uv run python -m scripts.prefect_yaml_corpus_report [--no-prefect] [--verbose]
                                                         [--skip-held-out] [--code DIR]

Three labelled sets, each scored on its own:
- the corpus, tests/data/prefect_yaml_corpus/ (EXPECTED.yaml), on which the rules were
  first written;
- the unseen set, tests/data/prefect_yaml_unseen/ (LABELS.yaml, labelled by hand before any
  checker ran on it), split by a fixed rule (`unseen_half`) into a development half, on
  which rules were tuned, and a held-out half, scored once when the rules were final.

Labels are CODE@line: the real problems a careful reader finds. `PYNEW@line` is a problem
the labeller had no code for; any finding at that line counts as naming it.

Per set: crashes; clean files the checker fails (exit 1 in its default mode, i.e. an
error); clean files it says nothing about; labelled problems caught (at any severity: the
line names that code at that line); noise (lines that are no labelled problem, of all
lines). Goals: 0 crashes, 0 clean files failed, >= 90% caught, <= 10% noise. Exit 1 when a
set misses one.

The same files go through Prefect's `PrefectYamlModel` (what `prefect deploy` validates
with) and the official JSON schema (vendored in tests/data/prefect_yaml_schema/): files each
rejects, clean files among them, and which labelled problems each catches (an error at
the labelled line), so the table shows what the checker adds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import traceback
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "prefect_yaml_corpus"
UNSEEN = ROOT / "tests" / "data" / "prefect_yaml_unseen"
SCHEMA = ROOT / "tests" / "data" / "prefect_yaml_schema" / "prefect.yaml.schema.json"
PACKAGE = ROOT / "{{cookiecutter.project_slug}}" / "etl_tools" / "prefect_yaml_check"
LABEL_FILES = {CORPUS: "EXPECTED.yaml", UNSEEN: "LABELS.yaml"}


def unseen_half(file_name: str) -> str:
    """The fixed split of the hand-labelled unseen set, written before any checker ran on it.

    sha256 of the file name (UTF-8, the name only, e.g. `owner__repo.yaml`); first hex digit
    even -> "development" (rules may be tuned on it), odd -> "held-out" (scored once, at the
    end, when every rule is final; never tuned on). The rule depends on nothing but the name,
    so nobody can move a file between halves after seeing the checker's output.
    """
    digit = int(hashlib.sha256(file_name.encode("utf-8")).hexdigest()[0], 16)
    return "development" if digit % 2 == 0 else "held-out"


def load_checker():
    """The checker package from the template's source tree (the root's `prefect_yaml_check`
    link), not an installed copy."""
    import prefect_yaml_check

    return prefect_yaml_check


def labelled_set(folder: Path, half: str | None = None) -> list[tuple[Path, dict]]:
    """(file, its label entry) of a set, or of one half of the unseen set."""
    labels = yaml.safe_load((folder / LABEL_FILES[folder]).read_text(encoding="utf-8"))
    files = sorted(p for p in folder.glob("*.yaml") if p.name != LABEL_FILES[folder])
    if half is not None:
        files = [p for p in files if unseen_half(p.name) == half]
    return [(path, labels.get(path.name) or {}) for path in files]


def matched(label: str, lines: set[str], line_numbers: set[int]) -> bool:
    code, _, line = label.partition("@")
    return label in lines or (code == "PYNEW" and int(line) in line_numbers)


def evaluate(files: list[tuple[Path, dict]], use_prefect: bool | None = None) -> dict:
    """The checker's findings on each file, in its default mode, against the labels."""
    checker = load_checker()
    rows, crashes = [], []
    for path, entry in files:
        context = entry.get("context") or {}
        pool_type = context.get("pool-type")
        options = checker.Options(code=False, pool_type=pool_type, prefect=use_prefect)
        try:
            findings, deployments = checker.check_file(path, options)
        except Exception:  # noqa: BLE001 - a crash is what this report counts
            crashes.append((path.name, traceback.format_exc()))
            continue
        want = set(entry.get("problems") or [])
        got = {f"{f.code}@{f.line}" for f in findings}
        numbers = {f.line for f in findings}
        caught = {label for label in want if matched(label, got, numbers)}
        pynew = {int(label.partition("@")[2]) for label in want if label.startswith("PYNEW@")}
        noise = [g for g in sorted(got) if g not in want and int(g.split("@")[1]) not in pynew]
        rows.append(
            {
                "file": path.name,
                "deployments": deployments,
                "expected": want,
                "caught": caught,
                "noise": noise,
                "fails": any(f.severity == "error" for f in findings),
                "lines": findings,
            }
        )  # fmt: skip
    return {"rows": rows, "crashes": crashes}


def summary(result: dict) -> dict:
    rows = result["rows"]
    clean = [r for r in rows if not r["expected"]]
    return {
        "files": len(rows) + len(result["crashes"]),
        "deployments": sum(r["deployments"] for r in rows),
        "crashes": len(result["crashes"]),
        "clean_files": len(clean),
        "failed": sum(r["fails"] for r in rows),
        "clean_failed": sum(r["fails"] for r in clean),
        "clean_silent": sum(not r["lines"] for r in clean),
        "problems": sum(len(r["expected"]) for r in rows),
        "caught": sum(len(r["caught"]) for r in rows),
        "lines": sum(len(r["lines"]) for r in rows),
        "noise": sum(len(r["noise"]) for r in rows),
    }


def meets_goals(s: dict) -> bool:
    return (
        s["crashes"] == 0
        and s["clean_failed"] == 0
        and s["caught"] >= 0.9 * s["problems"]
        and s["noise"] <= 0.1 * s["lines"]
    )


def code_findings(trees: Path) -> None:
    """The entrypoint and parameter rules on each corpus file in its own repository's tree."""
    checker = load_checker()
    for line in (CORPUS / "SOURCES.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        name, repo, path, commit = line.split("\t")
        target = trees / name.removesuffix(".yaml") / path
        if target.is_file():
            options = checker.Options(prefect=False, root=target.parent)
            for finding in checker.check_file(target, options)[0]:
                if "PY032" <= finding.code <= "PY036":
                    print(f"code: {repo}@{commit[:10]}: {finding.format(path)}")


# --- Prefect's own validation, on the same files -------------------------------------------


def validators() -> dict:
    """name -> function(data) -> list of data paths it refuses ([] = accepted)."""
    found = {}
    try:
        from prefect.cli.deploy._models import PrefectYamlModel
        from pydantic import ValidationError

        def model(data):
            try:
                PrefectYamlModel.model_validate(data)
            except ValidationError as error:
                return [_data_path(data, list(e["loc"])) for e in error.errors()]
            except Exception:  # noqa: BLE001 - its validators raise TypeError too
                return [()]
            return []

        found["PrefectYamlModel"] = model
    except Exception:  # noqa: BLE001 - Prefect is not installed here
        pass
    try:
        import jsonschema

        schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
        validator = jsonschema.Draft202012Validator(schema)
        found["JSON schema"] = lambda data: [
            tuple(e.absolute_path) for e in validator.iter_errors(data)
        ]
    except ImportError:
        pass
    return found


def _data_path(data: object, loc: list) -> tuple:
    """The part of a pydantic location that is in the file (union members dropped)."""
    path: tuple = ()
    for part in loc:
        present = isinstance(data, dict) and part in data
        present = present or isinstance(data, list) and isinstance(part, int) and part < len(data)
        if present:
            data, path = data[part], path + (part,)
    return path


def score_validator(refuses, files: list[tuple[Path, dict]]) -> dict:
    """Files it rejects, clean ones among them, labelled problems it catches (an error at
    the labelled line; it has no codes, so any label there counts)."""
    checker = load_checker()
    rejected = clean_rejected = caught = problems = 0
    for path, entry in files:
        want = set(entry.get("problems") or [])
        problems += len(want)
        try:
            text = path.read_text(encoding="utf-8")
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            data = yaml.safe_load(text)
        except (yaml.YAMLError, UnicodeDecodeError):
            rejected += 1  # the same as for prefect deploy: nothing loads
            clean_rejected += not want
            continue
        paths = refuses(data if data is not None else {})
        if not paths:
            continue
        rejected += 1
        clean_rejected += not want
        lines = {checker.locate.line_of(node, p) for p in paths}
        caught += sum(int(label.partition("@")[2]) in lines for label in want)
    return {"rejected": rejected, "clean_rejected": clean_rejected, "caught": caught,
            "problems": problems}  # fmt: skip


# --- output ---------------------------------------------------------------------------------


def print_rows(result: dict, verbose: bool) -> None:
    for name, trace in result["crashes"]:
        print(f"CRASH {name}\n{trace}")
    for row in result["rows"]:
        missed = sorted(row["expected"] - row["caught"])
        if not (verbose or missed or row["noise"] or (row["fails"] and not row["expected"])):
            continue
        print(f"  {row['file']}: {len(row['caught'])}/{len(row['expected'])} caught")
        if missed:
            print(f"    missed: {', '.join(missed)}")
        for line in row["lines"]:
            tag = "NOISE " if f"{line.code}@{line.line}" in row["noise"] else ""
            if verbose or tag:
                print(f"    {tag}{line.format(row['file'])}")


def print_summary(title: str, s: dict) -> None:
    caught = s["caught"] / s["problems"] if s["problems"] else 1.0
    noise = s["noise"] / s["lines"] if s["lines"] else 0.0
    verdict = "meets the goals" if meets_goals(s) else "MISSES A GOAL"
    print(
        f"{title}: {s['files']} files, {s['deployments']} deployments; crashes {s['crashes']}; "
        f"clean files failed {s['clean_failed']} of {s['clean_files']} "
        f"(silent on {s['clean_silent']}); problems caught {s['caught']} of {s['problems']} "
        f"({caught:.0%}); noise {s['noise']} of {s['lines']} lines ({noise:.0%}): {verdict}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-prefect", action="store_true", help="core checks only")
    parser.add_argument("--verbose", action="store_true", help="print every line")
    parser.add_argument(
        "--skip-held-out",
        action="store_true",
        help="leave the held-out half out (while rules are being written: it is scored once)",
    )
    parser.add_argument(
        "--code",
        type=Path,
        help="also run the code rules (PY032-PY036) on the corpus files where the "
        "repositories' trees were extracted (scripts/collect_prefect_yaml_corpus.py --code "
        "DIR); not scored: the code is not part of the corpus",
    )
    args = parser.parse_args()
    if args.code:
        code_findings(args.code)
    sets = {
        "corpus": labelled_set(CORPUS),
        "unseen, development half": labelled_set(UNSEEN, "development"),
    }
    if not args.skip_held_out:
        sets["unseen, held-out half"] = labelled_set(UNSEEN, "held-out")
    mode = "core only (no Prefect)" if args.no_prefect else "with Prefect's model if importable"
    print(f"checker in its default mode, {mode}, without the flows' code (--no-code)\n")
    ok = True
    summaries = {}
    for title, files in sets.items():
        result = evaluate(files, False if args.no_prefect else None)
        print(f"{title}:")
        print_rows(result, args.verbose)
        summaries[title] = summary(result)
        ok = ok and meets_goals(summaries[title])
    print()
    for title, s in summaries.items():
        print_summary(title, s)
    print("\nPrefect's own validation on the same files (files rejected, clean files among "
          "them, labelled problems caught):")  # fmt: skip
    for name, refuses in validators().items():
        for title, files in sets.items():
            v = score_validator(refuses, files)
            print(
                f"  {name:17} {title:26} rejects {v['rejected']:>2} of {len(files)} files "
                f"({v['clean_rejected']} clean); catches {v['caught']} of {v['problems']} problems"
            )
    for title, s in summaries.items():
        print(
            f"  {'prefect-yaml-check':17} {title:26} fails   {s['failed']:>2} of {s['files']} "
            f"files ({s['clean_failed']} clean); catches {s['caught']} of {s['problems']} problems"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
