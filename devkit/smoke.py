"""Smoke-test the template for the answers you care about: render, commit, run its CI.

    python3 scripts/smoke.py                                   # the default answers
    python3 scripts/smoke.py --answer ci_provider=gitlab --answer code_storage=s3
    python3 scripts/smoke.py --answer python_version=3.13 --python /usr/bin/python3.13

Renders the template with those answers (anything not given keeps its default), does what
a user does next (`uv lock`, `git init`, commit), then runs every command of the rendered
CI files (GitHub workflow or GitLab pipeline), in order, each job in a fresh clone, with
the actions replaced by local equivalents (scripts/ci_local.py says which, and which
commands are skipped and why: Docker, registry logins, deploying to a real workspace).
Prints one row per step and exits 1 when any command fails as written.

Needs Python 3.11+ and git; uv is installed on first use if missing, and the template's
locked development environment provides cookiecutter and PyYAML. The rendered project is
installed by its own CI commands (`uv sync --locked ...`) with the interpreter given by
`--python`, by default a local one for the `python_version` answer (else this one).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from cookiecutter.main import cookiecutter

from devkit import ci_local
from devkit.render import TEMPLATE as ROOT


def parse_answers(pairs: list[str]) -> dict[str, str]:
    questions = json.loads((ROOT / "cookiecutter.json").read_text())
    answers = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in questions or key.startswith("_"):
            sys.exit(
                f"--answer {pair!r}: expected question=value with a question of cookiecutter.json"
            )
        answers[key] = value
    return answers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answer", action="append", default=[], metavar="QUESTION=VALUE")
    parser.add_argument("--python", help="interpreter for the CI's setup-uv / uv image")
    parser.add_argument(
        "--output", type=Path, help="where to render (default: a temporary directory)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the rendered project and clones")
    args = parser.parse_args(argv)
    answers = parse_answers(args.answer)

    if args.output:
        args.output.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="smoke-", dir=args.output))
    try:
        project = Path(
            cookiecutter(
                str(ROOT), no_input=True, extra_context=answers, output_dir=str(work / "render")
            )
        )
        defaults = json.loads((ROOT / "cookiecutter.json").read_text())
        version = answers.get("python_version", defaults["python_version"][0])
        python, python_note = (
            (args.python, f"Python: {args.python} (--python)")
            if args.python
            else ci_local.find_python(version)
        )
        print(f"[smoke] answers: {answers or 'defaults'}; {python_note}", flush=True)
        ci_local.commit_project(project, python)

        def log(step):
            note = step.note[:200]
            print(
                f"[smoke] {step.provider} {step.job}: {step.name} -> {step.status} {note}",
                flush=True,
            )

        started = time.monotonic()
        jobs = ci_local.run_ci(project, python, work / "ci", log=log)
        print(f"\n{ci_local.table(jobs)}\n")
        for job in jobs:
            for note in job.notes:
                print(f"[smoke] {job.provider} {job.name}: {note}")
        counts = ci_local.summary(jobs)
        print("[smoke] " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
        failed = [s for job in jobs for s in job.steps if s.status == "FAILED"]
        if not jobs:
            print("[smoke] the rendered project has no CI file (ci_provider=none): nothing to run")
        seconds = time.monotonic() - started
        print(f"[smoke] {'FAILED' if failed else 'passed'} in {seconds:.0f} s ({work})")
        return 1 if failed else 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
