"""Opening the register's SQLite file: pragmas, file mode and transactions."""

import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lautex_registry.platform import collation
from lautex_registry.platform.errors import (
    Conflict,
    EnvironmentRefused,
    InvalidInput,
    NotFound,
    os_reason,
    register_error,
    sqlite_reason,
    t,
)
from lautex_registry.platform.sqlite import MINIMUM_VERSION, sqlite3

BUSY_TIMEOUT_MS = 5000


def create_private_file(path: Path) -> None:
    """Create an empty file readable only by its owner (mode 0600).

    Missing folders on the way are created with mode 0700 whatever the umask: the
    register's folder also holds its WAL files and erasure journal.
    """
    from lautex_registry.platform.output_files import create_private_folder

    try:
        create_private_folder(path.parent, "db")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        refused = register_error(exc)  # a full disk or a read-only folder: exit 7, not 2
        if refused is not None:
            raise refused from exc
        raise InvalidInput(
            t("db: cannot create {path}: {value}", path=path, value=os_reason(exc))
        ) from exc
    os.close(fd)


def require_sqlite_version(version: tuple[int, int, int]) -> None:
    """Refuse an SQLite too old for the register's search index (docs/rules.md §3).

    Checked before the file is opened: an older SQLite fails on every write of a
    customer (the index's triggers) with a message about the index, not the version.
    """
    if version < MINIMUM_VERSION:
        raise EnvironmentRefused(
            t(
                "SQLite {version} is older than {minimum}, which the register needs:"
                " install the project's dependencies (pysqlite3-binary)",
                version=".".join(map(str, version)),
                minimum=".".join(map(str, MINIMUM_VERSION)),
            )
        )


def connect(path: Path, *, create: bool = False) -> sqlite3.Connection:
    """Open the register with the pragmas every connection needs.

    The file is created (mode 0600) only when `create` is true; otherwise a
    missing file is NotFound, so a typo in --db never makes an empty register.
    """
    require_sqlite_version(sqlite3.sqlite_version_info)
    if path.is_dir():
        raise InvalidInput(t("db: {path} is a folder, not a register file", path=path))
    if not path.exists():
        if not create:
            raise NotFound(
                t("no register at {path}: run `lautex init` (or `lautex demo`) first", path=path)
            )
        create_private_file(path)
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA foreign_keys = ON")
    # docs/rules.md §5: erased data must be overwritten, not left in free pages.
    conn.execute("PRAGMA secure_delete = ON")
    # Temporary tables (an import's new organisations) stay in memory, never in a temp
    # file; what an import stages goes to its own private file (docs/rules.md §6).
    conn.execute("PRAGMA temp_store = MEMORY")
    # Lists sorted by name sort in Finnish order (docs/rules.md §2 "Formats").
    collation.register(conn)
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken with BEGIN IMMEDIATE.

    A deferred transaction that reads and then writes fails at once with
    "database is locked" when another process holds the write lock (the busy
    timeout does not apply to a lock upgrade), so writers ask for the lock first.
    """
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        # Busy is the usual cause; a read-only or unopenable file is the machine's (exit 7).
        raise register_error(exc) or Conflict(
            t("the register is busy, try again: {exc}", exc=sqlite_reason(exc))
        ) from exc
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


@contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Several reads from one state of the register: a read transaction (in WAL mode,
    one snapshot; writers go on) unless the caller is already in a transaction."""
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN DEFERRED")
    try:
        yield conn
    finally:
        conn.execute("COMMIT")  # nothing was written: this only ends the snapshot


class OutsideTransaction(RuntimeError):
    """A bug, never the user's input: a write that belongs in the caller's transaction ran
    outside one, so it would commit on its own, apart from the change it goes with."""


# How long a job that writes in batches leaves the write lock free after each batch.
YIELD_MIN = 0.005
YIELD_MAX = 0.1


_interrupt_pressed = False


@contextmanager
def batches_interrupted_between() -> Iterator[None]:
    """While a job writes in batches, Ctrl-C stops it between batches, not inside one.

    Python raises KeyboardInterrupt wherever the main thread is running Python code, and
    inside a batch that is often SQLite's call of finnish() for the triggers that keep
    names' sort keys (migration 19): sqlite3 turns it into "user-defined function raised
    exception", a failed batch and a bug's exit 1 instead of the interrupt's 130 and its
    "run N is unfinished" (docs/rules.md §3). So Ctrl-C only marks the interrupt here;
    `let_others_write` raises it after the batch, and so does the end of the block.
    """
    import signal
    import threading

    global _interrupt_pressed
    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach the main thread only
        return

    def mark(_signal: int, _frame: Any) -> None:
        global _interrupt_pressed
        _interrupt_pressed = True

    _interrupt_pressed = False
    previous = signal.signal(signal.SIGINT, mark)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if _interrupt_pressed:  # pressed during the last batch
        _interrupt_pressed = False
        raise KeyboardInterrupt


def let_others_write(held: float) -> float:
    """After a batch has committed: leave the write lock free for a while; the seconds.

    A clerk's BEGIN IMMEDIATE polls for the lock at growing intervals (up to 100 ms
    apart); a job that took the lock again at once would starve it. So the job leaves
    the lock free in proportion to how long it held it (`held` seconds: 10-50%, at
    least 5 ms, at most 100 ms), random so that it cannot fall into step with the
    clerk's polling: the clerk gets the lock within a batch or two.

    A Ctrl-C pressed during the batch (`batches_interrupted_between`) is raised here,
    once the batch has committed.
    """
    import random
    import time

    global _interrupt_pressed
    if _interrupt_pressed:
        _interrupt_pressed = False
        raise KeyboardInterrupt
    pause = min(YIELD_MAX, max(YIELD_MIN, held * random.uniform(0.1, 0.5)))
    time.sleep(pause)
    return pause


def require_transaction(conn: sqlite3.Connection, what: str) -> None:
    """Raise OutsideTransaction unless `conn` is inside a transaction (docs/rules.md §3)."""
    if not conn.in_transaction:
        raise OutsideTransaction(f"{what} must be called inside a transaction (db.transaction)")


def checkpoint(conn: sqlite3.Connection) -> None:
    """Move the WAL into the main file and truncate it, so no old page images remain (docs/rules.md
    §5)."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def where(clauses: list[str]) -> str:
    """` WHERE a AND b` for a list's optional filters, or nothing when none was given."""
    return (" WHERE " + " AND ".join(clauses)) if clauses else ""


# A whole list as one parameter, a JSON array that json_each reads: the statement's text is
# the same for any length, and no list is too long for SQLite's limit on parameters.
IN_LIST = "IN (SELECT value FROM json_each(?))"


def json_list(values: Iterable[Any]) -> str:
    """The parameter an IN_LIST reads: `values` as a JSON array."""
    return json.dumps(list(values))


def rowid_batches(
    conn: sqlite3.Connection, table: str, batch: int
) -> Iterator[tuple[int, int, int]]:
    """The rows of `table` (a name we wrote, not input) in batches of `batch` by rowid:
    (after, up_to, rows) of each, for work done a batch at a time with its progress shown
    (migrations over every customer, the numbering of names in order)."""
    last = 0
    while True:
        up_to, rows = conn.execute(
            f"SELECT max(rowid), count(*) FROM (SELECT rowid FROM {table} WHERE rowid > ? "
            "ORDER BY rowid LIMIT ?)",
            (last, batch),
        ).fetchone()
        if not rows:
            return
        yield last, int(up_to), int(rows)
        last = int(up_to)
