"""Migration 20: the search index keeps its rows in Finnish name order."""

from collections.abc import Callable

from lautex_registry.platform import search_order
from lautex_registry.platform.db import rowid_batches
from lautex_registry.platform.search_order import ROWID_STEP, UNPLACED
from lautex_registry.platform.sqlite import sqlite3

# A search for a name held by an eighth of a million customers read all 125,000 matches
# to find the first hundred in Finnish order (90 ms; benchmarks/README.md): no index knew
# which matches come first. FTS5 returns an index's rows in rowid order, so the rowid of a
# customer's row in `customer_search` now carries the customer's place in name order: a
# bucket (platform/search_order.py) times ROWID_STEP plus the id, the generated column
# `customers.search_rowid` (docs/rules.md §3, "The search index in name order"). The
# index is the same trigrams of the same text, built anew under its new rowids; it is a
# derived index, not register data, so it is dropped and made again. `name_bucket` is
# the name's place in order, cleared with the names (records/personal_data.py).
DESCRIPTION = "the search index in Finnish name order"
INDEX = "customer_search"


def _rowid(row: str | None) -> str:
    """A customer's rowid in the index (`row`: NEW, OLD, or None in the table's own column)."""
    of = f"{row}." if row else ""
    return f"coalesce({of}name_bucket, 0) * {ROWID_STEP} + {of}id"


_SEARCH_TRIGGERS = (
    f"""CREATE TRIGGER customers_search_in AFTER INSERT ON customers
           WHEN NEW.search_text IS NOT NULL BEGIN
           INSERT INTO {INDEX}(rowid, search_text) VALUES ({_rowid("NEW")}, NEW.search_text);
       END""",
    f"""CREATE TRIGGER customers_search_out AFTER DELETE ON customers
           WHEN OLD.search_text IS NOT NULL BEGIN
           INSERT INTO {INDEX}({INDEX}, rowid, search_text)
               VALUES ('delete', {_rowid("OLD")}, OLD.search_text);
       END""",
    f"""CREATE TRIGGER customers_search_moved
           AFTER UPDATE OF id, search_text, name_bucket ON customers
           WHEN OLD.search_text IS NOT NEW.search_text OR OLD.id <> NEW.id
                OR OLD.name_bucket IS NOT NEW.name_bucket BEGIN
           INSERT INTO {INDEX}({INDEX}, rowid, search_text)
               SELECT 'delete', {_rowid("OLD")}, OLD.search_text
               WHERE OLD.search_text IS NOT NULL;
           INSERT INTO {INDEX}(rowid, search_text)
               SELECT {_rowid("NEW")}, NEW.search_text WHERE NEW.search_text IS NOT NULL;
       END""",
)

# A name that changes leaves its place: its writer sets the bucket UNPLACED (NULL when
# the name goes) in the same statement, so the index's row moves once, with the new text.
# A trigger that unplaced the row after the write would move the row a second time, in
# an order between the triggers that SQLite does not promise; so a write that forgets is
# refused instead (a plain sqlite3 client renaming a customer must set it too).
_NAME_CHANGED = (
    "(OLD.first_name IS NOT NEW.first_name OR OLD.last_name IS NOT NEW.last_name "
    "OR OLD.sort_first_name IS NOT NEW.sort_first_name "
    "OR OLD.sort_last_name IS NOT NEW.sort_last_name)"
)
# NULL is the place of a customer without a name's key only: a NULL given to a named
# customer would put it first in every search and out of the nightly placing's reach.
_NAMELESS = "(NEW.name_bucket IS NULL AND NEW.sort_last_name IS NULL)"
_GUARDS = (
    f"""CREATE TRIGGER customers_renamed_unplaced
           BEFORE UPDATE OF first_name, last_name, sort_first_name, sort_last_name, name_bucket
           ON customers
           WHEN ({_NAME_CHANGED} AND NEW.name_bucket IS NOT {UNPLACED} AND NOT {_NAMELESS})
                OR (NEW.name_bucket IS NULL AND NEW.sort_last_name IS NOT NULL) BEGIN
           SELECT RAISE(ABORT, 'a renamed customer must be unplaced: set name_bucket = {UNPLACED}');
       END""",
    f"""CREATE TRIGGER customers_placed_here_only BEFORE INSERT ON customers
           WHEN NEW.name_bucket IS NOT {UNPLACED} BEGIN
           SELECT RAISE(ABORT, 'a new customer is unplaced: leave name_bucket out');
       END""",
    f"""CREATE TRIGGER customers_id_in_range AFTER INSERT ON customers
           WHEN NEW.id >= {ROWID_STEP} OR NEW.id < 0 BEGIN
           SELECT RAISE(ABORT, 'a customer id is below {ROWID_STEP}');
       END""",
    f"""CREATE TRIGGER customers_id_kept_in_range AFTER UPDATE OF id ON customers
           WHEN NEW.id >= {ROWID_STEP} OR NEW.id < 0 BEGIN
           SELECT RAISE(ABORT, 'a customer id is below {ROWID_STEP}');
       END""",
)

