"""The prefect.yaml checker (`prefect-yaml-check`, the package every generated project carries).

Each rule is shown on the shape it was found in, in a real public prefect.yaml (the corpus in
tests/data/prefect_yaml_corpus/ and the unseen set in tests/data/prefect_yaml_unseen/ record
where; only files of the unseen set's development half are used here), and each quiet case
on a real file that is fine. Behaviours claimed about Prefect were checked with Prefect 3.9.1
against a local server (docs/existing-repository.md, "How the rules were settled").
tests/test_prefect_yaml_check_corpus.py holds the checker to its goals on the labelled sets.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import prefect_yaml_check as pyc
from prefect_yaml_check import config

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "{{cookiecutter.project_slug}}" / "etl_tools" / "prefect_yaml_check"
LINE = re.compile(
    r"^(?P<path>[^:\n]+):(?P<line>\d+): (?P<code>PY\d{3}) (?P<severity>error|warning|style): \S.*$"
)


def write(folder: Path, text: str, files: dict[str, str] | None = None) -> Path:
    """A prefect.yaml (and other files, by relative path) in `folder`."""
    path = folder / "prefect.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    for name, content in (files or {}).items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(content), encoding="utf-8")
    return path


NO_POOL = frozenset({"PY039"})


def found(path: Path, **options) -> list[tuple[int, str]]:
    """(line, code) of each finding; the shapes here leave out their work pools, so the
    rule about a missing pool (PY039, tested on its own) is off unless asked for."""
    options.setdefault("prefect", False)
    options.setdefault("ignore", frozenset({"PY039"}))
    findings, _ = pyc.check_file(path, pyc.Options(**options))
    return [(f.line, f.code) for f in findings]


def codes(path: Path, **options) -> list[str]:
    return [code for _, code in found(path, **options)]


# --- one catalogue --------------------------------------------------------------------------


def test_every_rule_has_one_severity_and_every_code_used_is_in_the_catalogue():
    """One source of truth: the checks name codes, the catalogue holds their severity and
    message; no code is used that the catalogue lacks, and no rule is dead."""
    assert all(rule.severity in ("error", "warning", "style") for rule in pyc.RULES.values())
    used = set()
    for module in PACKAGE.glob("*.py"):
        if module.name != "rules.py":
            used |= set(re.findall(r"\"(PY\d{3})\"", module.read_text()))
    assert used <= set(pyc.RULES)
    assert set(pyc.RULES) - used == set(), "rules no check reports"
    assert {c for c, r in pyc.RULES.items() if r.severity == "style"} == {
        c for c in pyc.RULES if c >= "PY100"
    }


def test_messages_are_written_only_in_the_catalogue():
    """Checks fill a rule's template; they pass no finished sentence of their own."""
    for module in PACKAGE.glob("*.py"):
        if module.name not in ("rules.py", "cli.py", "__init__.py"):
            assert "Finding(" not in module.read_text(), module.name


# --- never a traceback ----------------------------------------------------------------------

BROKEN = {
    "empty": "",
    "blank": "   \n\n",
    "only-a-comment": "# nothing yet\n",
    "a-list": "- name: x\n- name: y\n",
    "a-string": "just text\n",
    "null": "null\n",
    "bad-yaml": "deployments: [\n",
    "tab-indent": "deployments:\n\t- name: x\n",
    "merge-conflict": "deployments:\n- name: a\n<<<<<<< HEAD\n  entrypoint: a.py:f\n=======\n",
    "two-documents": "name: a\n---\nname: b\n",
    "deployments-null": "deployments:\n",
    "deployments-mapping": "deployments:\n  schedule:\n    cron: 0 * * * *\n",
    "deployment-items-wrong": "deployments: [null, 1, 'x', [], {}]\n",
    "entrypoint-null": "deployments:\n- name: x\n  entrypoint: null\n",
    "entrypoint-number": "deployments:\n- name: x\n  entrypoint: 12\n",
    "entrypoint-no-colon": "deployments:\n- name: x\n  entrypoint: flows\n",
    "work-pool-list": "deployments:\n- name: x\n  entrypoint: a.py:f\n  work_pool: [a]\n",
    "nulls-everywhere": "name:\nbuild:\npush:\npull:\ndeployments:\n- name:\n  work_pool:\n"
    "  parameters:\n  schedules:\n  tags:\n",
    "schedules-mapping": "deployments:\n- name: x\n  entrypoint: a.py:f\n  schedules: {cron: 1}\n",
    "parameters-list": "deployments:\n- name: x\n  entrypoint: a.py:f\n  parameters: [1]\n",
    "steps-strings": "pull: [a, 1, null]\nbuild: prefect.deployments.steps.run_shell_script\n",
    "non-string-keys": "1: 2\n? [a]\n: b\ndeployments:\n- 3: x\n  null: y\n",
    "anchors-and-merge": "definitions:\n  base: &b {name: x, entrypoint: a.py:f}\n"
    "deployments:\n- <<: *b\n  name: y\n- *b\n",
    "prefect-2-deployment-yaml": "name: etl\nflow_name: etl\nentrypoint: a.py:f\n"
    "infra_overrides: {}\nstorage: {type: local-file-system}\n",
    "deep-nesting": "a: " + "[" * 200 + "]" * 200 + "\n",
    "alias-bomb": "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)
    )
    + "deployments: [*i]\n",
}


@pytest.mark.parametrize("use_prefect", [False, None], ids=["core", "with-prefect-model"])
@pytest.mark.parametrize("name", sorted(BROKEN))
def test_any_input_gives_lines_not_a_traceback(name, use_prefect, tmp_path, capsys):
    path = write(tmp_path, BROKEN[name])
    findings, _ = pyc.check_file(path, pyc.Options(prefect=use_prefect, strict=True))
    assert all(f.code in pyc.RULES for f in findings)
    assert "Traceback" not in "".join(f.message for f in findings)
    status = pyc.main([str(path), "--strict"] + (["--no-prefect"] if use_prefect is False else []))
    out = capsys.readouterr().out.splitlines()
    assert status in (0, 1)
    assert out and all(LINE.match(line) or line.startswith("ok: ") for line in out), out


