"""Adversarial answers to every question.

Each answer is either refused by the answer model (`answer_model`, called by
`local_extensions.CheckedTemplate` as cookiecutter reads the answers) with exactly one
`error: <question>: ...` line, leaving nothing behind: no output directory, no replay
file; or rendered so that every TOML, YAML and Python file parses and holds exactly what
was typed. A few answers are stopped by cookiecutter itself first; those are pinned down
too (see COOKIECUTTER_STOPS).

Cookiecutter renders an answer given as key=value or in a config file's default_context as
Jinja ('{{ 7*7 }}' arrives as '49', '{% ... %}' executes). The model sees the unrendered
answers (`_cookiecutter`) when the files render and refuses Jinja syntax in any answer
that is not the template's own default; answers typed at the prompt or read from a replay
file are not rendered and arrive literally, and are refused the same way.
"""

from __future__ import annotations

import ast
import json
import random
import re
import subprocess
import tomllib
import zoneinfo
from pathlib import Path

import pytest
import yaml
from cookiecutter import prompt
from cookiecutter.exceptions import (
    FailedHookException,
    UndefinedVariableInTemplate,
)
from cookiecutter.main import cookiecutter
from jinja2 import TemplateSyntaxError

import answer_model
from answer_model import rules
from answer_model.jinja import python_string, toml_string, yaml_string
from devkit.render import BIN, DEFAULTS, TEMPLATE

QUESTIONS = [key for key in DEFAULTS if not key.startswith("_")]
CHOICES = {key: value for key, value in DEFAULTS.items() if isinstance(value, list)}
CHOICES = {key: value for key, value in CHOICES.items() if not key.startswith("_")}
DEFAULT_SLUG = "my-prefect-pipelines"


def bad(question: str, value, **others):
    """An answer (key=value) the hook must reject with one line naming `question`."""
    answers = {question: value, **others}
    return pytest.param(question, answers, False, id=f"{question}={ascii(value)[:40]}")


def via_replay(question: str, value):
    """Choices: cookiecutter checks key=value itself, so these reach the hook via replay."""
    answers = {question: value}
    return pytest.param(question, answers, True, id=f"{question}={ascii(value)[:40]}-replay")


def slug_from_name(name: str):
    """A project name whose slug (made by the template) is not valid: one project_slug line."""
    answers = {"project_name": name}
    return pytest.param("project_slug", answers, False, id=f"project_name={ascii(name)[:40]}")


