"""The physical clean-up after an erasure (docs/rules.md §5): what a deleted row leaves
behind in the file goes too.

Every connection has `secure_delete` on (`platform.db.connect`), so deleted rows are
overwritten in place, and the search index has FTS5's `secure-delete` on (migration 17),
so the triggers that take an erased person's tokens out of it remove them from the pages
that held them, in the erasing transaction. A retention run that anonymises many people
at once only marks their tokens deleted (cheaper per person) and merges the index once at
the end. What is left is old page images in the `-wal` file, an `_idx` row still naming
a leaf page by a term only the erased held (`owe_merge_if_exposed` owes the merge then),
and a merge owed by a run that was killed: `erase`, `anonymise`, the retention job and
`restore` call `physical_cleanup` after their transactions, and a backup makes the owed
merge before it copies (`copy_without_marked_tokens`). A register copy we did not write
ourselves (a backup being restored) gets its index, digit windows and email keys made
anew first (`rebuild_search_index`).
"""

import json
from collections.abc import Iterable
from pathlib import Path

from lautex_registry.platform import search_order
from lautex_registry.platform.db import transaction
from lautex_registry.platform.migrations import (
    m0016_customer_email_key,
    m0018_customer_search_digits,
)
from lautex_registry.platform.register_file import vacuum_into
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


def merge_owed(conn: sqlite3.Connection) -> bool:
    """Whether a merge of the index is owed (docs/rules.md §5)."""
    return conn.execute("SELECT 1 FROM meta WHERE key = ?", (MERGE_PENDING,)).fetchone() is not None


def _owe_merge(conn: sqlite3.Connection) -> None:
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, '1') ON CONFLICT (key) DO NOTHING",
        (MERGE_PENDING,),
    )


def physical_cleanup(conn: sqlite3.Connection) -> bool:
    """docs/rules.md §5: merge the index if deletions were only marked in it, and truncate
    the WAL, so no old token or page image of an erased row survives.

    Returns False when a reader kept the checkpoint from finishing (it is safe to
    run again; the next erasure or retention run does).
    """
    make_owed_merge(conn)
    busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return not (busy and busy[0])


# A row of the index that is no customer's (ids are not negative: migration 20's trigger).
SPARE_ROWID = -1
SPARE_TEXT = "lautex"


def make_owed_merge(conn: sqlite3.Connection) -> None:
    """docs/rules.md §5: if a merge of the index is owed, make it (outside a transaction).

    FTS5's `optimize` does nothing to an index of one segment without tombstones, which
    is what deleting in place leaves: a spare row (SPARE_ROWID, no customer's) is indexed
    and deleted again with `secure-delete` off first, so there is a second segment and
    every page is rewritten. Not a customer's own row: FTS5 (SQLite 3.51) leaves a rowid
    deleted and indexed again in one transaction with `secure-delete` off so that the
    next in-place delete of that rowid (the customer's erasure) corrupts the index."""
    if not merge_owed(conn):
        return
    with transaction(conn):
        conn.execute(f"INSERT INTO {INDEX}({INDEX}, rank) VALUES('secure-delete', 0)")
        conn.execute(
            f"INSERT INTO {INDEX}(rowid, search_text) VALUES (?, ?)", (SPARE_ROWID, SPARE_TEXT)
        )
        conn.execute(
            f"INSERT INTO {INDEX}({INDEX}, rowid, search_text) VALUES ('delete', ?, ?)",
            (SPARE_ROWID, SPARE_TEXT),
        )
        delete_in_place(conn)
        conn.execute(f"INSERT INTO {INDEX}({INDEX}) VALUES('optimize')")
        conn.execute("DELETE FROM meta WHERE key = ?", (MERGE_PENDING,))


def copy_without_marked_tokens(conn: sqlite3.Connection, copy: Path) -> None:
    """docs/rules.md §5: a backup (VACUUM INTO `copy`) holds no token that a retention
    run only marked deleted. The owed merge is made first; a run still going may mark
    another batch before the copy is read, so a copy that says a merge is owed is merged
    and vacuumed itself (it is a private file nobody else has opened yet)."""
    make_owed_merge(conn)
    vacuum_into(conn, copy)
    own = sqlite3.connect(copy, isolation_level=None)
    try:
        if merge_owed(own):
            own.execute("PRAGMA secure_delete = ON")
            make_owed_merge(own)
            own.execute("VACUUM")
    finally:
        own.close()


