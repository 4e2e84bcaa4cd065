"""What each choice brings into the rendered project, written once.

A code storage, a work pool type, a notification channel, a warehouse, a CI provider and
a Prefect line each have one entry here: the extras it installs, the blocks it needs (type, name,
class, fields) and the `.env.example` lines that feed them, the files only it keeps,
the README sentences that explain it, and what it cannot be combined with. The rendered
files loop over these entries (`plan` in every template, see `answer_model.plan`);
`prefect.yaml`'s steps for a storage are its fragment in `templates/prefect_yaml/`.
Adding a storage is one `Storage` entry, its choice in `cookiecutter.json` and its
fragment; `tests/test_answer_model.py` checks all three agree with every rendered row.
"""

from __future__ import annotations

from dataclasses import dataclass

# extra name -> requirement; the rendered pyproject.toml lists the extras a project needs.
EXTRAS = {
    "dask": "prefect-dask==0.3.7",
    "aws": "prefect-aws==0.7.12",
    "gitlab": "prefect-gitlab==0.3.5",
    "docker": "prefect-docker==0.7.4",
    "kubernetes": "prefect-kubernetes==0.8.0",
    "postgres": "psycopg[binary]==3.3.9",
}
ALWAYS_EXTRAS = ("dask",)  # scaling out is documented for every project


@dataclass(frozen=True)
class Block:
    """A Prefect block the block script saves, named `<slug>-<suffix>` in every workspace.

    `fields` maps the block's field to where its value comes from: `$NAME` an environment
    variable (from `.env`), `@type` a block saved before it, anything else a literal
    (`{repository_url}`-style placeholders are filled from the answers).
    """

    type: str
    suffix: str
    cls: str
    fields: dict[str, str]
    # Its variables may be left empty (a secret a project may not need yet): "save" saves
    # the block with empty values, "skip" saves no block; `empty_note` says what follows.
    when_empty: str = ""
    empty_note: str = ""

    def variables(self) -> tuple[str, ...]:
        return tuple(v[1:] for v in self.fields.values() if v.startswith("$"))


@dataclass(frozen=True)
class Storage:
    """Where workers get the flow code, and everything that follows from it."""

    extras: tuple[str, ...]
    blocks: tuple[Block, ...]
    env_example: tuple[str, ...]  # `.env.example` lines: comments and variables
    first_run: str  # README: what must exist before the first deployed run
    dev_stand_in: str  # README: what `etl-dev` stands in for
    clones_repository: bool = False  # workers clone repository_url: push before deploying
    builds_image: bool = False  # `prefect deploy` builds and pushes an image with the code
    pools: tuple[str, ...] = ()  # the only pool types it works with (empty: all)
    why_pools: str = ""
    compose_note: str = ""


# README sentences, wrapped where the README wraps them.
STAND_IN_MIRROR = (
    "{code_storage} storage's build, push and pull steps are replaced by a `git_clone` of a "
    "local\nmirror of your working copy; deploy for real (below) to exercise them."
)
CLONE_STAND_IN = (
    "the real `git_clone` pull step clones a local mirror of your working copy (uncommitted\n"
    "changes included) instead of `{repository_url}`."
)
CLONE_FIRST_RUN = (
    "the code must be at `{repository_url}` (branch\n  `{repository_branch}`): workers clone "
    "it for every run;"
)