REJECTED_TEXT = [
    *(bad("project_name", v) for v in ["", "   ", "\t", "x" * 101, "line\nbreak", "nul\x00"]),
    *(bad("project_name", v) for v in ["bell\x07", "esc\x1b[31m", "nel\x85", "sep\u2028"]),
    *(bad("project_name", v) for v in ["lone \udcff surrogate", "{{ 7*7 }}", "{# note #}"]),
    bad("project_name", "{% if true %}x{% endif %}"),
    # The slug is made from the name; a name that makes no valid slug is reported once.
    *(slug_from_name(v) for v in ["🚀", "!!!", "..", "Prefect", "ETL", "1 pipelines", "x" * 60]),
    *(bad("description", v) for v in ["x" * 301, "a\nb", "a\r\nb", "\x00", "tab\there"]),
    *(bad("description", v) for v in ["{{ 7*7 }}", "{% for i in range(3) %}{{ i }}{% endfor %}"]),
    *(bad("description", v) for v in ["{{ cookiecutter.project_name }}", "\udcff", "\x9b"]),
    *(bad("author_name", v) for v in ["", "  ", "x" * 101, "a\rb", "{{ 7*7 }}", "a\u2029b"]),
]
REJECTED_SLUG = [
    bad("project_slug", v)
    for v in [" ", "My Project", "my_project", "-x", "x-", "a--b", "1abc", "../evil", "a\\b"]
    + ["prefect", "etl", "prefect-aws", "fastapi", "pytest", "tests", "x" * 51, "ünï", "🚀"]
    + ["", ".", "..", "a\x00b", "x" * 300, "$(id)", "`id`", "{{ 'abc' }}", "abc\n", "a'b", 'a"b']
    + ["{% if true %}abc{% endif %}"]
    + ["a:b", "a b", "~", "%2e%2e"]
]
REJECTED_EMAIL = [
    bad("author_email", v)
    for v in ["", " ", "bad", "a@b", "a@b.c", "a@@b.com", "a b@c.com", "a@b.com\n", ".a@x.com"]
    + ["a.@x.com", "a..b@x.com", "<a@x.com>", "a@x.com; rm -rf /", "$(id)@x.com", "`id`@x.com"]
    + ['"q"@x.com', "ü@example.com", "a@-x.com", "x" * 250 + "@example.com", "{{ 7*7 }}@x.com"]
    + ["a@x.com{# #}", "a@x.com\x00", "🚀@x.com", "../x@example.com", "a/b@x.com"]
]
NASTY = ["", " ", "🚀", "../x", "a/b", "$(id)", "`id`", "'\"", "{{ 7*7 }}", "x" * 500, None, 3.12]
REJECTED_VERSIONS = [
    *(bad("prefect_version", v) for v in ["", " ", "latest", "3.9.0", "2.20.0", "3.8.3", "3.10.0"]),
    *(bad("prefect_version", v) for v in ["3.8.8 ", " 3.8.8", "v3.8.8", ">=3.8", "3.8.8\n"]),
    *(bad("prefect_version", v) for v in ["3.8.8; rm -rf /", "3.8.8$(id)", "{{ 7*7 }}"]),
    *(bad("prefect_version", v) for v in ["🚀", "../3.8.8", '3.8.8"', "3.8.8" + "9" * 200]),
    *(via_replay("python_version", v) for v in ["3.9", "3.14", "2.7", "3.12 ", "3.10.0"]),
    *(via_replay("code_storage", v) for v in ["svn", "GIT", "../local", "s3 "]),
    *(via_replay("work_pool_type", v) for v in ["k8s", "process ", "Docker"]),
    via_replay("ci_provider", "jenkins"),
    via_replay("notifications", "email"),
    # Every choice, as a replay file could hold it: nothing but the offered values passes.
    *(via_replay(question, value) for question in CHOICES for value in NASTY),
]
REJECTED_COMBINATIONS = [
    bad("code_storage", "docker", work_pool_type="process"),
    bad("code_storage", "local", work_pool_type="docker"),
    bad("code_storage", "local", work_pool_type="kubernetes"),
    bad("code_storage", "local", work_pool_type="ecs"),
    bad("python_version", "3.10", work_pool_type="kubernetes"),
    bad("python_version", "3.10", prefect_version="3.9.1"),
]
REJECTED_SCHEDULE = [
    bad("schedule_cron", v)
    for v in ["", " ", "0 0 31 2 *", "0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 * * * *", "0 0 * *"]
    + ["61 * * * *", "*/0 * * * *", "*/00 * * * *", "* 24 * * *", "0 0 0 * *", "0 0 * 13 *"]
    + ["0 0 * * 8", "a b c d e", "$(id) * * * *", "`id` * * * *", "{{ 7*7 }}", "@reboot"]
    + ["@every 5m", "@DAILY", "0 2 * * *\n", "0\t2 * * *", "٣ * * * *", "H * * * *", "1/ * * * *"]
    + ["0 2 * * * # comment", "5-1 * * * *", "1-2-3 * * * *", "L * * * *", "0 0 * * 5#3"]
    + ["0 " * 60, "99999999999999999999 * * * *", "0 0 * jan-feb-mar *", "0 0 * * fri-mon"]
    + ["'0 2 * * *'", '"0 2 * * *"', "0 0 * * ../etc", "0 0 ../.. * *", "0 0 * * 🚀"]
] + [
    bad("schedule_timezone", v)
    for v in ["Mars/Olympus", "../etc/passwd", "", " ", "utc", "UTC ", "/etc/localtime"]
    + ["/usr/share/zoneinfo/UTC", "localtime", "Europe", "Europe/Berlin/", "Europe/../UTC"]
    + ["posixrules", "right/UTC", "zone.tab", "tzdata.zi", "a" * 300, "Europe/Berlin\x00"]
    + ["$(date)", "`date`", "{{ 7*7 }}", "Europe\\Berlin", "🌍/Earth", "C:\\Windows"]
    + ["Europe/Berlin'", '"UTC"', "Europe/Zürich"]
]
REJECTED_REPOSITORY = [
    bad("repository_url", v)
    for v in ["", " ", "github.com/org/repo", "http://github.com/org/repo.git", "https://"]
    + ["https://github.com", "https:// github.com/org/repo", "https://github.com/org/a b.git"]
    + ["https://github.com/org/repo.git; rm -rf /", "https://github.com/$(id).git"]
    + ["https://github.com/`id`.git", "https://user:token@github.com/org/repo.git"]
    + ["https://github.com/../../etc/passwd", "https://github.com/org/repo/..", "file:///../x"]
    + ["file://relative/path", "-uhttps://x", "--upload-pack=touch /tmp/x", "/srv/repo.git"]
    + ["ext::sh -c touch% /tmp/pwned", "https://github.com/org/repo.git\n", "C:\\repos\\x"]
    + ["https://github.com/org/répo.git", 'https://github.com/org/"repo".git', "{{ 7*7 }}"]
    + ["https://github.com/org/repo'.git", "https://example.com/" + "a" * 300]
    + ["https://github.com/org/🚀.git", "https://github.com/{{ 7*7 }}.git"]
] + [
    bad("repository_branch", v)
    for v in ["", " ", "-rf", "--upload-pack=x", "../x", "a..b", "a b", "$(id)", "`id`"]
    + ["a.lock", "a.lock/b", "a/", "/a", "a//b", ".hidden", "a/.b", "x" * 101, "ünï", "@{u}"]
    + ["a~1", "a^", "a:b", "a?b", "a*b", "a[b", "a\\b", "main\n", "{{ 7*7 }}", "a.", "a'b"]
    + ["🚀", 'a"b', "a" * 40 + "/.."]
]
REJECTED = (
    REJECTED_TEXT
    + REJECTED_SLUG
    + REJECTED_EMAIL
    + REJECTED_VERSIONS
    + REJECTED_COMBINATIONS
    + REJECTED_SCHEDULE
    + REJECTED_REPOSITORY
)

