"""The backup policy: nightly copies, encrypted, verified, rotated, and gone when their time is up.

A backup holds every person the register held that night, so it is personal data with a
retention period like any other (docs/rules.md §2, Retention; docs/privacy-statement.md P6):

- `[backup]` in the settings names the folder, how many daily, weekly and monthly copies
  to keep, and the age recipients to encrypt to; `[retention] backup_days` is the longest
  a copy is kept, and must leave room for the rotation;
- `make_policy_copy` makes the night's copy with VACUUM INTO, checks it (integrity, schema,
  the erasure journal replayable onto it), encrypts it with age when recipients are set,
  records its SHA-256 and size in `backups` with an audit row, and only then gives it its
  name; then copies beyond the rotation or past the retention period are deleted;
- `verify_copy` decrypts a copy to a private temporary file and checks it the same way; a
  copy of an older schema is good too (a restore migrates it), its replay planned on a
  migrated private copy;
- `copy_offsite` puts the newest copy in another folder with the same rotation;
- `expire_copies` (the retention job) deletes copies past the period, whoever made them.

A copy's name carries the moment it was made (`lautex-20261125T013000Z.db.age`, UTC): the
rotation and the retention period read it from there, so they work on a folder whatever
the register remembers (a restore brings back an older `backups` table).
"""

import os
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from io import BufferedIOBase
from pathlib import Path
from typing import Any, NamedTuple, cast
from urllib.parse import quote

import pyrage
from pyrage import ssh, x25519

from lautex_registry.erasure.backups import (
    BackupCopy,
    RestoreResult,
    copy_into,
    copy_read,
    fingerprint,
    held_while_written,
    migrate_copy,
    partial_name,
    plan_replay,
    private_scratch,
    restore_backup,
    schema_behind,
    sweep_partial_files,
    sweep_scratch,
)
from lautex_registry.erasure.holds import RetentionPolicy
from lautex_registry.platform import audit, clock, journal, migrations
from lautex_registry.platform.db import IN_LIST, json_list, transaction
from lautex_registry.platform.errors import (
    AuthError,
    InvalidInput,
    LautexError,
    Message,
    NotFound,
    Refused,
    SchemaError,
    machine_refusal,
    sqlite_reason,
    t,
)
from lautex_registry.platform.identity import register_id
from lautex_registry.platform.input_files import regular_file_size
from lautex_registry.platform.output_files import (
    PendingOutput,
    create_private_folder,
    new_output_file,
)
from lautex_registry.platform.settings import section
from lautex_registry.platform.sqlite import sqlite3

SECTION = "backup"
# The `location` of a copy in the policy's own folder as registers before the folder was
# recorded wrote it: read as the folder the settings name now. New rows hold the folder itself
# (absolute, resolved), so a copy left in a folder the settings no longer name still expires.
LOCAL = "local"
AGE_HEADER = b"age-encryption.org/v1\n"
_NAME = re.compile(r"^lautex-(\d{8}T\d{6}Z)\.db(\.age)?$")
# A policy copy still being written (or left by a run that was killed): hidden, and in the
# clear when the copy is not encrypted, so it is swept like a scratch file (docs/rules.md §5).
_PARTIAL_COPY = partial_name(r"lautex-\d{8}T\d{6}Z\.db(?:\.age)?")
_STAMP = "%Y%m%dT%H%M%SZ"
# The bounds of the rotation: a copy a day for a year, a week for ten years, a month for ten.
_LIMITS = {"daily": (1, 366), "weekly": (0, 520), "monthly": (0, 120)}
# How far back each kind of copy can reach, in days: the retention period must cover it.
_REACH = {"daily": 1, "weekly": 7, "monthly": 31}
IDENTITY_MAX_BYTES = 64 * 1024


