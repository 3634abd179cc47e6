"""The erasure journal: an append-only file beside the database that outlives a restore.

Every erasure and anonymisation appends one JSON line: ids and dates only, never
a personal value (docs/rules.md §5); so does every closing of an erasure request about a
person erased or anonymised (its id and outcome, never the reasons). It lives outside
the database file (`<db>.erasure-journal`, mode 0600), so restoring a backup taken
before an erasure cannot bring the person back, nor reopen their answered request:
`lautex restore` replays the journal.

An entry is written (and fsynced) just before its transaction commits. A crash
between the two leaves an entry whose erasure did not happen; replaying it only
repeats a decision already taken (the person asked to be erased, or their
retention period has ended), whereas the other order could lose an erasure.

Only that crash can leave a bad line, and only as the last one (no newline yet): it
is skipped, and the next append cuts it off before writing. Any other line that is
not an entry means the file was damaged or overwritten, and reading stops there
(exit 4, naming the line) instead of replaying less than was erased.

A deleted or truncated journal leaves no bad line at all, so the register itself
records, in the transaction of every erasure, how long the journal then was and a
hash chained over its lines (`meta`: erasure_journal_length / erasure_journal_hash).
`restore` checks the journal on disk against what the register it replaces recorded.
"""

import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lautex_registry.platform.errors import Refused, t
from lautex_registry.platform.sqlite import sqlite3

SUFFIX = ".erasure-journal"
ERASE = "erase"
ANONYMISE = "anonymise"


# One encoder for every line: json.dumps with options builds a new one each call, and
# the retention job writes a line per person (benchmarks/README.md).
_LINE_JSON = json.JSONEncoder(separators=(",", ":"))


@dataclass(frozen=True)
class JournalEntry:
    """One erasure or anonymisation: which customer, which register, when, by which rule."""

    action: str  # "erase" or "anonymise"
    customer_id: int
    customer_created_at: str  # tells a reused id apart from the erased customer
    on: str  # the date the decision was taken (ISO)
    at: str  # the UTC time the entry was written
    register_id: str
    rule: str  # "request" or the retention policy that decided it
    request_id: int | None = None  # the erasure request it answered, closed again on replay

    def to_line(self) -> str:
        # Written by hand rather than with dataclasses.asdict: the job writes one per person.
        fields: dict[str, str | int] = {
            "action": self.action,
            "at": self.at,
            "customer_created_at": self.customer_created_at,
            "customer_id": self.customer_id,
            "on": self.on,
            "register_id": self.register_id,
            "rule": self.rule,
        }
        if self.request_id is not None:
            fields["request_id"] = self.request_id
        return _LINE_JSON.encode(fields) + "\n"


CLOSE_REQUEST = "close-request"


@dataclass(frozen=True)
class RequestClosure:
    """An erasure request closed about a person erased or anonymised: ids and the outcome,
    never the reasons (free text may name someone), so a restore closes it again."""

    request_id: int
    request_created_at: str  # tells a reused request id apart from this request
    outcome: str
    on: str  # the date it was closed (ISO)
    at: str  # the UTC time the entry was written
    register_id: str
    action: str = CLOSE_REQUEST

    def to_line(self) -> str:
        fields: dict[str, str | int] = {
            "action": self.action,
            "at": self.at,
            "on": self.on,
            "outcome": self.outcome,
            "register_id": self.register_id,
            "request_created_at": self.request_created_at,
            "request_id": self.request_id,
        }
        return _LINE_JSON.encode(fields) + "\n"


Entry = JournalEntry | RequestClosure


def _entry(fields: Any) -> Entry:
    if not isinstance(fields, dict):
        raise TypeError("not an object")
    if fields.get("action") == CLOSE_REQUEST:
        return RequestClosure(**fields)
    return JournalEntry(**fields)


def journal_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + SUFFIX)


def database_file(conn: sqlite3.Connection) -> Path:
    """The file behind the connection's main database."""
    for row in conn.execute("PRAGMA database_list"):
        if row[1] == "main" and row[2]:
            return Path(row[2])
    raise ValueError("the register is not a file: it has no erasure journal")


LENGTH_KEY = "erasure_journal_length"
HASH_KEY = "erasure_journal_hash"


@dataclass(frozen=True)
class Mark:
    """How long the journal was and the hash chained over its lines up to there."""

    length: int
    chain: str


START = Mark(0, "")


def _chain(chain: str, line: bytes) -> str:
    return hashlib.sha256(chain.encode("ascii") + line).hexdigest()


