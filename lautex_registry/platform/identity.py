"""The register's identity, kept in its `meta` table since `lautex init`.

`register_id` tells this register apart from any other (the session file is named by
it; the erasure journal's entries and a restored backup are matched to the register by
it); `secret` keys the suppression list's HMACs of erased contact details.
"""

from lautex_registry.platform.errors import InvalidInput, t
from lautex_registry.platform.sqlite import sqlite3


def meta_value(conn: sqlite3.Connection, key: str) -> str:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    if row is None:
        raise InvalidInput(
            t("the register has no {key}: was it created with `lautex init`?", key=key)
        )
    return str(row[0])


def register_id(conn: sqlite3.Connection) -> str:
    return meta_value(conn, "register_id")


def register_secret(conn: sqlite3.Connection) -> bytes:
    return bytes.fromhex(meta_value(conn, "secret"))
