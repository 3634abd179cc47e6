"""Migration 19: each customer's name in Finnish order, stored and indexed."""

from collections.abc import Callable

from lautex_registry.platform.collation import SQL_FUNCTION
from lautex_registry.platform.sqlite import sqlite3

# Every list by name (`customer list --sort name`, `customer search`) is in Finnish order
# (docs/rules.md §2 "Formats"), the key of platform/collation.py. Computed while sorting,
# that key is a call into Python for every row read: `customer search Virtanen` at
# 1,000,000 customers spent 1.4 s of its 1.5 s on it (benchmarks/README.md). Stored in the
# row and indexed, a list by name streams in index order and a search sorts only the keys
# of the rows it matched. The keys are copies of the names, so they are personal data
# (records/personal_data.py): erasure and anonymisation clear them with the names, and
# secure_delete overwrites the index cells they leave (docs/rules.md §5). Triggers keep
# them in the transaction of every write of a name, whichever code writes it; a client
# without the register's `finnish()` function (the sqlite3 shell) can therefore not add
# a customer or change a name, which it could not do properly anyway, since it cannot
# make the search text either (docs/rules.md §3).
DESCRIPTION = "customers' names in Finnish order, indexed"
_KEYS = (
    f"sort_last_name = {SQL_FUNCTION}(NEW.last_name), "
    f"sort_first_name = {SQL_FUNCTION}(NEW.first_name)"
)
# The keys a row should have and does not (a writer may give them itself: then no update).
_STALE = (
    f"NEW.sort_last_name IS NOT {SQL_FUNCTION}(NEW.last_name) "
    f"OR NEW.sort_first_name IS NOT {SQL_FUNCTION}(NEW.first_name)"
)

STATEMENTS: tuple[str, ...] = (
    "ALTER TABLE customers ADD COLUMN sort_last_name TEXT",
    "ALTER TABLE customers ADD COLUMN sort_first_name TEXT",
    "CREATE INDEX customers_by_name ON customers(sort_last_name, sort_first_name, id)",
    f"""CREATE TRIGGER customers_sorted_in AFTER INSERT ON customers WHEN {_STALE} BEGIN
           UPDATE customers SET {_KEYS} WHERE id = NEW.id;
       END""",
    f"""CREATE TRIGGER customers_sorted_moved
           AFTER UPDATE OF first_name, last_name, sort_first_name, sort_last_name ON customers
           WHEN {_STALE} BEGIN
           UPDATE customers SET {_KEYS} WHERE id = NEW.id;
       END""",
)
BATCH = 20_000


# Migration 15's trigger marks an imported customer as changed on any update of the row,
# which `customer import --undo` then refuses to remove. Storing the keys changes nobody:
# the trigger is set aside while they are written (in the migration's transaction, so a
# failure puts it back with everything else).
_IMPORT_TRIGGER = "import_run_customer_changed"


def build(conn: sqlite3.Connection, progress: Callable[[int, int], None] | None) -> None:
    """Give the customers already in the register their keys, a batch of ids at a time
    so a large register shows its progress (done, total)."""
    saved = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (_IMPORT_TRIGGER,)
    ).fetchone()
    if saved is not None:
        conn.execute(f"DROP TRIGGER {_IMPORT_TRIGGER}")
    _store_keys(conn, progress)
    if saved is not None:
        conn.execute(saved[0])


def _store_keys(conn: sqlite3.Connection, progress: Callable[[int, int], None] | None) -> None:
    total = int(conn.execute("SELECT count(*) FROM customers").fetchone()[0])
    done, last = 0, 0
    while True:
        row = conn.execute(
            "SELECT max(id), count(*) FROM (SELECT id FROM customers WHERE id > ? "
            "ORDER BY id LIMIT ?)",
            (last, BATCH),
        ).fetchone()
        if not row[1]:
            break
        conn.execute(
            f"UPDATE customers SET sort_last_name = {SQL_FUNCTION}(last_name), "
            f"sort_first_name = {SQL_FUNCTION}(first_name) WHERE id > ? AND id <= ?",
            (last, row[0]),
        )
        last, done = int(row[0]), done + int(row[1])
        if progress is not None:
            progress(done, total)