# Free text that must land exactly as typed in pyproject.toml, README.md and every parser;
# each goes into project_name, description and author_name of one render. The quoting
# filters themselves are checked on many more strings in test_quoting_filters_round_trip.
SAFE_TEXT = [
    "Say \"hi\" \\ backslash \\\" \\\\ It's O'Brien's ''' \"\"\" \\u0041 \\n literal",
    "Ünïcødé 🚀 👩‍💻 名前 مرحبا \u00a0nbsp\u200bzero-width\u200emark\ufeffbom",
    "$(rm -rf /) `id` ${HOME} %PATH% && echo; | ../../etc/passwd C:\\Windows\\ <b>",
    'key = "v" # [table] - item: &a *a !!python/object:os.system }} %} #} } {',
    "null",
    "  padded  ",
]
# Answers that look risky but are valid; each dict is one render.
ACCEPTED = {
    "name-makes-slug": {"project_name": "Ünïcødé 🚀 $(rm -rf /) `id` ../../etc/passwd"},
    "keyword-slug": {"project_slug": "import", "description": ""},
    "stdlib-module-slug": {"project_slug": "json", "description": "   "},
    "longest-texts": {
        "project_name": "n" * 100,
        "project_slug": "p" * 50,
        "description": "d" * 300,
        "author_name": "a" * 100,
        "author_email": "first.last+tag@sub.example.co.uk",
    },
    "git-ssh": {
        "schedule_cron": "@daily",
        "schedule_timezone": "America/Argentina/Buenos_Aires",
        "repository_url": "git@github.com:org/repo.git",
        "repository_branch": "feature/x-1.2",
    },
    "gitlab-port": {
        "schedule_cron": "0 9 * jan-mar mon-fri",
        "schedule_timezone": "Etc/GMT+5",
        "code_storage": "gitlab",
        "repository_url": "ssh://git@gitlab.example.com:2222/org/repo.git",
        "repository_branch": "release_2024.1",
        "prefect_version": "3.8.4",
    },
    "file-url": {
        "schedule_cron": "0 0 31 2 mon",
        "repository_url": "file:///srv/git/my_repo.git",
        "repository_branch": "v1.2.3",
    },
}
# Schedules and URLs the hook must accept (checked without rendering).
ACCEPTED_CRONS = ["@daily", "@hourly", "*/15 * * * *", "0 0 29 2 *", "0 9 * jan-mar mon-fri"]
ACCEPTED_CRONS += ["0 0 31 2 mon", "0 2 * * 7", "0 0 1-31/2 * *", "5/15 * * * *", "0,30 * * * *"]
ACCEPTED_URLS = ["https://github.com/org/my_repo.git", "https://github.com/org/.github"]
ACCEPTED_URLS += ["https://gitlab.example.com:8443/group/sub/repo", "file:///C:/git/repo.git"]

