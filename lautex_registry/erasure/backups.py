"""Backups that cannot bring an erased person back (docs/rules.md §5).

`make_backup` copies the register with VACUUM INTO (mode 0600, no free pages and
so no erased data carried along). `restore_backup` puts a backup in place and
then replays the erasure journal, which lives beside the database and survives
the restore: anyone erased or anonymised after the backup was taken is erased or
anonymised again before the restored register is visible to anyone.

How: the backup is copied to a private scratch file beside the register (a random name,
held under a lock, so that the next command sweeps a killed restore's copy), checked (same
register, a schema this lautex knows), migrated there when it is older (the migrations
`lautex migrate` runs), its search index is built anew from its customers (the copy's
index structure is not trusted: docs/rules.md §5), the journal is replayed there, and only
then is it copied into the live file with SQLite's online backup API, which takes the
database's own locks (other connections see the old or the new register, never a mix).
"""

import fcntl
import hashlib
import os
import re
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from lautex_registry.platform import audit, clock, journal, migrations
from lautex_registry.platform.db import (
    IN_LIST,
    connect,
    json_list,
    transaction,
)
from lautex_registry.platform.errors import (
    Conflict,
    InvalidInput,
    LautexError,
    Message,
    NotFound,
    SchemaError,
    machine_refusal,
    register_error,
    sqlite_reason,
    t,
)
from lautex_registry.platform.identity import register_id
from lautex_registry.platform.output_files import (
    PARTIAL_SUFFIX,
    PendingOutput,
    new_output_file,
)
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records.customer_state import ANONYMISED_STATES, WITH_HOLDS

# The erasure, its holds and the requests it closes are imported where a restore replays
# the journal: `backup`, `backup list` and `backup verify` never need them, and importing
# them is a tenth of those commands' start-up (docs/rules.md §3, benchmarks/README.md).

_CHUNK = 300
# The private scratch files beside the register: a plain copy before it is encrypted, a copy
# decrypted to be verified or restored, a copy staged to be restored (and migrated). Each is
# personal data in the clear.
SCRATCH_PURPOSES = ("backup", "verifying", "decrypted", "restoring")
_SQLITE_SIDES = ("-wal", "-shm", "-journal")


@contextmanager
def held_while_written(pending: PendingOutput) -> Iterator[PendingOutput]:
    """Hold `pending`'s temporary file under an exclusive lock while it is written: a
    process killed with it open loses the lock with its life, so a sweep can tell a copy
    still being written from one a killed run left behind (docs/rules.md §5)."""
    lock: int | None = None
    try:
        lock = os.open(pending.temp, os.O_RDONLY | os.O_NOFOLLOW)
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield pending
    finally:
        if lock is not None:
            os.close(lock)


@contextmanager
def private_scratch(register: Path, purpose: str) -> Iterator[PendingOutput]:
    """A private (0600) temporary file beside the register, removed afterwards, whatever
    fails: where a copy is made before encryption, or decrypted to be checked or restored.
    The register's folder is the register owner's; /tmp is everyone's.

    The file is held under an exclusive lock while in use, and `sweep_scratch` removes
    what a killed process left (docs/rules.md §5).
    """
    scratch = PendingOutput(
        register.with_name(f"{register.name}.{purpose}"), force=False, field="backup"
    )
    try:
        with held_while_written(scratch):
            yield scratch
    finally:
        scratch.discard()


def partial_name(names: str) -> re.Pattern[str]:
    """The temporary name `PendingOutput` gives a file whose own name matches `names`, with
    the files SQLite may have made beside it."""
    return re.compile(
        rf"^\.(?:{names})\.[0-9a-f]{{8}}"
        rf"{re.escape(PARTIAL_SUFFIX)}(?P<side>{'|'.join(_SQLITE_SIDES)})?$"
    )