def test_unreadable_file_is_one_line(tmp_path, capsys):
    (tmp_path / "prefect.yaml").write_bytes(b"\xff\xfe\x00name: x")
    assert pyc.main([str(tmp_path / "prefect.yaml")]) == 1
    assert capsys.readouterr().out.startswith(f"{tmp_path / 'prefect.yaml'}:1: PY001 error: ")


def test_a_missing_file_says_how_to_create_one(tmp_path, capsys):
    assert pyc.main([str(tmp_path / "prefect.yaml")]) == 1
    (line,) = capsys.readouterr().out.splitlines()
    assert LINE.match(line)["code"] == "PY000"
    assert "prefect init" in line and "generated by this template" in line


# --- output, configuration --------------------------------------------------------------------


def test_lines_name_the_offending_key_and_its_severity(tmp_path, capsys, monkeypatch):
    """Artoss/labour_market_AU: job_variables one level too high (a warning: Prefect drops
    them without a word). By default only errors fail; --fail-on warning fails on it."""
    write(
        tmp_path,
        """\
        deployments:
          - name: labour-daily-monitor
            entrypoint: flows.py:monitor
            work_pool:
              name: default
            job_variables:
              env:
                PGDATABASE: labour_market_au
        """,
    )
    monkeypatch.chdir(tmp_path)
    assert pyc.main(["--no-code", "--no-prefect"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "prefect.yaml:6: PY020 warning: deployment 'labour-daily-monitor': job_variables beside "
        "work_pool are dropped by prefect deploy; move them under work_pool"
    ]
    assert pyc.main(["--no-code", "--no-prefect", "--fail-on", "warning"]) == 1
    assert pyc.main(["--no-code", "--no-prefect", "--strict"]) == 1  # any finding fails
    capsys.readouterr()
    assert pyc.main(["--no-code", "--no-prefect", "--ignore", "PY020", "--strict"]) == 1
    assert "PY101 style: " in capsys.readouterr().out  # house style: a description
    assert pyc.main(["--no-code", "--no-prefect", "--ignore", "PY020"]) == 0
    assert capsys.readouterr().out.startswith("ok: prefect.yaml: 1 deployment checked")


def test_an_error_fails_by_default(tmp_path, capsys):
    """kruczele/claude-cicd: a pool name the server refuses."""
    path = write(
        tmp_path,
        "deployments:\n- name: a\n  entrypoint: a.py:f\n  work_pool: {name: 'Claude CI/CD'}\n",
    )
    assert pyc.main([str(path), "--no-code", "--no-prefect"]) == 1
    assert " PY080 error: work pool 'Claude CI/CD'" in capsys.readouterr().out


def test_rules_are_ignored_from_pyproject_and_inline(tmp_path, capsys):
    path = write(
        tmp_path,
        """\
        build:
        - prefect_docker.deployments.steps.build_docker_image:
            image_name: org/etl
            tag: latest
        deployments:
        - name: a
          entrypoint: a.py:f
          work_queue_name: nightly  # prefect-yaml-check: ignore[PY021]
          work_pool: {name: etl}
        """,
        files={"a.py": "from prefect import flow\n\n@flow\ndef f(): ...\n"},
    )
    assert pyc.main([str(path), "--no-prefect", "--fail-on", "warning"]) == 1
    assert [LINE.match(x)["code"] for x in capsys.readouterr().out.splitlines()] == ["PY050"]
    (tmp_path / "pyproject.toml").write_text('[tool.prefect-yaml-check]\nignore = ["PY050"]\n')
    assert pyc.main([str(path), "--no-prefect", "--fail-on", "warning"]) == 0
    capsys.readouterr()
    (tmp_path / "pyproject.toml").write_text(
        '[tool.prefect-yaml-check]\nfail-on = "warning"  # warnings fail too\n'
    )
    assert pyc.main([str(path), "--no-prefect"]) == 1
    assert pyc.main([str(path), "--no-prefect", "--fail-on", "error"]) == 0  # the option wins
    capsys.readouterr()
    (tmp_path / "pyproject.toml").write_text(
        '[tool.prefect-yaml-check]\nignore = ["PY050"]\nstrict = true\n'
    )
    assert pyc.main([str(path), "--no-prefect"]) == 1  # strict: no description, no tags
    assert {"PY101", "PY102"} <= {
        LINE.match(x)["code"] for x in capsys.readouterr().out.splitlines() if LINE.match(x)
    }
    assert config.by_hand((tmp_path / "pyproject.toml").read_text()) == {
        "ignore": ["PY050"],
        "strict": True,
    }  # what Python 3.10 (no tomllib) reads
    assert config.by_hand('[tool.prefect-yaml-check]\nfail-on = "warning"  # x\n') == {
        "fail-on": "warning"
    }


def test_an_unknown_rule_code_is_a_usage_error(tmp_path, capsys):
    path = write(tmp_path, "deployments: []\n")
    with pytest.raises(SystemExit) as exit_info:
        pyc.main([str(path), "--ignore", "PY999"])
    assert exit_info.value.code == 2
    assert "PY999" in capsys.readouterr().err


# --- Prefect's own validation ------------------------------------------------------------------


def test_prefect_model_errors_are_reported_at_their_fields(tmp_path):
    """3commacapital/prefect-flows: Prefect 3.0's deploy wrote max_active_runs and catchup
    into schedules; Prefect 3.8's model refuses them and skips the whole file."""
    path = write(
        tmp_path,
        """\
        deployments:
        - name: 01 Deploy Wallet Valuations
          entrypoint: valuations.py:get_wallet_valuations
          schedules:
          - cron: 0 16 * * *
            timezone: Europe/Lisbon
            max_active_runs:
            catchup: false
        """,
    )
    findings, _ = pyc.check_file(path, pyc.Options(prefect=True, code=False, ignore=NO_POOL))
    lines = [f.format("prefect.yaml") for f in findings]
    assert [(f.line, f.code) for f in findings] == [(7, "PY003"), (8, "PY003")], lines
    assert "deployments[0].schedules[0].max_active_runs" in lines[0]
    assert not any("validation error" in line for line in lines)
    assert codes(path, code=False) == ["PY003", "PY003"]  # the core says the same without Prefect


def test_deployments_written_as_a_mapping(tmp_path):
    """BayoAdejare/lightning-containers."""
    path = write(tmp_path, "deployments:\n  schedule:\n    cron: 0 * * * *\n")
    assert found(path) == [(1, "PY003")]
    assert found(path, prefect=True) == [(1, "PY003")]


# --- the rules, on real shapes ------------------------------------------------------------------


def test_plain_text_prefect_api_key(tmp_path):
    """CarlosBGUAO/etl-proyecto-final put the API key in job_variables.env (here a real-looking
    pnu_ key), and keys turn up in parameters too."""
    key = "pnu_" + "a1B2c3D4e5" * 4
    path = write(
        tmp_path,
        f"""\
        deployments:
        - name: etl
          entrypoint: etl.py:etl
          parameters:
            api_key: {key}
          work_pool:
            name: prod-pool
            job_variables:
              env:
                PREFECT_API_KEY: {key}
                PREFECT_API_URL: https://api.prefect.cloud/api/accounts/x/workspaces/y
        """,
    )
    assert found(path, code=False) == [(5, "PY060"), (10, "PY060")]


def test_a_secret_block_in_job_variables_is_stored_in_plain_text(tmp_path):
    """CamilleLarpin/pea-pme-pulse; a block in a pull step is resolved at run time: fine."""
    path = write(
        tmp_path,
        """\
        pull:
        - prefect.deployments.steps.git_clone:
            repository: https://github.com/org/repo.git
            access_token: "{{ prefect.blocks.secret.github-pat }}"
        deployments:
        - name: rss
          entrypoint: src/flows/rss.py:rss_flow
          work_pool:
            name: pea-pme
            job_variables:
              env:
                GROQ_API_KEY: "{{ prefect.blocks.secret.groq-api-key }}"
                TS_AUTHKEY: "{{ $TS_AUTHKEY }}"
                GCS_BUCKET_NAME: "{{ $BUCKET }}"
        """,
    )
    assert found(path, code=False) == [(12, "PY061"), (13, "PY061")]


def test_prefect_2_step_names_and_misspelt_steps(tmp_path):
    """CBIIT/INS-Data (Prefect 2 names) and CBIIT/EntryRemoval-Prefect (a typo, and inputs
    beside the step); a top-level pull that every deployment replaces is never run."""
    path = write(
        tmp_path,
        """\
        pull:
        - prefect.projects.steps.git_clone_project:
            id: clone-step
            repository: https://github.com/CBIIT/INS-Data.git
        - prefect.projects.steps.pip_install_requirements:
            directory: "{{ clone-step.directory }}"
        deployments:
        - name: gather
          entrypoint: modules/gather.py:gather
        - name: remove
          entrypoint: flows/remove.py:remove
          pull:
            - prefect.deployments.steps.git_clone:
              id: clone-step
              repository: https://github.com/CBIIT/EntryRemoval-Prefect.git
            - prefect.deployments.steps.pip_install_requiements:
                directory: "{{ clone-step.directory }}"
        """,
    )
    findings, _ = pyc.check_file(path, pyc.Options(prefect=False, code=False, ignore=NO_POOL))
    assert [(f.line, f.code) for f in findings] == [
        (2, "PY070"),
        (5, "PY070"),
        (13, "PY071"),
        (16, "PY070"),
    ]
    assert "'prefect.deployments.steps.git_clone'" in findings[0].message
    path.write_text(path.read_text().replace("- name: gather\n", "- name: gather\n  pull: []\n"))
    assert codes(path, code=False) == ["PY071", "PY070"]


@pytest.mark.parametrize(
    ("spelling", "line"),
    [
        ("    image_name: org/etl\n    tag: latest\n", 4),  # CSI-Zachary/prefect_deployments
        ("    image_name: org/etl\n    tag: LATEST\n", 4),
        ("    image_name: org/etl:latest\n", 3),
        ("    image_name: prefecthq/prefect:2-latest\n", 3),  # CarlosBGUAO/etl-proyecto-final
        ("    image_name: org/etl\n    tag: 2024.1\n", None),
        ("    image_name: org/etl\n    tag: '{{ $TAG }}'\n", None),
    ],
)
def test_latest_in_any_spelling(tmp_path, spelling, line):
    path = write(
        tmp_path,
        "build:\n- prefect_docker.deployments.steps.build_docker_image:\n"
        + spelling
        + "deployments:\n- name: a\n  entrypoint: a.py:f\n",
    )
    assert found(path, code=False) == ([(line, "PY050")] if line else [])


def test_latest_image_in_job_variables(tmp_path):
    path = write(
        tmp_path,
        """\
        deployments:
        - name: a
          entrypoint: a.py:f
          work_pool: {name: k8s, job_variables: {image: "docker.io/org/etl:Latest"}}
        """,
    )
    assert found(path, code=False) == [(4, "PY050")]


@pytest.mark.parametrize("name", ["prefect-lab-process", "Prefect", "PREFECT_pool"])
def test_reserved_pool_names(tmp_path, name):
    path = write(
        tmp_path,
        f"deployments:\n- name: a\n  entrypoint: a.py:f\n  work_pool:\n    name: {name}\n",
    )
    assert found(path, code=False) == [(5, "PY080")]


def test_a_pool_name_merely_containing_prefect_is_fine(tmp_path):
    path = write(
        tmp_path,
        "deployments:\n- name: a\n  entrypoint: a.py:f\n  work_pool:\n    name: my-prefect\n",
    )
    assert found(path, code=False) == []


def test_work_queue_name_beside_the_pool_and_ignored_keys(tmp_path):
    """CLDC-OU/ExampleMessagerFlow ('environment'), Ben-Epstein/prefect-quickstart
    (work_pool.type), AMOS-experiment/CoInML (is_schedule_active: true is harmless)."""
    path = write(
        tmp_path,
        """\
        deployments:
        - name: message
          entrypoint: flows/daily.py:daily
          work_queue_name: nightly
          environment:
            EXAMPLE: value
          is_schedule_active: true
          work_pool:
            type: process
            name: default
        """,
    )
    assert found(path, code=False) == [(4, "PY021"), (5, "PY011"), (9, "PY012")]


def test_deployment_keys_at_the_top_level(tmp_path):
    """5Devanshu/f1-telemetry-data: a Prefect 2 deployment.yaml saved as prefect.yaml."""
    path = write(
        tmp_path,
        """\
        name: f1-telemetry-ingestion-deployment
        flow_name: f1-telemetry-ingestion-flow
        entrypoint: src/prefect_flow.py:f1_telemetry_ingestion_flow
        work_pool:
          name: dev
        storage:
          type: local-file-system
        """,
    )
    assert found(path, code=False) == [(2, "PY010"), (3, "PY010"), (4, "PY010")]
    assert (6, "PY106") in found(path, code=False, strict=True)


def test_named_deployment_without_entrypoint_but_not_prefect_inits_stanza(tmp_path):
    """Cam0505/CamOnPrefect (entrypoint commented out) and the unnamed stanza `prefect init`
    writes, which prefect deploy skips (AbhishekRS4/ML_NY_Taxi)."""
    path = write(
        tmp_path,
        """\
        deployments:
        - name:
          entrypoint:
          work_pool: {name: , job_variables: {}}
        - name: fbi-deployment
          # entrypoint: pipelines/fbi.py:fbi_flow
          work_pool: {name: camprocess1}
        - name: beverages
          entrypoint: null
        """,
    )
    assert found(path, code=False) == [(5, "PY030"), (9, "PY030")]


def test_references_nothing_fills(tmp_path):
    """CAJ2/sage-databot: {{ build-image.image }} with a step whose id is build_image;
    AbsoluteAI/ELT-Data-Pipeline: prefect init's {{ image_name }} placeholder."""
    path = write(
        tmp_path,
        """\
        build:
        - prefect_docker.deployments.steps.build_docker_image:
            id: build_image
            image_name: '{{ image_name }}'
            tag: '2024.1'
        deployments:
        - name: dev
          entrypoint: flows/etl.py:etl
          work_pool:
            name: kubernetes
            job_variables:
              image: "{{ build-image.image }}"
              env: {RUN: "{{ flow_run.name }}", POOL: "{{ $POOL }}", ID: "{{ build_image.image }}"}
        """,
    )
    findings, _ = pyc.check_file(path, pyc.Options(prefect=False, code=False, ignore=NO_POOL))
    assert [(f.line, f.code) for f in findings] == [(4, "PY072"), (12, "PY072")]
    assert "did you mean 'build_image'" in findings[1].message


def test_nested_tags_from_an_alias(tmp_path):
    """AloisCRR/repossessed-assets: `tags: [*scraping_tags, bank]` nests a list."""
    path = write(
        tmp_path,
        """\
        definitions:
          tags:
            scraping: &scraping_tags [etl, scraping]
        deployments:
        - name: a
          tags:
            - *scraping_tags
            - global-bank
          entrypoint: a.py:f
        - name: b
          tags: [*scraping_tags, x]
          entrypoint: b.py:f
        """,
    )
    assert found(path, code=False) == [(6, "PY013"), (11, "PY013")]


def test_a_duplicated_key(tmp_path):
    path = write(tmp_path, "deployments:\n- name: a\n  entrypoint: a.py:f\n  name: b\n")
    assert found(path, code=False) == [(4, "PY005")]


# --- where code runs ------------------------------------------------------------------------


def test_a_home_folder_on_a_process_pool_is_one_machines_path(tmp_path):
    """AgnelFernando/HybridRecommender: what prefect deploy writes without a pull section."""
    path = write(
        tmp_path,
        """\
        pull:
        - prefect.deployments.steps.set_working_directory:
            directory: /Users/agnela/Projects/HybridRecommender
        deployments:
        - name: weekly
          entrypoint: src/pipelines/retrain_flow.py:retrain_flow
          work_pool: {name: default-agent-pool}
        """,
    )
    assert found(path, code=False) == [(3, "PY040")]
    assert found(path, code=False, pool_type="docker") == [(3, "PY040")]  # never in a container


@pytest.mark.parametrize("directory", ["/home/bunqynab/app", "/app", "/opt/prefect/flows"])
def test_container_paths_are_not_host_paths(tmp_path, directory):
    """AuckeBos/bunq-ynab-connect runs on a docker pool whose image's WORKDIR is
    /home/bunqynab; /opt/prefect and /app are the usual image folders."""
    text = f"""\
        pull:
        - prefect.deployments.steps.set_working_directory:
            directory: {directory}
        deployments:
        - name: sync
          entrypoint: flows:sync
          work_pool: {{name: docker-pool}}
        """
    path = write(tmp_path, text)
    assert codes(path, code=False, pool_type="docker") == []
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "Dockerfile").write_text(
        "FROM python:3.12\nARG USERNAME=bunqynab\nWORKDIR /home/${USERNAME}\n"
    )
    assert codes(path, code=False) == []  # the Dockerfile's WORKDIR says so, without an option
    path.write_text(path.read_text() + "definitions: {work_pool_type: docker}\n")
    assert codes(path, code=False) == []


