"""Backups with VACUUM INTO, and restores that replay the erasure journal."""

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lautex_registry.erasure.backups import plan_replay
from lautex_registry.platform.journal import JournalEntry
from lautex_registry.platform.sqlite import sqlite3
from tests.conftest import Cli
from tests.helpers import (
    EMAIL,
    add_invoice,
    add_order_on,
    add_quinta,
    assert_no_trace_in_files,
    assert_no_trace_in_tables,
    erasure_request,
    every_table,
    lautex_env,
)


def test_a_backup_is_a_private_consistent_copy_and_is_audited(cli: Cli) -> None:
    customer = add_quinta(cli)
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
    customer = add_quinta(cli)
    add_order_on(cli, customer, "T-1")
    keeper = add_quinta(cli, email="keeper@example.fi", last="Pysyvä", phone="040 111 2222")
    backup = cli.db.parent / "before-erasure.db"
    cli.ok("backup", str(backup))
    cli.ok("erase", str(customer), "--yes", user="clerk")
    later = add_quinta(cli, email="later@example.fi", last="Myöhäinen", phone="040 111 3333")

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
    customer = add_quinta(cli)
    add_order_on(cli, customer, "T-1")
    backup = cli.db.parent / "b.db"
    cli.ok("backup", str(backup))
    cli.ok("anonymise", str(customer), "--yes", user="clerk")

    cli.ok("restore", str(backup), "--yes")

    with cli.connect() as conn:
        row = conn.execute(
            "SELECT state, email FROM customers WHERE id = ?", (customer,)
        ).fetchone()
        assert (row["state"], row["email"]) == ("anonymised", None)
        assert conn.execute("SELECT customer_id FROM orders").fetchone()[0] == customer


def test_restore_refuses_what_is_not_a_backup_of_this_register(cli: Cli, tmp_path: Path) -> None:
    add_quinta(cli)
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
        (tmp_path / "missing.db", 3, "does not exist"),
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
    customer = add_quinta(cli)
    with cli.connect() as conn:
        created = conn.execute(
            "SELECT created_at FROM customers WHERE id = ?", (customer,)
        ).fetchone()[0]
        entry = JournalEntry("erase", customer, created, "2026-11-25", "x", "r", "request")
        stale = JournalEntry("erase", customer, "1999-01-01T00:00:00Z", "2026-11-25", "x", "r", "x")
        conn.row_factory = sqlite3.Row
        assert plan_replay(conn, [stale], date(2026, 11, 25)).customers == []
        assert plan_replay(conn, [entry], date(2026, 11, 25)).to_erase == [customer]


def test_a_torn_last_journal_line_from_a_crash_is_skipped(tmp_path: Path) -> None:
    from lautex_registry.platform import journal

    db = tmp_path / "x.db"
    whole = JournalEntry("erase", 5, "2026-01-01T00:00:00Z", "2026-11-25", "t", "r", "request")
    journal.append(db, [whole])
    with journal.journal_path(db).open("a") as handle:
        handle.write('{"action":"erase","customer_id":6')  # the write a crash cut short
    assert list(journal.read(db)) == [whole]
    assert journal.journal_path(db).stat().st_mode & 0o777 == 0o600


# --- a damaged, truncated or deleted journal stops the restore ----------------------------


def erased_after_a_backup(cli: Cli, people: int = 3) -> tuple[Path, list[int]]:
    """`people` customers erased one by one after a backup that still holds them."""
    customers = [
        add_quinta(cli, email=f"p{n}@example.fi", last=f"Henkilö{n}", phone=f"040 555 000{n}")
        for n in range(people)
    ]
    backup = cli.db.parent / "before.db"
    cli.ok("backup", str(backup))
    for customer in customers:
        cli.ok("erase", str(customer), "--yes", user="clerk")
    return backup, customers


def journal_file(cli: Cli) -> Path:
    return Path(f"{cli.db}.erasure-journal")


def assert_refused_and_unchanged(cli: Cli, backup: Path, message: str) -> None:
    with cli.connect() as conn:
        before = every_table(conn)
    for extra in (("--dry-run",), ("--yes",)):
        result = cli.run("restore", str(backup), *extra)
        assert result.exit_code == 4, result.output
        assert message in result.stderr and result.stderr.count("\n") == 1
    with cli.connect() as conn:
        assert every_table(conn) == before
    assert not Path(f"{cli.db}.restoring").exists()


