"""Errors that tell the truth: the user's file, the user's answer, or a bug in lautex."""

import errno
import os
import signal
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import Result

from lautex_registry.platform import errors
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records import status
from tests.conftest import Cli
from tests.helpers import assert_one_line_error, dump, sigint_as_a_shell_gives_it


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
        preexec_fn=sigint_as_a_shell_gives_it,
    )
    os.close(their_end)
    assert child.stderr is not None
    asked = b""
    deadline = time.monotonic() + 60
    while b"?" not in asked and time.monotonic() < deadline:
        asked += os.read(child.stderr.fileno(), 4096)
    assert b"Replace the settings in force?" in asked
    return child, terminal


DEFAULT_SETTINGS = Path(errors.__file__).parents[1] / "defaults" / "register.toml"
# `settings load` is irreversible, so it asks at a terminal (README "Conventions").
SETTINGS_LOAD = ("settings", "load", str(DEFAULT_SETTINGS))


def test_no_at_the_confirmation_exits_8_saying_nothing_changed(cli: Cli) -> None:
    before = dump(cli)
    child, terminal = _at_the_prompt(cli, *SETTINGS_LOAD)
    os.write(terminal, b"n\n")
    _out, err = child.communicate(timeout=60)
    os.close(terminal)
    assert child.returncode == 8, err
    assert err.decode().strip().endswith("error: declined at the prompt: nothing changed")
    assert dump(cli) == before


def test_ctrl_c_at_the_confirmation_exits_130_saying_nothing_changed(cli: Cli) -> None:
    before = dump(cli)
    child, terminal = _at_the_prompt(cli, *SETTINGS_LOAD)
    child.send_signal(signal.SIGINT)
    _out, err = child.communicate(timeout=60)
    os.close(terminal)
    assert child.returncode == 130, err
    assert "nothing changed" in err.decode().splitlines()[-1]
    assert dump(cli) == before


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


