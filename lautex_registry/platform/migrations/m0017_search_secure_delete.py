"""Migration 17: the search index removes an erased person's tokens in place."""

from collections.abc import Callable

from lautex_registry.platform.sqlite import sqlite3

# The trigram index `customer_search` (migration 14) holds personal data. Until now every
# erasure merged the whole index (FTS5 `optimize`) so that no old token survived in a
# segment of the file: seconds at a million customers, growing with the register. FTS5's
# `secure-delete` option removes a deleted row's tokens from the pages that hold them, in
# the transaction that deletes the row, at a cost that does not grow with the register
# (docs/rules.md §5; figures in benchmarks/README.md). It is stored in the index's
# config table, so every connection and every client writing the file uses it; it needs
# SQLite 3.42 (docs/rules.md §3: what an older SQLite can still do with the register).
# Tokens deleted before it was turned on may still lie in older segments: `build` merges
# the index into one segment once, which drops them.
DESCRIPTION = "the search index deletes in place (FTS5 secure-delete)"
INDEX = "customer_search"
STATEMENTS: tuple[str, ...] = (f"INSERT INTO {INDEX}({INDEX}, rank) VALUES('secure-delete', 1)",)

# Leaf pages (of the FTS5 page size, 4,050 bytes by default) merged by one step: about
# 4 MB, so a large index shows its progress and one step stays well under a second.
PAGES_PER_STEP = 1000


def _leaf_pages(conn: sqlite3.Connection) -> int:
    """How many leaf pages the index holds, about: the rows of its data table."""
    return int(conn.execute(f"SELECT count(*) FROM {INDEX}_data").fetchone()[0])


def build(conn: sqlite3.Connection, progress: Callable[[int, int], None] | None) -> None:
    """Merge every segment of the index into one (what `optimize` does), a step of
    PAGES_PER_STEP pages at a time so `lautex migrate` shows its progress (done, total).

    A negative `merge` first puts every segment on one level, so steps repeated until one
    writes nothing are FTS5's incremental `optimize` (SQLite's FTS5 documentation, "The
    'merge' command"); one that changes fewer than two rows did no work.
    """
    total = max(1, _leaf_pages(conn))
    done = 0
    while True:
        before = conn.total_changes
        conn.execute(f"INSERT INTO {INDEX}({INDEX}, rank) VALUES('merge', ?)", (-PAGES_PER_STEP,))
        worked = conn.total_changes - before >= 2
        done = min(total, done + PAGES_PER_STEP) if worked else total
        if progress is not None:
            progress(done, total)
        if not worked:
            return