@pytest.mark.parametrize(
    ("pool_type", "reported"),
    [("process", True), ("ecs:push", False), ("prefect:managed", False), ("someday", True)],
)
def test_where_a_pool_type_runs(tmp_path, pool_type, reported):
    """Push pools and Prefect Cloud's managed pools run containers; a type not known here
    is no reason to assume either (a home folder stays a warning)."""
    path = write(
        tmp_path,
        "pull:\n- prefect.deployments.steps.set_working_directory:\n    directory: /home/me/x\n"
        "deployments:\n- name: a\n  entrypoint: a.py:f\n",
    )
    assert codes(path, code=False, pool_type=pool_type) == (["PY040"] if reported else [])


def test_a_home_folder_with_an_unknown_pool_type(tmp_path):
    path = write(
        tmp_path,
        "pull:\n- prefect.deployments.steps.set_working_directory:\n    directory: /home/me/x\n"
        "deployments:\n- name: a\n  entrypoint: a.py:f\n",
    )
    assert codes(path, code=False) == ["PY040"]
    assert codes(path, code=False, pool_type="kubernetes") == []


# --- entrypoints and parameters, with the flow's code -----------------------------------------

FLOW = """\
    from prefect import flow


    @flow(log_prints=True)
    def sales(day: str, limit: int = 10, *, region: str = "eu"):
        return day


    def helper():
        return 1
    """