def test_a_corrupt_line_in_the_middle_of_the_journal_stops_restore_naming_it(cli: Cli) -> None:
    backup, _ = erased_after_a_backup(cli)
    path = journal_file(cli)
    lines = path.read_bytes().splitlines(keepends=True)
    # Same length, so only the line's content betrays it (not the recorded length).
    lines[1] = b"#" * (len(lines[1]) - 1) + b"\n"
    path.write_bytes(b"".join(lines))

    assert_refused_and_unchanged(cli, backup, "line 2 of")


def test_an_overwritten_journal_is_noticed_by_its_recorded_hash(cli: Cli) -> None:
    backup, customers = erased_after_a_backup(cli)
    path = journal_file(cli)
    lines = path.read_bytes().splitlines(keepends=True)
    # A valid entry, of the same length, for a customer who does not exist.
    entry = json.loads(lines[0])
    entry["customer_id"] = 10**6 + customers[0]
    forged = json.dumps(entry, separators=(",", ":")).encode()
    lines[0] = forged[: len(lines[0]) - 1] if len(forged) >= len(lines[0]) else forged
    path.write_bytes(b"".join(lines))

    result = cli.run("restore", str(backup), "--yes")
    assert result.exit_code == 4, result.output
    assert "erasure journal" in result.stderr


@pytest.mark.parametrize("damage", ["truncated", "deleted", "emptied"])
def test_a_truncated_or_deleted_journal_is_noticed_and_nothing_is_restored(
    cli: Cli, damage: str
) -> None:
    backup, customers = erased_after_a_backup(cli)
    path = journal_file(cli)
    if damage == "truncated":
        lines = path.read_bytes().splitlines(keepends=True)
        path.write_bytes(b"".join(lines[:-1]))  # whole lines: it still reads cleanly
        message = "entries are missing"
    elif damage == "deleted":
        path.unlink()
        message = "is missing"
    else:
        path.write_bytes(b"")
        message = "entries are missing"

    assert_refused_and_unchanged(cli, backup, message)
    with cli.connect() as conn:
        assert (
            conn.execute(
                "SELECT count(*) FROM customers WHERE id IN (?, ?, ?)", customers
            ).fetchone()[0]
            == 0
        )


def test_a_torn_last_line_is_skipped_by_restore_and_cut_off_by_the_next_erasure(
    cli: Cli,
) -> None:
    backup, customers = erased_after_a_backup(cli, people=2)
    path = journal_file(cli)
    with path.open("a") as handle:
        handle.write('{"action":"erase","customer_id":')  # a crash cut this write short

    result = cli.ok("restore", str(backup), "--yes")

    assert "2 erasure(s) replayed" in result.stderr
    other = add_quinta(cli, email="other@example.fi", last="Muu", phone="040 555 0099")
    cli.ok("erase", str(other), "--yes", user="clerk")
    # The fragment is gone; every line is a whole entry, the new one last.
    lines = path.read_text().splitlines()
    assert [json.loads(line)["customer_id"] for line in lines] == [*customers, other]
    assert cli.ok("restore", str(backup), "--yes").exit_code == 0


def test_an_erasure_request_answered_after_the_backup_is_closed_again(cli: Cli) -> None:
    customer = add_quinta(cli)
    add_order_on(cli, customer, "T-1")
    add_invoice(cli, "T-1", "2026-0001", "2026-11-20", "2026-12-04")  # open: a hold
    plain = add_quinta(cli, email="plain@example.fi", last="Tavallinen", phone="040 555 0123")
    held_request = erasure_request(cli, customer)
    plain_request = erasure_request(cli, plain)
    backup = cli.db.parent / "b.db"
    cli.ok("backup", str(backup))
    cli.ok("erase", str(customer), "--request", str(held_request), "--yes", user="clerk")
    cli.ok("erase", str(plain), "--request", str(plain_request), "--yes", user="clerk")

    result = cli.ok("restore", str(backup), "--yes")

    assert f"request {held_request}: closed again" in result.stderr
    assert f"request {plain_request}: closed again" in result.stderr
    with cli.connect() as conn:
        rows = {
            r["id"]: (r["state"], r["outcome"], r["closed_on"])
            for r in conn.execute("SELECT * FROM requests")
        }
        held_reasons = conn.execute(
            "SELECT reasons FROM requests WHERE id = ?", (held_request,)
        ).fetchone()[0]
    assert rows[held_request] == ("closed", "partially-refused", "2026-11-25")
    assert rows[plain_request] == ("closed", "completed", "2026-11-25")
    assert "2026-0001" in held_reasons
    # The reply still reaches the person: their contact is kept on the request again.
    letter = cli.ok("request", "letter", str(plain_request), "--lang", "en", user="clerk").stdout
    assert "Tavallinen" in letter and "plain@example.fi" in letter