# Answers cookiecutter itself stops on before the hook can run: exception and the text
# it shows. The hook cannot improve these messages; nothing may be left behind either way.
COOKIECUTTER_STOPS = [
    pytest.param(
        {"description": "{{ nope }}"}, UndefinedVariableInTemplate, "description", id="undefined"
    ),
    pytest.param({"description": "{{ 1 +"}, TemplateSyntaxError, "end of template", id="syntax"),
    pytest.param({"description": "a {# b"}, TemplateSyntaxError, "comment", id="open-comment"),
    *(
        pytest.param({q: v}, ValueError, f"choice variable {q}", id=f"{q}={v}")
        for q, v in [("python_version", "3.9"), ("code_storage", "svn"), ("ci_provider", "")]
    ),
]


# --------------------------------------------------------------------------- helpers


def config_file(tmp_path: Path, **default_context) -> Path:
    """A user config that keeps cookiecutter's replay files and clones inside tmp_path."""
    folder = tmp_path / "cfg"
    folder.mkdir(parents=True, exist_ok=True)
    config = {"replay_dir": str(folder / "replay"), "cookiecutters_dir": str(folder / "cc")}
    if default_context:
        config["default_context"] = default_context
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def replay_file(tmp_path: Path, **answers) -> Path:
    """A replay file as cookiecutter writes it: every answer already final, not rendered."""
    context = {k: v[0] if k in CHOICES else v for k, v in DEFAULTS.items() if k != "__prompts__"}
    context["project_slug"] = DEFAULT_SLUG
    context["repository_url"] = f"https://github.com/your-org/{DEFAULT_SLUG}.git"
    context.update(answers)
    path = tmp_path / "cfg" / "answers.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"cookiecutter": context}), encoding="utf-8")
    return path


def generate(tmp_path: Path, answers: dict, *, replay: bool = False) -> Path:
    """Run cookiecutter in-process into tmp_path/out, as `--no-input key=value` or `--replay`."""
    config = str(config_file(tmp_path))
    (tmp_path / "out").mkdir()  # like the current directory, the output folder exists
    out = str(tmp_path / "out")
    if replay:
        file = str(replay_file(tmp_path, **answers))
        return Path(cookiecutter(str(TEMPLATE), replay=file, output_dir=out, config_file=config))
    return Path(
        cookiecutter(
            str(TEMPLATE), no_input=True, extra_context=answers, output_dir=out, config_file=config
        )
    )


def cli(tmp_path: Path, *args: str, **answers: str) -> subprocess.CompletedProcess:
    """The real command line; `--no-input` unless replaying (cookiecutter forbids both)."""
    command = [str(BIN / "cookiecutter"), "-o", str(tmp_path / "out"), *args, str(TEMPLATE)]
    if "--replay-file" not in args:
        command.insert(1, "--no-input")
    command += [f"{key}={value}" for key, value in answers.items()]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error: ")]


def left_behind(tmp_path: Path) -> list[str]:
    """Everything under tmp_path except our config folder and an empty output folder."""
    return sorted(
        str(p.relative_to(tmp_path))
        for p in tmp_path.rglob("*")
        if p.parts[len(tmp_path.parts)] != "cfg" and p != tmp_path / "out"
    )


