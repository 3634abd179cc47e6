"""Creating a register file: schema, identity, settings and the first administrator."""

import secrets
from pathlib import Path
from typing import Any

from lautex_registry.platform import accounts, audit, migrations
from lautex_registry.platform.clock import timestamp
from lautex_registry.platform.db import connect, transaction
from lautex_registry.platform.errors import Conflict, t
from lautex_registry.platform.settings import store_settings
from lautex_registry.setup.settings_in_force import check_settings_in_force

SYSTEM_ACTOR = audit.Actor(None, "lautex")


def create_register(
    path: Path,
    *,
    admin_username: str,
    admin_full_name: str,
    admin_password: str,
    settings: dict[str, Any],
) -> accounts.User:
    """A new register: schema, a random per-register secret, settings and the first admin.

    Nothing is left behind when any step fails: the file is removed again.
    """
    if path.exists() and path.stat().st_size > 0:
        raise Conflict(
            t("{path} already exists: choose another --db or use `lautex migrate`", path=path)
        )
    accounts.check_password_rules(admin_password)  # before the file is created
    if path.exists():
        path.unlink()  # an empty file (e.g. from `touch`) becomes the register
    conn = connect(path, create=True)
    try:
        with transaction(conn):
            migrations.apply_pending(conn)
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('register_id', ?)",
                (secrets.token_hex(16),),
            )
            # The keyed-hash secret for suppression records (docs/rules.md §2: a plain hash
            # of an email is reversible by guessing).
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('secret', ?)", (secrets.token_hex(32),)
            )
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('created_at', ?)",
                (timestamp(),),
            )
            store_settings(conn, settings)
            check_settings_in_force(conn)
            admin = accounts.add_user(
                conn, SYSTEM_ACTOR, admin_username, admin_full_name, "admin", admin_password
            )
            audit.record(conn, admin.actor, "init", "register", None, {"settings": len(settings)})
    except BaseException:
        conn.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        raise
    conn.close()
    return admin
