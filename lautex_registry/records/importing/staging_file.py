"""The import's staging file: the validated rows on disk, not in memory.

A private SQLite file beside the register (mode 0600, created exclusively and never
through a link by `output_files.PendingOutput`), attached to the import's connection
as the schema `staging`. It holds copies of the rows being imported, so it is personal
data for as long as it lives (docs/rules.md §6):

- it is removed when the import ends, whatever the ending: success, an error, a bad
  row, Ctrl-C (the `finally` below);
- an import that was killed (`kill -9`, a power cut) cannot remove it: the next
  `customer import` on the register does. A living import holds an exclusive `flock`
  on its file for its whole life, so a file whose lock can be taken belongs to an
  import that has ended.
"""

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from lautex_registry.platform.output_files import PARTIAL_SUFFIX, PendingOutput, register_files
from lautex_registry.platform.sqlite import sqlite3

SCHEMA = "staging"
STAGING_SUFFIX = ".import-staging"
# The staging file's page cache (KiB): a fixed bound on its memory, whatever the file's size.
CACHE_KIB = 16_384
# A file just created has not been locked yet for a few microseconds: an empty file is
# left alone unless it is older than this (seconds).
EMPTY_GRACE_SECONDS = 60


def register_path(conn: sqlite3.Connection) -> Path | None:
    """The register's file, or None for a register in memory."""
    for _seq, name, file in conn.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return Path(file) if file else None
    return None  # pragma: no cover - every connection has a main schema


def staging_target(conn: sqlite3.Connection) -> Path:
    """The name the staging files of this register are made from (never created itself)."""
    register = register_path(conn)
    if register is None:  # an in-memory register (tests, benchmarks): the temp folder
        return Path(tempfile.gettempdir()) / f"lautex-memory{STAGING_SUFFIX}"
    return register.with_name(register.name + STAGING_SUFFIX)


def staging_files(conn: sqlite3.Connection) -> list[Path]:
    """Every staging file of this register there is now, living imports' and abandoned ones."""
    target = staging_target(conn)
    prefix = f".{target.name}."
    return sorted(
        entry
        for entry in target.parent.glob(f".{target.name}.*{PARTIAL_SUFFIX}")
        if entry.name.startswith(prefix)
    )


def remove_abandoned(conn: sqlite3.Connection) -> int:
    """Remove the staging files of imports that ended without removing them (killed);
    the number removed. A living import's file is locked and left alone."""
    import time

    removed = 0
    for path in staging_files(conn):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue  # gone meanwhile, or a link: not ours to follow
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue  # a living import's
        try:
            facts = os.fstat(fd)
            if facts.st_size == 0 and time.time() - facts.st_mtime < EMPTY_GRACE_SECONDS:
                continue  # just created, not yet locked by its import
            for companion in register_files(path):
                with suppress(OSError):
                    companion.unlink()
            removed += 1
        finally:
            os.close(fd)
    return removed


@contextmanager
def staging_file(conn: sqlite3.Connection) -> Iterator[Path]:
    """A new private staging file attached to `conn` as `staging`, removed at the end."""
    remove_abandoned(conn)
    pending = PendingOutput(staging_target(conn), force=False, field="staging")
    lock: int | None = None
    try:
        assert pending.fd is not None
        lock = os.dup(pending.fd)
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        path = pending.hand_over()
        conn.execute(f"ATTACH DATABASE ? AS {SCHEMA}", (str(path),))
        try:
            # Scratch data, thrown away whole: no overwriting of freed pages (the file is
            # removed), a rollback journal in memory (a batch may roll back), no
            # syncs, and a bounded page cache.
            conn.execute(f"PRAGMA {SCHEMA}.secure_delete = OFF")
            conn.execute(f"PRAGMA {SCHEMA}.journal_mode = MEMORY")
            conn.execute(f"PRAGMA {SCHEMA}.synchronous = OFF")
            conn.execute(f"PRAGMA {SCHEMA}.cache_size = -{CACHE_KIB}")
            yield path
        finally:
            if conn.in_transaction:  # pragma: no cover - transactions end before this
                conn.execute("ROLLBACK")
            conn.execute(f"DETACH DATABASE {SCHEMA}")
    finally:
        pending.discard()
        if lock is not None:
            os.close(lock)