def test_a_customer_erased_before_the_backup_is_reported_as_already_erased(cli: Cli) -> None:
    customer = add_quinta(cli)
    add_order_on(cli, customer, "T-1")
    add_invoice(cli, "T-1", "2026-0001", "2026-11-20", "2026-12-04")
    gone = add_quinta(cli, email="gone@example.fi", last="Poissa", phone="040 555 0456")
    cli.ok("erase", str(customer), "--yes", user="clerk")  # anonymised-with-holds
    cli.ok("erase", str(gone), "--yes", user="clerk")  # erased completely
    backup = cli.db.parent / "b.db"
    cli.ok("backup", str(backup))

    preview = json.loads(cli.ok("restore", str(backup), "--dry-run", "-f", "json").stdout)
    result = cli.ok("restore", str(backup), "--yes")

    assert preview["replayed"] == 0 and preview["replayed_customers"] == []
    assert preview["already_erased"] == [customer, gone]
    assert "0 erasure(s) replayed" in result.stderr
    assert f"customer {customer}: already erased" in result.stderr
    assert f"customer {gone}: already erased" in result.stderr


def test_an_erasure_refuses_to_append_to_a_cut_journal(cli: Cli) -> None:
    _, _ = erased_after_a_backup(cli, people=2)
    path = journal_file(cli)
    path.write_bytes(path.read_bytes().splitlines(keepends=True)[0])
    other = add_quinta(cli, email="other@example.fi", last="Muu", phone="040 555 0099")
    with cli.connect() as conn:
        before = every_table(conn)
    cut = path.read_bytes()

    result = cli.run("erase", str(other), "--yes", user="clerk")

    assert result.exit_code == 4, result.output
    assert "put the journal back" in result.stderr
    with cli.connect() as conn:
        assert every_table(conn) == before
    assert path.read_bytes() == cut


# --- the journal's recorded mark, whatever the batches (property) ------------------------

_batches = st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=6)


@given(batches=_batches, cut=st.integers(min_value=0, max_value=100))
def test_the_recorded_mark_covers_every_batch_and_notices_any_cut(
    batches: list[int], cut: int
) -> None:
    from lautex_registry.platform import journal
    from lautex_registry.platform.errors import Refused

    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "x.db"
        conn = sqlite3.connect(":memory:")
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        customer = 0
        for size in batches:
            entries = []
            for _ in range(size):
                customer += 1
                entries.append(
                    JournalEntry("erase", customer, "2026-01-01T00:00:00Z", "2026-11-25", "t",
                                 "r", "request", customer if customer % 2 else None)
                )  # fmt: skip
            journal.append_and_record(conn, db, entries)
        recorded = journal.recorded_mark(conn)
        path = journal.journal_path(db)

        assert recorded is not None and recorded.length == path.stat().st_size
        journal.check_against(db, recorded)  # the whole journal passes
        erasures = [e for e in journal.read(db) if isinstance(e, journal.JournalEntry)]
        assert [e.customer_id for e in erasures] == list(range(1, customer + 1))
        lines = path.read_bytes().splitlines(keepends=True)
        path.write_bytes(b"".join(lines[: cut % len(lines)]))  # any whole-line cut
        with pytest.raises(Refused):
            journal.check_against(db, recorded)


