"""Shell completion: `lautex completion SHELL` prints a script that completes in a real shell."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Cli


def _lautex_on_path(tmp_path: Path) -> dict[str, str]:
    """A `lautex` on PATH that runs this tree, as the installed entry point does."""
    folder = tmp_path / "bin"
    folder.mkdir()
    wrapper = folder / "lautex"
    root = Path(__file__).parent.parent
    wrapper.write_text(
        f'#!/bin/sh\nPYTHONPATH="{root}" exec "{sys.executable}" -m lautex_registry "$@"\n'
    )
    wrapper.chmod(0o700)
    return dict(os.environ, PATH=f"{folder}{os.pathsep}{os.environ['PATH']}")


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completes_commands_subcommands_and_options(tmp_path: Path) -> None:
    script = (
        'eval "$(lautex completion bash)"\n'
        "for words in 'lautex inv' 'lautex invoice li' 'lautex invoice list --ov' "
        "'lautex order add 1 --cha'; do\n"
        '  read -ra COMP_WORDS <<< "$words"; COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n'
        '  COMPREPLY=(); _lautex_completion lautex; echo "${COMPREPLY[*]}"\n'
        "done\n"
    )
    result = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", script], env=_lautex_on_path(tmp_path),
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["invoice", "list", "--overdue", "--channel"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_every_shells_script_calls_back_lautex(cli: Cli, shell: str) -> None:
    script = cli.ok("completion", shell, user=None).stdout
    assert f"_LAUTEX_COMPLETE=complete_{shell}" in script
    assert "lautex" in script


def test_an_unknown_shell_is_one_line(cli: Cli) -> None:
    result = cli.run("completion", "tcsh", user=None)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "bash" in result.stderr
