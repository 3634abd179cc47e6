"""A copy taken before an upgrade is restored and verified by the upgraded lautex: migrated in
a staging file, never in the copy itself, and the erasure journal still replayed onto it
(docs/rules.md §5)."""

import hashlib
import json
from pathlib import Path

import pytest

from lautex_registry.erasure.backups import make_backup
from lautex_registry.platform import audit, migrations
from lautex_registry.platform.db import connect
from lautex_registry.platform.sqlite import sqlite3
from tests.conftest import Cli, roll_back_migrations
from tests.helpers import (
    add_quinta,
    age_copy,
    assert_no_trace_in_files,
    assert_no_trace_in_tables,
    assert_one_line_error,
    every_table,
    needles,
)

LAST_NIGHT = 18  # the schema of the release before this one


def backup_before_the_upgrade(cli: Cli, destination: Path, schema: int = LAST_NIGHT) -> str:
    """The copy a release before took last night: the register at `schema`, its copy made
    and recorded by the backup code; then today's lautex migrates the register. Returns the
    copy's SHA-256."""
    roll_back_migrations(cli.db, schema)
    conn = connect(cli.db)
    try:
        made = make_backup(conn, audit.Actor(None, "admin"), destination)
    finally:
        conn.close()
    cli.ok("migrate")
    with sqlite3.connect(destination) as copy:
        assert migrations.current_version(copy) == schema
    return made.sha256


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def scratch_left(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if "lautex-partial" in p.name)


# 16: the copy's search index predates migration 17, which merges it: it is emptied first.
@pytest.mark.parametrize("schema", [LAST_NIGHT, 16])
def test_a_copy_from_before_the_upgrade_is_restored_migrated_and_the_erased_stay_erased(
    cli: Cli, schema: int
) -> None:
    erased = add_quinta(cli)
    keeper = add_quinta(cli, email="keeper@example.fi", last="Äijälä", phone="040 111 2222")
    copy = cli.db.parent / "lautex-last-night.db"
    made = backup_before_the_upgrade(cli, copy, schema)
    cli.ok("erase", str(erased), "--yes", user="clerk")  # after the copy: in the journal only

    preview = cli.ok("restore", str(copy), "--dry-run", "-f", "json")
    planned = json.loads(preview.stdout)
    assert (planned["migrated_from"], planned["replayed_customers"]) == (schema, [erased])
    assert f"the copy is at schema version {schema}" in preview.stderr
    assert sha256_of(copy) == made  # the copy itself is never written to

    done = cli.ok("restore", str(copy), "--yes", "-f", "json")

    result = json.loads(done.stdout)
    assert (result["migrated_from"], result["replayed_customers"]) == (schema, [erased])
    assert f"the copy was at schema version {schema}: migrated to version" in done.stderr
    assert sha256_of(copy) == made
    with cli.connect() as conn:
        assert migrations.pending_names(conn) == []
        # Migration 19's keys were made for the copy's customers: lists by name work.
        rows = conn.execute("SELECT id, sort_last_name FROM customers").fetchall()
        assert [(r[0], r[1] is not None) for r in rows] == [(keeper, True)]
        details = conn.execute(
            "SELECT details_json FROM audit_log WHERE action = 'restore'"
        ).fetchone()[0]
    assert json.loads(details)["migrated_from"] == schema
    assert "keeper" not in details and "lautex-last-night" not in details
    listed = cli.ok("customer", "list", "--sort", "name", "-f", "json", user="clerk")
    assert [c["id"] for c in json.loads(listed.stdout)] == [keeper]
    for word in ("aijala", "keeper@example", "0401112222"):  # the index and digits built anew
        found = cli.ok("customer", "search", word, "-f", "json", user="clerk")
        assert [c["id"] for c in json.loads(found.stdout)] == [keeper], word
    assert_no_trace_in_tables(cli)
    assert_no_trace_in_files(cli.db, Path(f"{cli.db}-wal"))
    assert not Path(f"{cli.db}.restoring").exists() and scratch_left(cli.db.parent) == []


