"""The answer model: every question's rule and every choice's consequences, in one place.

`cookiecutter.json` asks the questions and lists the choices; this package says what an
answer may be (`refusals`) and what the answers bring into the project (`plan`). Three
callers read it and nothing else holds these rules:
- `jinja.py`, cookiecutter's Jinja extension (reached through `template_jinja.py`),
  refuses an answer as soon as cookiecutter has it (before the next question, before
  the replay file and before any file) and gives every template the `plan` of the answers;
- `hooks/post_gen_project.py` prunes the files `plan` does not keep;
- the template's tests build the option matrix from it and check every rendered row
  against it.
Standard library only (`jinja.py` also uses what cookiecutter installs): cookiecutter
imports it offline, before anything is written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from . import rules
from .choices import (
    ALWAYS_EXTRAS,
    CI_FILES,
    EXTRAS,
    NOTIFICATIONS,
    POOLS,
    PREFECT_LINES,
    PREFECT_RELEASES,
    STORAGES,
    WAREHOUSES,
    Block,
    Notifications,
    Pool,
    PrefectLine,
    Storage,
    Warehouse,
    prefect_line,
)

COOKIECUTTER_JSON = Path(__file__).resolve().parent.parent / "cookiecutter.json"
DEFAULTS: dict = json.loads(COOKIECUTTER_JSON.read_text(encoding="utf-8"))
QUESTIONS = [key for key in DEFAULTS if not key.startswith("_")]
JINJA = re.compile(r"\{(\{|%|#)")  # what cookiecutter would evaluate as a template

TEXT_RULES: dict[str, rules.Rule] = {
    "project_name": rules.text(100),
    "project_slug": rules.slug,
    "description": rules.text(300, required=False),
    "author_name": rules.text(100),
    "author_email": rules.pattern(
        rules.EMAIL, 254, "is not an email address like name@example.com"
    ),
    "prefect_version": rules.one_of(*PREFECT_RELEASES),
    "schedule_cron": rules.cron,
    "schedule_timezone": rules.timezone,
    "repository_url": rules.pattern(rules.REPOSITORY, 300, rules.URL_PROBLEM),
    "repository_branch": rules.pattern(rules.BRANCH, 100, "is not a valid git branch name"),
}
CONSEQUENCES = {
    "code_storage": STORAGES,
    "work_pool_type": POOLS,
    "notifications": NOTIFICATIONS,
    "ci_provider": CI_FILES,
    "warehouse": WAREHOUSES,
}
# Every question has exactly one rule: its text rule or the choices cookiecutter.json lists.
RULES: dict[str, rules.Rule] = {
    q: TEXT_RULES[q] if q in TEXT_RULES else rules.one_of(*DEFAULTS[q]) for q in QUESTIONS
}


def made_from(question: str) -> list[str]:
    """The earlier questions a question's default is made from (empty: a plain default)."""
    default = DEFAULTS.get(question)
    return list(dict.fromkeys(re.findall(r"cookiecutter\.(\w+)", str(default))))


def combination_problems(answers: dict) -> dict[str, str]:
    """Answers that are each fine but cannot work together, by the question to change."""
    storage, pool = STORAGES[answers["code_storage"]], POOLS[answers["work_pool_type"]]
    python, prefect = answers["python_version"], answers["prefect_version"]
    found = {}
    if storage.pools and answers["work_pool_type"] not in storage.pools:
        found["code_storage"] = storage.why_pools.format(**answers)
    if _version(python) < _version(pool.min_python):
        found["python_version"] = pool.why_python
    line = prefect_line(prefect)
    if _version(python) < _version(line.min_python):
        found["python_version"] = (
            f"Prefect {prefect} needs Python {line.min_python} or newer; choose 3.11, 3.12 or "
            "3.13, or prefect_version 3.8.8 for Python 3.10"
        )
    return found


