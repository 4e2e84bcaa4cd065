"""What a run did, where people look for it: Prefect artifacts on the run's page.

Every flow of the project ends by calling these: `publish_summary` writes a markdown
artifact (the run's figures as a two-column table), `publish_rejects` a table artifact of
the rows set aside (line, reason, the row as read), `publish_table` any other table (the
report's months). Their keys are stable, `<project>-<flow>-<what>`, so the UI's Artifacts
page shows each one's history across runs; a run with nothing to report says so instead
of leaving a gap.

They show what the warehouse's `rejects` table already holds, nothing more: a target is
shown by `Target.shown` (never a password), and no setting or secret is read here. For a
source whose raw rows must not reach the UI, set `ETL_REJECTS_ARTIFACT=false`: the rejects
table is then not published (its count still is).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from etl.utils.settings import PROJECT, get_settings

REJECTS_SHOWN = 100
"""The most rejects one table shows; the warehouse's `rejects` table holds them all."""


def artifact_key(flow_name: str, what: str) -> str:
    """`<project>-<flow>-<what>`, in the lowercase letters, digits and dashes keys allow."""
    key = re.sub(r"[^a-z0-9]+", "-", f"{PROJECT}-{flow_name}-{what}".lower())
    return key.strip("-")


def markdown_table(facts: Mapping[str, object]) -> str:
    """A two-column markdown table, `|` in a value escaped."""
    rows = [f"| {name} | {_cell(value)} |" for name, value in facts.items()]
    return "| | |\n| --- | --- |\n" + "\n".join(rows) + "\n"


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def publish_summary(
    flow_name: str, title: str, facts: Mapping[str, object], headline: str = ""
) -> str:
    """The run's figures as a markdown artifact (`headline`, one line, is what the UI's
    artifact lists show of it); returns its key."""
    key = artifact_key(flow_name, "summary")
    create_markdown_artifact(
        key=key,
        markdown=f"## {title}\n\n{markdown_table(facts)}",
        description=headline or title,
    )
    return key


def publish_rejects(flow_name: str, rejects: Sequence[Sequence]) -> str | None:
    """The rows set aside, as a table artifact of (line, reason, raw), at most
    REJECTS_SHOWN of them; a run with none publishes an empty table that says so.
    Returns the key, or None when `ETL_REJECTS_ARTIFACT` switches the table off."""
    if not get_settings().rejects_artifact:
        return None
    key = artifact_key(flow_name, "rejects")
    shown = [
        {"line": line, "reason": reason, "raw": raw}
        for line, reason, raw in list(rejects)[:REJECTS_SHOWN]
    ]
    if not rejects:
        description = "No rejects: every row of this run passed the checks."
    elif len(rejects) > REJECTS_SHOWN:
        description = (
            f"The first {REJECTS_SHOWN} of {len(rejects)} rejects; the warehouse's rejects "
            "table holds them all."
        )
    else:
        description = f"{len(rejects)} rejects: the rows set aside, and why."
    create_table_artifact(key=key, table=shown or [], description=description)
    return key


def publish_table(flow_name: str, what: str, rows: Iterable[Mapping], description: str) -> str:
    """Any table of the run (a report's lines) as a table artifact; returns its key."""
    key = artifact_key(flow_name, what)
    create_table_artifact(key=key, table=[dict(row) for row in rows], description=description)
    return key