def assert_rendered_faithfully(project: Path) -> dict:
    """Every structured file parses; returns pyproject.toml's data."""
    for path in project.rglob("*"):
        if path.suffix in {".yaml", ".yml"}:
            yaml.safe_load(path.read_text(encoding="utf-8"))
        elif path.suffix == ".py":
            ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- rejected


def test_every_question_is_checked_and_attacked():
    assert list(answer_model.RULES) == QUESTIONS
    attacked = {param.values[0] for param in REJECTED}
    assert attacked == set(QUESTIONS)


@pytest.mark.parametrize(("question", "answers", "replay"), REJECTED)
def test_rejected_with_one_line(tmp_path, capfd, question, answers, replay):
    with pytest.raises(FailedHookException):
        generate(tmp_path, answers, replay=replay)
    lines = error_lines(capfd.readouterr().err)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {question}: "), lines
    assert left_behind(tmp_path) == []
    if not replay:  # refused before cookiecutter saves its replay file
        assert not (tmp_path / "cfg" / "replay").exists()


def test_a_made_answer_names_its_cause(tmp_path, capfd):
    with pytest.raises(FailedHookException):
        generate(tmp_path, {"project_name": "🚀"})
    [line] = error_lines(capfd.readouterr().err)
    assert line.startswith("error: project_slug: '-' must be")
    assert line.endswith("(made from project_name '🚀'); answer project_slug yourself")


def test_jinja_answer_says_what_cookiecutter_made_of_it(tmp_path, capfd):
    with pytest.raises(FailedHookException):
        generate(tmp_path, {"description": "{{ 7*7 }}"})
    [line] = error_lines(capfd.readouterr().err)
    assert line.startswith("error: description: '{{ 7*7 }}' holds Jinja syntax")
    assert "(it became '49')" in line


def test_jinja_typed_at_the_prompt_arrives_literally_and_is_rejected(tmp_path, capfd, monkeypatch):
    def typed(name, default, prompts=None, prefix=""):
        return "{{ 7*7 }}" if name == "description" else default

    monkeypatch.setattr(prompt, "read_user_variable", typed)
    monkeypatch.setattr(prompt, "read_user_choice", lambda name, options, *a, **k: options[0])
    with pytest.raises(FailedHookException):
        cookiecutter(
            str(TEMPLATE), output_dir=str(tmp_path / "out"), config_file=str(config_file(tmp_path))
        )
    [line] = error_lines(capfd.readouterr().err)
    assert line.startswith("error: description: '{{ 7*7 }}' holds Jinja syntax")
    assert "became" not in line  # not rendered: the hook sees exactly what was typed
    assert left_behind(tmp_path) == []


def test_absolute_slug_is_rejected_and_removed(tmp_path, capfd):
    outside = tmp_path / "elsewhere"
    with pytest.raises(FailedHookException):
        generate(tmp_path, {"project_slug": str(outside)})
    [line] = error_lines(capfd.readouterr().err)
    assert line.startswith("error: project_slug: ")
    assert not outside.exists()
    assert left_behind(tmp_path) == []


def test_slug_with_a_slash_is_refused_before_any_directory(tmp_path, capfd):
    """A pre-generation hook runs after cookiecutter made out/a/b (and out/a, which it
    then leaves behind); the answer model refuses the slug before any directory exists."""
    with pytest.raises(FailedHookException):
        generate(tmp_path, {"project_slug": "a/b"})
    [line] = error_lines(capfd.readouterr().err)
    assert line.startswith("error: project_slug: 'a/b' must be")
    assert left_behind(tmp_path) == []


@pytest.mark.parametrize(("answers", "exception", "message"), COOKIECUTTER_STOPS)
def test_cookiecutter_stops_before_the_hook(tmp_path, answers, exception, message):
    with pytest.raises(exception) as caught:
        generate(tmp_path, answers)
    shown = str(caught.value) + str(getattr(caught.value, "message", ""))
    assert message in shown
    assert left_behind(tmp_path) == []


