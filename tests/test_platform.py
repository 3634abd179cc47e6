"""The platform: creating a register, the database file, schema migrations."""

import hashlib
import json
import shutil
import stat
from pathlib import Path

import pytest

from lautex_registry import __version__
from lautex_registry.platform import audit, migrations
from lautex_registry.platform.db import OutsideTransaction, connect, transaction
from lautex_registry.platform.errors import SchemaError
from lautex_registry.platform.schema_upgrade import migrate
from lautex_registry.platform.sqlite import sqlite3
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
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('lautex', 'm0999_future', 'x')"
    )
    conn.commit()
    conn.close()
    result = cli.run("whoami")
    assert result.exit_code == 4
    assert "newer than this lautex" in result.stderr
    assert cli.run("migrate").exit_code == 4


def test_every_migration_applies_to_a_blank_database(tmp_path: Path) -> None:
    conn = connect(tmp_path / "blank.db", create=True)
    with transaction(conn):
        applied = migrations.apply_pending(conn)
    assert [m.number for m in applied] == [m.number for m in migrations.known()]
    names = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
    assert names == [m.name for m in migrations.known()]
    assert names[6] == "m0007_answered_for_real"
    with transaction(conn):
        assert migrations.apply_pending(conn) == []
    # sqlite-utils leaves the connection's settings as lautex set them
    assert conn.execute("PRAGMA recursive_triggers").fetchone()[0] == 0
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"customers", "audit_log", "invoices", "requests", "suppression"} <= tables


# sha256 of each shipped migration's statements joined by NUL, first 16 hex digits, as
# the single-file runner shipped them: a shipped migration is never edited (docs/rules.md §3).
SHIPPED = {
    1: "05baca6f5ac076d0",
    2: "57d64d02d9591e0f",
    3: "95ca05a5c70b7172",
    4: "42686a050d04bd7c",
    5: "1365e07effcc4f2a",
    6: "94f4d7fd893980e8",
    7: "816391b745e9f8fc",
    8: "0f7b66b08488207b",
    9: "7ebd6c9c008860da",
    10: "3ac85101a5efeeb7",
    11: "52fbfca8fd61573b",
}


def test_shipped_migrations_are_unchanged_one_file_each() -> None:
    for migration in migrations.known()[: len(SHIPPED)]:
        digest = hashlib.sha256("\x00".join(migration.statements).encode()).hexdigest()
        assert digest[:16] == SHIPPED[migration.number], migration.name
        module = Path(migrations.__file__).parent / f"{migration.name}.py"
        assert module.is_file() and migration.name.startswith(f"m{migration.number:04d}_")
    numbers = [m.number for m in migrations.known()]
    # Increasing; a number may be missing while its migration is still being written.
    assert numbers == sorted(set(numbers)) and numbers[0] == 1
    assert numbers[-1] == migrations.LATEST


OLD_RUNNER_V10 = Path(__file__).parent / "fixtures" / "register-old-runner-v10.db"
ADMIN = audit.Actor(1, "admin")


def test_a_register_of_the_old_runner_migrates_and_keeps_its_history(tmp_path: Path) -> None:
    """The fixture was written by the single-file runner (ledger `schema_migrations`) and
    taken back to migration 10, as a register of the release before migration 11."""
    path = tmp_path / "old.db"
    shutil.copyfile(OLD_RUNNER_V10, path)
    conn = connect(path)
    old_dates = [r[0] for r in conn.execute("SELECT applied_at FROM schema_migrations")]
    assert len(old_dates) == 10
    with pytest.raises(SchemaError, match=r"at version 10, this lautex needs .*lautex migrate"):
        migrations.require_current(conn)
    backup, applied = migrate(conn, path, ADMIN, tmp_path / "backups")
    assert applied == [m.number for m in migrations.known() if m.number >= 11]
    assert backup is not None and backup.name.startswith("old.db.before-v11-")
    assert (
        sqlite3.connect(backup).execute("SELECT count(*) FROM schema_migrations").fetchone()[0]
        == 10
    )  # the safety copy is the register as it was
    migrations.require_current(conn)  # opens without complaint now
    ledger = conn.execute(
        "SELECT migration_set, name, applied_at FROM _sqlite_migrations ORDER BY id"
    )
    rows = [tuple(r) for r in ledger]
    assert [r[1] for r in rows] == [m.name for m in migrations.known()]
    assert {r[0] for r in rows} == {"lautex"}
    assert [r[2] for r in rows[:10]] == old_dates  # the history carried over, dates kept
    gone = "SELECT 1 FROM sqlite_master WHERE name = 'schema_migrations'"
    assert conn.execute(gone).fetchone() is None
    columns = {r[1] for r in conn.execute("PRAGMA table_info(organisations)")}
    assert "trader_id" in columns
    assert audit.verify_chain(conn).intact
    last = conn.execute("SELECT action, details_json FROM audit_log ORDER BY id DESC").fetchone()
    assert tuple(last) == ("migrate", json.dumps({"applied": applied}))
    assert migrate(conn, path, ADMIN) == (None, [])