def test_entrypoint_function_and_parameters(tmp_path):
    """Flows in a subfolder, entrypoints relative to where prefect deploy runs."""
    path = write(
        tmp_path,
        """\
        deployments:
        - name: renamed
          entrypoint: pipelines/sales.py:sales_flow
        - name: helper
          entrypoint: pipelines/sales.py:helper
        - name: gone
          entrypoint: pipelines/missing.py:sales
        - name: stale-parameter
          entrypoint: pipelines/sales.py:sales
          parameters: {day: "2026-01-01", dya: x}
        - name: scheduled-without-day
          entrypoint: pipelines/sales.py:sales
          schedules:
          - cron: 0 2 * * *
        - name: scheduled-day-in-schedule
          entrypoint: pipelines/sales.py:sales
          schedules:
          - cron: 0 2 * * *
            parameters: {day: "2026-01-01"}
        - name: on-demand-without-day
          entrypoint: pipelines/sales.py:sales
        """,
        files={"pipelines/sales.py": FLOW},
    )
    assert found(path) == [
        (3, "PY033"),
        (5, "PY034"),
        (7, "PY032"),
        (10, "PY035"),
        (14, "PY036"),
    ]
    assert (20, "PY107") in found(path, strict=True)  # house style: give on-demand values too
    assert found(path, code=False) == []


