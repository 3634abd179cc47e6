"""The platform: creating a register, the database file, schema migrations."""

import sqlite3
import stat
from pathlib import Path

from lautex_registry import __version__, migrations
from lautex_registry.db import connect
from tests.conftest import PASSWORD, Cli


def init(cli_runner: Cli, *extra: str, password: str = PASSWORD) -> object:
    return cli_runner.run(
        "init",
        "--admin",
        "hannu",
        "--full-name",
        "Hannu Piispa",
        "--password-stdin",
        *extra,
        user=None,
        input=password + "\n",
    )


def test_version(cli: Cli) -> None:
    result = cli.ok("--version", user=None)
    assert result.stdout.strip() == f"lautex {__version__}"


def test_init_creates_a_private_file_with_every_pragma(tmp_path: Path, cli: Cli) -> None:
    target = tmp_path / "new" / "register.db"
    result = cli.run(
        "--db",
        str(target),
        "init",
        "--admin",
        "hannu",
        "--full-name",
        "Hannu Piispa",
        "--password-stdin",
        user=None,
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    conn = connect(target)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert migrations.current_version(conn) == migrations.LATEST
    secret = conn.execute("SELECT value FROM meta WHERE key = 'secret'").fetchone()[0]
    assert len(bytes.fromhex(secret)) == 32


def test_init_with_a_short_password_leaves_no_file(tmp_path: Path, cli: Cli) -> None:
    target = tmp_path / "short.db"
    result = cli.run(
        "--db",
        str(target),
        "init",
        "--admin",
        "hannu",
        "--full-name",
        "Hannu Piispa",
        "--password-stdin",
        user=None,
        input="short\n",
    )
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: password: at least 12 characters are required"
    assert not target.exists()


def test_init_refuses_an_existing_register(cli: Cli) -> None:
    before = cli.db.read_bytes()
    result = cli.run(
        "init",
        "--admin",
        "other",
        "--full-name",
        "Other Admin",
        "--password-stdin",
        user=None,
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 6
    assert "already exists" in result.stderr
    assert cli.db.read_bytes() == before


def test_db_option_env_and_default_path(tmp_path: Path, cli: Cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("LAUTEX_DB")
    result = cli.run("whoami", user="clerk")
    # the default is data/lautex.db under the working directory: the fixture's copy lives there
    assert result.exit_code == 0, result.output
    missing = cli.run("--db", str(tmp_path / "nope.db"), "whoami")
    assert missing.exit_code == 3
    assert missing.stderr.count("\n") == 1 and "no register at" in missing.stderr
    assert not (tmp_path / "nope.db").exists()
    monkeypatch.setenv("LAUTEX_DB", str(tmp_path / "also-nope.db"))
    assert cli.run("whoami").exit_code == 3


def test_a_file_that_is_not_a_register_is_one_line(tmp_path: Path, cli: Cli) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    result = cli.run("--db", str(junk), "whoami")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and "Traceback" not in result.output


def _roll_back_latest_migration(db: Path) -> None:
    """Make the file look like one written by the previous release."""
    conn = sqlite3.connect(db)
    latest = migrations.MIGRATIONS[-1]
    for name in ("retention_runs",):
        conn.execute(f"DROP TABLE {name}")
    conn.execute("DELETE FROM schema_migrations WHERE number = ?", (latest.number,))
    conn.commit()
    conn.close()


def test_an_older_schema_asks_for_migrate_and_migrate_applies_it(cli: Cli) -> None:
    _roll_back_latest_migration(cli.db)
    result = cli.run("whoami")
    assert result.exit_code == 4
    assert "run `lautex migrate`" in result.stderr
    migrated = cli.ok("migrate")
    assert "backup written to" in migrated.stderr
    backups = list(cli.db.parent.glob("lautex.db.before-v*.bak"))
    assert len(backups) == 1
    assert stat.S_IMODE(backups[0].stat().st_mode) == 0o600
    cli.ok("whoami")
    assert "up to date" in cli.ok("migrate").stderr


def test_a_clerk_cannot_migrate(cli: Cli) -> None:
    _roll_back_latest_migration(cli.db)
    assert cli.run("migrate", user="clerk").exit_code == 5


def test_a_newer_schema_is_refused(cli: Cli) -> None:
    conn = sqlite3.connect(cli.db)
    conn.execute(
        "INSERT INTO schema_migrations (number, name, applied_at) VALUES (999, 'future', 'x')"
    )
    conn.commit()
    conn.close()
    result = cli.run("whoami")
    assert result.exit_code == 4
    assert "newer than this lautex" in result.stderr
    assert cli.run("migrate").exit_code == 4


def test_every_migration_applies_to_a_blank_database(tmp_path: Path) -> None:
    conn = connect(tmp_path / "blank.db", create=True)
    applied = migrations.apply_pending(conn)
    assert [m.number for m in applied] == [m.number for m in migrations.MIGRATIONS]
    numbers = [r[0] for r in conn.execute("SELECT number FROM schema_migrations ORDER BY 1")]
    assert numbers == list(range(1, migrations.LATEST + 1))
    assert migrations.apply_pending(conn) == []
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"customers", "audit_log", "invoices", "requests", "suppression"} <= tables


def test_a_usage_error_is_one_line_with_exit_2(cli: Cli) -> None:
    for args in (["whoami", "--format", "xml"], ["user", "add"], ["no-such-command"]):
        result = cli.run(*args)
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
        assert result.stdout == ""


def test_python_dash_m_runs_the_same_command_in_a_real_process(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = dict(os.environ, LAUTEX_DB=str(tmp_path / "p.db"), LAUTEX_HOME=str(tmp_path / "h"))
    run = [sys.executable, "-m", "lautex_registry"]
    created = subprocess.run(
        [*run, "init", "--admin", "hannu", "--full-name", "Hannu Piispa", "--password-stdin"],
        input=PASSWORD + "\n",
        text=True,
        capture_output=True,
        env=env,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    logged_in = subprocess.run(
        [*run, "login", "hannu", "--password-stdin"],
        input=PASSWORD + "\n",
        text=True,
        capture_output=True,
        env=env,
        check=False,
    )
    assert logged_in.returncode == 0, logged_in.stderr
    [token_file] = (tmp_path / "h" / "sessions").glob("*.token")
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    whoami = subprocess.run(
        [*run, "whoami", "-f", "json"], text=True, capture_output=True, env=env, check=False
    )
    assert whoami.returncode == 0 and '"role": "admin"' in whoami.stdout
    assert whoami.stderr == ""
