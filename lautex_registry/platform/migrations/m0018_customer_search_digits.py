"""Migration 18: the digit windows of `customer search`."""

from collections.abc import Callable

from lautex_registry.platform.sqlite import sqlite3

# A phone number is typed as digits (`040 050 0000`), and the trigrams of digits (`040`,
# `000`, `358`) are in most rows: the trigram index read a large part of the register for
# one number (66-329 ms at 1,000,000 customers, benchmarks/README.md). This table holds
# every run of WINDOW consecutive ASCII digits of each customer's search text with the
# customer's id, an ordinary B-tree: a word with such a run is found by one lookup of its
# rarest window, and LIKE then decides as always (docs/rules.md §3, "the search index",
# says why the rows are a superset of LIKE's). It holds pieces of the search text, so it
# is personal data (records/personal_data.py): triggers keep it in the transaction of
# every write of the customer row, erasure and anonymisation clear it with the search
# text, and secure_delete overwrites its deleted cells (docs/rules.md §5). The triggers
# are plain SQL (a recursive CTE over the text's positions): a plain sqlite3 client that
# writes search_text keeps the table too, and SQLite 3.40 runs them.
DESCRIPTION = "digit windows for customer search"
WINDOW = 6  # the shortest number `customer search` looks up by this table
_DIGITS = "[0-9]" * WINDOW


def windows_of(text: str) -> str:
    """SQL selecting the distinct WINDOW-digit windows of the SQL expression `text`."""
    return (
        "WITH RECURSIVE at(p) AS (SELECT 1 UNION ALL SELECT p + 1 FROM at "
        f"WHERE p <= length({text}) - {WINDOW}) "
        f"SELECT DISTINCT substr({text}, p, {WINDOW}) AS digits FROM at "
        f"WHERE substr({text}, p, {WINDOW}) GLOB '{_DIGITS}'"
    )


def _put(row: str) -> str:
    return (
        f"INSERT OR IGNORE INTO customer_search_digits (digits, customer_id) "
        f"SELECT w.digits, {row}.id FROM ({windows_of(f'{row}.search_text')}) w;"
    )


# Deleted by (digits, customer_id), the primary key: no second index on customer_id.
def _take(row: str) -> str:
    return (
        f"DELETE FROM customer_search_digits WHERE customer_id = {row}.id "
        f"AND digits IN ({windows_of(f'{row}.search_text')});"
    )


STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE customer_search_digits (
           digits TEXT NOT NULL,
           customer_id INTEGER NOT NULL,
           PRIMARY KEY (digits, customer_id)
       ) WITHOUT ROWID""",
    f"""CREATE TRIGGER customers_digits_in AFTER INSERT ON customers
           WHEN NEW.search_text IS NOT NULL BEGIN {_put("NEW")} END""",
    f"""CREATE TRIGGER customers_digits_out AFTER DELETE ON customers
           WHEN OLD.search_text IS NOT NULL BEGIN {_take("OLD")} END""",
    f"""CREATE TRIGGER customers_digits_moved AFTER UPDATE OF id, search_text ON customers
           WHEN OLD.search_text IS NOT NEW.search_text OR OLD.id <> NEW.id BEGIN
           {_take("OLD")}
           {_put("NEW")}
       END""",
)

BATCH = 20_000


def build(conn: sqlite3.Connection, progress: Callable[[int, int], None] | None) -> None:
    """Give the customers already in the register their windows, a batch of ids at a time
    so a large register shows its progress (done, total) while it is built."""
    total = int(conn.execute("SELECT count(*) FROM customers").fetchone()[0])
    done, last = 0, 0
    while True:
        row = conn.execute(
            "SELECT max(id), count(*), max(length(search_text)) FROM (SELECT id, search_text "
            "FROM customers WHERE id > ? ORDER BY id LIMIT ?)",
            (last, BATCH),
        ).fetchone()
        if not row[1]:
            break
        conn.execute(
            "WITH RECURSIVE at(p) AS (SELECT 1 UNION ALL SELECT p + 1 FROM at WHERE p < ?) "
            "INSERT OR IGNORE INTO customer_search_digits (digits, customer_id) "
            f"SELECT substr(c.search_text, at.p, {WINDOW}), c.id FROM customers c "
            f"JOIN at ON at.p <= length(c.search_text) - {WINDOW} + 1 "
            "WHERE c.id > ? AND c.id <= ? "
            f"AND substr(c.search_text, at.p, {WINDOW}) GLOB '{_DIGITS}'",
            (row[2] or 0, last, row[0]),
        )
        last, done = int(row[0]), done + int(row[1])
        if progress is not None:
            progress(done, total)