def test_module_path_entrypoints_are_loaded_the_way_prefect_loads_them(tmp_path):
    """Ben-Epstein/prefect-modal (`prefect_modal.flows.flow1:main`) and
    AuckeBos/bunq-ynab-connect (`flows:sync`): a module path, found from the working
    directory like Prefect's import; when it is not there it may be installed: no finding."""
    path = write(
        tmp_path,
        """\
        deployments:
        - name: modal
          entrypoint: prefect_modal.flows.flow1:main
        - name: typo
          entrypoint: prefect_modal.flows.flow1:mian
        - name: installed
          entrypoint: some_installed_package.flows:main
        - name: dotted
          entrypoint: prefect_modal.flows.flow1.main
        """,
        files={
            "prefect_modal/flows/flow1.py": "from prefect import flow\n\n@flow\ndef main(): ...\n",
            "prefect_modal/flows/__init__.py": "",
            "prefect_modal/__init__.py": "",
        },
    )
    assert found(path) == [(5, "PY033")]


def test_deep_loads_the_flow_with_prefect(tmp_path, monkeypatch):
    path = write(
        tmp_path,
        """\
        deployments:
        - name: ok
          entrypoint: pipelines/sales.py:sales
          parameters: {day: "2026-01-01", limit: 5}
        - name: wrong-type
          entrypoint: pipelines/sales.py:sales
          parameters: {day: "2026-01-01", limit: "many"}
        """,
        files={"pipelines/sales.py": FLOW},
    )
    monkeypatch.chdir(tmp_path)
    assert found(path, deep=True, prefect=True) == [(6, "PY090")]


def test_the_same_schedule_twice(tmp_path):
    """Armegas/iris-mlops-bot: two deploys left two identical hourly schedules."""
    path = write(
        tmp_path,
        """\
        deployments:
        - name: train_models.py
          entrypoint: mlflow_tracking/train_models.py:iris_pipeline
          schedules:
          - interval: 3600.0
            anchor_date: '2025-09-26T08:59:19.814584+00:00'
            timezone: UTC
          - interval: 3600.0
            anchor_date: '2025-09-26T08:59:29.492180+00:00'
            timezone: UTC
          - interval: 7200.0
            timezone: UTC
        """,
    )
    assert found(path, code=False) == [(8, "PY037")]


def test_capital_letters_in_an_image_name(tmp_path):
    """Adedayo19/spotify-data-logger: `image_name: SpotifyLogger/spotifyimage`."""
    path = write(
        tmp_path,
        """\
        build:
        - prefect_docker.deployments.steps.build_docker_image:
            id: build_image
            image_name: SpotifyLogger/spotifyimage
            tag: spotify
        deployments:
        - name: a
          entrypoint: a.py:f
          work_pool:
            name: docker
            job_variables: {image: "registry.example.com:5000/org/etl:V1.2"}
        """,
    )
    assert found(path, code=False) == [(4, "PY051")]


def test_a_prefect_api_key_in_env_whatever_it_looks_like(tmp_path):
    """CarlosBGUAO/etl-proyecto-final: `PREFECT_API_KEY: "prefect-api-key-1234"`; a value
    that names a secret (CBIIT: `database_secret_key_password: secret_key_password`) is fine."""
    path = write(
        tmp_path,
        """\
        deployments:
        - name: etl
          entrypoint: etl.py:etl
          parameters:
            database_secret_key_password: secret_key_password
            db_password: "{{ prefect.variables.db_password_name }}"
          work_pool:
            name: prod-pool
            job_variables:
              env:
                PREFECT_API_KEY: "prefect-api-key-1234"
        """,
    )
    assert found(path, code=False) == [(11, "PY060")]