def refusals(
    answers: dict, given: dict | None = None, made: frozenset[str] = frozenset()
) -> list[str]:
    """One `question: reason` line per refused answer among those given so far.

    `given` holds the answers as typed, before cookiecutter rendered them as Jinja (it
    does for key=value and config-file answers); `made` names the questions whose answer
    is the template's own default, made from earlier answers: a refusal then names the
    cause (`made from project_name ...`), not the effect.
    """
    given = given or {}
    found: dict[str, str | None] = {}
    for question in (q for q in QUESTIONS if q in answers):
        value, typed = answers[question], given.get(question, answers[question])
        if typed == DEFAULTS[question] or not isinstance(typed, str):
            typed = value  # the template's own default: its Jinja is meant
        if not isinstance(value, str):
            found[question] = f"must be text, got {value!r}"
        elif question not in made and (JINJA.search(typed) or JINJA.search(value)):
            became = f" (it became {rules.show(value)})" if value != typed else ""
            found[question] = (
                f"{rules.show(typed)} holds Jinja syntax (a brace followed by a brace, % or #), "
                f"which cookiecutter evaluates in answers{became}; remove it"
            )
        else:
            found[question] = RULES[question](value)
        if found[question] and question in made:
            sources = made_from(question)
            shown = ", ".join(f"{s} {rules.show(str(answers.get(s)))}" for s in sources)
            cause = any(found.get(s) for s in sources)
            found[question] = (
                None
                if cause
                else f"{found[question]} (made from {shown}); answer {question} yourself"
            )
    involved = ("code_storage", "work_pool_type", "python_version", "prefect_version")
    if all(q in answers and not found.get(q) for q in involved):
        found.update(combination_problems(answers))
    return [f"{question}: {line}" for question, line in found.items() if line]


def _variables(lines: tuple[str, ...]) -> list[str]:
    """The variables that `.env.example` lines set (`NAME=value`; comments set none)."""
    return [line.split("=", 1)[0] for line in lines if re.match(r"[A-Z][A-Z0-9_]*=", line)]


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def work_pool_name(slug: str, pool_type: str) -> str:
    """`<slug>-<pool type>`, the one work pool name every file uses.

    The Prefect server refuses pool names that start with "prefect" (any case: "reserved
    for internal use"), and many repositories are named `prefect-...`: those get `etl-` in
    front, so every slug the rules accept gives a name the server accepts.
    """
    name = f"{slug}-{pool_type}"
    return f"etl-{name}" if name.lower().startswith("prefect") else name


@dataclass(frozen=True)
class SavedBlock:
    """A block as the project saves it: its full name, and its field sources filled in."""

    type: str
    name: str
    cls: str
    fields: dict[str, str]
    variables: tuple[str, ...]
    when_empty: str = ""
    empty_note: str = ""


