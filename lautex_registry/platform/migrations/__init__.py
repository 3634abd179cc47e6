"""Numbered schema migrations, one module each (`m0007_answered_for_real.py`).

Rules (docs/rules.md §3): never edit a shipped migration, never drop-and-recreate a
table that holds register data. A migration module holds its DESCRIPTION and its
STATEMENTS, and may add a `build(conn, progress)` for work over existing rows that
reports its progress; the next one takes the next number and is added to `_NAMES`.
Numbers may have gaps (a number is kept for a migration still being written): the
ledger goes by module name, so one applied later than a higher number is still applied.

sqlite-utils' `Migrations` runs them and keeps the ledger (`_sqlite_migrations`, set
"lautex", one row per migration by module name). It runs each migration with the row
that records it, in a savepoint inside the one BEGIN IMMEDIATE transaction that
`apply_pending`'s caller holds: its own `atomic()` would BEGIN a deferred
transaction, which fails at once when another process writes (docs/rules.md §3), and a
failed `lautex migrate` then leaves the register exactly as it was. sqlite-utils has no
notion of a newer schema (it ignores names it does not know), so refusing one is ours.

Opening a register reads the ledger with plain sqlite3 (start-up is measured:
benchmarks/README.md); sqlite-utils is imported only to migrate. Registers written
before this package kept the ledger `schema_migrations(number, name, applied_at)`:
it is read as it is, and carried over into `_sqlite_migrations` (dates kept) by the
next migration run.
"""

import re
from collections.abc import Callable
from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING, NamedTuple

from lautex_registry.platform.db import require_transaction
from lautex_registry.platform.errors import SchemaError, t
from lautex_registry.platform.sqlite import sqlite3

if TYPE_CHECKING:
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

# The migrations in order, by module name (the name the ledger records).
_NAMES = (
    "m0001_platform",
    "m0002_register",
    "m0003_requests",
    "m0004_disclosures",
    "m0005_marketing",
    "m0006_retention",
    "m0007_answered_for_real",
    "m0008_unicode_names",
    "m0009_foreign_key_indexes",
    "m0010_register_counts",
    "m0011_sole_trader_person",
    "m0012_backup_copies",
    "m0013_order_line_units",
    "m0014_customer_search",
    "m0015_import_runs",
    "m0016_customer_email_key",
    "m0017_search_secure_delete",
    "m0018_customer_search_digits",
    "m0019_customer_name_order",
    "m0020_customer_search_in_name_order",
)

MIGRATION_SET = "lautex"
LEDGER = "_sqlite_migrations"  # sqlite_utils.migrations.Migrations.migrations_table
LEGACY_LEDGER = "schema_migrations"
Progress = Callable[[int, int], None]  # (done, total) of a migration's build step
_NUMBERED = re.compile(r"m(\d{4})_\w+\Z")


class Migration(NamedTuple):
    """One migration (a named tuple, cheaper than a dataclass to make at import)."""

    number: int
    name: str  # the module's name, as the ledger records it: "m0007_answered_for_real"
    description: str
    statements: tuple[str, ...]
    # Work after the statements that SQL alone cannot show progress for (building an
    # index over every customer); called with the progress callback of `lautex migrate`.
    build: "Callable[[sqlite3.Connection, Progress | None], None] | None" = None


def _number_of(name: str) -> int | None:
    numbered = _NUMBERED.match(name)
    return int(numbered[1]) if numbered else None


# Opening a register compares the ledger with these names alone: the migrations' modules
# (their statements) are imported only to migrate or to read them, since importing all
# of them cost every command about 4 ms of its start-up (benchmarks/README.md).
LATEST = _number_of(_NAMES[-1]) or 0


@cache
def named(name: str) -> Migration:
    """The migration of module `name`, its module imported now."""
    module = import_module(f"{__name__}.{name}")
    number = _number_of(name)
    assert number is not None, f"a migration module is named mNNNN_what: {name}"
    build = getattr(module, "build", None)
    return Migration(number, name, module.DESCRIPTION, module.STATEMENTS, build)


def known() -> tuple[Migration, ...]:
    """Every migration this code knows, in the order they are applied."""
    return tuple(named(name) for name in _NAMES)


def _legacy_name(number: int) -> str:
    known_name = next((name for name in _NAMES if _number_of(name) == number), None)
    return known_name or f"m{number:04d}_unknown"


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {
        str(row[0])
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (?, ?)",
            (LEDGER, LEGACY_LEDGER),
        )
    }