def test_a_real_restore_process_stops_at_a_corrupt_journal_line_and_changes_no_byte(
    cli: Cli,
) -> None:

    backup, _ = erased_after_a_backup(cli)
    path = journal_file(cli)
    lines = path.read_bytes().splitlines(keepends=True)
    lines[0] = b'{"action":"erase","customer_id":' + b" " * (len(lines[0]) - 33) + b"\n"
    path.write_bytes(b"".join(lines))
    with cli.connect() as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = cli.db.read_bytes()

    done = subprocess.run(
        [sys.executable, "-m", "lautex_registry", "restore", str(backup), "--yes"],
        env=lautex_env(cli, "admin"),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 4, done.stderr
    assert done.stderr.startswith("error: erasure journal: line 1 of ")
    assert done.stderr.count("\n") == 1
    assert cli.db.read_bytes() == before
    assert not Path(f"{cli.db}.restoring").exists()


def test_the_restore_audit_row_names_the_copy_by_hash_not_by_its_file_name(cli: Cli) -> None:
    add_quinta(cli)
    backup = cli.db.parent / "before-erasing-aino-aijala.db"
    cli.ok("backup", str(backup))
    copy = backup.read_bytes()

    cli.ok("restore", str(backup), "--yes")

    with cli.connect() as conn:
        text = conn.execute(
            "SELECT details_json FROM audit_log WHERE action = 'restore'"
        ).fetchone()[0]
    details = json.loads(text)
    assert details["sha256"] == hashlib.sha256(copy).hexdigest()
    assert details["bytes"] == len(copy)
    assert "aino" not in text.lower() and "file" not in details


def test_restore_yes_json_prints_what_was_done_and_the_preview_goes_to_stderr(cli: Cli) -> None:
    backup, erased = erased_after_a_backup(cli, people=2)

    done = subprocess.run(
        [sys.executable, "-m", "lautex_registry", "restore", str(backup), "--yes", "-f", "json"],
        env=lautex_env(cli, "admin"),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)  # one JSON object: the restore itself, not the preview
    assert result["dry_run"] is False
    assert (result["replayed"], result["replayed_customers"]) == (2, erased)
    assert "restore (preview)" in done.stderr and "2 erasure(s) replayed" in done.stderr
    with cli.connect() as conn:
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions[-1] == "restore"


def test_erasure_requests_closed_after_the_backup_stay_closed_after_a_restore(cli: Cli) -> None:
    """Closed with `request close`, not by the erasure: the journal must name them too."""
    held = add_quinta(cli)
    add_order_on(cli, held, "T-1")
    add_invoice(cli, "T-1", "2026-0001", "2026-11-20", "2026-12-04")  # open: a hold
    plain = add_quinta(cli, email="plain@example.fi", last="Tavallinen", phone="040 555 0123")
    answered, later, plain_later, plain_refused = (
        erasure_request(cli, who) for who in (held, held, plain, plain)
    )
    backup = cli.db.parent / "b.db"
    cli.ok("backup", str(backup))
    cli.ok("erase", str(held), "--request", str(answered), "--yes", user="clerk")
    cli.ok("erase", str(plain), "--yes", user="clerk")
    secret = "Zebulon asked twice, see ticket"
    for request, outcome, extra in (
        (later, "partially-refused", ("--reason", secret)),
        (plain_later, "completed", ()),
        (plain_refused, "refused", ("--reason", secret)),
    ):
        cli.ok("request", "close", str(request), "--outcome", outcome, *extra, user="clerk")
    text = Path(f"{cli.db}.erasure-journal").read_text()
    assert secret not in text and EMAIL not in text

    result = cli.ok("restore", str(backup), "--yes", "-f", "json")

    again = json.loads(result.stdout)["requests_closed_again"]
    assert sorted(again) == sorted([answered, later, plain_later, plain_refused])
    with cli.connect() as conn:
        rows = {
            r["id"]: (r["state"], r["outcome"], r["closed_on"], r["reasons"] or "")
            for r in conn.execute("SELECT * FROM requests")
        }
    assert rows[later][:3] == ("closed", "partially-refused", "2026-11-25")
    assert "2026-0001" in rows[later][3]  # the holds are the reasons again
    assert rows[plain_later][:3] == ("closed", "completed", "2026-11-25")
    assert rows[plain_refused][:3] == ("closed", "refused", "2026-11-25")
    assert "lost when the register was restored" in rows[plain_refused][3]
    assert secret not in str(rows)


def test_a_closing_in_the_journal_does_not_close_another_request_with_its_id(cli: Cli) -> None:
    customer = add_quinta(cli)
    first, second = erasure_request(cli, customer), erasure_request(cli, customer)
    backup = cli.db.parent / "b.db"
    cli.ok("backup", str(backup))
    cli.ok("erase", str(customer), "--yes", user="clerk")
    cli.ok("request", "close", str(first), "--outcome", "completed", user="clerk")
    cli.ok("request", "close", str(second), "--outcome", "completed", user="clerk")
    with sqlite3.connect(backup) as conn:  # in this backup, id `second` is another request
        conn.execute(
            "UPDATE requests SET created_at = '2026-11-25T09:00:00Z' WHERE id = ?", (second,)
        )
    conn.close()

    result = json.loads(cli.ok("restore", str(backup), "--yes", "-f", "json").stdout)

    assert result["requests_closed_again"] == [first]
    with cli.connect() as conn:
        states = dict(conn.execute("SELECT id, state FROM requests").fetchall())
    assert (states[first], states[second]) == ("closed", "open")