def test_deep_checks_job_variables_against_the_known_pools_worker(tmp_path, monkeypatch):
    """The pool's type is read from the file or given; without it nothing is assumed."""
    path = write(
        tmp_path,
        """\
        deployments:
        - name: a
          entrypoint: pipelines/sales.py:sales
          parameters: {day: "2026-01-01"}
          work_pool:
            name: sales-process
            job_variables:
              workin_dir: /srv/sales
              env: "A=1"
              command: "{{ $COMMAND }}"
        """,
        files={"pipelines/sales.py": FLOW},
    )
    monkeypatch.chdir(tmp_path)
    assert found(path, deep=True, prefect=True) == []  # pool type unknown: not checked
    assert found(path, deep=True, prefect=True, pool_type="process") == [
        (8, "PY091"),
        (9, "PY091"),
    ]
    path.write_text(path.read_text() + "definitions: {work_pool_type: process}\n")
    assert codes(path, deep=True, prefect=True) == ["PY091", "PY091"]


# --- issue #26: what clean files were failed for, and what was missed ----------------------

SKELETON = """\
deployments:
- name: null
  version: null
  tags: []
  description: null
  schedule: {}
  flow_name: null
  entrypoint: null
  parameters: {}
  work_pool:
    name: null
    work_queue_name: null
    job_variables: {}
"""


def test_prefect_inits_stanza_alone_cannot_deploy(tmp_path):
    """ARKA1112/MLOPS_Workshop (unseen, development half): only prefect init's stanza.
    `prefect --no-prompt deploy --all` then fails with 'An entrypoint must be provided'
    (exit 1); beside a named deployment (Orkuncakilkaya/prefect-example) Prefect prints
    'Discovered unnamed deployment. Skipping...' and deploys the others (exit 0)."""
    path = write(tmp_path, SKELETON)
    assert found(path, code=False, ignore=frozenset()) == [(2, "PY038")]
    named = "- name: fetch\n  entrypoint: a.py:f\n  work_pool: {name: clickhouse}\n"
    path.write_text(SKELETON + named)
    assert found(path, code=False, ignore=frozenset()) == []


def test_a_deployment_without_a_work_pool(tmp_path, capsys):
    """2501Pr0ject/DontREADME and 4lissonsilveira/prefect-w-perma-skeleton (unseen,
    development half): `prefect --no-prompt deploy` refuses ('A work pool is required'),
    with several deployments even when --pool is passed. A warning: the setting
    PREFECT_DEFAULT_WORK_POOL_NAME, or --pool for a deployment deployed alone, makes it work."""
    path = write(
        tmp_path,
        """\
        deployments:
        - name: nightly
          entrypoint: a.py:f
          work_queue_name: nightly
        - name: sync
          entrypoint: a.py:f
          work_pool:
            name: null
        """,
    )
    findings, _ = pyc.check_file(path, pyc.Options(prefect=False, code=False))
    assert [(f.line, f.code, f.severity) for f in findings] == [
        (2, "PY039", "warning"),
        (4, "PY021", "warning"),
        (8, "PY039", "warning"),
    ]
    assert "'A work pool is required'" in findings[0].message
    assert "PREFECT_DEFAULT_WORK_POOL_NAME" in findings[0].message
    assert "default queue" not in findings[1].message  # there is no pool to have one


@pytest.mark.parametrize(
    ("line", "words"),
    [
        # 4lissonsilveira/prefect-w-perma-skeleton: `parameters:` left empty
        ("  parameters:\n", "parameters is empty; write {} or delete the line"),
        # Cobrachainsaw/ETL_V1: a float where Prefect wants text
        ("  version: 1.0\n", "version must be text, not the number 1.0"),
        # issue #26's shapes, each refused by Prefect 3.9.1's deploy for real
        ("  schedule: []\n", "schedule must be a mapping with one of cron, interval"),
        ("  schedule: '*/2 * * * *'\n", "write {cron: '*/2 * * * *'} if it is a cron"),
        ("  schedules: [{cron: '0 1 * * *', catchup: false}]\n", "catchup is no schedule"),
        ("  work_pool: {name: p, job_variables: }\n", "job_variables is empty"),
        ("  tags: 5\n", "tags must be a list of tags"),
    ],
)
def test_values_prefect_refuses_are_said_in_plain_words(tmp_path, line, words):
    """Prefect skips the whole file when one value has the wrong kind; the checker says so
    without Prefect installed, in words (not pydantic's union members)."""
    path = write(tmp_path, "deployments:\n- name: a\n  entrypoint: a.py:f\n" + line)
    findings, _ = pyc.check_file(path, pyc.Options(prefect=False, code=False, ignore=NO_POOL))
    assert [(f.line, f.code) for f in findings] == [(4, "PY003")], findings
    assert words in findings[0].message and "Prefect rejects the whole file" in findings[0].message
    with_model, _ = pyc.check_file(path, pyc.Options(prefect=True, code=False, ignore=NO_POOL))
    assert with_model == findings  # Prefect's model agrees and adds nothing


def test_top_level_keys_carrying_intent_are_warned_about_and_markers_are_style(tmp_path):
    """2501Pr0ject/DontREADME (unseen, development half): top-level work_pools, flows and
    variables Prefect never reads; an `env:` (ArthurZakirov/sheets-to-postgresql) gives the
    runs nothing. A `version: 3` marker (pirsquare/prefect-lab) and a top-level work_pool
    the only deployment repeats change nothing: house style only."""
    path = write(
        tmp_path,
        """\
        version: 3
        description: the project
        env:
          SOURCE_REPO: x
        work_pools:
          - {name: default-agent-pool, type: process}
        work_pool: {name: etl}
        deployments:
        - name: a
          entrypoint: a.py:f
          work_pool: {name: etl}
        """,
    )
    assert found(path, code=False) == [(3, "PY010"), (5, "PY010")]
    strict = found(path, code=False, strict=True)
    assert {(1, "PY106"), (2, "PY106"), (7, "PY106")} <= set(strict)
    path.write_text("entrypoint: flows/hello_flow.py:hello_world\n")  # MarcoTulioGT/iac_gcp_prefect
    assert found(path, code=False) == [(1, "PY010")]
    path.write_text("version: 1\nentrypoint: a.py:f\n")  # a deployment.yaml: its version too
    assert found(path, code=False) == [(1, "PY010"), (2, "PY010")]
    path.write_text("name: mlops\nversion: 3\npull: []\n")  # a project file: a marker
    assert found(path, code=False) == []


