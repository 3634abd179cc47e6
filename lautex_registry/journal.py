"""The erasure journal: an append-only file beside the database that outlives a restore.

Every erasure and anonymisation appends one JSON line: ids and dates only, never
a personal value (DESIGN §5). It lives outside the database file
(`<db>.erasure-journal`, mode 0600), so restoring a backup taken before an erasure
cannot bring the person back: `lautex restore` replays the journal.

An entry is written (and fsynced) just before its transaction commits. A crash
between the two leaves an entry whose erasure did not happen; replaying it only
repeats a decision already taken (the person asked to be erased, or their
retention period has ended), whereas the other order could lose an erasure.
"""

import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

SUFFIX = ".erasure-journal"
ERASE = "erase"
ANONYMISE = "anonymise"


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

    def to_line(self) -> str:
        # Written by hand rather than with dataclasses.asdict: the job writes one per person.
        fields = {
            "action": self.action,
            "at": self.at,
            "customer_created_at": self.customer_created_at,
            "customer_id": self.customer_id,
            "on": self.on,
            "register_id": self.register_id,
            "rule": self.rule,
        }
        return json.dumps(fields, separators=(",", ":")) + "\n"


def journal_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + SUFFIX)


def database_file(conn: sqlite3.Connection) -> Path:
    """The file behind the connection's main database."""
    for row in conn.execute("PRAGMA database_list"):
        if row[1] == "main" and row[2]:
            return Path(row[2])
    raise ValueError("the register is not a file: it has no erasure journal")


def append(db_path: Path, entries: Sequence[JournalEntry]) -> None:
    """Append entries and force them to disk (O_APPEND: concurrent writers never interleave)."""
    if not entries:
        return
    path = journal_path(db_path)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, "".join(entry.to_line() for entry in entries).encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def read(db_path: Path) -> Iterator[JournalEntry]:
    """Every complete entry in the order written; a torn last line (a crash) is skipped."""
    path = journal_path(db_path)
    if not path.exists():
        return
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.endswith("\n"):
                break
            try:
                data = json.loads(line)
                yield JournalEntry(**data)
            except (ValueError, TypeError):
                continue
