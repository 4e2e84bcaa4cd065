"""The documentation site builds with `mkdocs build --strict`, and works offline.

Strict mode turns every warning into a failure: a page missing from the nav, a broken link
or anchor, a nav entry without a file. The built pages must not load anything from the
network (fonts, scripts, stylesheets), and the questions page must cover every question.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# A <link href>, <script src> or <img src> that points off the site.
REMOTE_RESOURCE = re.compile(r"<(?:link|script|img)\b[^>]*\b(?:href|src)=\"(?:https?:)?//", re.I)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site built once, with the environment's own mkdocs, into a temporary directory."""
    mkdocs = shutil.which("mkdocs", path=str(BIN))
    assert mkdocs, f"mkdocs is not installed next to {sys.executable}; run `uv sync`"
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [mkdocs, "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml"), "-d", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout}{result.stderr}"
    return out


def test_strict_build_succeeds(site):
    assert (site / "index.html").is_file()
    assert (site / "questions" / "index.html").is_file()


def test_pages_load_nothing_from_the_network(site):
    remote = {
        str(page.relative_to(site)): REMOTE_RESOURCE.findall(page.read_text(encoding="utf-8"))
        for page in site.rglob("*.html")
    }
    assert {page: found for page, found in remote.items() if found} == {}


def test_every_question_is_documented():
    questions = [k for k in json.loads((ROOT / "cookiecutter.json").read_text()) if k[0] != "_"]
    page = (ROOT / "docs" / "questions.md").read_text(encoding="utf-8")
    assert [q for q in questions if f"## {q}" not in page and f", {q}" not in page] == []