# --- the policy ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupPolicy:
    """The `[backup]` section, with the retention period of `[retention] backup_days`."""

    directory: Path
    daily: int
    weekly: int
    monthly: int
    recipients: tuple[str, ...]
    keep_days: int

    @property
    def encrypted(self) -> bool:
        return bool(self.recipients)

    @property
    def location(self) -> str:
        """The policy's folder as `backups.location` records it: absolute and resolved."""
        return str(self.directory.resolve())

    @classmethod
    def from_settings(
        cls, backup: Mapping[str, Any], keep_days: int, register: Path
    ) -> "BackupPolicy":
        folder = backup.get("directory")
        if not isinstance(folder, str) or not folder.strip() or "\x00" in folder:
            raise InvalidInput(t("backup.directory: a folder name, relative to the register's"))
        counts: dict[str, int] = {}
        for name, (low, high) in _LIMITS.items():
            value = backup.get(name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise InvalidInput(
                    t(
                        "backup.{name}: a whole number of copies from {low} to {high}",
                        name=name,
                        low=low,
                        high=high,
                    )
                )
            counts[name] = value
        recipients = backup.get("recipients", [])
        if not isinstance(recipients, list) or not all(isinstance(r, str) for r in recipients):
            raise InvalidInput(t('backup.recipients: a list of age public keys ("age1...")'))
        for index, text in enumerate(recipients):
            parse_recipient(text, f"backup.recipients[{index}]")
        reach = max(_REACH[name] * counts[name] for name in _REACH)
        if keep_days < reach:
            raise InvalidInput(
                t(
                    "retention.backup_days: {keep_days} is shorter than the [backup] "
                    "rotation keeps copies (daily {daily}, weekly {weekly}, monthly "
                    "{monthly}: up to {reach} days); make it at least {reach}",
                    keep_days=keep_days,
                    daily=counts["daily"],
                    weekly=counts["weekly"],
                    monthly=counts["monthly"],
                    reach=reach,
                )
            )
        # A relative folder is the register's neighbour, wherever cron's working directory is.
        directory = register.parent / Path(folder.strip()).expanduser()
        return cls(
            directory,
            counts["daily"],
            counts["weekly"],
            counts["monthly"],
            tuple(r.strip() for r in recipients),
            keep_days,
        )

    @classmethod
    def of(cls, conn: sqlite3.Connection) -> "BackupPolicy":
        keep_days = RetentionPolicy.of(conn).backup_days
        return cls.from_settings(section(conn, SECTION), keep_days, journal.database_file(conn))


def parse_recipient(text: str, field: str) -> x25519.Recipient | ssh.Recipient:
    """An age recipient: an X25519 key (`age1...`) or an SSH public key (ed25519 or RSA)."""
    value = text.strip()
    try:
        if value.startswith("age1"):
            return x25519.Recipient.from_str(value)
        if value.startswith(("ssh-ed25519 ", "ssh-rsa ")):
            return ssh.Recipient.from_str(value)
    except pyrage.RecipientError:
        pass
    shown = value[:12] + ("..." if len(value) > 12 else "")
    raise InvalidInput(
        t(
            "{field}: {shown!r} is not an age public key (age1... or ssh-ed25519 ...)",
            field=field,
            shown=shown,
        )
    )


Identity = x25519.Identity | ssh.Identity
_SSH_KEY = re.compile(
    r"-----BEGIN (?P<kind>[A-Z0-9 ]+)-----.*?-----END (?P=kind)-----[ \t]*\n?", re.DOTALL
)


def _ssh_identities(text: str) -> tuple[list[Identity], str]:
    """The SSH private keys (`-----BEGIN OPENSSH PRIVATE KEY-----` blocks: ed25519 or RSA, the
    keys whose public halves `[backup] recipients` accepts), and the text around them."""
    found: list[Identity] = []
    for match in _SSH_KEY.finditer(text):
        try:
            found.append(ssh.Identity.from_buffer(match[0].encode("ascii")))
        except (pyrage.IdentityError, ValueError) as exc:
            raise InvalidInput(
                t(
                    "identity: an SSH private key in it cannot be used (protected by a "
                    "passphrase, or not ed25519/RSA): give an unprotected copy, e.g. made "
                    "with `ssh-keygen -p -N '' -f COPY`"
                )
            ) from exc
    # Each block becomes as many blank lines, so that line numbers stay those of the file.
    rest = _SSH_KEY.sub(lambda m: "\n" * m[0].count("\n"), text)
    return found, rest


def read_identities(data: bytes) -> list[Identity]:
    """The identities of an age identity file (`age-keygen` output: one AGE-SECRET-KEY-1...
    per line, `#` comments and blank lines skipped) or of an SSH private key file (the
    `ssh-ed25519`/`ssh-rsa` recipients' keys). A bad line is named by number, never shown:
    it is a secret."""
    if len(data) > IDENTITY_MAX_BYTES:
        raise InvalidInput(t("identity: larger than 64 KiB; an identity file is a few lines"))
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as exc:
        raise InvalidInput(t("identity: not an age identity file (not ASCII text)")) from exc
    identities, text = _ssh_identities(text)
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            identities.append(x25519.Identity.from_str(line))
        except pyrage.IdentityError as exc:
            raise InvalidInput(
                t(
                    "identity: line {number} is not an age identity (AGE-SECRET-KEY-1... "
                    "or an SSH private key)",
                    number=number,
                )
            ) from exc
    if not identities:
        raise InvalidInput(t("identity: no AGE-SECRET-KEY-1... line or SSH private key in it"))
    return identities


# --- the copies in a folder ----------------------------------------------------------------


@dataclass(frozen=True)
class Copy:
    """A policy copy in a folder: its file, the moment in its name, whether it is age-encrypted."""

    path: Path
    made_at: datetime
    encrypted: bool

    @property
    def day(self) -> date:
        return self.made_at.date()


def copy_name(made_at: datetime, encrypted: bool) -> str:
    return f"lautex-{made_at.astimezone(UTC).strftime(_STAMP)}.db" + (".age" if encrypted else "")


def copies_in(folder: Path) -> list[Copy]:
    """The policy copies in `folder`, newest first: regular files with a copy's name only,
    so no other file there is ever rotated away."""
    found = []
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return []
    for entry in entries:
        match = _NAME.match(entry.name)
        if match is None or not entry.is_file(follow_symlinks=False):
            continue
        try:
            made = datetime.strptime(match[1], _STAMP).replace(tzinfo=UTC)
        except ValueError:
            continue  # digits that are no moment: not ours
        found.append(Copy(Path(entry.path), made, match[2] is not None))
    return sorted(found, key=lambda c: (c.made_at, c.path.name), reverse=True)


def _newest_per(copies: list[Copy], key: Any, count: int) -> set[Path]:
    kept: set[Path] = set()
    periods: set[Any] = set()
    for copy in copies:  # newest first
        period = key(copy.day)
        if period in periods:
            continue
        if len(periods) == count:
            break
        periods.add(period)
        kept.add(copy.path)
    return kept


def expired(copy: Copy, today: date, keep_days: int) -> bool:
    """A copy made on day D is kept for `keep_days` days: D ... D + keep_days - 1."""
    return (today - copy.day).days >= keep_days


def to_keep(copies: list[Copy], policy: BackupPolicy, today: date) -> set[Path]:
    """The newest copy of each of the last `daily` days, `weekly` ISO weeks and `monthly`
    months that have copies, none past the retention period."""
    kept = _newest_per(copies, lambda d: d, policy.daily)
    kept |= _newest_per(copies, lambda d: d.isocalendar()[:2], policy.weekly)
    kept |= _newest_per(copies, lambda d: (d.year, d.month), policy.monthly)
    return {c.path for c in copies if c.path in kept and not expired(c, today, policy.keep_days)}


# --- checking a copy -----------------------------------------------------------------------


@dataclass
class Verification:
    path: Path
    encrypted: bool
    sha256: str
    size: int
    sha256_recorded: bool  # the register recorded this copy and its hash matches
    customers: int
    journal_entries: int
    replay_would_erase: int
    schema_version: int  # the copy's: older than this lautex's is migrated by a restore
    migrates_on_restore: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "ok": True,
            "encrypted": self.encrypted,
            "sha256": self.sha256,
            "bytes": self.size,
            "sha256_recorded": self.sha256_recorded,
            "customers": self.customers,
            "journal_entries": self.journal_entries,
            "replay_would_erase": self.replay_would_erase,
            "schema_version": self.schema_version,
            "migrates_on_restore": self.migrates_on_restore,
        }


