"""Errors that tell the truth: the user's file, the user's answer, or a bug in lautex."""

import errno
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import Result

from lautex_registry.records import status
from tests.conftest import Cli
from tests.helpers import assert_one_line_error


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


ENVIRONMENT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO}
# SQLite's primary codes the machine causes: PERM, READONLY, IOERR, FULL, CANTOPEN.
ENVIRONMENT_CODES = {3, 8, 10, 13, 14}


def _status_failing_with(cli: Cli, monkeypatch: pytest.MonkeyPatch, exc: Exception) -> Result:
    def fail(conn: sqlite3.Connection, day: object) -> dict[str, object]:
        raise exc

    with monkeypatch.context() as patch:
        patch.setattr(status, "register_status", fail)
        return cli.run("status")


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(number=st.sampled_from(sorted(errno.errorcode)))
def test_an_os_error_is_exit_7_exactly_when_the_machine_refused(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, number: int
) -> None:
    exc = OSError(number, os.strerror(number), "/srv/lautex/lautex.db")
    if isinstance(exc, BrokenPipeError):
        return  # EPIPE, ESHUTDOWN: a closed pipe is exit 141 (README: Exit codes)
    result = _status_failing_with(cli, monkeypatch, exc)
    if number in ENVIRONMENT_ERRNOS:
        assert_one_line_error(result, 7, "error: environment: ", "/srv/lautex/lautex.db")
    else:
        assert_one_line_error(result, 1, "unexpected ")


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(primary=st.integers(1, 28), extended=st.integers(0, 40))
def test_a_sqlite_error_is_blamed_on_the_machine_the_file_or_lautex_by_its_code(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, primary: int, extended: int
) -> None:
    exc = sqlite3.OperationalError("some failure")
    exc.sqlite_errorcode = primary | extended << 8  # an extended code keeps its primary byte
    result = _status_failing_with(cli, monkeypatch, exc)
    if primary in ENVIRONMENT_CODES:
        assert_one_line_error(result, 7, "error: environment: ", "some failure")
    elif primary in (5, 6):  # SQLITE_BUSY, SQLITE_LOCKED
        assert_one_line_error(result, 6, "busy")
    elif primary in (11, 26):  # SQLITE_CORRUPT, SQLITE_NOTADB
        assert_one_line_error(result, 2, "not a usable lautex register")
    else:
        assert_one_line_error(result, 1, "unexpected OperationalError")