def test_time_zone_without_a_database_accepts_utc_and_checks_only_the_shape(monkeypatch):
    """Windows without the tzdata package has no zones at all; UTC must still work."""
    monkeypatch.setattr(zoneinfo, "available_timezones", set)
    rules._zones.cache_clear()
    try:
        assert rules.timezone("UTC") is None
        assert rules.timezone("Europe/Berlin") is None  # with a warning: not checked
        for name in ["", "../etc/passwd", "/etc/localtime", "Europe/", "a b", "$(date)"]:
            assert rules.timezone(name), name
    finally:
        rules._zones.cache_clear()


# --------------------------------------------------------------------------- rendered safely


@pytest.mark.parametrize("text", SAFE_TEXT, ids=[ascii(t)[:30] for t in SAFE_TEXT])
def test_free_text_lands_exactly_as_typed(tmp_path, text):
    answers = {"project_name": text, "description": text, "author_name": text}
    project = generate(tmp_path, {**answers, "project_slug": "safe-text"})
    pyproject = assert_rendered_faithfully(project)
    assert pyproject["project"]["description"] == text
    assert pyproject["project"]["authors"] == [{"name": text, "email": "data-team@example.com"}]
    readme = (project / "README.md").read_text(encoding="utf-8").split("\n")
    assert readme[0] == f"# {text}"
    assert readme[2] == text


@pytest.mark.parametrize("name", list(ACCEPTED))
def test_risky_but_valid_answers_render(tmp_path, name):
    answers = ACCEPTED[name]
    project = generate(tmp_path, answers)
    assert project.parent == tmp_path / "out"
    pyproject = assert_rendered_faithfully(project)
    assert re.fullmatch(r"[a-z][a-z0-9-]*", project.name)
    assert pyproject["project"]["name"] == answers.get("project_slug", project.name)
    assert (project / "etl" / "__init__.py").is_file()  # the import package is always etl
    description = answers.get("description", DEFAULTS["description"])
    assert pyproject["project"]["description"] == description
    data = yaml.safe_load((project / "prefect.yaml").read_text(encoding="utf-8"))
    schedule = data["definitions"]["schedules"]["production"]
    assert schedule["cron"] == answers.get("schedule_cron", DEFAULTS["schedule_cron"])
    assert schedule["timezone"] == answers.get("schedule_timezone", "UTC")
    for key in ("repository_url", "repository_branch"):
        if key in answers:
            assert json.dumps(answers[key]) in json.dumps(data)


def test_hook_accepts_valid_schedules_and_urls():
    for expression in ACCEPTED_CRONS:
        assert rules.cron(expression) is None, expression
    for url in ACCEPTED_URLS:
        assert answer_model.RULES["repository_url"](url) is None, url


def test_hook_accepts_no_schedule_that_prefect_refuses():
    """Prefect checks cron with its vendored croniter (and refuses R and H); the hook must
    not pass a schedule that `prefect deploy` then refuses."""
    from prefect._vendor.croniter import croniter

    fields = [
        ["0", "59", "*/5", "0-30/10", "1,2"],
        ["0", "23", "*/6", "9-17", "0,12"],
        ["1", "29", "30", "31", "1-31/2", "*/7"],
        ["2", "12", "jan", "feb", "apr,jun", "jan-mar", "*/3"],
        ["0", "7", "mon", "mon-fri", "sun,sat", "1-5"],
    ]
    odd = ["*", "60", "5-1", "*/0", "2/3", "L", "?", "H", "R", "-", "1-", "0x1", "٣", "32"]
    rng = random.Random(20240229)
    pick = lambda field: rng.choice(odd if rng.random() < 0.15 else field)  # noqa: E731
    tried = ACCEPTED_CRONS + [" ".join(pick(field) for field in fields) for _ in range(3000)]
    accepted = [expression for expression in tried if rules.cron(expression) is None]
    assert len(accepted) > 100  # the sample exercises the accepting side too
    for expression in accepted:
        assert croniter.is_valid(expression), expression
        assert not set(expression.lower().split()) & {"r", "h"}, expression


