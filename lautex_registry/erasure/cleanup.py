"""The physical clean-up after an erasure (docs/rules.md §5): what a deleted row leaves
behind in the file goes too.

Every connection has `secure_delete` on (`platform.db.connect`), so deleted rows are
overwritten in place, and the search index has FTS5's `secure-delete` on (migration 17),
so the triggers that take an erased person's tokens out of it remove them from the pages
that held them, in the erasing transaction. A retention run that anonymises many people
at once only marks their tokens deleted (cheaper per person) and merges the index once at
the end. What is left is old page images in the `-wal` file, and a merge owed by a run
that was killed: `erase`, `anonymise`, the retention job and `restore` call
`physical_cleanup` after their transactions. A register copy we did not write ourselves
(a backup being restored) gets its index built anew first (`rebuild_search_index`).
"""

from lautex_registry.platform.db import transaction
from lautex_registry.platform.sqlite import sqlite3

INDEX = "customer_search"  # migration 14; secure-delete since migration 17


# docs/rules.md §5: set while tokens that deletions only marked lie in the index's segments
# (a retention run deleting in bulk), cleared by the merge that drops them.
MERGE_PENDING = "search_index_merge_pending"

# Deleting one person's tokens in place rewrites the pages that hold them: about 2-3 ms of
# CPU a person, where merging the whole index costs about 0.15 ms a leaf page (figures in
# benchmarks/README.md). A run that anonymises more than one person per this many pages
# marks its deletions and merges once at the end.
PAGES_PER_PERSON_IN_PLACE = 16


def physical_cleanup(conn: sqlite3.Connection) -> bool:
    """docs/rules.md §5: merge the index if deletions were only marked in it, and truncate
    the WAL, so no old token or page image of an erased row survives.

    Returns False when a reader kept the checkpoint from finishing (it is safe to
    run again; the next erasure or retention run does).
    """
    if conn.execute("SELECT 1 FROM meta WHERE key = ?", (MERGE_PENDING,)).fetchone():
        with transaction(conn):
            conn.execute(f"INSERT INTO {INDEX}({INDEX}) VALUES('optimize')")
            conn.execute("DELETE FROM meta WHERE key = ?", (MERGE_PENDING,))
    busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return not (busy and busy[0])


def bulk_pays(conn: sqlite3.Connection, people: int) -> bool:
    """Whether erasing `people` at once costs less with deletions marked and one merge of
    the index afterwards than with each person's tokens deleted in place."""
    pages = int(conn.execute(f"SELECT count(*) FROM {INDEX}_data").fetchone()[0])
    return people * PAGES_PER_PERSON_IN_PLACE > pages


def mark_deletions(conn: sqlite3.Connection) -> None:
    """Inside a batch's transaction, before its deletions: they are only marked in the
    index (FTS5 `secure-delete` off), and the merge that drops them is recorded as owed.
    `delete_in_place` must follow in the same transaction: the option is stored in the
    index, so a batch that fails rolls it back to on with everything else."""
    conn.execute(f"INSERT INTO {INDEX}({INDEX}, rank) VALUES('secure-delete', 0)")
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, '1') ON CONFLICT (key) DO NOTHING",
        (MERGE_PENDING,),
    )


def delete_in_place(conn: sqlite3.Connection) -> None:
    """FTS5 `secure-delete` on again (migration 17), before the batch commits."""
    conn.execute(f"INSERT INTO {INDEX}({INDEX}, rank) VALUES('secure-delete', 1)")


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
        delete_in_place(conn)
        conn.execute("DELETE FROM meta WHERE key = ?", (MERGE_PENDING,))  # nothing is marked