STORAGES = {
    "git": Storage(
        extras=(),
        blocks=(
            Block(
                "secret",
                "git-token",
                "prefect.blocks.system:Secret",
                {"value": "$GIT_ACCESS_TOKEN"},
                when_empty="save",
                empty_note="GIT_ACCESS_TOKEN is empty: saved an empty token, so the pull step "
                "clones without one (a public repository needs none)",
            ),
        ),
        env_example=(
            "# Token the worker uses to clone {repository_url} (Secret block); leave it empty",
            "# for a public repository.",
            "GIT_ACCESS_TOKEN=change-me",
        ),
        first_run=CLONE_FIRST_RUN,
        dev_stand_in=CLONE_STAND_IN,
        clones_repository=True,
    ),
    "gitlab": Storage(
        extras=("gitlab",),
        blocks=(
            Block(
                "secret",
                "gitlab-token",
                "prefect.blocks.system:Secret",
                {"value": "$GITLAB_ACCESS_TOKEN"},
            ),
            Block(
                "gitlab-credentials",
                "gitlab",
                "prefect_gitlab:GitLabCredentials",
                {"token": "$GITLAB_ACCESS_TOKEN", "url": "$GITLAB_URL"},
            ),
            Block(
                "gitlab-repository",
                "repo",
                "prefect_gitlab:GitLabRepository",
                {
                    "repository": "{repository_url}",
                    "reference": "{repository_branch}",
                    "credentials": "@gitlab-credentials",
                },
            ),
        ),
        env_example=(
            "# GitLab access for the worker's clone (Secret and GitLabCredentials blocks).",
            "GITLAB_ACCESS_TOKEN=change-me",
            "GITLAB_URL=https://gitlab.com",
        ),
        first_run=CLONE_FIRST_RUN,
        dev_stand_in=CLONE_STAND_IN,
        clones_repository=True,
    ),
    "s3": Storage(
        extras=("aws",),
        blocks=(
            Block(
                "aws-credentials",
                "aws",
                "prefect_aws:AwsCredentials",
                {
                    "aws_access_key_id": "$AWS_ACCESS_KEY_ID",
                    "aws_secret_access_key": "$AWS_SECRET_ACCESS_KEY",
                    "region_name": "$AWS_REGION",
                },
            ),
            Block(
                "s3-bucket",
                "code",
                "prefect_aws:S3Bucket",
                {"bucket_name": "$S3_BUCKET_NAME", "credentials": "@aws-credentials"},
            ),
        ),
        env_example=(
            "# AWS access for code upload and download (AwsCredentials and S3Bucket blocks).",
            "AWS_ACCESS_KEY_ID=change-me",
            "AWS_SECRET_ACCESS_KEY=change-me",
            "AWS_REGION=us-east-1",
            "S3_BUCKET_NAME=change-me-bucket",
        ),
        first_run="an S3 bucket and AWS credentials in `.env`: `prefect deploy` uploads the "
        "project there\n  and workers download it for every run;",
        dev_stand_in=STAND_IN_MIRROR,
    ),
    "docker": Storage(
        extras=("docker",),
        blocks=(),
        env_example=(
            "# Registry repository the deploy step builds and pushes to (the tag is generated).",
            "# `prefect deploy` reads it from the shell environment, not from .env: export it "
            "(CI does).",
            "IMAGE_REPOSITORY=registry.example.com/your-org/{project_slug}",
        ),
        first_run="a Docker engine and a registry you are logged in to, and `IMAGE_REPOSITORY` "
        "exported:\n  `prefect deploy` builds and pushes the image that carries the code;",
        dev_stand_in=STAND_IN_MIRROR,
        builds_image=True,
        pools=("docker", "kubernetes", "ecs"),
        why_pools="'docker' bakes the code into an image, which a process pool cannot run; "
        "choose work_pool_type docker, kubernetes or ecs",
    ),
    "local": Storage(
        extras=(),
        blocks=(),
        env_example=(
            "# Local code storage: `prefect deploy` stores the directory it runs in ($PWD, set by",
            "# your shell), and workers on this machine run the code there. Development only.",
            "# PWD=/path/to/this/checkout",
        ),
        first_run="nothing for the code: workers on this machine run this checkout "
        "(development only);",
        dev_stand_in="local storage runs this checkout, exactly as `prefect.yaml` says.",
        pools=("process",),
        why_pools="'local' runs the worker's own checkout, which a {work_pool_type} container "
        "cannot see; use work_pool_type process",
        compose_note="Local code storage runs the checkout you deployed from, which the worker "
        "container cannot\nsee: start a worker on this machine instead.",
    ),
}