def applied_names(conn: sqlite3.Connection) -> list[str]:
    """The migrations the ledger records, in the order applied (either ledger)."""
    tables = _tables(conn)
    if LEDGER in tables:
        return [
            str(row[0])
            for row in conn.execute(
                f"SELECT name FROM {LEDGER} WHERE migration_set = ? ORDER BY rowid",
                (MIGRATION_SET,),
            )
        ]
    if LEGACY_LEDGER in tables:
        return [
            _legacy_name(int(row[0]))
            for row in conn.execute(f"SELECT number FROM {LEGACY_LEDGER} ORDER BY number")
        ]
    return []


def _number(name: str) -> int:
    number = _number_of(name)
    return LATEST + 1 if number is None else number  # a name we cannot read is newer


def current_version(conn: sqlite3.Connection) -> int:
    """The highest migration number applied (0: not a lautex register)."""
    return max((_number(name) for name in applied_names(conn)), default=0)


def whole_up_to(pending: list[str]) -> int:
    """The schema version a register that lacks the migrations `pending` (not empty) is whole
    up to: every migration below it is applied, the one after it is not. A copy that lacks
    only migration 17 is at version 16 whatever later ones it has, not at 19."""
    return min(_number(name) for name in pending) - 1


def pending_names(conn: sqlite3.Connection, applied: list[str] | None = None) -> list[str]:
    done = set(applied_names(conn) if applied is None else applied)
    return [name for name in _NAMES if name not in done]


def pending(conn: sqlite3.Connection) -> list[Migration]:
    return [named(name) for name in pending_names(conn)]


def require_current(conn: sqlite3.Connection) -> None:
    """Refuse to work on a schema older or newer than this code."""
    applied = applied_names(conn)
    if not applied:
        raise SchemaError(t("this file is not a lautex register: run `lautex init` to create one"))
    refuse_newer(conn, applied)
    if pending_names(conn, applied):
        version = current_version(conn)
        raise SchemaError(
            t(
                "the register's schema is at version {version}, this lautex needs "
                "{latest}: run `lautex migrate`",
                version=version,
                latest=LATEST,
            )
        )


def newer_version(applied: list[str]) -> int | None:
    """The version of a schema a newer lautex migrated (a name this code does not know)."""
    unknown = set(applied) - set(_NAMES)
    return max(_number(name) for name in unknown) if unknown else None


def refuse_newer(conn: sqlite3.Connection, applied: list[str] | None = None) -> None:
    """A register migrated by a newer lautex: this code does not know its schema."""
    version = newer_version(applied_names(conn) if applied is None else applied)
    if version is not None:
        raise SchemaError(
            t(
                "the register's schema (version {version}) is newer than this lautex "
                "(knows up to {latest}): upgrade lautex",
                version=version,
                latest=LATEST,
            )
        )


def _runner(progress: Progress | None) -> "Migrations":
    from sqlite_utils.migrations import Migrations

    runner = Migrations(MIGRATION_SET)
    for migration in known():
        runner(name=migration.name)(_step(migration, progress))
    return runner


def _step(migration: Migration, progress: Progress | None):  # type: ignore[no-untyped-def]
    def step(db: "Database") -> None:
        for statement in migration.statements:
            db.conn.execute(statement)
        if migration.build is not None:
            migration.build(db.conn, progress)

    return step


def _adopt_legacy_ledger(conn: sqlite3.Connection, runner: "Migrations", db: "Database") -> None:
    """Carry the old ledger's rows (and their dates) into sqlite-utils' and drop it."""
    if LEGACY_LEDGER not in _tables(conn):
        return
    runner.ensure_migrations_table(db)
    rows = conn.execute(f"SELECT number, applied_at FROM {LEGACY_LEDGER} ORDER BY number")
    conn.executemany(
        f"INSERT OR IGNORE INTO {LEDGER} (migration_set, name, applied_at) VALUES (?, ?, ?)",
        [(MIGRATION_SET, _legacy_name(int(number)), at) for number, at in rows.fetchall()],
    )
    conn.execute(f"DROP TABLE {LEGACY_LEDGER}")


def apply_pending(conn: sqlite3.Connection, progress: Progress | None = None) -> list[Migration]:
    """Apply every pending migration inside the caller's write transaction (checked), so
    they all go in, or none. `progress` hears (done, total) from a long build step."""
    from sqlite_utils import Database

    require_transaction(conn, "migrations.apply_pending")
    refuse_newer(conn)
    todo = pending(conn)
    if not todo:
        return []
    runner = _runner(progress)
    # Database() would otherwise turn on recursive_triggers for the rest of this
    # connection's life (`init` goes on writing on it) and run any installed plugins.
    db = Database(conn, recursive_triggers=False, execute_plugins=False)
    _adopt_legacy_ledger(conn, runner, db)
    runner.apply(db)
    return todo