def sweep_scratch(register: Path) -> int:
    """Remove the scratch files a killed backup, verify or restore of this register left
    beside it: its scratch copies, a register a restore onto a new machine was building
    under its name, and the fixed staging name `<db>.restoring` older versions used (none
    of them holds it). Returns how many were removed (docs/rules.md §5)."""
    purposes = "|".join(SCRATCH_PURPOSES)
    name = re.escape(register.name)
    removed = sweep_partial_files(register.parent, partial_name(rf"{name}(?:\.(?:{purposes}))?"))
    legacy = re.compile(rf"^{name}\.restoring(?P<side>{'|'.join(_SQLITE_SIDES)})?$")
    return removed + sweep_partial_files(register.parent, legacy)


def sweep_partial_files(folder: Path, pattern: re.Pattern[str]) -> int:
    """Remove the temporary files in `folder` whose names match `pattern` that a killed
    process left: only regular files of ours, and only when no running process holds
    them (`held_while_written`). Returns how many were removed."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    matches = [(entry, match) for entry in entries if (match := pattern.match(entry.name))]
    # The files themselves first, then SQLite's files beside them: a side file is left only
    # while its own file is still there (in use), not because the sweep had not reached it.
    matches.sort(key=lambda found: bool(found[1]["side"]))
    removed = 0
    for entry, match in matches:
        if match["side"] and os.path.lexists(entry.path[: -len(match["side"])]):
            continue  # SQLite's file of a temporary file that is still there: goes with it
        try:
            fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue  # a link, gone meanwhile, or not ours to open
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # in use by a running process
            os.unlink(entry.path)
            removed += 1
        except OSError:
            continue
        finally:
            os.close(fd)
    return removed


@dataclass(frozen=True)
class BackupCopy:
    """A backup handed out: where it went (None: stdout), its SHA-256 and its size."""

    path: Path | None
    sha256: str
    size: int


def fingerprint(copy: Path, destination: Path | None) -> BackupCopy:
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
    from lautex_registry.erasure.cleanup import copy_without_marked_tokens  # docs/rules.md §5

    register = journal.database_file(conn)
    sweep_scratch(register)
    with new_output_file(destination, register, force=force, field="backup") as pending:
        copy_without_marked_tokens(conn, pending.hand_over())
        copy = fingerprint(pending.temp, destination)
        try:
            pending.sync()  # before the write lock is taken: a large copy takes a while
        except OSError as exc:
            raise pending.cannot_write(exc) from exc
        with transaction(conn):
            _audit_backup(conn, actor, copy)
            record_outside_copy(conn, destination, copy)
            pending.publish()
    return copy


def record_outside_copy(conn: sqlite3.Connection, destination: Path, copy: BackupCopy) -> None:
    """Record a copy made outside the policy (`backup PATH`) with its folder, name, SHA-256
    and size: `retention run` deletes it once `[retention] backup_days` have passed, if it is
    still there and still those bytes (docs/privacy-statement.md P6)."""
    conn.execute(
        "INSERT INTO backups (file_name, location, made_at, sha256, bytes, encrypted) "
        "VALUES (?, ?, ?, ?, ?, 0)",
        (
            destination.name,
            str(destination.parent.resolve()),
            clock.real_now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            copy.sha256,
            copy.size,
        ),
    )


def stream_backup(conn: sqlite3.Connection, actor: audit.Actor, sink: IO[bytes]) -> BackupCopy:
    """A consistent copy of the register written to `sink` (`lautex backup -`), audited.

    The copy is made in a private temporary file beside the register (VACUUM INTO needs
    a file), audited before the first byte goes out, and removed afterwards.
    """
    from lautex_registry.erasure.cleanup import copy_without_marked_tokens  # docs/rules.md §5

    register = journal.database_file(conn)
    sweep_scratch(register)
    with private_scratch(register, "backup") as scratch:
        copy_without_marked_tokens(conn, scratch.hand_over())
        copy = fingerprint(scratch.temp, None)
        with transaction(conn):
            _audit_backup(conn, actor, copy)
        with scratch.temp.open("rb") as handle:
            shutil.copyfileobj(handle, sink, 1 << 20)
        sink.flush()
    return copy


@dataclass
class RestoreResult:
    backup: Path
    customers_in_backup: int
    journal_entries: int
    replayed: int
    dry_run: bool
    replayed_customers: list[int] = field(default_factory=list)
    already_erased: list[int] = field(default_factory=list)
    requests_closed_again: list[int] = field(default_factory=list)
    # The copy's schema version when it was older than this lautex's (migrated on restore).
    migrated_from: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "backup": str(self.backup),
            "customers_in_backup": self.customers_in_backup,
            "journal_entries": self.journal_entries,
            "replayed": self.replayed,
            "replayed_customers": self.replayed_customers,
            "already_erased": self.already_erased,
            "requests_closed_again": self.requests_closed_again,
            "migrated_from": self.migrated_from,
            "dry_run": self.dry_run,
        }


@dataclass(frozen=True)
class AnsweredRequest:
    """An erasure request the journal says was answered, open in the backup."""

    customer_id: int | None  # its person in the backup, whose holds give the reasons
    on: str  # the date it was first closed
    outcome: str | None = None  # as closed; None: from the erasure's holds (older entries)


@dataclass
class Replay:
    """What the journal asks of a restored register, decided before anything is changed."""

    to_anonymise: list[int] = field(default_factory=list)
    to_erase: list[int] = field(default_factory=list)
    # In the backup already as far as the journal says (or not in it at all).
    already_erased: list[int] = field(default_factory=list)
    # Erasure requests the journal says were answered, open in the backup.
    requests: dict[int, AnsweredRequest] = field(default_factory=dict)

    @property
    def customers(self) -> list[int]:
        return self.to_anonymise + self.to_erase


def _add(ids: list[int], customer_id: int) -> None:
    if customer_id not in ids:
        ids.append(customer_id)


def _open_erasure_request(
    conn: sqlite3.Connection, request_id: int | None, created_at: str | None = None
) -> sqlite3.Row | None:
    """The request, when the backup holds it open, of kind erasure (and created then)."""
    if request_id is None:
        return None
    row: sqlite3.Row | None = conn.execute(
        "SELECT customer_id, kind, state, created_at FROM requests WHERE id = ?", (request_id,)
    ).fetchone()
    if row is None or (row["kind"], row["state"]) != ("erasure", "open"):
        return None
    if created_at is not None and row["created_at"] != created_at:
        return None  # the id now belongs to another request
    return row


def _plan_closures(
    conn: sqlite3.Connection, closures: list[journal.RequestClosure], replay: Replay
) -> None:
    """Each closing in the journal wins over the erasure that named its request."""
    for closure in closures:
        row = _open_erasure_request(conn, closure.request_id, closure.request_created_at)
        if row is not None:
            replay.requests[closure.request_id] = AnsweredRequest(
                row["customer_id"], closure.on, closure.outcome
            )


def plan_replay(conn: sqlite3.Connection, entries: list[journal.Entry], as_of: date) -> Replay:
    """Which customers to anonymise and erase again: a journal entry applies to the same
    customer (id and creation time) when the backup has them and not already that far;
    which erasure requests to close again."""
    replay = Replay()
    closures = [e for e in entries if isinstance(e, journal.RequestClosure)]
    for entry in entries:
        if isinstance(entry, journal.RequestClosure):
            continue
        row = conn.execute(
            "SELECT state, created_at FROM customers WHERE id = ?", (entry.customer_id,)
        ).fetchone()
        if row is not None and row["created_at"] != entry.customer_created_at:
            continue  # the id now belongs to someone else
        if entry.request_id is not None and _open_erasure_request(conn, entry.request_id):
            replay.requests[entry.request_id] = AnsweredRequest(entry.customer_id, entry.on)
        if row is None:
            _add(replay.already_erased, entry.customer_id)
        elif entry.action == journal.ERASE:
            _add(replay.to_erase, entry.customer_id)
        elif row["state"] in ANONYMISED_STATES:
            _add(replay.already_erased, entry.customer_id)
        else:
            _add(replay.to_anonymise, entry.customer_id)
    replay.to_anonymise = [c for c in replay.to_anonymise if c not in replay.to_erase]
    _plan_closures(conn, closures, replay)
    _settle_held(conn, replay, as_of)
    replay.already_erased = sorted(c for c in replay.already_erased if c not in replay.customers)
    return replay


def _settle_held(conn: sqlite3.Connection, replay: Replay, as_of: date) -> None:
    """An erased person whose holds still stand is in the backup as erased as they can be."""
    from lautex_registry.erasure.holds import holds_for_many

    held_before = {
        int(r[0])
        for r in conn.execute(
            f"SELECT id FROM customers WHERE state = ? AND id {IN_LIST}",
            (WITH_HOLDS, json_list(replay.to_erase)),
        )
    }
    still_held = set(holds_for_many(conn, held_before, as_of))
    for customer_id in sorted(held_before & still_held):
        replay.to_erase.remove(customer_id)
        _add(replay.already_erased, customer_id)


# The reasons of a refusal are free text, never journaled: on replay they are said lost.
_REASONS_LOST = {
    "fi": "Perustelut kirjattiin {on}; ne menetettiin, kun rekisteri palautettiin varmuuskopiosta.",
    "en": "The reasons were recorded on {on}; they were lost when the register was restored "
    "from a backup.",
}


def _outcome_again(
    conn: sqlite3.Connection, answered: AnsweredRequest, language: str, as_of: date
) -> tuple[str, str | None]:
    """(outcome, reasons) of a request closed again: as first closed, except that a person
    still anonymised with holds makes it a partial refusal naming the holds (Art. 17(3)(b))."""
    from lautex_registry.erasure.holds import holds_for_many

    customer = answered.customer_id
    holds = holds_for_many(conn, [customer], as_of).get(customer, []) if customer else []
    state = conn.execute("SELECT state FROM customers WHERE id = ?", (customer,)).fetchone()
    outcome = answered.outcome or ("partially-refused" if holds else "completed")
    if outcome == "completed" and (holds or (state is not None and state[0] == WITH_HOLDS)):
        outcome = "partially-refused"
    if outcome == "completed":
        return outcome, None
    lost = _REASONS_LOST[language].format(on=answered.on)
    return outcome, "\n".join(h.reason(language) for h in holds) or lost


def _close_again(
    conn: sqlite3.Connection, actor: audit.Actor, replay: Replay, as_of: date
) -> list[int]:
    """GDPR Art. 12(3): an erasure request answered after the backup stays answered, with
    the outcome it was closed with (a partial refusal names the holds), on its first date."""
    from lautex_registry.rights.requests import close_request, get_request

    closed = []
    for request_id, answered in replay.requests.items():
        language = "fi" if get_request(conn, request_id)["language"] == "fi" else "en"
        outcome, reasons = _outcome_again(conn, answered, language, as_of)
        close_request(
            conn,
            actor,
            request_id,
            outcome,
            reasons,
            closed_on=date.fromisoformat(answered.on),
            journal_closure=False,  # it is in the journal already
        )
        closed.append(request_id)
    return closed


def replay_journal(
    conn: sqlite3.Connection, actor: audit.Actor, db_path: Path, as_of: date, *, dry_run: bool
) -> tuple[int, Replay, list[int]]:
    """Apply the journal of `db_path` to the register open on `conn`:
    (entries read, what was replayed, the requests closed again)."""
    rid = register_id(conn)
    entries = [e for e in journal.read(db_path) if e.register_id == rid]
    replay = plan_replay(conn, entries, as_of)
    if dry_run:
        return len(entries), replay, sorted(replay.requests)
    from lautex_registry.erasure.erase import erase_customers
    from lautex_registry.erasure.holds import RetentionPolicy

    policy = RetentionPolicy.of(conn)
    for mode, ids in ((journal.ANONYMISE, replay.to_anonymise), (journal.ERASE, replay.to_erase)):
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
    with transaction(conn):
        closed = _close_again(conn, actor, replay, as_of)
    return len(entries), replay, closed


_BACKUP_COLUMNS = (
    "id, file_name, location, made_at, sha256, bytes, encrypted, verified_at, deleted_at, "
    "deleted_reason"
)


def _carry_backups(live: sqlite3.Connection, restored: sqlite3.Connection) -> None:
    """The copies and folders the register knows of now, not those it knew when the copy was
    taken: the current `backups` rows replace the copy's, so that `retention run` still finds
    every copy made since (and every off-site folder) after a restore (docs/rules.md §5)."""
    rows = live.execute(f"SELECT {_BACKUP_COLUMNS} FROM backups ORDER BY id").fetchall()
    restored.execute("DELETE FROM backups")
    restored.executemany(
        f"INSERT INTO backups ({_BACKUP_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [tuple(r) for r in rows],
    )


def copy_into(backup: Path, staging: Path, shown: Path) -> sqlite3.Connection:
    """The backup copied into the private file `staging` (which exists), opened on it; the
    backup itself is only read."""
    restored = connect(staging)
    try:
        source = sqlite3.connect(f"file:{quote(str(backup.resolve()))}?mode=ro", uri=True)
        try:
            source.backup(restored)
        finally:
            source.close()
    except sqlite3.DatabaseError as exc:
        restored.close()
        raise copy_failed(shown, exc) from exc
    return restored


def not_a_register(shown: Path, exc: sqlite3.DatabaseError) -> InvalidInput:
    """A copy at `shown` that does not open as a register, SQLite's reason in brackets."""
    return InvalidInput(
        t("backup: {shown} is not a lautex register ({exc})", shown=shown, exc=sqlite_reason(exc))
    )