@dataclass(frozen=True)
class Pool:
    """A work pool type, and everything that follows from it.

    Text fields may hold `{question}` placeholders (filled from the answers); compose lines
    are YAML, indented as the template places them.
    """

    extras: tuple[str, ...] = ()
    runs_image: bool = True  # flow runs start from the project's image
    min_python: str = "3.10"
    why_python: str = ""
    job_variables: tuple[tuple[str, object], ...] = ()  # beyond the image, in prefect.yaml
    first_run: str = ""  # README, deploying by hand: what must exist before the first run
    dev_stand_in: str = ""  # README: what etl-dev stands in for
    compose_environment: tuple[str, ...] = ()  # the compose worker's environment entries
    compose_service: tuple[str, ...] = ()  # more keys of the compose worker service
    compose_volumes: tuple[str, ...] = ()  # the compose worker's volumes, beyond its data
    compose_note: str = ""  # README, the self-hosted stack: what the pool needs there
    env_example: tuple[str, ...] = ()  # `.env.example` lines for the compose worker


IMAGE_STAND_IN = (
    "The {work_pool_type} pool is stood in for by a process pool of the same name: flows run\n"
    "as processes here, not in the project's image."
)
OUTSIDE_THE_STACK = (
    "Flow runs start outside the stack: set `WORKER_API_URL` in `.env` to an address of the\n"
    "server they can reach."
)

POOLS = {
    "process": Pool(
        runs_image=False,
        first_run="a process worker runs each flow in a temporary directory that it deletes "
        "afterwards:\n  relative data paths go to `~/.local/share/{project_slug}/` (set an "
        "absolute\n  `ETL_DATABASE_PATH` on the worker to choose), and the run's log prints "
        "the absolute path.",
    ),
    "docker": Pool(
        extras=("docker",),
        first_run="a Docker engine on the worker's machine (the worker starts one container "
        "per run);",
        dev_stand_in=IMAGE_STAND_IN,
        compose_service=(
            "# The worker starts flow-run containers through the host's Docker engine; its user",
            "# joins the group that owns the socket. To reach the server, those containers must",
            "# join this stack's network: job variable `networks: [{project_slug}]`.",
            "group_add:",
            "  - ${{DOCKER_GID:?set DOCKER_GID in .env}}",
        ),
        compose_volumes=("/var/run/docker.sock:/var/run/docker.sock",),
        compose_note="Flow-run containers of the docker pool are not on the stack's network, "
        "so they cannot reach\n`server:4200` until you add the job variable `networks: "
        "[{project_slug}]` or\nset `WORKER_API_URL` to an address they can reach.",
        env_example=(
            "# Group that owns the host's Docker socket, for the compose worker: "
            "`stat -c %g /var/run/docker.sock`.",
            "DOCKER_GID=999",
        ),
    ),
    "kubernetes": Pool(
        extras=("kubernetes",),
        min_python="3.11",
        why_python="prefect-kubernetes 0.8 needs Python 3.11 or newer; choose 3.11, 3.12 or "
        "3.13 for a kubernetes work pool",
        job_variables=(
            ("namespace", "{project_slug}"),
            ("cpu_request", "500m"),
            ("memory_request", "1Gi"),
        ),
        first_run="a cluster the worker's kubeconfig reaches, with the namespace "
        "`{project_slug}` created\n  (`kubectl create namespace {project_slug}`); each run is "
        "a Kubernetes job;",
        dev_stand_in=IMAGE_STAND_IN,
        compose_environment=("KUBECONFIG: /opt/prefect/app/.kube/config",),
        compose_volumes=(
            "${{KUBECONFIG_DIR:?set KUBECONFIG_DIR in .env}}:/opt/prefect/app/.kube:ro",
        ),
        compose_note=OUTSIDE_THE_STACK,
        env_example=(
            "# Folder with the kubeconfig (a file named `config`) the compose worker uses.",
            "KUBECONFIG_DIR=/home/change-me/.kube",
        ),
    ),
    "ecs": Pool(
        extras=("aws",),
        job_variables=(("cpu", 1024), ("memory", 2048)),
        first_run="AWS credentials for the worker and an ECS cluster; each run is an ECS task;",
        dev_stand_in=IMAGE_STAND_IN,
        compose_environment=(
            "AWS_ACCESS_KEY_ID: ${{AWS_ACCESS_KEY_ID:?set AWS_ACCESS_KEY_ID in .env}}",
            "AWS_SECRET_ACCESS_KEY: ${{AWS_SECRET_ACCESS_KEY:?set AWS_SECRET_ACCESS_KEY in .env}}",
            "AWS_REGION: ${{AWS_REGION:?set AWS_REGION in .env}}",
        ),
        compose_note=OUTSIDE_THE_STACK,
        env_example=(
            "# AWS access for the compose worker, which starts ECS tasks.",
            "AWS_ACCESS_KEY_ID=change-me",
            "AWS_SECRET_ACCESS_KEY=change-me",
            "AWS_REGION=us-east-1",
        ),
    ),
}


