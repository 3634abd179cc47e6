"""Backups with VACUUM INTO, and restores that replay the erasure journal."""

import shutil
import sqlite3
from pathlib import Path

from lautex_registry.backups import _due_entries
from lautex_registry.journal import JournalEntry
from tests.conftest import Cli
from tests.test_erasure import (
    EMAIL,
    add_customer,
    add_order,
    assert_no_trace_in_files,
    assert_no_trace_in_tables,
    every_table,
)


def test_a_backup_is_a_private_consistent_copy_and_is_audited(cli: Cli) -> None:
    customer = add_customer(cli)
    backup = cli.db.parent / "backups" / "one.db"
    backup.parent.mkdir()

    result = cli.ok("backup", str(backup))

    assert f"backed up the register to {backup} (" in result.stderr
    assert backup.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(backup) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT id FROM customers").fetchall() == [(customer,)]
    with cli.connect() as conn:
        assert conn.execute("SELECT count(*) FROM audit_log WHERE action = 'backup'").fetchone()[0]
    again = cli.run("backup", str(backup))
    assert again.exit_code == 6
    assert "already exists" in again.stderr
    assert cli.run("backup", str(cli.db.parent / "x.db"), user="clerk").exit_code == 5


def test_backup_erase_restore_leaves_the_person_erased(cli: Cli) -> None:
    customer = add_customer(cli)
    add_order(cli, customer, "T-1")
    keeper = add_customer(cli, email="keeper@example.fi", last="Pysyvä", phone="040 111 2222")
    backup = cli.db.parent / "before-erasure.db"
    cli.ok("backup", str(backup))
    cli.ok("erase", str(customer), "--yes", user="clerk")
    later = add_customer(cli, email="later@example.fi", last="Myöhäinen", phone="040 111 3333")

    preview = cli.ok("restore", str(backup), "--dry-run", "-f", "json")
    assert '"replayed": 1' in preview.stdout
    result = cli.ok("restore", str(backup), "--yes")

    assert "1 erasure(s) replayed" in result.stderr
    with cli.connect() as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM customers ORDER BY id")]
        assert ids == [keeper]  # the erased person is gone again; `later` came after the backup
        assert later not in ids
        assert conn.execute("SELECT customer_id FROM orders").fetchone()[0] is None
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log ORDER BY id")]
        assert actions[-2:] == ["restore replay", "restore"]
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert_no_trace_in_tables(cli)
    assert_no_trace_in_files(cli.db, Path(f"{cli.db}-wal"))
    assert not Path(f"{cli.db}.restoring").exists()
    # The backup itself still holds the person: it is the journal that keeps them erased.
    assert EMAIL.encode() in backup.read_bytes()


def test_an_anonymisation_after_the_backup_is_replayed_too(cli: Cli) -> None:
    customer = add_customer(cli)
    add_order(cli, customer, "T-1")
    backup = cli.db.parent / "b.db"
    cli.ok("backup", str(backup))
    cli.ok("anonymize", str(customer), "--yes", user="clerk")

    cli.ok("restore", str(backup), "--yes")

    with cli.connect() as conn:
        row = conn.execute(
            "SELECT state, email FROM customers WHERE id = ?", (customer,)
        ).fetchone()
        assert (row["state"], row["email"]) == ("anonymised", None)
        assert conn.execute("SELECT customer_id FROM orders").fetchone()[0] == customer


def test_restore_refuses_what_is_not_a_backup_of_this_register(cli: Cli, tmp_path: Path) -> None:
    add_customer(cli)
    with cli.connect() as conn:
        before = every_table(conn)
    other = tmp_path / "other.db"
    shutil.copy2(cli.db, other)
    with sqlite3.connect(other) as conn:
        conn.execute("UPDATE meta SET value = 'someone-else' WHERE key = 'register_id'")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)

    cases = [
        (other, 6, "another register"),
        (junk, 2, "not a lautex register"),
        (tmp_path / "missing.db", 3, "no file"),
    ]
    for path, code, message in cases:
        result = cli.run("restore", str(path), "--yes")
        assert result.exit_code == code, result.output
        assert message in result.stderr and result.stderr.count("\n") == 1
    valid = tmp_path / "valid.db"
    cli.ok("backup", str(valid))
    with cli.connect() as conn:
        before = every_table(conn)
    assert cli.run("restore", str(valid)).exit_code == 2  # no terminal and no --yes
    with cli.connect() as conn:
        assert every_table(conn) == before
    assert not Path(f"{cli.db}.restoring").exists()


def test_a_reused_id_is_not_erased_by_an_old_journal_entry(cli: Cli) -> None:
    customer = add_customer(cli)
    with cli.connect() as conn:
        created = conn.execute(
            "SELECT created_at FROM customers WHERE id = ?", (customer,)
        ).fetchone()[0]
        entry = JournalEntry("erase", customer, created, "2026-11-25", "x", "r", "request")
        stale = JournalEntry("erase", customer, "1999-01-01T00:00:00Z", "2026-11-25", "x", "r", "x")
        assert _due_entries(conn, [stale]) == ([], [])
        assert _due_entries(conn, [entry]) == ([], [customer])


def test_a_torn_last_journal_line_from_a_crash_is_skipped(tmp_path: Path) -> None:
    from lautex_registry import journal

    db = tmp_path / "x.db"
    whole = JournalEntry("erase", 5, "2026-01-01T00:00:00Z", "2026-11-25", "t", "r", "request")
    journal.append(db, [whole])
    with journal.journal_path(db).open("a") as handle:
        handle.write('{"action":"erase","customer_id":6')  # the write a crash cut short
    assert list(journal.read(db)) == [whole]
    assert journal.journal_path(db).stat().st_mode & 0o777 == 0o600