def is_encrypted(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(AGE_HEADER)) == AGE_HEADER


class CopyChecked(NamedTuple):
    """What the check of a copy found."""

    customers: int
    journal_entries: int
    replay_would_erase: int  # people the erasure journal would erase again in it
    schema_version: int
    migrates_on_restore: bool  # an older schema than this lautex's


def check_plain_copy(live: sqlite3.Connection, copy: Path, shown: Path) -> CopyChecked:
    """Refused (exit 4) unless the plain copy at `copy` is a whole register of this one, at
    the current schema or an older one (a restore migrates it), onto which the erasure
    journal can be replayed (docs/rules.md §5). Nothing is written to `copy`."""

    def bad(reason: Message | LautexError) -> Refused:
        # Only its values are words: not in the catalogue (docs/translating.md).
        return Refused(
            Message("backup verify: {shown}: {reason}", {"shown": shown, "reason": reason})
        )

    try:
        conn = sqlite3.connect(f"file:{quote(str(copy.resolve()))}?mode=ro", uri=True)
    except sqlite3.DatabaseError as exc:
        raise machine_refusal(exc) or bad(
            t("cannot be opened ({exc})", exc=sqlite_reason(exc))
        ) from exc
    conn.row_factory = sqlite3.Row
    try:
        try:
            result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
            if result != ["ok"]:
                raise bad(t("integrity_check failed: {result}", result="; ".join(result[:3])))
            behind = schema_behind(conn)
            if register_id(conn) != register_id(live):
                raise bad(t("a copy of another register"))
            customers = int(conn.execute("SELECT count(*) FROM customers").fetchone()[0])
            version = migrations.current_version(conn) if behind is None else behind
        except sqlite3.DatabaseError as exc:
            raise machine_refusal(exc) or bad(
                t("not a whole lautex register ({exc})", exc=sqlite_reason(exc))
            ) from exc
        except SchemaError as exc:
            raise bad(exc) from exc
        except InvalidInput as exc:
            raise bad(exc) from exc
        db_path = journal.database_file(live)
        try:
            journal.check_against(db_path, journal.recorded_mark(live))
        except Refused as exc:
            raise bad(t("the erasure journal cannot be replayed onto it: {exc}", exc=exc)) from exc
        rid = register_id(live)
        entries = [e for e in journal.read(db_path) if e.register_id == rid]
        if behind is None:
            would_erase = len(plan_replay(conn, entries, clock.real_now().date()).customers)
        else:
            try:
                would_erase = _replay_on_migrated(db_path, copy, shown, entries)
            except sqlite3.DatabaseError as exc:  # a migration the copy's tables do not take
                raise machine_refusal(exc) or bad(
                    t("not a whole lautex register ({exc})", exc=sqlite_reason(exc))
                ) from exc
            except (InvalidInput, SchemaError) as exc:  # not copied, or not migrated
                raise bad(exc) from exc
        return CopyChecked(customers, len(entries), would_erase, version, behind is not None)
    finally:
        conn.close()


