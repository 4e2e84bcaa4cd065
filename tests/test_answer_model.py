"""The answer model and what every rendered row of the option matrix holds agree.

`answer_model` says what each choice brings (extras, blocks and their variables, pool
name, image handling, files kept) and what it refuses; the templates only loop over it.
These tests read each rendered file back and compare it with the model, row by row, and
check that the model's tables cover exactly the choices `cookiecutter.json` offers.
"""

from __future__ import annotations

import itertools
import json
import re
import tomllib

import pytest
import yaml
from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config

import answer_model
from devkit.matrix import MATRIX, label
from devkit.render import DEFAULTS, TEMPLATE, render

BLOCK_REFERENCE = re.compile(r"prefect\.blocks\.([a-z0-9-]+)\.([a-z0-9-]+)")


def answers_for(row: dict) -> dict:
    """Every answer as cookiecutter makes it for `row` (defaults rendered, model-checked)."""
    context = generate_context(TEMPLATE / "cookiecutter.json", extra_context=row)
    answers = prompt_for_config(context, no_input=True)
    return {q: answers[q] for q in answer_model.QUESTIONS}


@pytest.fixture(scope="module", params=MATRIX, ids=label)
def row(request, tmp_path_factory):
    answers = answers_for(request.param)
    project = render(tmp_path_factory.mktemp(label(request.param)), **request.param)
    return answer_model.plan(answers), project


def test_the_model_covers_exactly_the_offered_choices():
    assert list(answer_model.STORAGES) == DEFAULTS["code_storage"]
    assert list(answer_model.POOLS) == DEFAULTS["work_pool_type"]
    assert list(answer_model.NOTIFICATIONS) == DEFAULTS["notifications"]
    assert list(answer_model.CI_FILES) == DEFAULTS["ci_provider"]
    assert list(answer_model.WAREHOUSES) == DEFAULTS["warehouse"]
    assert DEFAULTS["prefect_version"] == answer_model.PREFECT_RELEASES[0]
    fragments = {p.stem for p in (TEMPLATE / "templates" / "prefect_yaml").glob("*.yaml")}
    assert fragments == set(answer_model.STORAGES)  # one prefect.yaml fragment per storage
    for warehouse in answer_model.WAREHOUSES.values():
        assert set(warehouse.extras) <= set(answer_model.EXTRAS)
    for storage in answer_model.STORAGES.values():
        assert set(storage.pools) <= set(answer_model.POOLS)
        assert set(storage.extras) <= set(answer_model.EXTRAS)
        for block in storage.blocks:
            for source in block.fields.values():
                if source.startswith("@"):  # nests a block saved before it
                    earlier = storage.blocks[: storage.blocks.index(block)]
                    assert source[1:] in {b.type for b in earlier}, block


def test_every_storage_and_pool_pair_is_rendered_or_refused():
    rendered = {(a["code_storage"], a["work_pool_type"]) for a in MATRIX}
    for storage, pool in itertools.product(answer_model.STORAGES, answer_model.POOLS):
        answers = {"code_storage": storage, "work_pool_type": pool}
        answers |= {"python_version": "3.13", "prefect_version": DEFAULTS["prefect_version"]}
        assert ((storage, pool) in rendered) != bool(answer_model.combination_problems(answers))


def test_files_kept_are_the_files_the_model_keeps(row):
    plan, project = row
    every = {*(p for paths in answer_model.CI_FILES.values() for p in paths)}
    every |= {p for choice in answer_model.NOTIFICATIONS.values() for p in choice.files}
    every |= {p for choice in answer_model.WAREHOUSES.values() for p in choice.files}
    for path in every:
        assert (project / path).exists() == (path not in plan.removed_paths), path
    assert plan.removed_paths  # some other choice's files always go


def test_dependencies_are_the_models(row):
    plan, project = row
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    extras = pyproject["project"]["optional-dependencies"]
    assert extras == {name: [requirement] for name, requirement in plan.extras.items()}
    for requirement, _ in plan.prefect.constraints:
        assert requirement in pyproject["project"]["dependencies"]
    assert pyproject["project"]["requires-python"].startswith(f">={plan.min_python},")


