"""Backups that cannot bring an erased person back (DESIGN §5).

`make_backup` copies the register with VACUUM INTO (mode 0600, no free pages and
so no erased data carried along). `restore_backup` puts a backup in place and
then replays the erasure journal, which lives beside the database and survives
the restore: anyone erased or anonymised after the backup was taken is erased or
anonymised again before the restored register is visible to anyone.

How: the backup is copied to `<db>.restoring`, checked (same register, current
schema), the journal is replayed there, and only then is it copied into the
live file with SQLite's online backup API, which takes the database's own locks
(other connections see the old or the new register, never a mix).
"""

import hashlib
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from lautex_registry import audit, journal
from lautex_registry.customers import ANONYMISED_STATES
from lautex_registry.db import connect, create_private_file, transaction
from lautex_registry.erasure import ANONYMISE, ERASE, erase_customers, physical_cleanup
from lautex_registry.errors import Conflict, InvalidInput, NotFound, SchemaError
from lautex_registry.holds import RetentionPolicy
from lautex_registry.migrations import require_current
from lautex_registry.output_files import PendingOutput, new_output_file
from lautex_registry.register import register_id, vacuum_into

_CHUNK = 300


@dataclass(frozen=True)
class BackupCopy:
    """A backup handed out: where it went (None: stdout), its SHA-256 and its size."""

    path: Path | None
    sha256: str
    size: int


def _fingerprint(copy: Path, destination: Path | None) -> BackupCopy:
    digest = hashlib.sha256()
    size = 0
    with copy.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return BackupCopy(destination, digest.hexdigest(), size)


def _audit_backup(conn: sqlite3.Connection, actor: audit.Actor, copy: BackupCopy) -> None:
    # The file's name may itself be personal ("backup-before-erasing-aino.db"): the audit
    # trail holds no personal values, so it records the copy's hash and size instead.
    audit.record(
        conn,
        actor,
        "backup",
        "register",
        None,
        {"sha256": copy.sha256, "bytes": copy.size, "stdout": copy.path is None},
    )


def make_backup(
    conn: sqlite3.Connection, actor: audit.Actor, destination: Path, *, force: bool = False
) -> BackupCopy:
    """A consistent copy of the register at `destination` (mode 0600), audited.

    The copy is made in a temporary file beside the target and takes the target's name
    only when whole, inside the audit row's transaction: a killed or failed backup
    leaves nothing under that name, and no audit row for a file that is not there.
    """
    with new_output_file(
        destination, journal.database_file(conn), force=force, field="backup"
    ) as pending:
        vacuum_into(conn, pending.hand_over())
        copy = _fingerprint(pending.temp, destination)
        try:
            pending.sync()  # before the write lock is taken: a large copy takes a while
        except OSError as exc:
            raise pending.cannot_write(exc) from exc
        with transaction(conn):
            _audit_backup(conn, actor, copy)
            pending.publish()
    return copy


def stream_backup(conn: sqlite3.Connection, actor: audit.Actor, sink: IO[bytes]) -> BackupCopy:
    """A consistent copy of the register written to `sink` (`lautex backup -`), audited.

    The copy is made in a private temporary file beside the register (VACUUM INTO needs
    a file), audited before the first byte goes out, and removed afterwards.
    """
    register = journal.database_file(conn)
    scratch = PendingOutput(
        register.with_name(register.name + ".backup"), force=False, field="backup"
    )
    try:
        vacuum_into(conn, scratch.hand_over())
        copy = _fingerprint(scratch.temp, None)
        with transaction(conn):
            _audit_backup(conn, actor, copy)
        with scratch.temp.open("rb") as handle:
            shutil.copyfileobj(handle, sink, 1 << 20)
        sink.flush()
    finally:
        scratch.discard()
    return copy


@dataclass
class RestoreResult:
    backup: Path
    customers_in_backup: int
    journal_entries: int
    replayed: int
    dry_run: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "backup": str(self.backup),
            "customers_in_backup": self.customers_in_backup,
            "journal_entries": self.journal_entries,
            "replayed": self.replayed,
            "dry_run": self.dry_run,
        }