def _replay_on_migrated(
    register: Path, copy: Path, shown: Path, entries: list[journal.Entry]
) -> int:
    """How many people the journal would erase again in a copy of an older schema: the
    replay is planned for the current schema, so on a migrated copy of it, a private file
    beside the register that is removed afterwards, however the check ends."""
    with private_scratch(register, "verifying") as scratch:
        migrated = copy_into(copy, scratch.hand_over(), shown)
        try:
            migrate_copy(migrated)
            return len(plan_replay(migrated, entries, clock.real_now().date()).customers)
        finally:
            migrated.close()


def _decryption_error(exc: Exception, shown: Path, field: str) -> LautexError:
    """A copy age will not open: the wrong identity is exit 5, a damaged copy exit 4."""
    if "no matching keys" in str(exc).lower():
        return AuthError(
            t(
                "identity: it cannot decrypt {shown}: the copy was encrypted to other keys",
                shown=shown,
            )
        )
    return Refused(
        t("{field}: {shown}: damaged or cut short ({exc})", field=field, shown=shown, exc=exc)
    )


def decrypt_into(
    source: Path, scratch: PendingOutput, identities: Sequence[Identity], shown: Path
) -> None:
    """Decrypt `source` into the scratch file: a wrong identity is exit 5, a damaged copy 4."""
    try:
        with source.open("rb") as src, scratch.open("wb") as out:
            pyrage.decrypt_io(src, cast(BufferedIOBase, out), list(identities))
    except pyrage.DecryptError as exc:
        raise _decryption_error(exc, shown, "backup verify") from exc
    except OSError as exc:
        if exc.errno is not None:
            raise  # the disk's (full, read-only): the command's boundary says so (exit 7)
        # The stream reader reports a cut or altered payload chunk as an OSError with no errno.
        raise _decryption_error(exc, shown, "backup verify") from exc


def _location_keys(conn: sqlite3.Connection, folder: Path) -> list[str]:
    """The `backups.location` values that may name `folder`: the folder itself, and `local`
    (older rows) when it is the policy's folder."""
    here = str(folder.resolve())
    keys = [here]
    try:
        if here == BackupPolicy.of(conn).location:
            keys.append(LOCAL)
    except InvalidInput:
        pass  # settings that do not parse: only the folder itself
    return keys


class _FirstBytes(BufferedIOBase):
    """A sink that stops the decryption at its first bytes: the key opened the copy."""

    opened = False

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.opened = True
        raise OSError("enough: the identity opens the copy")


def check_identity(source: Path, identities: Sequence[Identity]) -> None:
    """AuthError (exit 5) unless one of `identities` opens `source`; nothing is written."""
    sink = _FirstBytes()
    try:
        with source.open("rb") as src:
            pyrage.decrypt_io(src, sink, list(identities))
    except pyrage.DecryptError as exc:
        raise _decryption_error(exc, source, "backup") from exc
    except OSError:
        if not sink.opened:
            raise Refused(t("backup: {source}: damaged or cut short", source=source)) from None


def _recorded(conn: sqlite3.Connection, path: Path) -> sqlite3.Row | None:
    """The register's row for the copy at `path`: same folder and same name."""
    row: sqlite3.Row | None = conn.execute(
        "SELECT id, sha256, bytes, verified_at FROM backups WHERE file_name = ? "
        f"AND deleted_at IS NULL AND location {IN_LIST} "
        "ORDER BY id DESC LIMIT 1",
        (path.name, json_list(_location_keys(conn, path.parent))),
    ).fetchone()
    return row