def copy_failed(shown: Path, exc: sqlite3.DatabaseError) -> LautexError:
    """SQLite's failure while a copy was read, staged, migrated or indexed: a full disk or an
    I/O error is the machine's (exit 7) and a busy file another process's (6), whatever was
    being done; only the rest says the copy is no register (exit 2)."""
    return machine_refusal(exc) or not_a_register(shown, exc)


@contextmanager
def copy_read(shown: Path) -> Iterator[None]:
    """Reading a copy's schema and counts: SQLite's failures as `copy_failed` says, and
    a schema this lautex cannot take named by the copy."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        raise copy_failed(shown, exc) from exc
    except SchemaError as exc:
        # Only its values are words: not in the catalogue (docs/translating.md).
        raise SchemaError(Message("backup: {shown}: {exc}", {"shown": shown, "exc": exc})) from exc


@contextmanager
def damage_named(shown: Path) -> Iterator[None]:
    """A copy found damaged while the journal is replayed onto its staging file (a page of
    an index the replay writes to, which a dry run does not): refused naming the copy, as
    every other check of it is (exit 2), not as a register that will not open."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        if isinstance(register_error(exc), InvalidInput):
            raise not_a_register(shown, exc) from exc
        raise


def schema_behind(copy: sqlite3.Connection) -> int | None:
    """The schema version of a copy made before this lautex's latest migration (a restore
    migrates it: docs/rules.md §5), as far as it is whole (the version before the first
    migration it lacks), None for a copy at the current schema. SchemaError for
    a file no lautex wrote, and for a copy a newer lautex migrated: this one cannot know
    what its schema holds."""
    applied = migrations.applied_names(copy)
    if not applied:
        migrations.require_current(copy)  # not a lautex register: refused as it always was
    newer = migrations.newer_version(applied)
    if newer is not None:
        raise SchemaError(
            t(
                "the copy's schema (version {version}) is newer than this lautex (knows up "
                "to {latest}): use it with a lautex at least that new",
                version=newer,
                latest=migrations.LATEST,
            )
        )
    pending = migrations.pending_names(copy, applied)
    if pending:
        return migrations.whole_up_to(pending)
    return None


