"""Migration 14: an index for `customer search`."""

from collections.abc import Callable

from lautex_registry.platform.sqlite import sqlite3

# `customer search` finds every word anywhere in a customer's folded name, email, phone
# and organisation (`customers.search_text`, matched with LIKE '%word%'). Scanning a
# million rows for it took 0.3-0.6 s; a trigram index finds the few rows that contain
# all of a word's three-letter pieces, and LIKE then keeps exactly today's matches
# (docs/rules.md §3, "the search index"). It holds the same personal data as
# search_text, so it is kept in step by triggers in the same transaction as every
# change of the row (erasure and anonymisation clear search_text, the triggers remove
# the tokens) and optimised after erasure so no old token survives (docs/rules.md §5).
# External content: the text is not stored twice; detail=none: no positions, which
# LIKE does not need and which would double the index.
DESCRIPTION = "an index for customer search"
STATEMENTS: tuple[str, ...] = (
    "CREATE VIRTUAL TABLE customer_search USING fts5(search_text, content='customers', "
    "content_rowid='id', tokenize='trigram', detail='none')",
    """CREATE TRIGGER customers_search_in AFTER INSERT ON customers
           WHEN NEW.search_text IS NOT NULL BEGIN
           INSERT INTO customer_search(rowid, search_text) VALUES (NEW.id, NEW.search_text);
       END""",
    """CREATE TRIGGER customers_search_out AFTER DELETE ON customers
           WHEN OLD.search_text IS NOT NULL BEGIN
           INSERT INTO customer_search(customer_search, rowid, search_text)
               VALUES ('delete', OLD.id, OLD.search_text);
       END""",
    """CREATE TRIGGER customers_search_moved AFTER UPDATE OF id, search_text ON customers
           WHEN OLD.search_text IS NOT NEW.search_text OR OLD.id <> NEW.id BEGIN
           INSERT INTO customer_search(customer_search, rowid, search_text)
               SELECT 'delete', OLD.id, OLD.search_text WHERE OLD.search_text IS NOT NULL;
           INSERT INTO customer_search(rowid, search_text)
               SELECT NEW.id, NEW.search_text WHERE NEW.search_text IS NOT NULL;
       END""",
)

BATCH = 20_000


def build(conn: sqlite3.Connection, progress: Callable[[int, int], None] | None) -> None:
    """Index the customers already in the register, a batch of ids at a time so a large
    register shows its progress (done, total) while it is built."""
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
            "INSERT INTO customer_search(rowid, search_text) SELECT id, search_text "
            "FROM customers WHERE id > ? AND id <= ? AND search_text IS NOT NULL",
            (last, row[0]),
        )
        last, done = int(row[0]), done + int(row[1])
        if progress is not None:
            progress(done, total)