def verify_copy(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    path: Path | None,
    identities: Sequence[Identity] | None,
) -> Verification:
    """Check a copy (default: the newest in the policy's folder): its recorded SHA-256, then,
    decrypted to a private temporary file, integrity, schema and the journal replay."""
    if path is None:
        newest = copies_in(BackupPolicy.of(conn).directory)
        if not newest:
            raise NotFound(t("backup: no copy in the backup folder yet: run `lautex backup`"))
        path = newest[0].path
    regular_file_size(path, "backup")  # a folder, a device or a pipe is exit 2
    sweep_scratch(journal.database_file(conn))
    copy = fingerprint(path, path)
    row = _recorded(conn, path)
    if row is not None and (row["sha256"], row["bytes"]) != (copy.sha256, copy.size):
        raise Refused(
            t(
                "backup verify: {path}: its SHA-256 or size is not what was recorded "
                "when it was made: the file was altered or cut short",
                path=path,
            )
        )
    encrypted = is_encrypted(path)
    if encrypted:
        if not identities:
            raise InvalidInput(
                t("identity: {path} is encrypted: give --identity FILE (or - )", path=path)
            )
        with private_scratch(journal.database_file(conn), "verifying") as scratch:
            decrypt_into(path, scratch, identities, path)
            found = check_plain_copy(conn, scratch.temp, path)
    else:
        found = check_plain_copy(conn, path, path)
    with transaction(conn):
        if row is not None:
            conn.execute(
                "UPDATE backups SET verified_at = ? WHERE id = ?",
                (clock.real_timestamp(), row["id"]),
            )
        audit.record(
            conn,
            actor,
            "backup verify",
            "backup",
            row["id"] if row else None,
            {"sha256": copy.sha256, "bytes": copy.size, "encrypted": encrypted},
        )
    return Verification(path, encrypted, copy.sha256, copy.size, row is not None, *found)


# --- the nightly copy ----------------------------------------------------------------------


@dataclass
class PolicyCopy:
    copy: BackupCopy
    encrypted: bool
    verified: bool
    deleted: list[Path] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.copy.path),
            "sha256": self.copy.sha256,
            "bytes": self.copy.size,
            "encrypted": self.encrypted,
            "verified": self.verified,
            "deleted": [str(p) for p in self.deleted],
        }


def _record_copy(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    copy: BackupCopy,
    location: str,
    made_at: datetime,
    encrypted: bool,
    *,
    verified: bool,
    action: str,
) -> None:
    assert copy.path is not None
    offsite = location not in (LOCAL, BackupPolicy.of(conn).location)
    cursor = conn.execute(
        "INSERT INTO backups (file_name, location, made_at, sha256, bytes, encrypted, "
        "verified_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            copy.path.name,
            location,
            made_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            copy.sha256,
            copy.size,
            int(encrypted),
            clock.real_timestamp() if verified else None,
        ),
    )
    # The trail names the copy by hash and size; an off-site folder's name is not in it.
    audit.record(
        conn,
        actor,
        action,
        "backup",
        cursor.lastrowid,
        {
            "sha256": copy.sha256,
            "bytes": copy.size,
            "encrypted": encrypted,
            "offsite": offsite,
        },
    )


def make_policy_copy(conn: sqlite3.Connection, actor: audit.Actor) -> PolicyCopy:
    """The night's copy in the policy's folder, checked, encrypted when recipients are set,
    recorded and audited; then the rotation. A copy that fails its check is not kept."""
    from lautex_registry.erasure.cleanup import copy_without_marked_tokens  # docs/rules.md §5

    policy = BackupPolicy.of(conn)
    register = journal.database_file(conn)
    create_private_folder(policy.directory, "backup.directory")
    sweep_scratch(register)
    sweep_partial_files(policy.directory, _PARTIAL_COPY)
    made_at = clock.real_now().astimezone(UTC).replace(microsecond=0)
    target = policy.directory / copy_name(made_at, policy.encrypted)
    recipients = [parse_recipient(r, "backup.recipients") for r in policy.recipients]
    with new_output_file(target, register, field="backup") as pending, held_while_written(pending):
        if recipients:
            with private_scratch(register, "backup") as plain:
                copy_without_marked_tokens(conn, plain.hand_over())
                check_plain_copy(conn, plain.temp, target)
                try:
                    with plain.temp.open("rb") as src, pending.open("wb") as out:
                        pyrage.encrypt_io(src, cast(BufferedIOBase, out), recipients)
                except OSError as exc:
                    raise pending.cannot_write(exc) from exc
        else:
            copy_without_marked_tokens(conn, pending.hand_over())
            check_plain_copy(conn, pending.temp, target)
        try:
            pending.sync()
        except OSError as exc:
            raise pending.cannot_write(exc) from exc
        # Read back from the disk: the hash recorded is the hash of what is there.
        copy = fingerprint(pending.temp, target)
        with transaction(conn):
            _record_copy(
                conn,
                actor,
                copy,
                policy.location,
                made_at,
                policy.encrypted,
                verified=True,
                action="backup",
            )
            pending.publish()
    deleted = rotate(conn, actor, policy.directory, policy, made_at.date())
    return PolicyCopy(copy, policy.encrypted, True, deleted)


def _delete(
    conn: sqlite3.Connection, actor: audit.Actor, folder: Path, gone: list[Path], reason: str
) -> None:
    """Delete copies, then record it; a copy that cannot be deleted stops with exit 7."""
    from lautex_registry.platform.errors import environment_refused

    removed = []
    for path in gone:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise environment_refused(exc, t("backup: cannot delete {path}", path=path)) from exc
        removed.append(path.name)
    if not removed:
        return
    keys = _location_keys(conn, folder)
    with transaction(conn):
        conn.execute(
            "UPDATE backups SET deleted_at = ?, deleted_reason = ? "
            f"WHERE location {IN_LIST} AND deleted_at IS NULL AND file_name {IN_LIST}",
            (clock.real_timestamp(), reason, json_list(keys), json_list(removed)),
        )
        audit.record(
            conn,
            actor,
            "backup delete",
            "backup",
            None,
            {"deleted": len(removed), "reason": reason, "offsite": LOCAL not in keys},
        )