# Migration 15 marks an imported customer as changed on any update of its row, which
# `customer import --undo` then refuses to remove. Placing a name in order (a bucket
# other than UNPLACED or NULL written alone) changes nobody: it is not counted. A rename
# (to UNPLACED) and anonymisation (to NULL) still are.
_IMPORT_TRIGGER = (
    "DROP TRIGGER import_run_customer_changed",
    f"""CREATE TRIGGER import_run_customer_changed AFTER UPDATE ON customers
           WHEN NOT (OLD.name_bucket IS NOT NEW.name_bucket AND NEW.name_bucket IS NOT NULL
                     AND NEW.name_bucket <> {UNPLACED})
                AND EXISTS (SELECT 1 FROM import_run_customers
                            WHERE customer_id = NEW.id AND changed = 0) BEGIN
           UPDATE import_run_customers SET changed = 1 WHERE customer_id = NEW.id;
       END""",
)

STATEMENTS: tuple[str, ...] = (
    "DROP TRIGGER customers_search_in",
    "DROP TRIGGER customers_search_out",
    "DROP TRIGGER customers_search_moved",
    f"DROP TABLE {INDEX}",
    f"ALTER TABLE customers ADD COLUMN name_bucket INTEGER DEFAULT {UNPLACED}",
    f"ALTER TABLE customers ADD COLUMN search_rowid INTEGER "
    f"GENERATED ALWAYS AS ({_rowid(None)}) VIRTUAL",
    "CREATE INDEX customers_by_bucket ON customers(name_bucket)",
    *_IMPORT_TRIGGER,
    *_GUARDS,
)
BATCH = 20_000


def build(conn: sqlite3.Connection, progress: Callable[[int, int], None] | None) -> None:
    """Number the customers in name order, then make the index under its new rowids, a
    batch of ids at a time; `progress` hears (done, total) of the two as one bar."""
    search_order.number_all(conn, _half(progress, 0))
    create_index(conn)
    fill_index(conn, _half(progress, 1))
    for statement in _SEARCH_TRIGGERS:
        conn.execute(statement)


def _half(
    progress: Callable[[int, int], None] | None, which: int
) -> Callable[[int, int], None] | None:
    """`progress` of one of two steps of about equal rows: the first or second half."""
    if progress is None:
        return None
    report = progress
    return lambda done, total: report(which * total + done, 2 * total)


def create_index(conn: sqlite3.Connection) -> None:
    """The index as migrations 14 and 17 made it, numbered by `search_rowid`."""
    conn.execute(
        f"CREATE VIRTUAL TABLE {INDEX} USING fts5(search_text, content='customers', "
        "content_rowid='search_rowid', tokenize='trigram', detail='none')"
    )
    conn.execute(f"INSERT INTO {INDEX}({INDEX}, rank) VALUES('secure-delete', 1)")


def fill_index(conn: sqlite3.Connection, progress: Callable[[int, int], None] | None) -> None:
    """Index every customer that has a search text, a batch of ids at a time."""
    total = int(conn.execute("SELECT count(*) FROM customers").fetchone()[0])
    done = 0
    for after, up_to, rows in rowid_batches(conn, "customers", BATCH):
        conn.execute(
            f"INSERT INTO {INDEX}(rowid, search_text) SELECT search_rowid, search_text "
            "FROM customers WHERE id > ? AND id <= ? AND search_text IS NOT NULL",
            (after, up_to),
        )
        done += rows
        if progress is not None:
            progress(done, total)
