"""The register's SQLite file as a whole: opening one that this code can use, and copying it.

`db.py` holds what every connection needs (pragmas, transactions); upgrading an older
file's schema, with its safety copy first, is `schema_upgrade.py`.
"""

from pathlib import Path

from lautex_registry.platform import migrations
from lautex_registry.platform.db import connect
from lautex_registry.platform.sqlite import sqlite3


def open_register(path: Path) -> sqlite3.Connection:
    """Open an existing register whose schema matches this code."""
    conn = connect(path)
    try:
        migrations.require_current(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def vacuum_into(conn: sqlite3.Connection, copy: Path) -> None:
    """A consistent copy with VACUUM INTO: no free pages (nor erased data in them) carried along.

    `copy` is an empty private file the caller created (VACUUM INTO accepts an empty file),
    so the copy has mode 0600 from its first byte.
    """
    conn.execute("VACUUM INTO ?", (str(copy),))


def backup_to(conn: sqlite3.Connection, destination: Path, *, force: bool = False) -> Path:
    """Copy the register to `destination`, whole or not at all (README "Conventions")."""
    from lautex_registry.platform.journal import database_file
    from lautex_registry.platform.output_files import new_output_file

    register = database_file(conn)
    with new_output_file(destination, register, force=force, field="backup") as pending:
        vacuum_into(conn, pending.hand_over())
    return destination
