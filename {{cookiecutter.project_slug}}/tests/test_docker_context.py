"""etl_tools.docker_context against the examples of Docker's own documentation.

https://docs.docker.com/build/concepts/context/#dockerignore-files: each case is a small
tree, a `.dockerignore` and the files the documentation says are sent. `.dockerignore`
itself is always sent (the builder reads it), so it is part of every expected set.
"""

from __future__ import annotations

import pytest

from etl_tools.docker_context import docker_context, read_dockerignore

CASES = {
    # "Matching": `# comment` is ignored; `*/temp*` excludes names starting with temp in
    # any immediate subdirectory of the root (the file /somedir/temporary.txt, the
    # directory /somedir/temp); `*/*/temp*` the same two levels below the root;
    # `temp?` names in the root that are a one-character extension of temp.
    "temp-example": (
        ["# comment", "*/temp*", "*/*/temp*", "temp?"],
        [
            "somedir/temporary.txt",
            "somedir/temp/inside.txt",
            "somedir/subdir/temporary.txt",
            "tempa",
            "tempb",
            "temp",
            "temporary.txt",
            "tempab",
            "somedir/keep.txt",
            "a/b/c/temp.txt",
            "# comment",
        ],
        ["temp", "temporary.txt", "tempab", "somedir/keep.txt", "a/b/c/temp.txt", "# comment"],
    ),
    # "Syntax": leading and trailing slashes are disregarded; all four patterns exclude
    # `bar` in the subdirectory `foo` under the root, file or directory, and nothing else.
    **{
        f"slashes {pattern}": (
            [pattern],
            ["foo/bar", "foo/baz", "bar", "other/foo/bar"],
            ["foo/baz", "bar", "other/foo/bar"],
        )
        for pattern in ["/foo/bar/", "/foo/bar", "foo/bar/", "foo/bar"]
    },
    "slashes directory": (["/foo/bar/"], ["foo/bar/x.txt", "foo/bar/y/z.txt"], []),
    # A line starting with `#` in column 1 is a comment.
    "comment": (["#/this/is/a/comment"], ["this/is/a/comment", "a"], ["this/is/a/comment", "a"]),
    # The opening example: `node_modules` and `bar` (root only: no `**/`).
    "opening example": (
        ["node_modules", "bar"],
        ["node_modules/pkg/index.js", "bar", "src/bar", "src/main.ts"],
        ["src/bar", "src/main.ts"],
    ),
    # filepath.Clean trims whitespace and removes `.` and `..`; blank lines are ignored;
    # "for historical reasons, the pattern `.` is ignored".
    "clean": (
        ["  ./foo  ", "", "x/../bar", "."],
        ["foo", "bar", "x/bar", "keep"],
        ["x/bar", "keep"],
    ),
    "dot is ignored": (["."], ["a", "b/c"], ["a", "b/c"]),
    # `**` matches any number of directories, zero included: `**/*.go` excludes every
    # .go file, the root's too.
    "double star": (["**/*.go"], ["main.go", "cmd/app.go", "a/b/c/lib.go", "go.mod"], ["go.mod"]),
    # "Negating matches": every markdown file right under the root except README.md is
    # excluded; markdown files in subdirectories are still sent.
    "negation": (
        ["*.md", "!README.md"],
        ["README.md", "CHANGELOG.md", "docs/guide.md"],
        ["README.md", "docs/guide.md"],
    ),
    # The last matching line decides: no markdown files except README files other than
    # README-secret.md ...
    "exception then secret": (
        ["*.md", "!README*.md", "README-secret.md"],
        ["README.md", "README-dev.md", "README-secret.md", "NOTES.md"],
        ["README.md", "README-dev.md"],
    ),
    # ... and in the other order every README file is sent: the middle line has no effect.
    "secret then exception": (
        ["*.md", "README-secret.md", "!README*.md"],
        ["README.md", "README-dev.md", "README-secret.md", "NOTES.md"],
        ["README.md", "README-dev.md", "README-secret.md"],
    ),
    # The Dockerfile and .dockerignore can be excluded, yet are still sent to the builder.
    "dockerfile still sent": (
        ["Dockerfile", ".dockerignore", "*.txt"],
        ["Dockerfile", "notes.txt", "app.py"],
        ["Dockerfile", "app.py"],
    ),
}


@pytest.mark.parametrize(("lines", "tree", "sent"), list(CASES.values()), ids=list(CASES))
def test_docker_documentation_examples(tmp_path, lines, tree, sent):
    for name in tree:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    (tmp_path / ".dockerignore").write_text("\n".join(lines) + "\n")
    assert docker_context(tmp_path) == sorted([*sent, ".dockerignore"])


def test_patterns_given_directly(tmp_path):
    """Patterns passed in are used instead of the file's, and the caller's list is kept."""
    for name in ("a.py", "b.txt", ".dockerignore"):
        (tmp_path / name).write_text("*.py\n")
    patterns = ["*.txt"]
    assert docker_context(tmp_path, patterns) == [".dockerignore", "a.py"]
    assert patterns == ["*.txt"]


def test_no_dockerignore_sends_everything(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.py").write_text("x")
    (tmp_path / "empty").mkdir()
    assert docker_context(tmp_path) == ["sub/x.py"]


def test_read_dockerignore():
    text = "# comment\n\n  *.md  \n!README.md\n   \n"
    assert read_dockerignore(text) == ["*.md", "!README.md"]