@pytest.mark.parametrize(
    ("text", "reported"),
    [
        ("{{ prefect.steps.git_clone.directory }}", True),  # 2024mt03579/airlines-prefect-workflow
        ("{{ prefect.variables.get('x') }}", True),  # issue #26: reaches the step as literal text
        ("{{ prefect.variables.x }}", False),
        ("{{ prefect.blocks.secret.token }}", False),
        ("{{ $PWD }}", False),  # uclh-criu/crdm-tools: filled from the worker's environment
        ("{{ clone-step.directory }}", False),
        ("{{ clone-step['directory'] }}", True),
        ("{{ ds | upper }}", False),  # not meant for Prefect: the flow's own template?
    ],
)
def test_templates_prefect_does_not_fill(tmp_path, text, reported):
    path = write(
        tmp_path,
        f"""\
        pull:
        - prefect.deployments.steps.git_clone:
            id: clone-step
            repository: https://github.com/org/repo.git
        - prefect.deployments.steps.set_working_directory:
            directory: "{text}"
        deployments:
        - name: a
          entrypoint: a.py:f
        """,
    )
    assert found(path, code=False) == ([(6, "PY072")] if reported else [])


def test_tags_written_as_one_string(tmp_path):
    """AbderrahimAl/Bucket2Elasticsearch: `tags: dev` became the tags d, e, v (seen on a
    real server); a templated string is Prefect's own way and stays quiet."""
    path = write(tmp_path, "deployments:\n- name: a\n  entrypoint: a.py:f\n  tags: dev\n")
    findings, _ = pyc.check_file(path, pyc.Options(prefect=False, code=False, ignore=NO_POOL))
    assert [(f.line, f.code) for f in findings] == [(4, "PY014")]
    assert "('d', 'e', 'v')" in findings[0].message and "[dev]" in findings[0].message
    path.write_text(path.read_text().replace("tags: dev", "tags: '{{ $TAGS }}'"))
    assert found(path, code=False) == []


def test_an_image_name_with_a_tag_given_a_tag(tmp_path):
    """kapsali29/pull-push-pipeline: image_name prefecthq/prefect:2.13.2-python3.10 and
    tag: latest make the reference ...:2.13.2-python3.10:latest, which Docker refuses."""
    path = write(
        tmp_path,
        """\
        build:
        - prefect_docker.deployments.steps.build_docker_image:
            image_name: prefecthq/prefect:2.13.2-python3.10
            tag: latest
        - prefect_docker.deployments.steps.build_docker_image:
            image_name: registry.example.com:5000/org/etl
            tag: v1
        deployments:
        - name: a
          entrypoint: a.py:f
        """,
    )
    assert found(path, code=False) == [(3, "PY052"), (4, "PY050")]


def test_a_token_left_in_a_comment(tmp_path):
    """NitinKeshavB/prefect_acr: a commented-out git_clone still carries an access token
    (52 characters, an Azure DevOps token's shape; this one is made up)."""
    token = "t2vvy2" + "abcdefghijklmnopqrstuvwxyz234567" + "abcdefghijklmn"
    path = write(
        tmp_path,
        f"""\
        pull:
        # - prefect.projects.steps.git_clone_project:
        #     branch: master
        #     access_token: {token}
        # access_token: null
        deployments: []
        """,
    )
    assert found(path, code=False) == [(4, "PY060")]


def test_container_and_server_paths_are_not_one_persons(tmp_path):
    """samdf96/alma-sails-codebase: /home/ubuntu/... is the VM the process workers run on;
    Kyytox/russia_ukraine_war_analytics_hub: /mnt/<a volume id>/ is one machine's disk."""
    text = "pull:\n- prefect.deployments.steps.set_working_directory:\n    directory: {}\n"
    text += "deployments:\n- name: a\n  entrypoint: a.py:f\n"
    for directory, reported in [
        ("/home/ubuntu/canfar_arc/projects/flows", False),
        ("/home/app/flows", False),
        ("/opt/prefect/flows", False),
        ("/srv/FORECAST/flows", False),
        ("/mnt/4046B55946B55080/hub", True),
        ("/media/alice/disk/flows", True),
        ("/home/abhishek/Desktop/repos/ML_NY_Taxi", True),
    ]:
        path = write(tmp_path, text.format(directory))
        assert found(path, code=False, pool_type="process") == ([(3, "PY040")] if reported else [])


def test_latest_built_for_local_use_is_a_warning_and_strict_fails_on_it(tmp_path, capsys):
    """A deliberate `latest` built at deploy time and run with image_pull_policy: Never
    (AnnaVitry/MLOPS_MLFactory_automatisation): a warning; house style refuses it."""
    path = write(
        tmp_path,
        """\
        build:
        - prefect_docker.deployments.steps.build_docker_image:
            id: build-image
            image_name: mlfactory-worker
            tag: latest
        deployments:
        - name: train
          entrypoint: a.py:f
          work_pool:
            name: docker-pool
            job_variables: {image: "{{ build-image.image }}", image_pull_policy: Never}
        """,
    )
    assert pyc.main([str(path), "--no-prefect", "--no-code"]) == 0
    assert " PY050 warning: " in capsys.readouterr().out
    assert pyc.main([str(path), "--no-prefect", "--no-code", "--strict"]) == 1