def make_old_ledger(db: Path) -> None:
    """Write the single-file runner's bookkeeping for every migration, as it did."""
    conn = sqlite3.connect(db)
    conn.execute(
        "CREATE TABLE schema_migrations (number INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at TEXT NOT NULL)"
    )
    conn.executemany(
        "INSERT INTO schema_migrations VALUES (?, ?, '2026-01-02T03:04:05Z')",
        [(m.number, m.description) for m in migrations.known()],
    )
    conn.execute("DROP TABLE _sqlite_migrations")
    conn.commit()
    conn.close()


def test_an_up_to_date_register_of_the_old_runner_opens_as_it_is(cli: Cli) -> None:
    make_old_ledger(cli.db)
    cli.ok("whoami")
    assert "up to date" in cli.ok("migrate").stderr
    assert not list(cli.db.parent.glob("*.bak"))  # nothing to do: no copy, no write
    conn = sqlite3.connect(cli.db)
    conn.execute("INSERT INTO schema_migrations VALUES (999, 'future', 'x')")
    conn.commit()
    result = cli.run("whoami")
    assert result.exit_code == 4 and "(version 999) is newer than this lautex" in result.stderr
    assert cli.run("migrate").exit_code == 4


def test_a_failed_migration_leaves_the_register_as_it_was(cli: Cli) -> None:
    """All pending migrations go in one transaction: 10 fails, so 9 stays the last."""
    roll_back_migrations(cli.db, to=9)
    conn = connect(cli.db)
    conn.execute("CREATE TABLE register_counts (name TEXT)")  # migration 10 cannot make it
    before = migrations.applied_names(conn)
    with pytest.raises(sqlite3.OperationalError, match="register_counts already exists"):
        migrate(conn, cli.db, ADMIN)
    assert not conn.in_transaction
    assert migrations.applied_names(conn) == before
    assert [m.number for m in migrations.pending(conn)] == [
        m.number for m in migrations.known() if m.number >= 10
    ]
    assert "trader_id" not in {r[1] for r in conn.execute("PRAGMA table_info(organisations)")}
    assert conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'backups'").fetchone() is None
    assert conn.execute("SELECT action FROM audit_log ORDER BY id DESC").fetchone()[0] != "migrate"


def test_migrations_run_only_inside_the_callers_transaction(tmp_path: Path) -> None:
    conn = connect(tmp_path / "blank.db", create=True)
    with pytest.raises(OutsideTransaction, match="inside a transaction"):
        migrations.apply_pending(conn)
    assert migrations.current_version(conn) == 0


def test_a_usage_error_is_one_line_with_exit_2(cli: Cli) -> None:
    for args in (["whoami", "--format", "xml"], ["user", "add"], ["no-such-command"]):
        result = cli.run(*args)
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
        assert result.stdout == ""


def test_a_missing_choice_reads_as_one_line_of_words(cli: Cli) -> None:
    """Click lays the choices out over lines; the error line joins them, no escapes."""
    result = cli.run("labels", "--output", "sheet.pdf")
    assert result.exit_code == 2
    assert "Choose from: csv, pdf" in result.stderr, result.stderr
    assert "\\x0a" not in result.stderr and "\\x09" not in result.stderr


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


def test_an_sqlite_older_than_the_index_needs_is_refused_before_the_file_opens(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/rules.md §3: 3.40 would fail later, on the first write of a customer."""
    cli.init(tmp_path / "r.db")
    before = (tmp_path / "r.db").read_bytes()
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 40, 1))
    result = cli.run("--db", str(tmp_path / "r.db"), "status")
    assert result.exit_code == 7
    assert "SQLite 3.40.1 is older than 3.42.0" in result.stderr
    assert (tmp_path / "r.db").read_bytes() == before


def test_the_register_runs_on_one_sqlite_module() -> None:
    """A second sqlite3 module's exceptions would slip past `except sqlite3.Error`."""
    package = Path(__file__).resolve().parents[1] / "lautex_registry"
    direct = [
        path.relative_to(package.parent).as_posix()
        for path in package.rglob("*.py")
        if path.name != "sqlite.py"
        and any(
            line.strip() in ("import sqlite3", "from sqlite3 import *")
            or line.strip().startswith("from sqlite3 import ")
            for line in path.read_text(encoding="utf-8").splitlines()
        )
    ]
    assert direct == []
    with sqlite3.connect(":memory:") as conn:
        assert sqlite3.sqlite_version_info >= (3, 42, 0)
        conn.execute("CREATE VIRTUAL TABLE f USING fts5(x, tokenize='trigram', detail='none')")
        conn.execute("INSERT INTO f(f, rank) VALUES('secure-delete', 1)")