def migrate_copy(copy: sqlite3.Connection) -> None:
    """docs/rules.md §5: bring a copy staged in a file of ours (never the backup itself) to
    the current schema, with the migrations `lautex migrate` runs, in one transaction
    (sqlite3.DatabaseError: a copy whose tables a migration does not take).

    The copy's search index is emptied first (FTS5 `delete-all` empties its tables and
    reads nothing of the old structure): a migration would otherwise merge an index
    structure we did not write (migration 17), which is not ours to trust
    (CVE-2026-119374). The restore builds the index anew from the customers afterwards.
    """
    from lautex_registry.erasure.cleanup import INDEX

    with transaction(copy):
        has_index = copy.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (INDEX,)
        ).fetchone()
        if has_index:
            copy.execute(f"INSERT INTO {INDEX}({INDEX}) VALUES('delete-all')")
        migrations.apply_pending(copy)


def _index_anew(restored: sqlite3.Connection, shown: Path) -> None:
    """The copy's search index is not ours to trust (docs/rules.md §5, CVE-2026-119374):
    it is built anew from the copy's customers; an index that will not open is a copy
    that is not a whole register."""
    from lautex_registry.erasure.cleanup import rebuild_search_index

    try:
        rebuild_search_index(restored)
    except sqlite3.DatabaseError as exc:
        raise copy_failed(shown, exc) from exc