def test_verify_passes_an_older_copy_and_says_a_restore_migrates_it(
    cli: Cli, no_locale: pytest.MonkeyPatch
) -> None:
    erased = add_quinta(cli)
    copy = cli.db.parent / "last-night.db"
    made = backup_before_the_upgrade(cli, copy)
    cli.ok("erase", str(erased), "--yes", user="clerk")

    result = cli.ok("backup", "verify", str(copy), "-f", "json")

    found = json.loads(result.stdout)
    assert found["ok"] and found["sha256_recorded"] and found["replay_would_erase"] == 1
    assert (found["schema_version"], found["migrates_on_restore"]) == (LAST_NIGHT, True)
    assert f"schema is at version {LAST_NIGHT}: a restore migrates it" in result.stderr
    assert sha256_of(copy) == made
    no_locale.setenv("LAUTEX_LANG", "fi")
    finnish = cli.ok("backup", "verify", str(copy))
    assert f"kopion tietokantakaavion versio on {LAST_NIGHT}: palautus päivittää" in finnish.stderr
    assert scratch_left(cli.db.parent) == []  # the migrated copy it planned on is gone
    with cli.connect() as conn:
        (verified,) = conn.execute(
            "SELECT verified_at FROM backups WHERE file_name = ?", (copy.name,)
        ).fetchone()
    assert verified is not None


def test_verify_of_a_current_copy_says_nothing_of_a_migration(cli: Cli) -> None:
    add_quinta(cli)
    copy = cli.db.parent / "today.db"
    cli.ok("backup", str(copy))

    result = cli.ok("backup", "verify", str(copy), "-f", "json")

    found = json.loads(result.stdout)
    assert (found["schema_version"], found["migrates_on_restore"]) == (migrations.LATEST, False)
    assert "migrates" not in result.stderr


def test_verify_refuses_an_older_copy_whose_rows_no_migration_takes(cli: Cli) -> None:
    add_quinta(cli)
    recorded = cli.db.parent / "last-night.db"
    backup_before_the_upgrade(cli, recorded)
    copy = cli.db.parent / "altered.db"  # not the recorded bytes: not a recorded copy
    copy.write_bytes(recorded.read_bytes())
    with sqlite3.connect(copy) as conn:  # a column migration 19 adds, there already
        conn.execute("ALTER TABLE customers ADD COLUMN sort_last_name TEXT")

    result = cli.run("backup", "verify", str(copy))

    refused = f"backup verify: {copy}: not a whole lautex register (duplicate column"
    assert_one_line_error(result, 4, refused)
    assert scratch_left(cli.db.parent) == []


def test_a_copy_from_a_newer_lautex_is_refused_naming_the_copy(
    cli: Cli, tmp_path: Path, no_locale: pytest.MonkeyPatch
) -> None:
    add_quinta(cli)
    today = tmp_path / "today.db"
    cli.ok("backup", str(today))
    copy = tmp_path / "from-the-future.db"  # as a newer lautex would have migrated it
    copy.write_bytes(today.read_bytes())
    with sqlite3.connect(copy) as conn:
        conn.execute(
            f"INSERT INTO {migrations.LEDGER} (migration_set, name, applied_at) "
            "VALUES (?, 'm0099_from_the_future', '2027-01-01')",
            (migrations.MIGRATION_SET,),
        )
    with cli.connect() as conn:
        before = every_table(conn)

    for args in (("restore", str(copy), "--yes"), ("restore", str(copy), "--dry-run")):
        result = cli.run(*args)
        assert_one_line_error(result, 4, f"backup: {copy}: ", "(version 99) is newer")
    verified = cli.run("backup", "verify", str(copy))
    assert_one_line_error(verified, 4, f"backup verify: {copy}: ", "(version 99) is newer")
    fresh = tmp_path / "new-machine" / "lautex.db"
    elsewhere = cli.run("--db", str(fresh), "restore", str(copy), "--yes", user=None)
    assert elsewhere.exit_code == 4  # after the line that says what it was about to do
    assert elsewhere.stderr.splitlines()[-1].startswith(f"error: backup: {copy}: the copy's")
    assert not fresh.exists()
    no_locale.setenv("LAUTEX_LANG", "fi")
    finnish = cli.run("restore", str(copy), "--yes")
    assert finnish.exit_code == 4
    assert finnish.stderr.startswith(f"virhe: backup: {copy}: kopion tietokantakaavio (versio 99)")
    with cli.connect() as conn:
        assert every_table(conn) == before


