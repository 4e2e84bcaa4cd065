"""Check a `prefect.yaml` for what `prefect deploy` rejects or silently changes.

    prefect-yaml-check [PATH ...] [--strict] [--fail-on SEVERITY] [--ignore CODE]
                       [--pool-type TYPE] [--root DIR] [--no-code] [--no-prefect] [--deep]
    python -m etl_tools.prefect_yaml_check ...       # the same, inside a generated project

One line per finding, `path:line: CODE severity: message`, at the line of the offending
key. Severities: `error` (prefect deploy rejects it, or its runs fail), `warning` (Prefect
silently does something else, or it is risky), `style` (house rules, with --strict).
Exit 1 on errors; `--fail-on warning` for more; `--strict` fails on any finding.

The core needs only the standard library and PyYAML; Prefect's own model validates too
when it imports, and `--deep` imports each flow. This package is the single source: the
template's root installs it as the `prefect-yaml-check` command, and every generated
project carries it in `etl_tools/`.

Modules, one concern each: `rules` (the catalogue: code, severity, message), `locate`
(lines in the YAML), `document` (one file and what is known about its runs), `shape`
(values Prefect's model refuses), `structure` (ignored keys, deployments, pools),
`entrypoints` (the flows' code), `steps` (steps and templates), `values` (paths, images,
secrets), `deep` (--deep), `config` (pyproject.toml), `core` (one file), `cli` (the command).
"""

from .cli import main
from .core import check_file, check_text
from .document import Options
from .rules import RULES, SEVERITIES, Finding, Rule

__all__ = ["RULES", "SEVERITIES", "Finding", "Options", "Rule", "check_file", "check_text", "main"]
