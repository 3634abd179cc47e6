"""Personal accounts, sessions, service tokens, lockout and permissions."""

import json
import os
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from lautex_registry.platform import clock
from lautex_registry.platform.sqlite import sqlite3
from tests.conftest import PASSWORD, Cli
from tests.helpers import dump


def login(cli: Cli, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return cli.run("login", username, "--password-stdin", user=None, input=password + "\n")


def session_files(cli: Cli) -> list[Path]:
    return list((cli.home / "sessions").glob("*.token"))


def test_without_a_session_a_command_exits_5(cli: Cli) -> None:
    for path in session_files(cli):
        path.unlink()
    result = cli.run("whoami", user=None)
    assert result.exit_code == 5
    assert result.stderr == (
        "error: not logged in: run `lautex login` (scripts and cron: set LAUTEX_TOKEN_FILE)\n"
    )


def test_login_whoami_logout(cli: Cli) -> None:
    for path in session_files(cli):
        path.unlink()
    result = login(cli, "clerk")
    assert result.exit_code == 0, result.output
    [token_file] = session_files(cli)
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    whoami = cli.ok("whoami", "--format", "json", user=None)
    assert '"username": "clerk"' in whoami.stdout and '"role": "clerk"' in whoami.stdout
    cli.ok("logout", user=None)
    assert session_files(cli) == []
    assert cli.run("whoami", user=None).exit_code == 5


def test_a_logged_out_token_no_longer_works(cli: Cli) -> None:
    login(cli, "clerk")
    [token_file] = session_files(cli)
    token = token_file.read_text().strip()
    cli.ok("logout", user=None)
    result = cli.runner.invoke(
        __import__("lautex_registry.cli.app", fromlist=["app"]).app,
        ["whoami"],
        env={"LAUTEX_TOKEN": token},
    )
    assert result.exit_code == 5


def test_wrong_password_exits_5_and_five_in_a_row_lock_the_account(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    for attempt in range(5):
        result = login(cli, "clerk", "wrong password " + str(attempt))
        assert result.exit_code == 5
        assert result.stderr == "error: wrong username or password\n"
    locked = login(cli, "clerk")
    assert locked.exit_code == 5
    assert "locked" in locked.stderr
    later = clock.real_now() + timedelta(minutes=16)
    monkeypatch.setattr(clock, "real_now", lambda: later)
    assert login(cli, "clerk").exit_code == 0


def test_four_wrong_passwords_then_the_right_one_resets_the_count(cli: Cli) -> None:
    for _ in range(4):
        assert login(cli, "clerk", "not the password").exit_code == 5
    assert login(cli, "clerk").exit_code == 0
    for _ in range(4):
        assert login(cli, "clerk", "not the password").exit_code == 5
    assert login(cli, "clerk").exit_code == 0


def test_an_unknown_user_gets_the_same_line_as_a_wrong_password(cli: Cli) -> None:
    result = login(cli, "nobody")
    assert result.exit_code == 5
    assert result.stderr == "error: wrong username or password\n"


def test_a_session_expires_after_eight_hours(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    for path in session_files(cli):
        path.unlink()
    login(cli, "clerk")
    assert cli.run("whoami", user=None).exit_code == 0
    later = clock.real_now() + timedelta(hours=8, minutes=1)
    monkeypatch.setattr(clock, "real_now", lambda: later)
    result = cli.run("whoami", user=None)
    assert result.exit_code == 5
    assert "expired" in result.stderr


def test_a_clerk_cannot_add_users(cli: Cli) -> None:
    result = cli.run(
        "user",
        "add",
        "eve",
        "--full-name",
        "Eve",
        "--role",
        "admin",
        "--password-stdin",
        user="clerk",
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 5
    assert result.stderr == "error: the clerk role may not run `lautex user add`\n"
    assert "eve" not in cli.ok("user", "list", "--format", "csv").stdout


def test_admin_adds_a_clerk_who_can_log_in(cli: Cli) -> None:
    cli.ok(
        "user",
        "add",
        "maija",
        "--full-name",
        "Maija Äijälä",
        "--role",
        "clerk",
        "--password-stdin",
        input="another long password\n",
    )
    assert login(cli, "maija", "another long password").exit_code == 0
    listing = cli.ok("user", "list", "--format", "csv").stdout
    assert "maija,Maija Äijälä,clerk" in listing


@pytest.mark.parametrize(
    ("args", "stdin", "code", "message"),
    [
        (["x", "--full-name", "X", "--role", "clerk"], PASSWORD, 2, "username:"),
        (["maija", "--full-name", "M", "--role", "boss"], PASSWORD, 2, "role:"),
        (["maija", "--full-name", "M", "--role", "clerk"], "short", 2, "password:"),
        (["clerk", "--full-name", "C", "--role", "clerk"], PASSWORD, 6, "already exists"),
    ],
)
def test_bad_user_add_is_one_line_and_changes_nothing(
    cli: Cli, args: list[str], stdin: str, code: int, message: str
) -> None:
    before = cli.ok("user", "list", "--format", "json").stdout
    result = cli.run("user", "add", *args, "--password-stdin", input=stdin + "\n")
    assert result.exit_code == code
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert message in result.stderr
    assert cli.ok("user", "list", "--format", "json").stdout == before


def test_system_accounts_use_tokens_only(cli: Cli) -> None:
    result = login(cli, "bot")
    assert result.exit_code == 5
    assert "service token" in result.stderr
    assert cli.ok("whoami", user="bot").stdout.count("system") == 1
    # a job account is refused register work
    assert cli.run("user", "list", user="bot").exit_code == 5


def test_a_service_token_can_be_revoked(cli: Cli) -> None:
    token = cli.ok("user", "token", "bot").stdout.strip()
    assert token.startswith("lxt_")
    from lautex_registry.cli.app import app

    def as_bot() -> int:
        return cli.runner.invoke(app, ["whoami"], env={"LAUTEX_TOKEN": token}).exit_code

    assert as_bot() == 0
    cli.ok("user", "revoke-token", "bot")
    assert as_bot() == 5
    assert cli.run("user", "revoke-token", "bot").exit_code == 3


def test_a_disabled_user_is_refused_until_enabled(cli: Cli) -> None:
    cli.ok("user", "disable", "clerk", "--yes")
    assert cli.run("whoami", user="clerk").exit_code == 5
    refused = login(cli, "clerk")
    assert refused.exit_code == 5
    assert "disabled" in refused.stderr
    cli.ok("user", "enable", "clerk")
    assert login(cli, "clerk").exit_code == 0


def test_disabling_revokes_the_service_token_for_good(cli: Cli) -> None:
    cli.ok("user", "disable", "bot", "--yes")
    cli.ok("user", "enable", "bot")
    revived = cli.run("whoami", user="bot")
    assert revived.exit_code == 5
    assert "not valid" in revived.stderr
    rows = [r["has_service_token"] for r in json.loads(cli.ok("user", "list", "-f", "json").stdout)
            if r["username"] == "bot"]  # fmt: skip
    assert rows == [False]
    token = cli.ok("user", "token", "bot").stdout.strip()
    from lautex_registry.cli.app import app

    assert cli.runner.invoke(app, ["whoami"], env={"LAUTEX_TOKEN": token}).exit_code == 0


def test_disable_is_reversible_so_it_does_not_ask_and_enable_undoes_it(cli: Cli) -> None:
    # README "Conventions": only irreversible commands confirm; --yes is still accepted.
    result = cli.run("user", "disable", "clerk")
    assert result.exit_code == 0, result.output
    assert "undo: lautex user enable" in result.stderr
    assert cli.run("whoami", user="clerk").exit_code == 5
    cli.ok("user", "enable", "clerk")
    token = cli.ok("user", "token", "clerk").stdout.strip()
    from lautex_registry.cli.app import app

    assert cli.runner.invoke(app, ["whoami"], env={"LAUTEX_TOKEN": token}).exit_code == 0
    assert cli.run("user", "disable", "clerk", "--yes").exit_code == 0  # old scripts still run


def test_passwd_changes_the_password_and_ends_other_sessions(cli: Cli) -> None:
    assert login(cli, "clerk").exit_code == 0
    cli.ok("user", "passwd", "--password-stdin", user="clerk", input="a brand new password\n")
    assert login(cli, "clerk").exit_code == 5
    assert login(cli, "clerk", "a brand new password").exit_code == 0
    # a clerk may not change someone else's password
    result = cli.run(
        "user", "passwd", "admin", "--password-stdin", user="clerk", input="x" * 20 + "\n"
    )
    assert result.exit_code == 5


def test_the_password_is_nowhere_in_the_file_or_the_output(cli: Cli) -> None:
    secret = "Unique-Secret-Password-4711"
    result = cli.run(
        "user",
        "add",
        "maija",
        "--full-name",
        "Maija",
        "--role",
        "clerk",
        "--password-stdin",
        input=secret + "\n",
    )
    assert secret not in result.output
    login_result = login(cli, "maija", secret)
    assert secret not in login_result.output
    conn = cli.connect()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for path in cli.db.parent.iterdir():
        assert secret.encode() not in path.read_bytes(), path


def test_without_a_terminal_the_password_must_come_from_stdin(cli: Cli) -> None:
    result = cli.run("user", "add", "maija", "--full-name", "Maija", "--role", "clerk")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: password: no terminal to ask at; pipe it in with --password-stdin\n"
    )


def test_a_bad_role_is_refused_before_the_password_is_asked(cli: Cli) -> None:
    result = cli.run("user", "add", "maija", "--full-name", "Maija", "--role", "boss")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: role:")


# --- the session file and its folders -------------------------------------------------------


def test_login_under_umask_000_makes_private_folders_and_file(cli: Cli, tmp_path: Path) -> None:
    home = tmp_path / "fresh" / "state" / "lautex"
    env = {**os.environ, "LAUTEX_DB": str(cli.db), "LAUTEX_HOME": str(home)}
    env.pop("LAUTEX_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "-m", "lautex_registry", "login", "clerk", "--password-stdin"],
        env=env, input=PASSWORD + "\n", capture_output=True, text=True, timeout=60,
        preexec_fn=lambda: os.umask(0),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    for folder in (tmp_path / "fresh", tmp_path / "fresh" / "state", home, home / "sessions"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    [token_file] = (home / "sessions").glob("*.token")
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600


def test_login_narrows_a_home_and_sessions_folder_open_to_others(cli: Cli) -> None:
    (cli.home / "sessions").mkdir(parents=True, exist_ok=True)
    os.chmod(cli.home, 0o755)
    os.chmod(cli.home / "sessions", 0o777)
    assert login(cli, "clerk").exit_code == 0
    assert stat.S_IMODE(cli.home.stat().st_mode) == 0o700
    assert stat.S_IMODE((cli.home / "sessions").stat().st_mode) == 0o700
    os.chmod(cli.home / "sessions", 0o777)
    assert cli.run("whoami", user=None).exit_code == 0  # a command reading its session, too
    assert stat.S_IMODE((cli.home / "sessions").stat().st_mode) == 0o700


def test_a_symlinked_sessions_folder_is_refused(cli: Cli, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    (cli.home / "sessions").rename(elsewhere)
    (cli.home / "sessions").symlink_to(elsewhere)
    for result in (login(cli, "clerk"), cli.run("whoami", user=None)):
        assert result.exit_code == 2
        assert result.stderr.startswith("error: LAUTEX_HOME: cannot keep the session file in ")
        assert result.stderr.endswith(": it is a symbolic link\n")


@pytest.mark.parametrize("planted", ["symlink", "file"])
def test_a_planted_or_left_behind_temp_file_neither_blocks_a_login_nor_gets_the_token(
    cli: Cli, tmp_path: Path, planted: str
) -> None:
    for path in session_files(cli):
        path.unlink()
    register_id = (
        sqlite3.connect(cli.db)
        .execute("SELECT value FROM meta WHERE key = 'register_id'")
        .fetchone()[0]
    )
    sessions = cli.home / "sessions"
    bait = tmp_path / "bait.txt"
    bait.write_text("")
    if planted == "symlink":  # planted to catch the token, at the old name and the file's own
        (sessions / f"{register_id}.token.tmp").symlink_to(bait)
        (sessions / f"{register_id}.token").symlink_to(bait)
    else:  # left behind by a login killed halfway
        (sessions / f"{register_id}.token.tmp").write_text("")
    for _attempt in (1, 2):
        result = login(cli, "clerk")
        assert result.exit_code == 0, result.output
        assert "Clerk User" in cli.ok("whoami", user=None).stdout
    assert bait.read_text() == ""
    [token_file] = session_files(cli)
    assert not token_file.is_symlink() and stat.S_IMODE(token_file.stat().st_mode) == 0o600
    leftovers = sorted(p.name for p in sessions.iterdir())
    assert leftovers == [f"{register_id}.token", f"{register_id}.token.tmp"]  # the planted one


def test_a_login_whose_session_file_cannot_be_kept_changes_nothing(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    not_a_folder = tmp_path / "home-is-a-file"
    not_a_folder.write_text("")
    monkeypatch.setenv("LAUTEX_HOME", str(not_a_folder))
    before = dump(cli)
    result = login(cli, "clerk")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: LAUTEX_HOME: cannot create the folder ")
    assert dump(cli) == before


# --- every failed login costs the same ------------------------------------------------------


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The argon2 verifications a login makes (their count, not their wall time)."""
    from argon2 import PasswordHasher

    calls: list[str] = []
    real_verify = PasswordHasher.verify

    def counted(self: PasswordHasher, hash: str, password: str) -> bool:
        calls.append(hash)
        return bool(real_verify(self, hash, password))

    monkeypatch.setattr(PasswordHasher, "verify", counted)
    return calls


def test_every_failed_login_verifies_one_hash(cli: Cli, verifications: list[str]) -> None:
    cli.ok("user", "disable", "auditor", "--yes")
    for attempt in range(5):
        login(cli, "clerk", f"wrong {attempt}")
    verifications.clear()
    paths = {
        "unknown user": login(cli, "nobody"),
        "disabled": login(cli, "auditor"),
        "locked": login(cli, "clerk"),
        "system": login(cli, "bot"),
        "wrong password": login(cli, "admin", "not the password"),
        "right password": login(cli, "admin"),
    }
    assert {name: r.exit_code for name, r in paths.items()} == {
        "unknown user": 5, "disabled": 5, "locked": 5, "system": 5, "wrong password": 5,
        "right password": 0,
    }  # fmt: skip
    assert len(verifications) == len(paths)
