"""Building the demo register: a new file, filled by the story, published whole.

`lautex demo` builds it beside the target path and renames it only when complete, and
`--force` replaces only a register that carries the demo's mark.
"""

import random
import secrets
from dataclasses import dataclass
from pathlib import Path

from lautex_registry.demo import story
from lautex_registry.demo.data import SEED
from lautex_registry.platform import sessions
from lautex_registry.platform.clock import today
from lautex_registry.platform.db import checkpoint, connect, transaction
from lautex_registry.platform.errors import Conflict, InvalidInput, Refused, t
from lautex_registry.platform.identity import register_id
from lautex_registry.platform.journal import journal_path
from lautex_registry.platform.output_files import (
    PendingOutput,
    check_kind,
    create_private_folder,
    remove_companion_files,
)
from lautex_registry.platform.settings import load_settings_file
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.setup.new_register import create_register

DEFAULT_DEMO_DB = Path("data") / "demo.db"
DEMO_ADMIN = "demo"
# The row in `meta` that says `lautex demo` built the register: `--force` replaces only such a
# file, never a real register full of people's data (nor a file that is no register).
DEMO_MARKER = "demo_built_on"
ONLY_DEMOS = "--force replaces only a demo register that `lautex demo` built; choose another --db"


@dataclass(frozen=True)
class DemoRegister:
    path: Path
    username: str
    password: str
    counts: dict[str, int]


def is_demo_register(path: Path) -> bool:
    """Whether the file is a lautex register that `lautex demo` built (its marker is in meta).

    The file is only read: opened immutable, so no journal or WAL file appears beside it
    and a file that is no register at all is not touched.
    """
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?immutable=1", uri=True)
    except sqlite3.Error:
        return False
    try:
        row = conn.execute("SELECT 1 FROM meta WHERE key = ?", (DEMO_MARKER,)).fetchone()
    except sqlite3.Error:  # not a database, or a database with no meta table
        return False
    finally:
        conn.close()
    return row is not None


def build_demo(path: Path, *, replace: bool = False) -> DemoRegister:
    """Create the demo register at `path`, fill it, and log the demo admin in.

    It is built in a temporary file beside `path` and takes that name only when
    complete: a failed or killed build never leaves a half-built demo under it.
    """
    if path.is_dir() and not path.is_symlink():
        if replace:
            raise Refused(
                t(
                    "db: {path} is a folder, not a demo register: {only_demos}",
                    path=path,
                    only_demos=ONLY_DEMOS,
                )
            )
        raise InvalidInput(
            t("db: {path} is a folder: give the demo register's file name", path=path)
        )
    # README "Conventions": a symbolic link (dangling or not) or anything but a regular
    # file at the path is refused, as for every file the tool writes; --force too.
    check_kind(path, "db")
    if path.exists() and path.stat().st_size > 0:
        if not replace:
            raise Conflict(
                t("{path} already exists: add --force to build the demo anew", path=path)
            )
        if not is_demo_register(path):
            raise Refused(
                t(
                    "db: {path} is not a demo register: {only_demos}",
                    path=path,
                    only_demos=ONLY_DEMOS,
                )
            )
    create_private_folder(path.parent, "db")
    # A name of its own: the temporary name of a register a restore onto a new machine is
    # building is swept when no process holds it, and this file is made anew by
    # create_register, beyond a lock's reach (docs/rules.md §5).
    building = PendingOutput(path, force=True, field="db", kind="demo")
    try:
        password, counts = _fill_demo(building.hand_over())
        # The old demo's WAL files, journals and lock must not meet the new register.
        remove_companion_files(path)
        if journal_path(building.temp).exists():
            journal_path(building.temp).rename(journal_path(path))
        building.publish()
    finally:
        building.discard()
    return DemoRegister(path, DEMO_ADMIN, password, counts)


def _fill_demo(path: Path) -> tuple[str, dict[str, int]]:
    """Build the demo register at `path`; returns the demo admin's password and the counts."""

    password = secrets.token_urlsafe(12)
    settings, _origin = load_settings_file(None)
    admin = create_register(
        path,
        admin_username=DEMO_ADMIN,
        admin_full_name="Demo Admin",
        admin_password=password,
        settings=settings,
    )
    conn = connect(path)
    try:
        with transaction(conn):
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)", (DEMO_MARKER, today().isoformat())
            )
        ctx = story.DemoContext(conn, admin.actor, random.Random(SEED), today())
        for step in story.STEPS:
            with transaction(conn):
                step(ctx)
        _user, token = sessions.login(conn, DEMO_ADMIN, password)
        sessions.save_session_token(register_id(conn), token)
        checkpoint(conn)  # everything in the file itself: it is renamed without its WAL
    finally:
        conn.close()
    return password, ctx.counts