def test_blocks_are_the_models_and_feed_every_reference(row):
    """The block script saves the model's blocks (etl_tools/blocks.json); prefect.yaml names
    only blocks it saves; every variable a block reads is in .env.example."""
    plan, project = row
    saved = json.loads((project / "etl_tools" / "blocks.json").read_text(encoding="utf-8"))
    assert saved == json.loads(plan.blocks_json)
    assert [(spec["kind"], spec["name"], spec["fields"]) for spec in saved] == [
        (block.type, block.name, block.fields) for block in plan.blocks
    ]
    names = {(b.type, b.name) for b in plan.blocks}
    referenced = set(BLOCK_REFERENCE.findall((project / "prefect.yaml").read_text("utf-8")))
    assert referenced <= names, referenced - names
    env = (project / ".env.example").read_text(encoding="utf-8")
    for block in plan.blocks:
        for variable in block.variables:
            assert re.search(rf"^{variable}=", env, re.MULTILINE), variable


def test_pool_and_image_follow_the_model(row):
    plan, project = row
    text = (project / "prefect.yaml").read_text(encoding="utf-8")
    definitions = yaml.safe_load(text)["definitions"]
    assert definitions["work_pool"]["name"] == plan.pool_name
    for name in ["README.md", "docker-compose.yml"]:
        assert plan.pool_name in (project / name).read_text(encoding="utf-8"), name
    image = definitions["work_pool"]["job_variables"].get("image")
    assert (image == "{{ $PREFECT_IMAGE }}") == plan.needs_prefect_image
    assert (image == "{{ build_image.image }}") == (
        plan.pool.runs_image and plan.storage.builds_image
    )
    env = (project / ".env.example").read_text(encoding="utf-8")
    assert ("\nPREFECT_IMAGE=" in env) == plan.needs_prefect_image
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert plan.text(plan.storage.first_run) in readme
    assert plan.text(plan.storage.dev_stand_in) in readme
    for sentence in (plan.pool.first_run, plan.pool.dev_stand_in, plan.pool.compose_note):
        assert plan.text(sentence) in readme
    for key, value in plan.job_variables.items():
        assert definitions["work_pool"]["job_variables"][key] == value
    worker = yaml.safe_load((project / "docker-compose.yml").read_text(encoding="utf-8"))
    worker = worker["services"]["worker"]
    for line in plan.texts(plan.pool.compose_environment):
        key, value = line.split(": ", 1)
        assert worker["environment"][key] == value
    assert worker["volumes"][1:] == plan.texts(plan.pool.compose_volumes)
    variables = re.findall(r"^([A-Z][A-Z0-9_]*)=", env, re.MULTILINE)
    assert len(variables) == len(set(variables)), "a variable twice in .env.example"
    for line in plan.pool_env.splitlines():  # the lines the storage did not write already
        assert line in env.splitlines(), line
    for variable in re.findall(r"^([A-Z][A-Z0-9_]*)=", "\n".join(plan.pool.env_example), re.M):
        assert variable in variables, variable


def test_warehouse_follows_the_model(row):
    """The warehouse's block is the one the flow reads, its variables are in .env.example,
    its extra installs the driver, and docker-compose.yml serves it when it is a server."""
    plan, project = row
    settings = (project / "etl" / "utils" / "settings.py").read_text(encoding="utf-8")
    assert f'default="{plan.warehouse_block}",' in settings  # "" for a file: no block
    assert bool(plan.warehouse_block) == bool(plan.warehouse.blocks)
    assert "warehouse_url: SecretStr | None" in settings  # ETL_WAREHOUSE_URL: every project
    env = (project / ".env.example").read_text(encoding="utf-8")
    for line in plan.warehouse.env_example:
        assert plan.text(line) in env, line
    compose = (project / "docker-compose.yml").read_text(encoding="utf-8")
    assert ("/docker-entrypoint-initdb.d" in compose) == plan.warehouse.server
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert plan.text(plan.warehouse.readme) in readme
    assert plan.warehouse.compose_note in readme
