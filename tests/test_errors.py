"""Errors that tell the truth: the user's file, the user's answer, or a bug in lautex."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lautex_registry import status
from tests.conftest import Cli
from tests.test_customers import assert_one_line_error


def test_a_file_that_is_not_a_database_is_blamed_on_the_file(cli: Cli, tmp_path: Path) -> None:
    junk = tmp_path / "notes.db"
    junk.write_bytes(b"these are my notes, not a register\n" * 200)
    result = cli.run("--db", str(junk), "status")
    assert_one_line_error(result, 2, "the file is not a usable lautex register")
    assert junk.read_bytes() == b"these are my notes, not a register\n" * 200


def _a_bug(conn: sqlite3.Connection, day: object) -> dict[str, object]:
    """A query with one binding too few: a mistake in lautex, not in the user's file."""
    conn.execute("SELECT ? + ?", (1,))
    return {}


def _a_constraint_bug(conn: sqlite3.Connection, day: object) -> dict[str, object]:
    conn.execute("INSERT INTO meta (key, value) VALUES ('register_id', 'twice')")
    return {}


@pytest.mark.parametrize("bug", [_a_bug, _a_constraint_bug])
def test_a_bug_in_lautex_is_an_unexpected_error_with_its_traceback_on_request(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, bug: object
) -> None:
    monkeypatch.setattr(status, "register_status", bug)
    result = cli.run("status")
    assert_one_line_error(result, 1, "unexpected ", "LAUTEX_DEBUG=1")
    assert "not a usable" not in result.stderr
    monkeypatch.setenv("LAUTEX_DEBUG", "1")
    result = cli.run("status")
    assert result.exit_code == 1
    assert isinstance(result.exception, sqlite3.ProgrammingError | sqlite3.IntegrityError)
    assert "not a usable" not in result.output


def _at_the_prompt(cli: Cli, *args: str) -> tuple[subprocess.Popen[bytes], int]:
    """`lautex ARGS` in its own process with a terminal for standard input, stopped at the
    question; returns the process and the terminal's writing end."""
    terminal, their_end = os.openpty()
    env = dict(os.environ, LAUTEX_DB=str(cli.db), LAUTEX_TOKEN=cli.tokens["admin"])
    child = subprocess.Popen(
        [sys.executable, "-m", "lautex_registry", *args],
        stdin=their_end,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    os.close(their_end)
    assert child.stderr is not None
    asked = b""
    deadline = time.monotonic() + 60
    while b"?" not in asked and time.monotonic() < deadline:
        asked += os.read(child.stderr.fileno(), 4096)
    assert b"Disable the account?" in asked
    return child, terminal


def _clerk_is_enabled(cli: Cli) -> bool:
    with cli.connect() as conn:
        [disabled] = conn.execute(
            "SELECT disabled_at FROM users WHERE username = 'clerk'"
        ).fetchone()
    return disabled is None


def test_no_at_the_confirmation_exits_8_saying_nothing_changed(cli: Cli) -> None:
    before = cli.db.read_bytes()
    child, terminal = _at_the_prompt(cli, "user", "disable", "clerk")
    os.write(terminal, b"n\n")
    _out, err = child.communicate(timeout=60)
    os.close(terminal)
    assert child.returncode == 8, err
    assert err.decode().strip().endswith("error: declined at the prompt: nothing changed")
    assert _clerk_is_enabled(cli) and cli.db.read_bytes() == before


def test_ctrl_c_at_the_confirmation_exits_130_saying_nothing_changed(cli: Cli) -> None:
    child, terminal = _at_the_prompt(cli, "user", "disable", "clerk")
    child.send_signal(signal.SIGINT)
    _out, err = child.communicate(timeout=60)
    os.close(terminal)
    assert child.returncode == 130, err
    assert "nothing changed" in err.decode().splitlines()[-1]
    assert _clerk_is_enabled(cli)
