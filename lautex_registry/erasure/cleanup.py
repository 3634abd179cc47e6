"""The physical clean-up after an erasure (docs/rules.md §5): what a deleted row leaves
behind in the file goes too.

Every connection has `secure_delete` on (`platform.db.connect`), so deleted rows are
overwritten in place, and the search index has FTS5's `secure-delete` on (migration 17),
so the triggers that take an erased person's tokens out of it remove them from the pages
that held them, in the erasing transaction. What is left is old page images in the
`-wal` file: `erase`, `anonymise`, the retention job and `restore` call
`physical_cleanup` after their transactions. A register copy we did not write ourselves
(a backup being restored) gets its index built anew first (`rebuild_search_index`).
"""

from lautex_registry.platform.db import transaction
from lautex_registry.platform.sqlite import sqlite3

INDEX = "customer_search"  # migration 14; secure-delete since migration 17


def physical_cleanup(conn: sqlite3.Connection) -> bool:
    """docs/rules.md §5: truncate the WAL, so no old page image of an erased row survives.

    Returns False when a reader kept the checkpoint from finishing (it is safe to
    run again; the next erasure or retention run does).
    """
    busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return not (busy and busy[0])


def rebuild_search_index(conn: sqlite3.Connection) -> None:
    """docs/rules.md §5: build the search index of a register copy anew from its customers.

    The index structure of a copy we did not write ourselves is not trusted: SQLite
    before 3.54 can overflow its heap when FTS5 deletes in place (`secure-delete`) from
    a crafted, corrupted index (CVE-2026-119374), and replaying the erasure journal onto
    the copy deletes from it. `delete-all` drops the old structure (its tables are
    emptied, nothing is deleted from it entry by entry), the customers' search text is
    indexed again as migration 14 does (only rows that have one, as the triggers keep
    it), so the copy holds no token its rows do not, and `secure-delete` is turned on
    whatever the copy's config said.
    """
    with transaction(conn):
        conn.execute(f"INSERT INTO {INDEX}({INDEX}) VALUES('delete-all')")
        conn.execute(
            f"INSERT INTO {INDEX}(rowid, search_text) SELECT id, search_text FROM customers "
            "WHERE search_text IS NOT NULL"
        )
        conn.execute(f"INSERT INTO {INDEX}({INDEX}, rank) VALUES('secure-delete', 1)")