def _cut_torn_tail(fd: int) -> None:
    """A line a crash left without its newline was never committed: cut it off, so the
    next entry does not continue it into a bad line in the middle of the file."""
    size = os.fstat(fd).st_size
    if size == 0:
        return
    start = max(0, size - 65536)
    tail = os.pread(fd, size - start, start)
    if tail.endswith(b"\n"):
        return
    os.ftruncate(fd, start + tail.rfind(b"\n") + 1)


def _extend(path: Path, mark: Mark) -> Mark:
    """The mark after the whole lines that follow `mark` in the file."""
    length, chain = mark.length, mark.chain
    with path.open("rb") as handle:
        handle.seek(length)
        for line in handle:
            if not line.endswith(b"\n"):
                break
            length += len(line)
            chain = _chain(chain, line)
    return Mark(length, chain)


def recorded_mark(conn: sqlite3.Connection) -> Mark | None:
    """What the register recorded at its last erasure; None when it never recorded one."""
    rows = dict(
        conn.execute(
            "SELECT key, value FROM meta WHERE key IN (?, ?)", (LENGTH_KEY, HASH_KEY)
        ).fetchall()
    )
    if LENGTH_KEY not in rows:
        return None
    return Mark(int(rows[LENGTH_KEY]), str(rows.get(HASH_KEY, "")))


def record_mark(conn: sqlite3.Connection, mark: Mark) -> None:
    for key, value in ((LENGTH_KEY, str(mark.length)), (HASH_KEY, mark.chain)):
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


def append_and_record(conn: sqlite3.Connection, db_path: Path, entries: Sequence[Entry]) -> None:
    """Append entries and record the journal's new length and hash in the register.

    Call inside the erasure's transaction, just before it commits: the record commits
    with the erasure. The hash is chained on from the last record (a crashed
    transaction's entries after it are chained in too), so an append costs only its
    own lines, not the whole file.
    """
    if not entries:
        return
    path = journal_path(db_path)
    mark = recorded_mark(conn) or START
    size = path.stat().st_size if path.exists() else 0
    if size < mark.length:
        # Appending to a cut journal and recording it would hide the cut from `restore`.
        raise Refused(
            t(
                "erasure journal: {path} has {size} bytes, but the register recorded "
                "{length} at its last erasure: put the journal back before erasing "
                "anyone",
                path=path,
                size=size,
                length=mark.length,
            )
        )
    append(db_path, entries)
    record_mark(conn, _extend(path, mark))


def check_against(db_path: Path, recorded: Mark | None) -> None:
    """Refuse (exit 4) a journal with a bad line (named), or shorter than, or different from,
    what the register recorded."""
    for _ in read(db_path):
        pass
    if recorded is None or recorded.length == 0:
        return
    path = journal_path(db_path)
    if not path.exists():
        raise Refused(
            t(
                "erasure journal: {path} is missing, but the register recorded "
                "{length} bytes of it at its last erasure: put the journal back (from "
                "the backup of the files beside the database) before restoring",
                path=path,
                length=recorded.length,
            )
        )
    size = path.stat().st_size
    if size < recorded.length:
        raise Refused(
            t(
                "erasure journal: {path} has {size} bytes, but the register recorded "
                "{length} at its last erasure: entries are missing",
                path=path,
                size=size,
                length=recorded.length,
            )
        )
    if _extend_exactly(path, recorded.length) != recorded.chain:
        raise Refused(
            t(
                "erasure journal: the first {length} bytes of {path} are not what the "
                "register recorded at its last erasure: entries were changed or removed",
                length=recorded.length,
                path=path,
            )
        )


def _extend_exactly(path: Path, length: int) -> str:
    chain, read = "", 0
    with path.open("rb") as handle:
        for line in handle:
            if read + len(line) > length:
                return ""
            read += len(line)
            chain = _chain(chain, line)
            if read == length:
                break
    return chain if read == length else ""


def append(db_path: Path, entries: Sequence[Entry]) -> None:
    """Append entries and force them to disk (O_APPEND: concurrent writers never interleave)."""
    if not entries:
        return
    path = journal_path(db_path)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
        _cut_torn_tail(fd)
        os.write(fd, "".join(entry.to_line() for entry in entries).encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def read(db_path: Path) -> Iterator[Entry]:
    """Every entry in the order written. A torn last line (a crash) is skipped; any other
    line that is not an entry stops the reading (Refused, exit 4, naming the line)."""
    path = journal_path(db_path)
    if not path.exists():
        return
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.endswith(b"\n"):
                break
            try:
                yield _entry(json.loads(raw.decode("utf-8")))
            except (ValueError, TypeError) as exc:
                raise Refused(
                    t(
                        "erasure journal: line {number} of {path} is not a journal entry "
                        "({name}): the journal is damaged; restore stops rather than bring "
                        "back whoever that line erased",
                        number=number,
                        path=path,
                        name=type(exc).__name__,
                    )
                ) from None