def test_a_new_machine_is_restored_from_an_older_encrypted_copy_and_its_journal(
    cli: Cli, tmp_path: Path
) -> None:
    erased = add_quinta(cli)
    keeper = add_quinta(cli, email="keeper@example.fi", last="Pysyvä", phone="040 111 2222")
    plain = tmp_path / "plain.db"
    backup_before_the_upgrade(cli, plain)
    copy, identity = age_copy(plain, tmp_path)
    cli.ok("erase", str(erased), "--yes", user="clerk")
    # The old machine is lost; the copy, its journal and the key are what is left.
    new = tmp_path / "new-machine" / "lautex.db"
    new.parent.mkdir()
    Path(f"{new}.erasure-journal").write_bytes(Path(f"{cli.db}.erasure-journal").read_bytes())

    done = cli.ok("--db", str(new), "restore", str(copy), "--identity", str(identity),
                  "--yes", "-f", "json", user=None)  # fmt: skip

    result = json.loads(done.stdout)
    assert (result["migrated_from"], result["replayed_customers"]) == (LAST_NIGHT, [erased])
    assert f"the copy was at schema version {LAST_NIGHT}: migrated" in done.stderr
    with sqlite3.connect(new) as conn:
        assert migrations.pending_names(conn) == []
        details = conn.execute(
            "SELECT details_json FROM audit_log WHERE action = 'restore'"
        ).fetchone()[0]
    assert json.loads(details)["migrated_from"] == LAST_NIGHT
    shown = cli.ok("--db", str(new), "customer", "list", "--sort", "name", "-f", "json",
                   user="clerk")  # fmt: skip
    assert [c["id"] for c in json.loads(shown.stdout)] == [keeper]
    assert all(needle not in new.read_bytes() for needle in needles())
    assert scratch_left(new.parent) == []  # the decrypted copy is gone


def test_an_older_encrypted_copy_is_restored_onto_the_register(cli: Cli, tmp_path: Path) -> None:
    erased = add_quinta(cli)
    plain = tmp_path / "plain.db"
    backup_before_the_upgrade(cli, plain)
    copy, identity = age_copy(plain, tmp_path)
    cli.ok("erase", str(erased), "--yes", user="clerk")

    done = cli.ok("restore", str(copy), "--identity", str(identity), "--yes", "-f", "json")
    verified = cli.ok("backup", "verify", str(copy), "--identity", str(identity), "-f", "json")

    assert json.loads(done.stdout)["migrated_from"] == LAST_NIGHT
    assert json.loads(verified.stdout)["schema_version"] == LAST_NIGHT
    assert_no_trace_in_tables(cli)
    assert scratch_left(cli.db.parent) == []


def test_an_sqlite_file_of_no_lautex_is_still_refused_and_nothing_migrated(
    cli: Cli, tmp_path: Path
) -> None:
    add_quinta(cli)
    other = tmp_path / "someone-elses.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY)")
    made = sha256_of(other)
    with cli.connect() as conn:
        before = every_table(conn)

    restored = cli.run("restore", str(other), "--yes")
    verified = cli.run("backup", "verify", str(other))

    assert_one_line_error(restored, 4, f"backup: {other}: ", "is not a lautex register")
    assert_one_line_error(verified, 4, f"backup verify: {other}: ", "is not a lautex register")
    assert sha256_of(other) == made
    with cli.connect() as conn:
        assert every_table(conn) == before
