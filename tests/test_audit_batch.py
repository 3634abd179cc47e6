"""audit.record_many: the same chain as record, written in one go; only in a transaction."""

import hashlib
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from lautex_registry.platform import audit, clock
from lautex_registry.platform.db import OutsideTransaction, connect, transaction
from lautex_registry.platform.errors import LautexError
from lautex_registry.platform.sqlite import sqlite3
from tests.conftest import Cli

ADMIN = audit.Actor(1, "admin")
AT = "2032-11-25T12:00:00Z"  # after the template register was made: times go forward
ROWS: list[tuple[str | None, int | str | None, dict[str, Any] | None]] = [
    ("customer", 7, {"fields": ["email"], "outcome": "anonymised"}),
    ("customer", "8", {"holds": [], "ä": 1}),
    (None, None, None),
]


def rows_of(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
    return [
        tuple(r)
        for r in conn.execute(
            "SELECT at, user_id, username, action, entity, entity_id, details_json, prev_hash, "
            "hash FROM audit_log ORDER BY id"
        )
    ]


@pytest.fixture
def two_registers(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    moment = datetime.strptime(AT, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    monkeypatch.setattr(clock, "real_now", lambda: moment)  # clock.py's test seam
    copies = [tmp_path / "a.db", tmp_path / "b.db"]
    with cli.connect() as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for copy in copies:
        shutil.copyfile(cli.db, copy)
    return copies


def test_record_many_writes_what_record_writes(two_registers: list[Path]) -> None:
    one_by_one, at_once = (connect(path) for path in two_registers)
    with transaction(one_by_one):
        for entity, entity_id, details in ROWS:
            audit.record(one_by_one, ADMIN, "retention run", entity, entity_id, details)
    with transaction(at_once):
        audit.record_many(at_once, ADMIN, "retention run", ROWS)
    assert rows_of(one_by_one) == rows_of(at_once)
    assert audit.verify_chain(at_once).intact


def test_audit_rows_go_with_their_transaction(two_registers: list[Path]) -> None:
    conn = connect(two_registers[0])
    before = rows_of(conn)
    with pytest.raises(RuntimeError), transaction(conn):
        audit.record_many(conn, ADMIN, "erase", ROWS)
        raise RuntimeError("the change failed")
    assert rows_of(conn) == before


def test_writing_an_audit_row_outside_a_transaction_is_a_bug(two_registers: list[Path]) -> None:
    conn = connect(two_registers[0])
    before = rows_of(conn)
    with pytest.raises(OutsideTransaction, match=r"audit\.record must be called inside"):
        audit.record(conn, ADMIN, "erase", "customer", 1, {})
    with pytest.raises(OutsideTransaction):
        audit.record_many(conn, ADMIN, "erase", ROWS)
    with pytest.raises(OutsideTransaction):
        audit.record_many(conn, ADMIN, "erase", [])  # even with nothing to write
    assert rows_of(conn) == before
    assert not issubclass(OutsideTransaction, LautexError)  # never blamed on the user


def test_the_hash_format_is_unchanged() -> None:
    """Registers written before record_many existed still verify: the same bytes are hashed."""
    fields = [audit.GENESIS, AT, 1, "admin", "customer add", "customer", "5", '{"ä": 1}']
    old = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    assert audit._row_hash(*fields) == hashlib.sha256(old.encode()).hexdigest()  # type: ignore[arg-type]