def trigrams_of(conn: sqlite3.Connection, texts: Iterable[str]) -> set[str]:
    """The terms the index's own tokenizer (migration 14: `trigram`, case_sensitive 0)
    makes of `texts`, asked of SQLite rather than imitated: FTS5 folds case by its own
    tables, which differ from Python's (Cherokee, which `casefold` makes upper case, it
    leaves as it is). The scratch table is a temporary one, held in memory
    (`temp_store = MEMORY`, `platform.db.connect`), and emptied before returning."""
    conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.erased_text "
        "USING fts5(text, tokenize='trigram', detail='none')"
    )
    conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.erased_terms "
        "USING fts5vocab(temp, erased_text, 'row')"
    )
    try:
        conn.executemany(
            "INSERT INTO temp.erased_text (text) VALUES (?)", ((text,) for text in texts)
        )
        return {str(term) for (term,) in conn.execute("SELECT term FROM temp.erased_terms")}
    finally:
        conn.execute("DELETE FROM temp.erased_text")


def owe_merge_if_exposed(conn: sqlite3.Connection, old_texts: Iterable[str | None]) -> bool:
    """docs/rules.md §5: inside the erasing transaction, after the triggers have deleted
    the people's tokens in place. FTS5 `secure-delete` takes a term out of its leaf page,
    but the `_idx` row that names a leaf page by its first term keeps the term until the
    page empties or the index is merged. When a term only these people held is still a
    whole term in `_idx`, the merge is recorded as owed, and `physical_cleanup` after
    the commit (or the next backup, erasure or retention run) does it."""
    if merge_owed(conn):
        return True
    terms = trigrams_of(conn, [text for text in old_texts if text])
    if not terms:
        return False
    # The `_idx` term is the column's byte '0' and the term (fts5_index.c); one row a
    # leaf page, so this reads a small table.
    named = [
        str(bytes(r[0])[1:], "utf-8", "replace")
        for r in conn.execute(
            f"SELECT term FROM {INDEX}_idx WHERE term IN "
            "(SELECT CAST('0' || value AS BLOB) FROM json_each(?))",
            (json.dumps(sorted(terms)),),
        )
    ]
    exposed = [term for term in named if not _held(conn, term)]
    if exposed:
        _owe_merge(conn)
    return bool(exposed)


def _held(conn: sqlite3.Connection, term: str) -> bool:
    """Whether some row of the index still holds `term` (a phrase of one trigram)."""
    phrase = '"' + term.replace('"', '""') + '"'
    found = conn.execute(
        f"SELECT 1 FROM {INDEX} WHERE {INDEX} MATCH ? LIMIT 1", (phrase,)
    ).fetchone()
    return found is not None


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
    _owe_merge(conn)


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
    whatever the copy's config said. Its customers are numbered in name order afresh
    (migration 20), so no bucket of the copy's can put a search's rows out of order.
    """
    with transaction(conn):
        conn.execute(f"INSERT INTO {INDEX}({INDEX}) VALUES('delete-all')")
        # The copy's places in name order are not trusted either: numbered afresh, with
        # the index empty (its trigger aside), before the index is filled under them.
        with search_order.index_trigger_aside(conn):
            search_order.number_all(conn, None)
        conn.execute(
            f"INSERT INTO {INDEX}(rowid, search_text) SELECT search_rowid, search_text "
            "FROM customers WHERE search_text IS NOT NULL"
        )
        delete_in_place(conn)
        conn.execute("DELETE FROM meta WHERE key = ?", (MERGE_PENDING,))  # nothing is marked
        # The other derived search structures are not trusted either (docs/rules.md §3):
        # the digit windows are made anew as migration 18 makes them, the email keys
        # put right where the copy's differ from its search text's.
        conn.execute("DELETE FROM customer_search_digits")
        m0018_customer_search_digits.build(conn, None)
        _correct_email_keys(conn)


def _correct_email_keys(conn: sqlite3.Connection, batch: int = 20_000) -> None:
    """Set every customer's `search_email_key` to what migration 16 makes of its search
    text, writing only the rows whose key differs."""
    last = 0
    while rows := conn.execute(
        "SELECT id, search_text, search_email_key FROM customers WHERE id > ? ORDER BY id LIMIT ?",
        (last, batch),
    ).fetchall():
        wrong = [
            (key, row[0])
            for row in rows
            if (key := m0016_customer_email_key.email_search_key(row[1])) != row[2]
        ]
        conn.executemany("UPDATE customers SET search_email_key = ? WHERE id = ?", wrong)
        last = int(rows[-1][0])
