"""The block script: checks every variable first, never prints a secret, saves for real."""

from __future__ import annotations

import dataclasses

import pytest

from etl_tools import blocks

pytestmark = pytest.mark.skipif(not blocks.SPECS, reason="these answers need no blocks")

SAMPLE_VALUES = {
    "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0000/B0000/XXXXSECRET",
    "GITLAB_URL": "https://gitlab.example.com",
    "AWS_REGION": "eu-west-1",
}


def environment() -> dict[str, str]:
    """A value for every variable the project's blocks need; secrets are recognisable."""
    names = {v for spec in blocks.SPECS for v in spec.variables}
    return {name: SAMPLE_VALUES.get(name, f"s3cr3t-{name.lower()}") for name in names}


def secret_values() -> list[str]:
    return [v for k, v in environment().items() if k not in {"AWS_REGION", "GITLAB_URL"}]


def write_env(tmp_path, values: dict[str, str]):
    path = tmp_path / ".env"
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    return path


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """The tests control every variable through `.env` files only."""
    for spec in blocks.SPECS:
        for variable in spec.variables:
            monkeypatch.delenv(variable, raising=False)


def test_dry_run_names_blocks_and_prints_no_secret(tmp_path, capsys):
    env_file = write_env(tmp_path, environment())
    assert blocks.main(["--env-file", str(env_file), "--dry-run"]) == 0
    out = capsys.readouterr()
    for spec in blocks.SPECS:
        assert f"would save {spec.kind}/{spec.name}" in out.out
    for secret in secret_values():
        assert secret not in out.out + out.err


REQUIRED = sorted({v for spec in blocks.SPECS if not spec.when_empty for v in spec.variables})
OPTIONAL = [spec for spec in blocks.SPECS if spec.when_empty]


def refused_in_one_line(tmp_path, capsys, values: dict[str, str], victim: str) -> None:
    assert blocks.main(["--env-file", str(write_env(tmp_path, values))]) == 1
    out = capsys.readouterr()
    assert out.out == ""
    [line] = out.err.splitlines()
    assert victim in line and "no blocks were saved" in line
    for secret in secret_values():
        assert secret not in line


@pytest.mark.parametrize("victim", sorted({v for s in blocks.SPECS for v in s.variables}))
def test_a_placeholder_is_refused_in_one_line(tmp_path, capsys, victim):
    """Even where a value may be empty, the one from `.env.example` is refused."""
    refused_in_one_line(tmp_path, capsys, environment() | {victim: "change-me"}, victim)


@pytest.mark.skipif(not REQUIRED, reason="every block of these answers may be left empty")
@pytest.mark.parametrize("broken", ["missing", "empty"])
def test_a_needed_variable_missing_is_named_in_one_line(tmp_path, capsys, broken):
    values, victim = environment(), REQUIRED[0]
    if broken == "missing":
        del values[victim]
    else:
        values[victim] = ""
    refused_in_one_line(tmp_path, capsys, values, victim)


@pytest.mark.skipif(not OPTIONAL, reason="no block of these answers may be left empty")
def test_secrets_a_team_does_not_need_yet_may_be_empty(tmp_path, capsys):
    """A public repository needs no token; a team may have no Slack webhook yet: leaving
    them empty says what follows, in one line each, and saves (or skips) accordingly."""
    empty = {v: "" for spec in OPTIONAL for v in spec.variables}
    assert (
        blocks.main(["--env-file", str(write_env(tmp_path, environment() | empty)), "--dry-run"])
        == 0
    )
    out = capsys.readouterr().out.splitlines()
    for spec in OPTIONAL:
        verb = "skipped" if spec.when_empty == "skip" else "would save"
        assert f"{verb} {spec.kind}/{spec.name} ({spec.empty_note})" in out, out


@pytest.mark.usefixtures("prefect_server")
def test_blocks_are_saved_and_load_back(tmp_path, capsys):
    from prefect.blocks.core import Block

    values = environment()
    env_file = write_env(tmp_path, values)
    assert blocks.main(["--env-file", str(env_file)]) == 0
    assert blocks.main(["--env-file", str(env_file)]) == 0  # idempotent: overwrites
    for spec in blocks.SPECS:  # each block holds its own values (two may be of one kind)
        loaded = Block.load(f"{spec.kind}/{spec.name}")
        for field, source in spec.fields.items():
            value = getattr(loaded, field)
            if source.startswith("@"):
                assert value.get_block_type_slug() == source[1:], (spec.name, field)
                continue
            if hasattr(value, "get_secret_value"):
                value = value.get_secret_value()
            expected = values[source[1:]] if source.startswith("$") else source
            assert str(value) == expected, (spec.name, field)
    out = capsys.readouterr()
    for secret in secret_values():
        assert secret not in out.out + out.err


@pytest.mark.usefixtures("prefect_server")
def test_an_empty_token_is_saved_empty_and_a_skipped_block_is_not_saved(tmp_path):
    from prefect.blocks.core import Block

    if not OPTIONAL:
        pytest.skip("no block of these answers may be left empty")
    fresh = [dataclasses.replace(spec, name=f"{spec.name}-empty") for spec in blocks.SPECS]
    empty = {v: "" for spec in OPTIONAL for v in spec.variables}
    env_file = write_env(tmp_path, environment() | empty)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(blocks, "SPECS", tuple(fresh))
        assert blocks.main(["--env-file", str(env_file)]) == 0
    for spec in fresh:
        if spec.when_empty == "skip":
            with pytest.raises(ValueError, match="Unable to find block document"):
                Block.load(f"{spec.kind}/{spec.name}")
        elif spec.when_empty == "save":
            assert Block.load(f"{spec.kind}/{spec.name}").get() == ""


@pytest.mark.usefixtures("prefect_server")
def test_nothing_is_saved_when_the_last_variable_is_missing(tmp_path, monkeypatch):
    from prefect.blocks.core import Block

    fresh = tuple(dataclasses.replace(spec, name=f"{spec.name}-partial") for spec in blocks.SPECS)
    monkeypatch.setattr(blocks, "SPECS", fresh)
    values = environment()
    values[[v for spec in fresh for v in spec.variables][-1]] = "change-me"  # the last checked
    assert blocks.main(["--env-file", str(write_env(tmp_path, values))]) == 1
    for spec in fresh:
        with pytest.raises(ValueError, match="Unable to find block document"):
            Block.load(f"{spec.kind}/{spec.name}")
