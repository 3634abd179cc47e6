"""Names in Finnish order (docs/rules.md §2 "Formats"): `ORDER BY finnish(name)`.

Case and accents are ignored (é as e, ü as y), and Å, Ä, Ö are letters of their own
after Z in that order (æ with ä, ø with ö). Every connection registers `finnish()`, a
deterministic SQL function giving a row's sort key: SQLite computes it once per row
and sorts the keys, where a collation would call back into Python for every one of
the n log n comparisons (benchmarks/README.md "Finnish order" has both).
"""

import unicodedata
from functools import lru_cache

from lautex_registry.platform.sqlite import sqlite3

SQL_FUNCTION = "finnish"
# After 'z' in code point order: the three letters keep their Finnish order.
_AFTER_Z = {"å": "{", "ä": "|", "æ": "|", "ö": "}", "ø": "}"}
_AS = {"ü": "y", "ß": "ss"}
SEPARATOR = "\x01"


@lru_cache(maxsize=65536)
def finnish_key(text: str) -> str:
    """The sort key of a name: `Äijälä` -> `|ij|l|`, `de Wit` -> `de wit` (each followed by
    SEPARATOR and the name itself)."""
    key = []
    for ch in unicodedata.normalize("NFC", text).lower():
        mapped = _AFTER_Z.get(ch) or _AS.get(ch)
        if mapped is None:
            # the letter without its accents: é -> e, Č -> c
            mapped = "".join(
                c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c)
            )
        key.append(mapped)
    # Names equal but for case or accents still come in one fixed order. The separator
    # sorts before every character a name may hold (no control characters: README.md,
    # "Input rules"), and is not NUL, at which SQLite would cut the key short.
    return "".join(key) + SEPARATOR + text


def sort_key(value: object) -> str | None:
    """`finnish(x)` in SQL: NULL stays NULL (and sorts first); anything else by its text.
    Also what a writer stores in `customers.sort_last_name` (migration 19)."""
    return None if value is None else finnish_key(str(value))


def register(conn: sqlite3.Connection) -> None:
    """Make `finnish()` available on this connection (db.connect calls it), to queries and
    to the schema's triggers that store names in order (migration 19)."""
    conn.create_function(SQL_FUNCTION, 1, sort_key, deterministic=True)
    # An SQLite built with trusted_schema off lets a trigger call only functions marked
    # innocuous, which Python's sqlite3 cannot mark: every write of a name would fail with
    # "unsafe use of finnish()". finnish() reads nothing and changes nothing, and it is the
    # only function the register defines (docs/rules.md §3, "Names in Finnish order").
    conn.execute("PRAGMA trusted_schema = ON")
