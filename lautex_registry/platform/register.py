"""Creating, opening, migrating and backing up a register file."""

import sqlite3
from pathlib import Path

from lautex_registry.platform import audit, migrations
from lautex_registry.platform.clock import now_utc
from lautex_registry.platform.db import connect, transaction
from lautex_registry.platform.errors import InvalidInput
from lautex_registry.platform.output_files import create_private_folder


def open_register(path: Path) -> sqlite3.Connection:
    """Open an existing register whose schema matches this code."""
    conn = connect(path)
    try:
        migrations.require_current(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def meta_value(conn: sqlite3.Connection, key: str) -> str:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    if row is None:
        raise InvalidInput(f"the register has no {key}: was it created with `lautex init`?")
    return str(row[0])


def register_id(conn: sqlite3.Connection) -> str:
    return meta_value(conn, "register_id")


def register_secret(conn: sqlite3.Connection) -> bytes:
    return bytes.fromhex(meta_value(conn, "secret"))


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


def migrate(
    conn: sqlite3.Connection, path: Path, actor: audit.Actor, backup_dir: Path | None = None
) -> tuple[Path | None, list[int]]:
    """Back up the file, then apply pending migrations and their audit row in one
    transaction. Returns the backup path and the numbers applied."""
    if migrations.current_version(conn) == 0:
        raise InvalidInput(f"{path} is not a lautex register: run `lautex init`")
    migrations.refuse_newer(conn)
    todo = migrations.pending(conn)
    if not todo:
        return None, []
    stamp = now_utc().strftime("%Y%m%dT%H%M%SZ")
    folder = backup_dir or path.parent
    create_private_folder(folder, "backup-dir")
    backup = backup_to(conn, folder / f"{path.name}.before-v{todo[0].number}-{stamp}.bak")
    with transaction(conn):
        applied = [m.number for m in migrations.apply_pending(conn)]
        audit.record(conn, actor, "migrate", "register", None, {"applied": applied})
    return backup, applied