@dataclass(frozen=True)
class Plan:
    """Everything the answers bring into the project, read by the templates and the hook."""

    answers: dict
    storage: Storage
    pool: Pool
    notify: Notifications
    prefect: PrefectLine
    warehouse: Warehouse

    def text(self, template: str) -> str:
        """A model sentence with `{question}` placeholders filled from the answers."""
        return template.format(**self.answers)

    @property
    def pool_name(self) -> str:
        return work_pool_name(self.answers["project_slug"], self.answers["work_pool_type"])

    @property
    def extras(self) -> dict[str, str]:
        wanted = {*ALWAYS_EXTRAS, *self.storage.extras, *self.pool.extras}
        wanted |= {*self.warehouse.extras}
        return {name: requirement for name, requirement in EXTRAS.items() if name in wanted}

    @property
    def blocks(self) -> list[SavedBlock]:
        slug = self.answers["project_slug"]
        return [
            SavedBlock(
                block.type,
                f"{slug}-{block.suffix}",
                block.cls,
                {k: self.text(v) for k, v in block.fields.items()},
                block.variables(),
                block.when_empty,
                block.empty_note,
            )
            for block in (*self.storage.blocks, *self.warehouse.blocks, *self.notify.blocks)
        ]

    @property
    def blocks_json(self) -> str:
        """The blocks as the project's `etl_tools/blocks.json` lists them (saved in order)."""
        specs = []
        for block in self.blocks:
            spec = {"kind": block.type, "name": block.name, "cls": block.cls}
            spec["fields"] = block.fields
            if block.when_empty:  # may be left empty: what then, and what follows
                spec |= {"when_empty": block.when_empty, "empty_note": block.empty_note}
            specs.append(spec)
        return json.dumps(specs, indent=2)

    @property
    def postgres_driver(self) -> str:
        """How this project installs the PostgreSQL driver, named when it is missing."""
        if "postgres" in self.extras:
            return "uv sync --extra postgres"
        return f"uv add '{EXTRAS['postgres']}'"

    @property
    def postgres_requirement(self) -> str:
        """The PostgreSQL driver as a requirement (`uv run --with` takes it in any project)."""
        return EXTRAS["postgres"]

    @property
    def storage_env(self) -> str:
        """The `.env.example` lines the code storage adds (comments and variables)."""
        return "\n".join(self.text(line) for line in self.storage.env_example)

    @property
    def warehouse_env(self) -> str:
        """The `.env.example` lines the warehouse adds."""
        return "\n".join(self.text(line) for line in self.warehouse.env_example)

    @property
    def warehouse_block(self) -> str:
        """The name of the block holding the warehouse URL ("" when the warehouse is a file)."""
        blocks = self.warehouse.blocks
        return f"{self.answers['project_slug']}-{blocks[0].suffix}" if blocks else ""

    def texts(self, lines: tuple[str, ...]) -> list[str]:
        """Model lines with their `{question}` placeholders filled."""
        return [self.text(line) for line in lines]

    @property
    def job_variables(self) -> dict[str, object]:
        """The pool's own job variables (beyond the image), filled from the answers."""
        return {
            key: self.text(value) if isinstance(value, str) else value
            for key, value in self.pool.job_variables
        }

    @property
    def job_image(self) -> str:
        """The image a container pool runs: the one the build step makes, else the one
        the deploying shell names (the project's image, built by CI)."""
        return "{{ build_image.image }}" if self.storage.builds_image else "{{ $PREFECT_IMAGE }}"

    @property
    def pool_env(self) -> str:
        """The `.env.example` lines the pool adds for the compose worker; none when the code
        storage already asks for every one of its variables (ECS credentials with S3
        storage): each variable is written once."""
        if set(_variables(self.pool.env_example)) <= set(_variables(self.storage.env_example)):
            return ""
        return "\n".join(self.texts(self.pool.env_example))

    @property
    def notifications_env(self) -> str:
        """The `.env.example` lines the notification channel adds."""
        return "\n".join(self.text(line) for line in self.notify.env_example)

    @property
    def needs_prefect_image(self) -> bool:
        """The pool runs the project's image, and no deploy step builds one with the code."""
        return self.pool.runs_image and not self.storage.builds_image

    @property
    def min_python(self) -> str:
        return max(self.pool.min_python, self.prefect.min_python, key=_version)

    @property
    def removed_paths(self) -> list[str]:
        """Files that only other choices need: the post-generation hook deletes them."""
        kept = {*CI_FILES[self.answers["ci_provider"]], *self.notify.files, *self.warehouse.files}
        every = [*(p for files in CI_FILES.values() for p in files)]
        every += [p for choice in NOTIFICATIONS.values() for p in choice.files]
        every += [p for choice in WAREHOUSES.values() for p in choice.files]
        return sorted(set(every) - kept)


def plan(answers: dict) -> Plan:
    """The consequences of a complete, accepted set of answers."""
    return Plan(
        answers=dict(answers),
        storage=STORAGES[answers["code_storage"]],
        pool=POOLS[answers["work_pool_type"]],
        notify=NOTIFICATIONS[answers["notifications"]],
        prefect=prefect_line(answers["prefect_version"]),
        # answers recorded before the question existed (cruft update) mean the old default
        warehouse=WAREHOUSES[answers.get("warehouse", "sqlite")],
    )


__all__ = [
    "ALWAYS_EXTRAS",
    "CI_FILES",
    "EXTRAS",
    "NOTIFICATIONS",
    "POOLS",
    "PREFECT_LINES",
    "PREFECT_RELEASES",
    "QUESTIONS",
    "RULES",
    "STORAGES",
    "WAREHOUSES",
    "Block",
    "Notifications",
    "Plan",
    "Pool",
    "PrefectLine",
    "SavedBlock",
    "Storage",
    "Warehouse",
    "combination_problems",
    "plan",
    "refusals",
    "work_pool_name",
]