@dataclass(frozen=True)
class Notifications:
    blocks: tuple[Block, ...] = ()
    env_example: tuple[str, ...] = ()
    files: tuple[str, ...] = ()  # kept only with this choice


NOTIFICATIONS = {
    "slack": Notifications(
        blocks=(
            Block(
                "slack-webhook",
                "slack",
                "prefect.blocks.notifications:SlackWebhook",
                {"url": "$SLACK_WEBHOOK_URL"},
                when_empty="skip",
                empty_note="SLACK_WEBHOOK_URL is empty: failure notifications are only logged "
                "until it is set and this script runs again",
            ),
        ),
        env_example=(
            "# Incoming webhook that failure notifications go to (SlackWebhook block); empty:",
            "# no block yet, failures are only logged.",
            "SLACK_WEBHOOK_URL=https://hooks.slack.com/services/change-me",
            "# Name of that block, if you keep it under another name.",
            "# ETL_SLACK_BLOCK={project_slug}-slack",
        ),
        files=("etl/hooks/channels/slack.py", "tests/test_notifications.py"),
    ),
    "none": Notifications(),
}


@dataclass(frozen=True)
class Warehouse:
    """Where the example flow loads its rows, and what that database needs.

    The code is one path for every choice (SQLAlchemy in `etl/warehouse.py`); a choice
    brings its driver (an extra), the block that holds its URL for deployed runs, the
    `.env.example` lines that feed that block, and the files only it keeps.
    """

    extras: tuple[str, ...] = ()
    blocks: tuple[Block, ...] = ()
    env_example: tuple[str, ...] = ()
    files: tuple[str, ...] = ()  # kept only with this choice
    server: bool = False  # a database server: docker-compose.yml's PostgreSQL serves it
    readme: str = ""  # README: where deployed runs load, and how to point them elsewhere
    compose_note: str = ""  # README: what the self-hosted stack does for this warehouse