def restore_backup(
    live: sqlite3.Connection,
    actor: audit.Actor,
    backup: Path,
    as_of: date,
    *,
    dry_run: bool = False,
    shown: Path | None = None,
    original: BackupCopy | None = None,
) -> RestoreResult:
    """Put `backup` in place of the register open on `live`, then replay the erasure journal.

    `shown` and `original`: the encrypted copy `backup` was decrypted from, which messages
    name and whose hash the audit row records.
    """
    from lautex_registry.erasure.cleanup import physical_cleanup

    shown = shown or backup
    if not backup.is_file():
        raise NotFound(t("backup: no file at {shown}", shown=shown))
    db_path = journal.database_file(live)
    if shown.resolve() == db_path.resolve():
        raise InvalidInput(t("backup: that is the register itself"))
    # A private scratch file of a random name, held under a lock while the restore runs: a
    # killed restore leaves the whole copy in it, so the next backup, verify, restore or
    # retention run removes it (docs/rules.md §5).
    with private_scratch(db_path, "restoring") as staging:
        restored = copy_into(backup, staging.hand_over(), shown)
        try:
            with copy_read(shown):
                behind = schema_behind(restored)
                backup_id = register_id(restored)
            if backup_id != register_id(live):
                raise Conflict(t("backup: {shown} is a backup of another register", shown=shown))
            if behind is not None:  # in the staging file, also for a dry run
                with copy_read(shown):
                    migrate_copy(restored)
            if not dry_run:  # before the replay deletes from the copy's index
                _index_anew(restored, shown)
            customers = int(restored.execute("SELECT count(*) FROM customers").fetchone()[0])
            # A deleted, truncated or rewritten journal would replay less than was erased.
            recorded = journal.recorded_mark(live)
            journal.check_against(db_path, recorded)
            with damage_named(shown):
                entries, replay, closed = replay_journal(
                    restored, actor, db_path, as_of, dry_run=dry_run
                )
            result = RestoreResult(
                shown, customers, entries, len(replay.customers), dry_run,
                replay.customers, replay.already_erased, closed, behind,
            )  # fmt: skip
            if dry_run:
                return result
            # The file's name may be personal: the trail names the copy by hash and size,
            # which match the backup's own audit row.
            copy = original or fingerprint(backup, backup)
            with transaction(restored):
                if recorded is not None:
                    journal.record_mark(restored, recorded)
                _carry_backups(live, restored)
                audit.record(
                    restored,
                    actor,
                    "restore",
                    "register",
                    None,
                    {
                        "sha256": copy.sha256,
                        "bytes": copy.size,
                        "journal_entries": entries,
                        "replayed": len(replay.customers),
                        "already_erased": len(replay.already_erased),
                        "requests_closed_again": closed,
                        "migrated_from": behind,
                    },
                )
            physical_cleanup(restored)
            # The online backup API writes the prepared register into the live file under
            # SQLite's own locks.
            restored.backup(live)
        finally:
            restored.close()
        physical_cleanup(live)
        return result
