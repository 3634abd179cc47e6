"""Migration 16: an email key for `customer search`."""

import re
from collections.abc import Callable

from lautex_registry.platform.sqlite import sqlite3

# A word with `@` is not looked up by its trigrams, which every address of a domain shares
# (`exa`, `@ex`, `.fi`: the trigram index reads most of the register for them), but by
# `customers.search_email_key`, an ordinary B-tree index: email_search_key says what it
# holds and why one range of it holds every row LIKE can match (docs/rules.md §3, "the
# search index"). The key is personal data like the search text it is made from: a column
# of the customer row, cleared and deleted with it (records/personal_data.py).
DESCRIPTION = "an email key for customer search"
ODD = ""  # the key of a search text with more than one `@`: such rows are always read

STATEMENTS: tuple[str, ...] = (
    "ALTER TABLE customers ADD COLUMN search_email_key TEXT",
    "CREATE INDEX customers_search_email_key ON customers(search_email_key) "
    "WHERE search_email_key IS NOT NULL",
)

_AT_WORD = re.compile(r"(\S*)@(\S*)")


def email_search_key(search_text: str | None) -> str | None:
    """The key `customer search` finds a word with `@` by: the whitespace-free run of
    `search_text` around its one `@`, the part before the `@` reversed.

    A searched word holds no whitespace, so if it holds `@` and is in the search text it
    lies inside that run, and its part before `@` ends the run's part before `@`: the
    reversed part begins the key, a prefix range of the index finds it (`ti@ex` is in
    `matti@example.fi`; the key `ittam@example.fi` begins with `it`). A text with no `@`
    has no key (None); one with several has ODD, and those few rows are always read.
    """
    if search_text is None or "@" not in search_text:
        return None
    if search_text.count("@") > 1:
        return ODD
    match = _AT_WORD.search(search_text)
    assert match is not None  # one @ is in the text
    return match[1][::-1] + "@" + match[2]


BATCH = 20_000


def build(conn: sqlite3.Connection, progress: Callable[[int, int], None] | None) -> None:
    """Give the customers already in the register their email keys, a batch of ids at a
    time so a large register shows its progress (done, total) while it is built."""
    total = int(conn.execute("SELECT count(*) FROM customers").fetchone()[0])
    done, last = 0, 0
    while True:
        rows = conn.execute(
            "SELECT id, search_text FROM customers WHERE id > ? ORDER BY id LIMIT ?",
            (last, BATCH),
        ).fetchall()
        if not rows:
            break
        keys = [
            (key, customer)
            for customer, text in rows
            if (key := email_search_key(text)) is not None
        ]
        conn.executemany("UPDATE customers SET search_email_key = ? WHERE id = ?", keys)
        last, done = int(rows[-1][0]), done + len(rows)
        if progress is not None:
            progress(done, total)
