"""The `prefect-yaml-check` command: options, configuration, output and exit status.

Each finding is one line, `path:line: CODE severity: message`; a file without findings
gets an `ok: ...` line. Exit 1 when a finding is at or above `--fail-on` (default: error);
`--strict` turns the house style rules on and fails on any finding, as generated projects
run it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .config import read_config
from .core import check_file
from .document import Options
from .rules import RULES, SEVERITIES, at_least


def parser() -> argparse.ArgumentParser:
    rules = "; ".join(f"{r.code} {r.severity}: {r.title}" for r in RULES.values())
    parser = argparse.ArgumentParser(
        prog="prefect-yaml-check",
        description="Check prefect.yaml files for what prefect deploy rejects (errors) or "
        "silently does otherwise (warnings). Exit 1 on errors (see --fail-on).",
        epilog=f"Rules: {rules}.",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        default=[Path("prefect.yaml")],
        metavar="PATH",
        help="prefect.yaml files (default: ./prefect.yaml)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        default=None,
        help="also the generated project's house style rules; fail on any finding",
    )
    parser.add_argument(
        "--fail-on",
        choices=SEVERITIES[::-1],
        help="exit 1 on findings of this severity or worse (default: error; with --strict: "
        "style, i.e. any finding)",
    )
    parser.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="CODE",
        help="skip a rule (repeat, or comma-separated)",
    )
    parser.add_argument(
        "--pool-type",
        help="the work pool's type (process, docker, kubernetes, ...) when the file does not "
        "say it; decides whether a path is inside a container",
    )
    parser.add_argument(
        "--root",
        type=Path,
        help="where prefect deploy runs (entrypoints are relative to it); default: each "
        "file's folder",
    )
    parser.add_argument(
        "--no-code", action="store_true", help="skip the checks that read the flows' code"
    )
    parser.add_argument(
        "--no-prefect",
        action="store_true",
        help="do not validate with Prefect's model even if it is installed",
    )
    parser.add_argument(
        "--deep",
        action="store_true",
        help="also import each flow with Prefect (runs the project's code)",
    )
    return parser


def _codes(items: list[str]) -> list[str]:
    return [code.strip() for item in items for code in item.split(",") if code.strip()]


def main(argv: list[str] | None = None) -> int:
    cli = parser()
    args = cli.parse_args(argv)
    status = 0
    for path in args.paths:
        config = read_config(path.resolve().parent)
        ignore = config.get("ignore", [])
        ignore = _codes([ignore] if isinstance(ignore, str) else list(ignore or []))
        ignore += _codes(args.ignore)
        unknown = sorted({code for code in ignore if code not in RULES})
        if unknown:
            cli.error(f"unknown rule code(s) {', '.join(unknown)} (see --help)")
        strict = args.strict if args.strict is not None else bool(config.get("strict", False))
        fail_on = args.fail_on or config.get("fail-on") or ("style" if strict else "error")
        if fail_on not in SEVERITIES:
            cli.error(f"fail-on must be one of {', '.join(SEVERITIES)}, not {fail_on!r}")
        options = Options(
            strict=strict,
            ignore=frozenset(ignore),
            pool_type=args.pool_type or config.get("pool-type"),
            code=not args.no_code,
            prefect=False if args.no_prefect else None,
            deep=args.deep,
            root=args.root,
        )
        findings, count = check_file(path, options)
        for item in findings:
            print(item.format(str(path)))
        if any(at_least(item.severity, fail_on) for item in findings):
            status = 1
        if not findings:
            mode = "strict" if strict else "errors and warnings; --strict adds house style"
            print(f"ok: {path}: {count} deployment{'s' * (count != 1)} checked ({mode})")
    return status
