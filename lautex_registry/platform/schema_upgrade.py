"""`lautex migrate`: a safety copy of the register file, then its pending migrations.

The migrations themselves and the check that a schema is current are the `migrations`
package; the copy is made by `register_file.backup_to`.
"""

import hashlib
from pathlib import Path

from lautex_registry.platform import audit, migrations
from lautex_registry.platform.clock import now_utc
from lautex_registry.platform.db import transaction
from lautex_registry.platform.errors import InvalidInput, t
from lautex_registry.platform.output_files import create_private_folder
from lautex_registry.platform.register_file import backup_to
from lautex_registry.platform.sqlite import sqlite3


def migrate(
    conn: sqlite3.Connection,
    path: Path,
    actor: audit.Actor,
    backup_dir: Path | None = None,
    progress: migrations.Progress | None = None,
) -> tuple[Path | None, list[int]]:
    """Back up the file, then apply pending migrations and their audit row in one
    transaction. Returns the backup path and the numbers applied; `progress` hears
    (done, total) from a migration that builds over existing rows."""
    if migrations.current_version(conn) == 0:
        raise InvalidInput(t("{path} is not a lautex register: run `lautex init`", path=path))
    migrations.refuse_newer(conn)
    todo = migrations.pending(conn)
    if not todo:
        return None, []
    moment = now_utc()
    stamp = moment.strftime("%Y%m%dT%H%M%SZ")
    made_at = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    folder = backup_dir or path.parent
    create_private_folder(folder, "backup-dir")
    backup = backup_to(conn, folder / f"{path.name}.before-v{todo[0].number}-{stamp}.bak")
    digest, size = _sha256(backup)
    with transaction(conn):
        applied = [m.number for m in migrations.apply_pending(conn, progress)]
        # The safety copy is a backup like the others: recorded, so that the retention job
        # deletes it when `[retention] backup_days` have passed (docs/rules.md §2, Backups).
        conn.execute(
            "INSERT INTO backups (file_name, location, made_at, sha256, bytes, encrypted) "
            "VALUES (?, ?, ?, ?, ?, 0)",
            (backup.name, str(backup.parent.resolve()), made_at, digest, size),
        )
        audit.record(conn, actor, "migrate", "register", None, {"applied": applied})
    return backup, applied


def _sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
