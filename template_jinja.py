"""Cookiecutter's entry to the template's Jinja extension, which no older copy can shadow.

`cruft update` renders a project's old commit of this template and then the new one in
one Python process, from one checkout. Python keeps every module it imported: an
extension imported by its module name during the first render would be reused, stale,
by the second (`'plan' is undefined`, updating from a commit before the answer model).
So this module holds no template logic. For each Jinja environment it loads the
`answer_model` package that sits beside it now, under a name made from the package's
content (`_answer_model_<hash>`), and lets its `jinja.install` set the environment up:
another commit's model has another name, the same model is loaded once.

Keep this file's behaviour as it is. If it must change, give the module a new name in
`cookiecutter.json` (`_extensions`), because an older copy of this name may already be
imported when a newer commit's template is rendered.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import tempfile
from pathlib import Path

from jinja2.ext import Extension

PACKAGE = Path(__file__).resolve().parent / "answer_model"


def _fresh_model():
    """The `answer_model` package beside this file, as its files are now."""
    files = sorted(PACKAGE.glob("*.py"))
    digest = hashlib.sha256(b"".join(f.name.encode() + f.read_bytes() for f in files))
    name = f"_answer_model_{digest.hexdigest()[:16]}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, PACKAGE / "__init__.py", submodule_search_locations=[str(PACKAGE)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    # Compiled files in the checkout's __pycache__ could be the other commit's when both
    # were written within one second: compile from source, into a throwaway cache that
    # goes once the package is loaded (it left a folder in the temp dir per render).
    prefix = sys.pycache_prefix
    with tempfile.TemporaryDirectory(prefix="template-jinja-") as throwaway:
        sys.pycache_prefix = throwaway
        try:
            spec.loader.exec_module(module)
            importlib.import_module(f"{name}.jinja")
        except BaseException:
            for loaded in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
                del sys.modules[loaded]
            raise
        finally:
            sys.pycache_prefix = prefix
    return module


class TemplateJinja(Extension):
    """Quoting filters, answer checks and `plan` (answer_model/jinja.py), always current."""

    def __init__(self, environment):
        super().__init__(environment)
        _fresh_model().jinja.install(environment)