def rotate(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    folder: Path,
    policy: BackupPolicy,
    today: date,
) -> list[Path]:
    """Delete the copies in `folder` that the rotation does not keep."""
    copies = copies_in(folder)
    kept = to_keep(copies, policy, today)
    gone = [c.path for c in copies if c.path not in kept]
    _delete(conn, actor, folder, gone, "rotation")
    return gone


# --- off site ------------------------------------------------------------------------------


@dataclass
class OffsiteCopy:
    source: Path
    target: Path
    copy: BackupCopy
    encrypted: bool
    copied: bool  # False: the folder had it already
    deleted: list[Path]
    journal: Path | None = None  # the erasure journal's copy beside it

    def as_dict(self) -> dict[str, Any]:
        return {
            "journal": None if self.journal is None else str(self.journal),
            "source": str(self.source),
            "path": str(self.target),
            "sha256": self.copy.sha256,
            "bytes": self.copy.size,
            "encrypted": self.encrypted,
            "copied": self.copied,
            "deleted": [str(p) for p in self.deleted],
        }


def copy_offsite(
    conn: sqlite3.Connection, actor: audit.Actor, folder: Path, *, allow_plain: bool
) -> OffsiteCopy:
    """The newest copy of the policy's folder into `folder` (a network share, a removable disk),
    then the same rotation there. A plain copy leaves the local folder only with `allow_plain`:
    personal data in the clear on a disk that travels (docs/rules.md §5)."""
    policy = BackupPolicy.of(conn)
    if not folder.is_dir():
        raise InvalidInput(t("to: {folder} is not a folder (is the disk mounted?)", folder=folder))
    local = policy.directory
    if local.is_dir() and os.path.samefile(folder, local):
        raise InvalidInput(t("to: {folder} is the local backup folder itself", folder=folder))
    copies = copies_in(local)
    if not copies:
        raise NotFound(t("backup: no copy in the backup folder yet: run `lautex backup` first"))
    newest = copies[0]
    if not newest.encrypted and not allow_plain:
        raise Refused(
            t(
                "to: the newest copy {name} is not encrypted: set [backup] recipients "
                "so that copies are, or give --allow-plain to carry personal data in "
                "the clear",
                name=newest.path.name,
            )
        )
    copy = fingerprint(newest.path, newest.path)
    row = _recorded(conn, newest.path)
    if row is not None and (row["sha256"], row["bytes"]) != (copy.sha256, copy.size):
        raise Refused(
            t(
                "backup: {path}: its SHA-256 is not what was recorded: not copied off "
                "site (check it with `lautex backup verify`)",
                path=newest.path,
            )
        )
    target = folder / newest.path.name
    location = str(folder.resolve())
    copied = not (target.is_file() and fingerprint(target, target).sha256 == copy.sha256)
    if copied:
        register = journal.database_file(conn)
        sweep_partial_files(folder, _PARTIAL_COPY)
        with (
            new_output_file(target, register, force=target.exists(), field="to") as pending,
            held_while_written(pending),
        ):
            try:
                with newest.path.open("rb") as src, pending.open("wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
                pending.sync()
            except OSError as exc:
                raise pending.cannot_write(exc) from exc
            written = fingerprint(pending.temp, target)
            if written.sha256 != copy.sha256:
                raise Refused(
                    t("to: {target}: the copy read back differs from the original", target=target)
                )
            with transaction(conn):
                _record_copy(
                    conn,
                    actor,
                    written,
                    location,
                    newest.made_at,
                    newest.encrypted,
                    verified=False,
                    action="backup offsite",
                )
                pending.publish()
    journal_copy = _journal_offsite(conn, folder)
    deleted = rotate(conn, actor, folder, policy, clock.real_now().date())
    return OffsiteCopy(
        newest.path,
        target,
        BackupCopy(target, copy.sha256, copy.size),
        newest.encrypted,
        copied,
        deleted,
        journal_copy,
    )


JOURNAL_COPY = "lautex.erasure-journal"


def _journal_offsite(conn: sqlite3.Connection, folder: Path) -> Path | None:
    """The erasure journal beside the off-site copies (ids and dates only, no personal data):
    a new machine restores the copy and replays the journal, so erasures made after the copy
    was taken, up to this moment, stay erased (docs/rules.md §5)."""
    source = journal.journal_path(journal.database_file(conn))
    if not source.is_file():
        return None
    target = folder / JOURNAL_COPY
    with new_output_file(target, journal.database_file(conn), force=True, field="to") as pending:
        try:
            with source.open("rb") as src, pending.open("wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
        except OSError as exc:
            raise pending.cannot_write(exc) from exc
    return target


# --- listing and the retention period --------------------------------------------------------


def _locations(conn: sqlite3.Connection, policy: BackupPolicy) -> list[tuple[str, Path]]:
    """The policy's folder and every folder a policy copy was put in that is still recorded:
    off site, and the folders the settings named before (their copies expire too)."""
    places = {policy.location: policy.directory}
    for (location,) in conn.execute(
        "SELECT DISTINCT location FROM backups WHERE deleted_at IS NULL ORDER BY location"
    ):
        if location == LOCAL or location in places:
            continue
        # A one-off copy's folder (`backup PATH`) is not a policy folder: only its file expires.
        names = conn.execute(
            "SELECT file_name FROM backups WHERE location = ? AND deleted_at IS NULL",
            (location,),
        )
        if any(_NAME.match(name) for (name,) in names):
            places[str(location)] = Path(location)
    return [(location, folder) for location, folder in places.items()]


@dataclass
class Listing:
    rows: list[dict[str, Any]] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)


def list_copies(conn: sqlite3.Connection) -> Listing:
    """Every copy in the policy's folder and in the other recorded folders that can be
    reached; the folders that cannot (not mounted, no longer a folder) are named."""
    policy = BackupPolicy.of(conn)
    listing = Listing()
    for location, folder in _locations(conn, policy):
        if location != policy.location and not folder.is_dir():
            listing.unreachable.append(location)
            continue
        for copy in copies_in(folder):
            recorded = _recorded(conn, copy.path)
            try:
                size = copy.path.stat().st_size
            except FileNotFoundError:
                continue  # deleted meanwhile
            listing.rows.append(
                {
                    "location": location,
                    "file": copy.path.name,
                    "made_at": copy.made_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "bytes": size,
                    "encrypted": copy.encrypted,
                    "verified_at": recorded["verified_at"] if recorded else None,
                    "sha256": recorded["sha256"] if recorded else None,
                    "expires_on": date.fromordinal(
                        copy.day.toordinal() + policy.keep_days
                    ).isoformat(),
                }
            )
    return listing


@dataclass
class Expiry:
    deleted: int = 0
    unreachable: list[str] = field(default_factory=list)
    changed: int = 0  # one-off copies past the period whose file is no longer the copy made


def due_copies(conn: sqlite3.Connection, as_of: date) -> tuple[int, int]:
    """(copies past the retention period on `as_of`, copies kept) in the folders reachable."""
    policy = BackupPolicy.of(conn)
    due = kept = 0
    for _, folder in _locations(conn, policy):
        for copy in copies_in(folder):
            if expired(copy, as_of, policy.keep_days):
                due += 1
            else:
                kept += 1
    for row in _one_off_rows(conn):
        if (as_of - _row_day(row)).days >= policy.keep_days:
            due += 1
        else:
            kept += 1
    return due, kept


def _one_off_rows(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """The copies made outside the policy (`backup PATH`, `migrate`'s safety copy) not yet
    deleted: a name that is not a policy copy's."""
    rows = conn.execute(
        "SELECT id, location, file_name, made_at, sha256, bytes FROM backups "
        "WHERE deleted_at IS NULL ORDER BY id"
    ).fetchall()
    return [r for r in rows if not _NAME.match(r["file_name"])]


def _row_day(row: sqlite3.Row) -> date:
    return date.fromisoformat(str(row["made_at"])[:10])


def _expire_one_offs(
    conn: sqlite3.Connection, actor: audit.Actor, as_of: date, keep_days: int, result: "Expiry"
) -> None:
    """A one-off copy past the period is deleted if it is still where it was made and still
    the same bytes (SHA-256 and size): a file that is not ours is never deleted, only
    forgotten, and counted in `backups_changed` for the admin to see to."""
    for row in _one_off_rows(conn):
        if (as_of - _row_day(row)).days < keep_days:
            continue
        path = Path(row["location"]) / row["file_name"]
        folder = Path(row["location"])
        if not folder.is_dir():
            if str(row["location"]) not in result.unreachable:
                result.unreachable.append(str(row["location"]))
            continue
        reason = "retention"
        try:
            same = (
                path.is_file()
                and not path.is_symlink()
                and (fingerprint(path, path).sha256, path.stat().st_size)
                == (row["sha256"], row["bytes"])
            )
        except OSError:
            same = False
        if same:
            _delete(conn, actor, folder, [path], reason)
            result.deleted += 1
            continue
        if path.exists() or path.is_symlink():
            result.changed += 1
        with transaction(conn):
            conn.execute(
                "UPDATE backups SET deleted_at = ?, deleted_reason = ? WHERE id = ?",
                (clock.real_timestamp(), "gone or changed: not deleted", row["id"]),
            )


def expire_copies(conn: sqlite3.Connection, actor: audit.Actor, as_of: date) -> Expiry:
    """The retention job: delete every copy past `[retention] backup_days`, in the local folder
    and in each recorded off-site folder that is mounted, whether or not the backup job ran."""
    policy = BackupPolicy.of(conn)
    sweep_scratch(journal.database_file(conn))
    result = Expiry()
    for location, folder in _locations(conn, policy):
        if location != policy.location and not folder.is_dir():
            result.unreachable.append(location)
            continue
        sweep_partial_files(folder, _PARTIAL_COPY)
        gone = [c.path for c in copies_in(folder) if expired(c, as_of, policy.keep_days)]
        _delete(conn, actor, folder, gone, "retention")
        result.deleted += len(gone)
    _expire_one_offs(conn, actor, as_of, policy.keep_days, result)
    return result


# --- restoring an encrypted copy -------------------------------------------------------------


def restore_copy(
    live: sqlite3.Connection,
    actor: audit.Actor,
    path: Path,
    as_of: date,
    *,
    identities: Sequence[Identity] | None,
    dry_run: bool = False,
) -> RestoreResult:
    """`restore_backup` of a plain or an age-encrypted copy. An encrypted one is decrypted to a
    private temporary file first: a wrong identity stops before anything is touched (exit 5)."""
    regular_file_size(path, "backup")
    sweep_scratch(journal.database_file(live))
    if not is_encrypted(path):
        return restore_backup(live, actor, path, as_of, dry_run=dry_run)
    if not identities:
        raise InvalidInput(
            t("identity: {path} is encrypted: give --identity FILE (or - for stdin)", path=path)
        )
    original = fingerprint(path, path)
    with private_scratch(journal.database_file(live), "decrypted") as scratch:
        decrypt_into(path, scratch, identities, path)
        return restore_backup(
            live, actor, scratch.temp, as_of, dry_run=dry_run, shown=path, original=original
        )


def read_identity_file(path: Path) -> list[Identity]:
    """The identities in an age identity file: a regular file of at most 64 KiB."""
    regular_file_size(path, "identity")
    with path.open("rb") as handle:
        return read_identities(handle.read(IDENTITY_MAX_BYTES + 1))


def restore_fresh(
    db_path: Path, path: Path, as_of: date, *, identities: Sequence[Identity] | None
) -> RestoreResult:
    """A register rebuilt from a copy on a machine that has none (the old one was lost): the
    copy is decrypted into a private file, checked (whole, a register of a schema this lautex
    knows), migrated when older (docs/rules.md §5), the erasure journal beside `db_path` (if
    it was put back) replayed onto it, and only then
    does it take the register's name. Holding the identity is holding the data, so no login
    is asked for; the audit row says `restore` by `restore (identity)`."""
    from lautex_registry.erasure.backups import replay_journal
    from lautex_registry.erasure.cleanup import physical_cleanup, rebuild_search_index
    from lautex_registry.platform.db import connect

    regular_file_size(path, "backup")
    encrypted = is_encrypted(path)
    if encrypted and not identities:
        raise InvalidInput(
            t("identity: {path} is encrypted: give --identity FILE (or - for stdin)", path=path)
        )
    if encrypted:
        check_identity(path, identities or [])  # a wrong key creates nothing, not even the folder
    create_private_folder(db_path.parent, "db")
    # What a killed restore left here holds the copy, erased people too (docs/rules.md §5).
    sweep_scratch(db_path)
    actor = audit.Actor(None, "restore (identity)")
    original = fingerprint(path, path)
    # Held under a lock while it is built, so that no sweep takes it from a running restore.
    with new_output_file(db_path, None, field="db") as pending, held_while_written(pending):
        if encrypted:
            decrypt_into(path, pending, identities or [], path)
        else:
            with path.open("rb") as src, pending.open("wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
        conn = connect(pending.temp)
        try:
            with copy_read(path):
                if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                    raise Refused(t("backup: {path}: integrity_check failed", path=path))
                behind = schema_behind(conn)
                customers = int(conn.execute("SELECT count(*) FROM customers").fetchone()[0])
            with copy_read(path):
                if behind is not None:  # the new file is ours: migrated in place
                    migrate_copy(conn)
                # Before the replay deletes from it (docs/rules.md §5, CVE-2026-119374).
                rebuild_search_index(conn)
            # The journal beside the new register, when put back, must continue the copy's.
            journal.check_against(db_path, journal.recorded_mark(conn))
            entries, replay, closed = replay_journal(conn, actor, db_path, as_of, dry_run=False)
            with transaction(conn):
                audit.record(
                    conn,
                    actor,
                    "restore",
                    "register",
                    None,
                    {
                        "sha256": original.sha256,
                        "bytes": original.size,
                        "journal_entries": entries,
                        "replayed": len(replay.customers),
                        "fresh": True,
                        "migrated_from": behind,
                    },
                )
            physical_cleanup(conn)
        finally:
            conn.close()
        pending.publish()  # while still held: a sweep between would take it
    return RestoreResult(
        path,
        customers,
        entries,
        len(replay.customers),
        False,
        replay.customers,
        replay.already_erased,
        closed,
        behind,
    )