STRINGS = [chr(c) for c in range(0x2100)] + ["\U0001f680", "\U0010ffff", "\ue000", "\ufeff"]
STRINGS += ["\ufffe", "\uffff", 'a"b\\c', "a\\u0041", "'''", '"""', "\r\n", ""] + SAFE_TEXT


@pytest.mark.parametrize("quote", [toml_string, yaml_string, python_string])
def test_quoting_filters_round_trip(quote):
    load = {
        toml_string: lambda literal: tomllib.loads(f"k = {literal}")["k"],
        yaml_string: lambda literal: yaml.safe_load(f"k: {literal}")["k"],
        python_string: ast.literal_eval,
    }[quote]
    for text in STRINGS:
        literal = quote(text)
        assert "\n" not in literal and "\r" not in literal, ascii(text)
        literal.encode("utf-8")  # writable to a file
        assert load(literal) == text, ascii(text)


def test_python_string_is_already_ruff_formatted():
    """Rendered projects run `ruff format --check`; the literal must be the one ruff writes."""
    source = "".join(f"X = {python_string(text)}\n" for text in STRINGS)
    command = [str(BIN / "ruff"), "format", "--isolated", "-"]
    result = subprocess.run(command, input=source, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    pairs = zip(source.splitlines(), result.stdout.splitlines(), strict=True)
    changed = [(a, b) for a, b in pairs if a != b]
    assert changed == []


def test_quoting_filters_refuse_lone_surrogates():
    for quote in (toml_string, yaml_string):
        with pytest.raises(ValueError, match="surrogate"):
            quote("a\udcffb")


# --------------------------------------------------------------------------- answer paths


def test_key_value_answers_on_the_command_line(tmp_path):
    config = str(config_file(tmp_path))
    text = 'Say "hi" \\ 🚀 $(id) `id`'
    good = cli(tmp_path / "good", "--config-file", config, description=text)
    assert good.returncode == 0, good.stdout + good.stderr
    pyproject = (tmp_path / "good" / "out" / DEFAULT_SLUG / "pyproject.toml").read_text("utf-8")
    assert tomllib.loads(pyproject)["project"]["description"] == text
    bad = cli(tmp_path / "bad", "--config-file", config, schedule_cron="0 0 31 2 *")
    assert bad.returncode == 1
    assert error_lines(bad.stderr) == [
        "error: schedule_cron: '0 0 31 2 *' never fires (no such day in those months)"
    ]
    assert left_behind(tmp_path / "bad") == []


def test_config_file_default_context(tmp_path):
    good = config_file(tmp_path / "good", schedule_timezone="Europe/Berlin", author_name="Zoë")
    result = cli(tmp_path / "good", "--config-file", str(good))
    assert result.returncode == 0, result.stdout + result.stderr
    project = tmp_path / "good" / "out" / DEFAULT_SLUG
    data = yaml.safe_load((project / "prefect.yaml").read_text(encoding="utf-8"))
    assert data["definitions"]["schedules"]["production"]["timezone"] == "Europe/Berlin"
    where = tmp_path / "bad"
    result = cli(where, "--config-file", str(config_file(where, schedule_timezone="Mars/Olympus")))
    assert result.returncode == 1
    assert error_lines(result.stderr) == [
        "error: schedule_timezone: 'Mars/Olympus' is not an IANA time zone name, "
        "e.g. 'UTC' or 'Europe/Berlin'"
    ]
    assert left_behind(where) == []


def test_jinja_in_a_config_file_is_seen_before_rendering(tmp_path, capfd):
    config = config_file(tmp_path, description="{% for i in range(3) %}{{ i }}{% endfor %}")
    with pytest.raises(FailedHookException):
        cookiecutter(
            str(TEMPLATE), no_input=True, output_dir=str(tmp_path / "out"), config_file=str(config)
        )
    [line] = error_lines(capfd.readouterr().err)
    assert line.startswith("error: description: '{% for i in range(3) %}")
    assert "(it became '012')" in line


def test_config_file_with_an_unknown_choice_falls_back_to_the_default(tmp_path):
    """Cookiecutter only warns about a default_context choice that is not offered, and
    keeps the template's default; no hook can see the rejected value."""
    config = config_file(tmp_path, python_version="3.9")
    with pytest.warns(UserWarning, match="Invalid default received: 3.9 provided for choice"):
        project = Path(
            cookiecutter(
                str(TEMPLATE),
                no_input=True,
                output_dir=str(tmp_path / "out"),
                config_file=str(config),
            )
        )
    assert "-python3.12\n" in (project / "Dockerfile").read_text(encoding="utf-8")


def test_replay_file(tmp_path):
    config = str(config_file(tmp_path))
    good = replay_file(tmp_path / "good", description='Say "hi" \\ 🚀', work_pool_type="ecs")
    result = cli(tmp_path / "good", "--config-file", config, "--replay-file", str(good))
    assert result.returncode == 0, result.stdout + result.stderr
    project = tmp_path / "good" / "out" / DEFAULT_SLUG
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["description"] == 'Say "hi" \\ 🚀'
    assert "aws" in pyproject["project"]["optional-dependencies"]
    bad = replay_file(tmp_path / "bad", python_version="3.9")
    result = cli(tmp_path / "bad", "--config-file", config, "--replay-file", str(bad))
    assert result.returncode == 1
    assert error_lines(result.stderr) == [
        "error: python_version: '3.9' is not one of 3.12, 3.11, 3.13, 3.10"
    ]
    assert left_behind(tmp_path / "bad") == []


def test_cli_shows_one_line_and_no_traceback(tmp_path):
    """The first refused answer stops cookiecutter: one line on stderr, one on stdout."""
    config = str(config_file(tmp_path))
    result = cli(tmp_path, "--config-file", config, author_email="bad", schedule_cron="61 * * * *")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error: author_email: 'bad' is not an email address like name@example.com",
    ]
    assert result.stdout.splitlines() == [
        "answers refused (see the error lines); nothing was written"
    ]
    assert left_behind(tmp_path) == []
    assert not (tmp_path / "cfg" / "replay").exists()  # nothing for --replay to repeat


