"""The physical clean-up after an erasure (docs/rules.md §5): what a deleted row leaves
behind in the file goes too.

Every connection has `secure_delete` on (`platform.db.connect`), so deleted rows are
overwritten in place; what is left is old tokens in a full-text index and old page
images in the `-wal` file. `erase`, `anonymise`, the retention job and `restore` call
this after their transactions.
"""

from lautex_registry.platform.db import transaction
from lautex_registry.platform.sqlite import sqlite3


def physical_cleanup(conn: sqlite3.Connection) -> bool:
    """docs/rules.md §5: merge full-text indexes (no old token survives) and truncate the WAL.

    Returns False when a reader kept the checkpoint from finishing (it is safe to
    run again; the next erasure or retention run does).
    """
    tables = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' "
        "AND lower(sql) LIKE 'create virtual table%using fts%'"
    ).fetchall()
    if tables:
        with transaction(conn):
            for (name,) in tables:
                conn.execute(f'INSERT INTO "{name}"("{name}") VALUES (\'optimize\')')
    busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return not (busy and busy[0])