def _due_entries(
    conn: sqlite3.Connection, entries: list[journal.JournalEntry]
) -> tuple[list[int], list[int]]:
    """The customers to anonymise and to erase again: a journal entry applies when the
    same customer (id and creation time) is in the backup and not already that far."""
    to_anonymise: list[int] = []
    to_erase: list[int] = []
    for entry in entries:
        row = conn.execute(
            "SELECT state, created_at FROM customers WHERE id = ?", (entry.customer_id,)
        ).fetchone()
        if row is None or row["created_at"] != entry.customer_created_at:
            continue  # already gone, or the id now belongs to someone else
        if entry.action == ERASE:
            if entry.customer_id not in to_erase:
                to_erase.append(entry.customer_id)
        elif row["state"] not in ANONYMISED_STATES and entry.customer_id not in to_anonymise:
            to_anonymise.append(entry.customer_id)
    return [c for c in to_anonymise if c not in to_erase], to_erase


def replay_journal(
    conn: sqlite3.Connection, actor: audit.Actor, db_path: Path, as_of: date, *, dry_run: bool
) -> tuple[int, int]:
    """Apply the journal of `db_path` to the register open on `conn`; (entries, replayed)."""
    rid = register_id(conn)
    entries = [e for e in journal.read(db_path) if e.register_id == rid]
    to_anonymise, to_erase = _due_entries(conn, entries)
    if dry_run:
        return len(entries), len(to_anonymise) + len(to_erase)
    policy = RetentionPolicy.of(conn)
    for mode, ids in ((ANONYMISE, to_anonymise), (ERASE, to_erase)):
        for start in range(0, len(ids), _CHUNK):
            with transaction(conn):
                # Notices were recorded when the person was first erased; not again.
                erase_customers(
                    conn,
                    actor,
                    ids[start : start + _CHUNK],
                    mode,
                    as_of,
                    action="restore replay",
                    rule="journal",
                    policy=policy,
                    notify=False,
                )
    return len(entries), len(to_anonymise) + len(to_erase)


def _remove_with_sidecars(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _stage(backup: Path, staging: Path) -> sqlite3.Connection:
    """Copy the backup (with its WAL, if someone copied one along) to a private staging file."""
    create_private_file(staging)
    restored = connect(staging)
    try:
        source = sqlite3.connect(f"file:{quote(str(backup.resolve()))}?mode=ro", uri=True)
        try:
            source.backup(restored)
        finally:
            source.close()
    except sqlite3.DatabaseError as exc:
        restored.close()
        raise InvalidInput(f"backup: {backup} is not a lautex register ({exc})") from exc
    return restored


def restore_backup(
    live: sqlite3.Connection,
    actor: audit.Actor,
    backup: Path,
    as_of: date,
    *,
    dry_run: bool = False,
) -> RestoreResult:
    """Put `backup` in place of the register open on `live`, then replay the erasure journal."""
    if not backup.is_file():
        raise NotFound(f"backup: no file at {backup}")
    db_path = journal.database_file(live)
    if backup.resolve() == db_path.resolve():
        raise InvalidInput("backup: that is the register itself")
    staging = db_path.with_name(db_path.name + ".restoring")
    _remove_with_sidecars(staging)
    try:
        restored = _stage(backup, staging)
        try:
            try:
                require_current(restored)
                backup_id = register_id(restored)
            except sqlite3.DatabaseError as exc:
                raise InvalidInput(f"backup: {backup} is not a lautex register ({exc})") from exc
            except SchemaError as exc:
                raise SchemaError(f"backup: {exc}") from exc
            if backup_id != register_id(live):
                raise Conflict(f"backup: {backup} is a backup of another register")
            customers = int(restored.execute("SELECT count(*) FROM customers").fetchone()[0])
            entries, replayed = replay_journal(restored, actor, db_path, as_of, dry_run=dry_run)
            result = RestoreResult(backup, customers, entries, replayed, dry_run)
            if dry_run:
                return result
            with transaction(restored):
                audit.record(
                    restored,
                    actor,
                    "restore",
                    "register",
                    None,
                    {"file": backup.name, "journal_entries": entries, "replayed": replayed},
                )
            physical_cleanup(restored)
            # The online backup API writes the prepared register into the live file under
            # SQLite's own locks.
            restored.backup(live)
        finally:
            restored.close()
        physical_cleanup(live)
        return result
    finally:
        _remove_with_sidecars(staging)