def test_an_absolute_entrypoint_that_is_not_here_is_a_warning(tmp_path):
    """/opt/prefect/flows/x.py is right when prefect deploy runs inside the image."""
    path = write(
        tmp_path,
        "deployments:\n- name: a\n  entrypoint: /opt/prefect/flows/etl.py:etl\n"
        "  work_pool: {name: docker}\n",
    )
    findings, _ = pyc.check_file(path, pyc.Options(prefect=False))
    assert [(f.line, f.code, f.severity) for f in findings] == [(3, "PY041", "warning")]


def test_ignored_keys_that_lose_nothing_are_house_style(tmp_path):
    """Kyytox/russia_ukraine_war_analytics_hub: `flow_variables: {}` in each work_pool."""
    path = write(
        tmp_path,
        "deployments:\n- name: a\n  entrypoint: a.py:f\n  work_pool:\n    name: main-pool\n"
        "    flow_variables: {}\n  job_variables: {}\n",
    )
    assert found(path, code=False) == []
    assert (6, "PY109") in found(path, code=False, strict=True)


def test_secrets_filled_into_job_variables_beside_the_pool(tmp_path):
    """AnnaVitry/MLOPS_MLFactory_automatisation: dropped today, stored in plain text on the
    deployment the day the job_variables are moved under the pool."""
    path = write(
        tmp_path,
        """\
        deployments:
        - name: train
          entrypoint: a.py:f
          work_pool: {name: docker-pool}
          job_variables:
            env:
              AWS_ACCESS_KEY_ID: "{{ $AWS_ACCESS_KEY_ID }}"
              AWS_SECRET_ACCESS_KEY: "{{ $AWS_SECRET_ACCESS_KEY }}"
              MLFLOW_TRACKING_URI: "{{ $MLFLOW_TRACKING_URI }}"
        """,
    )
    assert found(path, code=False) == [(5, "PY020"), (7, "PY061"), (8, "PY061")]


def test_prefect_2_names_of_integration_steps(tmp_path):
    """NitinKeshavB/prefect_acr: prefect_docker.projects.steps.* went with Prefect 2;
    prefect.deployments.steps.utility.* is a real module path."""
    path = write(
        tmp_path,
        """\
        build:
        - prefect_docker.projects.steps.build_docker_image:
            image_name: org/etl
            tag: v1
        - prefect.deployments.steps.utility.run_shell_script:
            script: echo hi
        deployments: []
        """,
    )
    findings, _ = pyc.check_file(path, pyc.Options(prefect=False, code=False))
    assert [(f.line, f.code) for f in findings] == [(2, "PY070")]
    assert "'prefect_docker.deployments.steps.build_docker_image'" in findings[0].message


def test_the_projects_checks_run_the_package_strictly(tmp_path):
    """The generated project's checks.py runs this very package in house style (the
    template's post-generation hook loads both by path before the project is installed:
    every render of the template's tests goes through that)."""
    write(tmp_path, "deployments:\n- name: a\n  entrypoint: a.py:f\n  work_pool: {name: p}\n")
    result = subprocess.run(
        [sys.executable, "-m", "etl_tools.checks", "--prefect-yaml"],
        cwd=tmp_path, capture_output=True, text=True,
        env=dict(os.environ, PYTHONPATH=str(PACKAGE.parents[1])),
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert " PY101 style: " in result.stdout + result.stderr


def test_a_deployment_without_a_name(tmp_path):
    """Checked with Prefect 3.9.1: alone, an unnamed deployment fails `prefect deploy --all`
    ('A deployment name must be provided'); beside named ones it is skipped."""
    path = write(tmp_path, "deployments:\n- entrypoint: a.py:f\n  work_pool: {name: p}\n")
    findings, _ = pyc.check_file(path, pyc.Options(prefect=False, code=False))
    assert [(f.line, f.code) for f in findings] == [(2, "PY038")]
    assert "'A deployment name must be provided'" in findings[0].message
    path.write_text(path.read_text() + "- name: b\n  entrypoint: a.py:f\n  work_pool: {name: p}\n")
    assert found(path, code=False) == [(2, "PY042")]
    path.write_text(SKELETON + SKELETON.removeprefix("deployments:\n"))  # two stanzas: none deploys
    assert found(path, code=False) == [(2, "PY042"), (14, "PY042")]


@pytest.mark.parametrize(
    ("schedule", "reported"),
    [
        ("{cron: 'every day'}", True),  # Prefect 3.9.1: 'Invalid cron string', deploy fails
        ("{cron: '*/5 * * *'}", True),
        ("{cron: '0 9-16 * * 1-5', timezone: America/New_York}", False),
        ("{cron: '@daily'}", False),
        ("{cron: '0 1 * * *', timezone: Mars/Base}", True),  # 'Invalid timezone'
        ("{interval: 0}", True),  # 'Input should be greater than 0 seconds'
        ("{interval: 3600.0, timezone: UTC}", False),
        ("{cron: '{{ $CRON }}'}", False),
    ],
)
def test_schedule_values_prefect_deploy_refuses(tmp_path, schedule, reported):
    path = write(
        tmp_path, f"deployments:\n- name: a\n  entrypoint: a.py:f\n  schedule: {schedule}\n"
    )
    findings = found(path, code=False)
    assert [code for _, code in findings] == (["PY004"] if reported else []), findings


def test_an_entrypoint_prefect_cannot_parse_needs_no_code(tmp_path):
    """Prefect 3.9.1 reads `flows.py` as module `flows`, function `py`, and fails."""
    path = write(tmp_path, "deployments:\n- name: a\n  entrypoint: flows/etl.py\n")
    assert found(path, code=False) == [(3, "PY031")]
    path.write_text("deployments:\n- name: a\n  entrypoint: pkg.flows.etl\n")
    assert found(path, code=False) == []  # a module path: package.module.function


def test_the_same_deployment_twice(tmp_path):
    """Prefect 3.9.1 deploys both; the second replaces the first without a word."""
    text = "- name: dup\n  entrypoint: a.py:f\n  work_pool: {name: p}\n"
    path = write(tmp_path, "deployments:\n" + text + text.replace("a.py:f", "b.py:f") + text)
    assert found(path, code=False) == [(8, "PY043")]