def test_an_overlong_project_name_gets_one_line_not_a_traceback(tmp_path):
    """300 characters made a slug too long for a directory name: OSError before any hook."""
    config = str(config_file(tmp_path))
    result = cli(tmp_path, "--config-file", config, project_name="x" * 300)
    assert result.returncode == 1
    assert error_lines(result.stderr) == ["error: project_name: at most 100 characters (got 300)"]
    assert "Traceback" not in result.stdout + result.stderr
    assert left_behind(tmp_path) == []


def test_a_bad_slug_typed_at_the_prompt_is_refused_before_the_next_question(
    tmp_path, capfd, monkeypatch
):
    """Typed, not made: the message says so, and no later question is asked."""
    asked = []

    def typed(name, default, prompts=None, prefix=""):
        asked.append(name)
        return "My Project" if name == "project_slug" else default

    monkeypatch.setattr(prompt, "read_user_variable", typed)
    monkeypatch.setattr(prompt, "read_user_choice", lambda name, *a, **k: asked.append(name))
    with pytest.raises(FailedHookException):
        cookiecutter(
            str(TEMPLATE), output_dir=str(tmp_path / "out"), config_file=str(config_file(tmp_path))
        )
    [line] = error_lines(capfd.readouterr().err)
    assert line.startswith("error: project_slug: 'My Project' must be 1-50 lowercase"), line
    assert "made from" not in line
    assert asked == ["project_name", "project_slug"]
    assert left_behind(tmp_path) == []
    assert not (tmp_path / "cfg" / "replay").exists()


def test_a_refused_combination_leaves_no_replay_to_repeat(tmp_path, capfd):
    """Combinations are refused once their last answer is in, before the replay file."""
    with pytest.raises(FailedHookException):
        generate(tmp_path, {"code_storage": "local", "work_pool_type": "ecs"})
    [line] = error_lines(capfd.readouterr().err)
    assert line.startswith("error: code_storage: 'local' runs the worker's own checkout")
    assert not (tmp_path / "cfg" / "replay").exists()
    assert left_behind(tmp_path) == []