@pytest.mark.parametrize(
    "query", ["SELECT * FROM no_such_table", "SELECT no_such_column FROM customers"]
)
def test_code_asking_for_a_table_or_column_that_is_not_there_is_a_bug_not_the_file(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    def misspelt(conn: sqlite3.Connection, day: object) -> dict[str, object]:
        conn.execute(query)
        return {}

    monkeypatch.setattr(status, "register_status", misspelt)
    result = cli.run("status")
    assert_one_line_error(result, 1, "unexpected OperationalError: ", "no such ", "LAUTEX_DEBUG=1")
    assert "not a usable" not in result.stderr
    monkeypatch.setenv("LAUTEX_DEBUG", "1")
    result = cli.run("status")
    assert result.exit_code == 1
    assert isinstance(result.exception, sqlite3.OperationalError)


# `lautex status` in its own process with a constraint violation planted where the
# command's service would run: what a user sees of a bug in lautex.
_BUGGY_STATUS = """
import sqlite3, sys
from lautex_registry.platform import errors
from lautex_registry.records import status

def bug(conn, day):
    conn.execute("INSERT INTO meta (key, value) VALUES ('register_id', 'twice')")

status.register_status = bug
from lautex_registry.cli.app import main
sys.argv = ["lautex", "status"]
main()
"""


def test_under_lautex_debug_a_bug_prints_its_traceback_from_the_real_command(
    cli: Cli, tmp_path: Path
) -> None:
    env = dict(os.environ, LAUTEX_DB=str(cli.db), LAUTEX_TOKEN=cli.tokens["admin"])
    env.pop("LAUTEX_DEBUG", None)
    quiet = subprocess.run(
        [sys.executable, "-c", _BUGGY_STATUS], env=env, capture_output=True, text=True, timeout=120
    )
    assert quiet.returncode == 1, quiet.stderr
    assert quiet.stderr.startswith("error: unexpected IntegrityError: ")
    assert "UNIQUE constraint failed" in quiet.stderr
    assert quiet.stderr.count("\n") == 1 and "Traceback" not in quiet.stderr
    loud = subprocess.run(
        [sys.executable, "-c", _BUGGY_STATUS],
        env=dict(env, LAUTEX_DEBUG="1"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert loud.returncode == 1, loud.stderr
    assert "Traceback (most recent call last)" in loud.stderr
    assert "IntegrityError: UNIQUE constraint failed: meta.key" in loud.stderr
    assert "not a usable" not in loud.stderr
    with closing(cli.connect()) as conn:
        assert conn.execute("SELECT count(*) FROM meta WHERE value = 'twice'").fetchone()[0] == 0


def test_a_register_damaged_inside_is_blamed_on_the_file_and_left_as_it_was(cli: Cli) -> None:
    with closing(cli.connect()) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(cli.db.read_bytes())
    # The first page (header and schema) stays; every table's pages become noise.
    noise = bytes((n * 131 + 7) % 256 for n in range(len(data) - page_size))
    data[page_size:] = noise
    cli.db.write_bytes(bytes(data))
    result = cli.run("status")
    assert_one_line_error(result, 2, "the file is not a usable lautex register", "malformed")
    assert cli.db.read_bytes() == bytes(data)


def test_a_file_of_random_bytes_is_blamed_on_the_file(cli: Cli, tmp_path: Path) -> None:
    junk = tmp_path / "random.db"
    junk.write_bytes(bytes((n * 7919 + 13) % 256 for n in range(64 * 1024)))
    result = cli.run("--db", str(junk), "status")
    assert_one_line_error(result, 2, "the file is not a usable lautex register")


@pytest.mark.parametrize(
    ("message", "code", "fragment"),
    [
        ("file is not a database", 2, "not a usable lautex register"),
        ("file is encrypted or is not a database", 2, "not a usable lautex register"),
        ("database disk image is malformed", 2, "not a usable lautex register"),
        ("database is locked", 6, "busy"),
        ("database or disk is full", 7, "the disk is full"),
        ("attempt to write a readonly database", 7, "read-only"),
        ("no such table: customers", 1, "unexpected DatabaseError"),
        ("UNIQUE constraint failed: meta.key", 1, "unexpected DatabaseError"),
    ],
)
def test_a_sqlite_error_without_its_code_is_judged_by_what_sqlite_says(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, message: str, code: int, fragment: str
) -> None:
    result = _status_failing_with(cli, monkeypatch, sqlite3.DatabaseError(message))
    assert_one_line_error(result, code, fragment)


def test_end_of_input_at_the_confirmation_exits_130_saying_nothing_changed(cli: Cli) -> None:
    before = dump(cli)
    child, terminal = _at_the_prompt(cli, *SETTINGS_LOAD)
    os.write(terminal, b"\x04")  # Ctrl-D: the terminal's end of input
    _out, err = child.communicate(timeout=60)
    os.close(terminal)
    assert child.returncode == 130, err
    assert err.decode().splitlines()[-1] == "error: interrupted at the prompt: nothing changed"
    assert dump(cli) == before


def test_a_reader_that_stopped_reading_makes_the_command_exit_141_quietly(cli: Cli) -> None:
    reading_end, writing_end = os.pipe()
    os.close(reading_end)  # the reader is gone before the first byte
    env = dict(os.environ, LAUTEX_DB=str(cli.db), LAUTEX_TOKEN=cli.tokens["admin"])
    try:
        child = subprocess.run(
            [sys.executable, "-m", "lautex_registry", "status", "--format", "json"],
            stdout=writing_end,
            stderr=subprocess.PIPE,
            env=env,
            timeout=120,
        )
    finally:
        os.close(writing_end)
    assert child.returncode == 141, child.stderr
    assert child.stderr == b""


README = Path(__file__).resolve().parent.parent / "README.md"
# The codes the error boundary gives outside the exception hierarchy, each pinned by a test
# above: 0 (success), 130 (interrupted, also end of input at a prompt), 141 (closed pipe).
BOUNDARY_CODES = {0, 130, 141}


def _readme_exit_codes() -> dict[int, str]:
    """The README's "Exit codes" table: code -> meaning."""
    section = README.read_text(encoding="utf-8").split("### Exit codes", 1)[1]
    table: dict[int, str] = {}
    for line in section.splitlines()[1:]:
        if table and not line.startswith("|"):
            break  # the table has ended
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0].isdigit():
            table[int(cells[0])] = cells[1]
    return table


def _error_classes() -> list[type[errors.LautexError]]:
    return [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, errors.LautexError)
    ]


def test_the_readme_table_lists_exactly_the_exit_codes_lautex_gives() -> None:
    table = _readme_exit_codes()
    defined = {cls.exit_code for cls in _error_classes()}
    assert len(_error_classes()) >= 9  # the parse found the hierarchy, not an empty module
    missing = {cls.__name__: cls.exit_code for cls in _error_classes()} | {
        str(code): code for code in BOUNDARY_CODES
    }
    assert {name: code for name, code in missing.items() if code not in table} == {}
    assert set(table) == defined | BOUNDARY_CODES


def test_the_readme_rows_say_what_their_exit_codes_mean() -> None:
    table = _readme_exit_codes()
    assert "declined" in table[errors.Declined.exit_code]
    assert "declined at the prompt: nothing changed" in table[errors.Declined.exit_code]
    assert "Ctrl-C" in table[130] and "end of input" in table[130]
    assert "pipe" in table[141]
    assert "bug in lautex" in table[errors.LautexError.exit_code]
    assert "LAUTEX_DEBUG=1" in table[errors.LautexError.exit_code]
    assert "not a lautex register" in table[errors.InvalidInput.exit_code]
    assert "busy database" in table[errors.Conflict.exit_code]
    assert "disk full" in table[errors.EnvironmentRefused.exit_code]
    assert "read-only" in table[errors.EnvironmentRefused.exit_code]
    assert "not found" in table[errors.NotFound.exit_code]
    assert "schema to migrate" in table[errors.SchemaError.exit_code]
    assert "refused by a rule" in table[errors.Refused.exit_code]
    assert "wrong password" in table[errors.AuthError.exit_code]
