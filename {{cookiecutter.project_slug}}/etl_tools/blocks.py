"""Create the Prefect blocks this project needs, from `.env` and the environment.

    python -m etl_tools.blocks            # save (or overwrite) every block
    python -m etl_tools.blocks --dry-run  # check the variables, save nothing

Every variable is read and checked before anything is saved, so a missing or placeholder
value stops the script with one line naming it and leaves the server untouched. Values
are never printed. Block names are the same in every workspace (dev, prod): point
`PREFECT_API_URL` at the workspace and run the script there.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

PREFIX = "{{ cookiecutter.project_slug }}"
{%- if cookiecutter.code_storage == "gitlab" %}
REPOSITORY_URL = {{ cookiecutter.repository_url | python_string }}
REPOSITORY_BRANCH = {{ cookiecutter.repository_branch | python_string }}
{%- endif %}
PLACEHOLDER_MARK = "change-me"
"""`.env.example` values contain this mark; the script refuses to save them."""


@dataclass(frozen=True)
class BlockSpec:
    """One block: its type, name, the variables it needs, and its builder.

    A builder gets the environment and the blocks built so far, keyed by type, so a
    block can nest another (an S3 bucket its AWS credentials).
    """

    kind: str
    name: str
    variables: tuple[str, ...]
    build: Callable[[Mapping[str, str], dict[str, object]], object]


class MissingSettingError(Exception):
    """A variable a block needs is unset, empty or still a placeholder."""


def _secret(variable: str) -> Callable[[Mapping[str, str], dict[str, object]], object]:
    def build(env: Mapping[str, str], built: dict[str, object]) -> object:
        from prefect.blocks.system import Secret

        return Secret(value=env[variable])

    return build
{%- if cookiecutter.notifications == "slack" %}


def _slack(env: Mapping[str, str], built: dict[str, object]) -> object:
    from prefect.blocks.notifications import SlackWebhook

    return SlackWebhook(url=env["SLACK_WEBHOOK_URL"])
{%- endif %}
{%- if cookiecutter.code_storage == "s3" %}


def _aws_credentials(env: Mapping[str, str], built: dict[str, object]) -> object:
    from prefect_aws import AwsCredentials

    return AwsCredentials(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env["AWS_REGION"],
    )


def _s3_bucket(env: Mapping[str, str], built: dict[str, object]) -> object:
    from prefect_aws import S3Bucket

    return S3Bucket(bucket_name=env["S3_BUCKET_NAME"], credentials=built["aws-credentials"])
{%- endif %}
{%- if cookiecutter.code_storage == "gitlab" %}


def _gitlab_credentials(env: Mapping[str, str], built: dict[str, object]) -> object:
    from prefect_gitlab import GitLabCredentials

    return GitLabCredentials(token=env["GITLAB_ACCESS_TOKEN"], url=env["GITLAB_URL"])


def _gitlab_repository(env: Mapping[str, str], built: dict[str, object]) -> object:
    from prefect_gitlab import GitLabRepository

    return GitLabRepository(
        repository=REPOSITORY_URL,
        reference=REPOSITORY_BRANCH,
        credentials=built["gitlab-credentials"],
    )
{%- endif %}


SPECS: tuple[BlockSpec, ...] = (
{%- if cookiecutter.code_storage == "git" %}
    BlockSpec("secret", f"{PREFIX}-git-token", ("GIT_ACCESS_TOKEN",), _secret("GIT_ACCESS_TOKEN")),
{%- endif %}
{%- if cookiecutter.code_storage == "gitlab" %}
    BlockSpec(
        "secret", f"{PREFIX}-gitlab-token", ("GITLAB_ACCESS_TOKEN",), _secret("GITLAB_ACCESS_TOKEN")
    ),
    BlockSpec(
        "gitlab-credentials",
        f"{PREFIX}-gitlab",
        ("GITLAB_ACCESS_TOKEN", "GITLAB_URL"),
        _gitlab_credentials,
    ),
    BlockSpec("gitlab-repository", f"{PREFIX}-repo", (), _gitlab_repository),
{%- endif %}
{%- if cookiecutter.code_storage == "s3" %}
    BlockSpec(
        "aws-credentials",
        f"{PREFIX}-aws",
        ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"),
        _aws_credentials,
    ),
    BlockSpec("s3-bucket", f"{PREFIX}-code", ("S3_BUCKET_NAME",), _s3_bucket),
{%- endif %}
{%- if cookiecutter.notifications == "slack" %}
    BlockSpec("slack-webhook", f"{PREFIX}-slack", ("SLACK_WEBHOOK_URL",), _slack),
{%- endif %}
)


def read_environment(env_file: Path) -> dict[str, str]:
    """`.env` values, overridden by the process environment (as CI secrets arrive)."""
    values = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
    return {**values, **os.environ}


def check_variables(specs: tuple[BlockSpec, ...], env: Mapping[str, str]) -> None:
    """Raise naming every variable that is unset, empty or a placeholder."""
    problems = []
    for variable in dict.fromkeys(v for spec in specs for v in spec.variables):
        value = env.get(variable, "").strip()
        if not value:
            problems.append(f"{variable} is not set")
        elif PLACEHOLDER_MARK in value:
            problems.append(f"{variable} still holds the placeholder from .env.example")
    if problems:
        raise MissingSettingError("; ".join(problems))


def create_blocks(env: Mapping[str, str], dry_run: bool = False) -> list[str]:
    """Check every variable, build every block, then save them all (`overwrite=True`)."""
    check_variables(SPECS, env)
    built: dict[str, object] = {}
    for spec in SPECS:
        try:
            built[spec.kind] = spec.build(env, built)
        except ValueError:  # pydantic's message would echo the value: name the variables only
            names = ", ".join(spec.variables)
            raise MissingSettingError(f"{names} do not make a valid {spec.kind} block") from None
    saved = []
    for spec in SPECS:
        if not dry_run:
            built[spec.kind].save(spec.name, overwrite=True)
        saved.append(f"{spec.kind}/{spec.name}")
    return saved


def wait_for_api(url: str, seconds: float = 90) -> bool:
    """Whether the Prefect API at `url` answers within `seconds`.

    `prefect server start --background` returns before the server listens (a first start
    migrates its database), and Prefect's client does not retry a refused connection.
    """
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{url.rstrip('/')}/health", timeout=5):  # noqa: S310
                return True
        except (OSError, ValueError):
            if time.monotonic() > deadline:
                return False
            time.sleep(1)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(description="Create this project's Prefect blocks.")
    parser.add_argument("--env-file", type=Path, default=Path(".env"))
    parser.add_argument("--dry-run", action="store_true", help="check the variables only")
    args = parser.parse_args(argv)
    api_url = os.environ.get("PREFECT_API_URL", "")
    local = urllib.parse.urlparse(api_url).hostname in {"127.0.0.1", "localhost", "::1"}
    if not args.dry_run and local and not wait_for_api(api_url):
        print(f"error: no Prefect server answers at {api_url}; no blocks saved.", file=sys.stderr)
        return 1
    try:
        names = create_blocks(read_environment(args.env_file), dry_run=args.dry_run)
    except MissingSettingError as error:
        print(f"error: {error} (see .env.example); no blocks were saved.", file=sys.stderr)
        return 1
    verb = "would save" if args.dry_run else "saved"
    for name in names:
        print(f"{verb} {name}")
    if not names:
        print("no blocks needed by this project's answers")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
