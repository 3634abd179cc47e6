"""The SQLite library the register runs on (docs/rules.md §3).

The register needs SQLite 3.42 or newer: FTS5's ``secure-delete`` option removes
an erased person's trigrams from the search index in place, so an erasure costs
the same at any size (docs/rules.md §5). Debian 12's system SQLite is 3.40, so
the project depends on ``pysqlite3-binary`` (the standard library's ``sqlite3``
module built against a current SQLite) and falls back to the standard library's
module only where that wheel does not exist and the system's SQLite is new enough.

Every module imports ``sqlite3`` from here, never directly: the two modules'
exception classes are distinct, and ``except sqlite3.Error`` must catch what the
connection raises. sqlite-utils makes the same choice (it prefers ``pysqlite3``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the same API; type-check against the standard library's stubs
    import sqlite3
else:
    try:
        from pysqlite3 import dbapi2 as sqlite3
    except ImportError:  # no wheel for this platform: the system's SQLite
        import sqlite3

__all__ = ["MINIMUM_VERSION", "sqlite3", "variable_limit"]

# FTS5 'secure-delete' appeared in SQLite 3.42.0 (its release notes, 2023-05-16).
MINIMUM_VERSION = (3, 42, 0)

# SQLite's default SQLITE_MAX_VARIABLE_NUMBER since 3.32.0.
DEFAULT_VARIABLE_LIMIT = 32766


def variable_limit(conn: sqlite3.Connection) -> int:
    """How many `?` one statement may hold on this connection.

    pysqlite3 is the standard library's module as of an older Python and has no
    `Connection.getlimit`; every SQLite it bundles has at least the default limit.
    """
    getlimit = getattr(conn, "getlimit", None)
    if getlimit is None:
        return DEFAULT_VARIABLE_LIMIT
    return int(getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
