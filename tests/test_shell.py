"""The documented-command shell (tests/shell.py) has only the system's folders and uv, and a
command it cannot find fails by the tool's name."""

from __future__ import annotations

import subprocess

import pytest

from devkit.shell import SYSTEM_FOLDERS, bash, documented_env, missing_tool, uv_folder


def test_the_path_is_the_system_folders_and_uv_only():
    folders = documented_env()["PATH"].split(":")
    assert folders[0] == str(uv_folder())
    assert set(folders[1:]) <= set(SYSTEM_FOLDERS)
    assert sorted(p.name for p in uv_folder().iterdir()) == ["uv", "uvx"]


def test_a_missing_tool_is_named(tmp_path):
    env = documented_env()
    assert bash("uvx --version", tmp_path, env).returncode == 0
    env["PATH"] = "/bin:/usr/bin"
    with pytest.raises(pytest.fail.Exception, match=r"needs `uvx`, which is not on its PATH"):
        bash("uvx --version", tmp_path, env)


def test_bash_and_sh_messages_are_recognised():
    result = subprocess.run(
        ["bash", "-c", "no-such-tool-here --help"], capture_output=True, text=True
    )
    assert "`no-such-tool-here`" in missing_tool(result, "/bin")
    assert missing_tool("all fine\n", "/bin") is None