WAREHOUSE_INIT = "postgres-init"  # the folder docker-compose.yml mounts into PostgreSQL
WAREHOUSES = {
    "sqlite": Warehouse(
        readme="The warehouse is a SQLite file: `ETL_DATABASE_PATH` (default `data/warehouse.db`), "
        "or the\nflow's `database` parameter; `ETL_WAREHOUSE_URL` (a SQLAlchemy URL) overrides "
        "both. For\nPostgreSQL, generate the project with `warehouse=postgres`: it adds the "
        "driver, the block\nthat holds the URL and a warehouse database in "
        "`docker-compose.yml`."
    ),
    "postgres": Warehouse(
        extras=("postgres",),
        blocks=(
            # A Secret block, not prefect-sqlalchemy's connector: no extra package, and the
            # whole URL (password included) stays masked in the UI, the API and logs.
            Block(
                "secret",
                "warehouse-url",
                "prefect.blocks.system:Secret",
                {"value": "$WAREHOUSE_URL"},
            ),
        ),
        env_example=(
            "# The PostgreSQL warehouse of deployed runs, as a SQLAlchemy URL (psycopg 3 driver),",
            "# saved as the Secret block {project_slug}-warehouse-url. docker-compose.yml's",
            "# PostgreSQL creates this role and database on its first start; `postgres` is its",
            "# host inside the stack. Use letters and digits in the password (it goes in a URL).",
            "WAREHOUSE_DB_USER=warehouse",
            "WAREHOUSE_DB_PASSWORD=change-me-warehouse-password",
            "WAREHOUSE_DB_NAME=warehouse",
            "WAREHOUSE_URL=postgresql+psycopg://${{WAREHOUSE_DB_USER}}:${{WAREHOUSE_DB_PASSWORD}}"
            "@postgres:5432/${{WAREHOUSE_DB_NAME}}",
            "# Local runs and tests: a warehouse URL here wins over the block (and over",
            "# ETL_DATABASE_PATH); the tests' PostgreSQL cases run only when it is set.",
            "# ETL_WAREHOUSE_URL=postgresql+psycopg://user:password@127.0.0.1:5432/warehouse",
        ),
        files=(WAREHOUSE_INIT,),
        server=True,
        readme="The warehouse is PostgreSQL (driver psycopg 3, the `postgres` extra). Deployed "
        "runs read its\nSQLAlchemy URL from the Secret block `{project_slug}-warehouse-url`, which "
        "`python -m etl_tools.blocks`\nsaves from `WAREHOUSE_URL` in `.env`; the URL never "
        "appears in `prefect.yaml` or in logs.\nLocal runs and tests use `ETL_WAREHOUSE_URL` "
        "when it is set (it wins over the block), and\nthe flow's `database` parameter still "
        "takes a SQLite file for a quick run without a server (`etl-dev` uses one unless\n"
        "`ETL_WAREHOUSE_URL` is exported).",
        compose_note="The stack's PostgreSQL also holds the warehouse: on its first start "
        "`postgres-init/` creates\nthe role `WAREHOUSE_DB_USER` and the database "
        "`WAREHOUSE_DB_NAME` (not Prefect's), and the block\nscript saves `WAREHOUSE_URL` "
        "(host `postgres`) as the Secret block the flow runs read.",
    ),
}

# CI provider -> the files only it keeps.
CI_FILES = {
    "github": (".github",),
    "gitlab": (".gitlab-ci.yml", "renovate.json"),
    "none": (),
}


@dataclass(frozen=True)
class PrefectLine:
    """A Prefect release line: the releases supported and what must be held back for it."""

    releases: tuple[str, ...]
    constraints: tuple[tuple[str, str], ...]  # (requirement, why) for the rendered pyproject
    min_python: str


PREFECT_LINES = {
    "3.9": PrefectLine(
        releases=("3.9.1",),
        constraints=(
            (
                "whenever>=0.11",
                "Prefect 3.9's scheduler fails on whenever 0.10 (which it allows): "
                "schedules would never fire.",
            ),
        ),
        min_python="3.11",
    ),
    "3.8": PrefectLine(
        releases=("3.8.8", "3.8.7", "3.8.6", "3.8.5", "3.8.4"),
        constraints=(
            (
                "sqlalchemy>=2.0,<2.1",
                "Prefect 3.8's scheduler fails on SQLAlchemy 2.1: schedules would never fire.",
            ),
        ),
        min_python="3.10",
    ),
}
PREFECT_RELEASES = tuple(r for line in PREFECT_LINES.values() for r in line.releases)


def prefect_line(release: str) -> PrefectLine:
    return PREFECT_LINES[release.rsplit(".", 1)[0]]
