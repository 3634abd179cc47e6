"""The platform: creating a register, the database file, schema migrations."""

import json
import sqlite3
import stat
from pathlib import Path

from lautex_registry import __version__
from lautex_registry.platform import migrations
from lautex_registry.platform.db import connect
from tests.conftest import PASSWORD, Cli, roll_back_migrations


def test_version(cli: Cli) -> None:
    result = cli.ok("--version", user=None)
    assert result.stdout.strip() == f"lautex {__version__}"


def test_init_creates_a_private_file_with_every_pragma(tmp_path: Path, cli: Cli) -> None:
    target = tmp_path / "new" / "register.db"
    result = cli.init(target)
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
    result = cli.init(target, password="short")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: password: at least 12 characters are required"
    assert not target.exists()


def test_init_refuses_an_existing_register(cli: Cli) -> None:
    before = cli.db.read_bytes()
    result = cli.init(None)
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


def test_an_older_schema_asks_for_migrate_and_migrate_applies_it(cli: Cli) -> None:
    roll_back_migrations(cli.db)
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
    roll_back_migrations(cli.db)
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
    assert numbers == [m.number for m in migrations.MIGRATIONS]
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


def test_a_reader_that_stops_early_is_no_error_and_the_rows_are_audited(
    cli: Cli, tmp_path: Path
) -> None:
    """`lautex customer list --format csv | head -1`: no "BrokenPipeError", exit 0, audited."""
    import os
    import subprocess
    import sys

    rows = [f"Aino{n},Äijälä,aino{n}@example.fi,web-store" for n in range(1500)]
    data = tmp_path / "many.csv"
    data.write_text("first_name,last_name,email,source\n" + "\n".join(rows) + "\n")
    cli.ok("customer", "import", str(data))
    env = dict(os.environ, LAUTEX_DB=str(cli.db), LAUTEX_TOKEN=cli.tokens["clerk"])
    # More output than a pipe holds (64 KiB): the command is still writing when we stop.
    child = subprocess.Popen(
        [sys.executable, "-m", "lautex_registry", "customer", "list", "--format", "csv"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert child.stdout is not None and child.stderr is not None
    assert child.stdout.readline().startswith(b"id,first_name")
    child.stdout.close()
    stderr = child.stderr.read().decode()
    assert child.wait(timeout=60) == 0, stderr
    assert stderr == ""
    with cli.connect() as conn:
        [details] = conn.execute(
            "SELECT details_json FROM audit_log WHERE action = 'customer list'"
        ).fetchone()
    assert 0 < json.loads(details)["rows"] < 1500


def test_a_db_path_that_cannot_be_a_register_is_one_line(tmp_path: Path, cli: Cli) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    init_args = ("init", "--admin", "hannu", "--full-name", "Hannu Piispa", "--password-stdin")
    for args, fragment in (
        (("--db", str(blocker / "sub" / "r.db"), *init_args), "cannot create"),
        (("demo", "--db", str(blocker / "sub" / "demo.db")), "cannot create"),
        (("--db", str(tmp_path), "status"), "is a folder"),
        (("demo", "--db", str(tmp_path)), "is a folder"),
    ):
        result = cli.run(*args, user=None, input=PASSWORD + "\n")
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.startswith("error: db: ") and result.stderr.count("\n") == 1
        assert fragment in result.stderr
    assert blocker.read_text() == "x" and tmp_path.is_dir()


def test_audit_list_since_takes_a_date_or_a_time_and_refuses_anything_else(cli: Cli) -> None:
    cli.ok("customer", "add", "--first-name", "A", "--last-name", "B", "--source", "partner")
    with cli.connect() as conn:
        [at] = conn.execute("SELECT at FROM audit_log WHERE action = 'customer add'").fetchone()

    def since(value: str) -> list[str]:
        result = cli.ok("audit", "list", "--since", value, "--action", "customer", "-f", "json")
        return [row["at"] for row in json.loads(result.stdout)]

    assert since(at[:10]) == [at]
    assert since(at) == [at]
    hour = int(at[11:13])
    helsinki = f"{at[:11]}{(hour + 2) % 24:02d}{at[13:19]}+02:00"
    if hour < 22:  # the same moment written in Helsinki time
        assert since(helsinki) == [at]
    for bad in ("bogus", "2026-13-01", "yesterday"):
        result = cli.run("audit", "list", "--since", bad)
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("error: since: ") and result.stderr.count("\n") == 1
        assert result.stdout == ""


def test_a_group_without_its_subcommand_shows_its_help_and_no_empty_error(cli: Cli) -> None:
    for group in ("customer", "request", "invoice"):
        result = cli.run(group)
        assert result.exit_code == 2, result.output
        assert "Commands" in result.stdout and "list" in result.stdout
        assert "error:" not in result.stderr, result.stderr


def test_an_empty_table_is_silent_without_a_terminal(tmp_path: Path) -> None:
    """A cron job's `request list --overdue --fail-if-any` mails only when something is due."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, LAUTEX_DB=str(tmp_path / "c.db"), LAUTEX_HOME=str(tmp_path / "h"))
    run = [sys.executable, "-m", "lautex_registry"]
    for args in (
        ["init", "--admin", "hannu", "--full-name", "Hannu Piispa", "--password-stdin"],
        ["login", "hannu", "--password-stdin"],
    ):
        subprocess.run([*run, *args], input=PASSWORD + "\n", text=True, env=env, check=True,
                       capture_output=True)  # fmt: skip
    result = subprocess.run(
        [*run, "request", "list", "--overdue", "--fail-if-any"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 0
    assert (result.stdout, result.stderr) == ("", "")
