"""The tamper-evident audit trail.

Every state-changing command and every export writes one row in the same
transaction as its change. Rows hold ids, field names and counts, never personal
values (P7 of the privacy statement; GDPR Art. 5(2) accountability). Each row's
hash covers the previous row's hash and its own content, so an edit made with
the sqlite3 shell breaks the chain at that row.
"""

import hashlib
import json
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from lautex_registry.clock import timestamp

GENESIS = "0" * 64


@dataclass(frozen=True)
class Actor:
    """Who did it: a user of the register."""

    user_id: int | None
    username: str


def _row_hash(
    prev_hash: str,
    at: str,
    user_id: int | None,
    username: str,
    action: str,
    entity: str | None,
    entity_id: str | None,
    details_json: str,
) -> str:
    payload = json.dumps(
        [prev_hash, at, user_id, username, action, entity, entity_id, details_json],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def record(
    conn: sqlite3.Connection,
    actor: Actor,
    action: str,
    entity: str | None = None,
    entity_id: int | str | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Append one audit row. Call inside the transaction of the change it records."""
    last = conn.execute("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    prev_hash = last[0] if last else GENESIS
    at = timestamp()
    entity_key = None if entity_id is None else str(entity_id)
    details_json = json.dumps(dict(details or {}), sort_keys=True, ensure_ascii=False)
    digest = _row_hash(
        prev_hash, at, actor.user_id, actor.username, action, entity, entity_key, details_json
    )
    conn.execute(
        """INSERT INTO audit_log
           (at, user_id, username, action, entity, entity_id, details_json, prev_hash, hash)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            at,
            actor.user_id,
            actor.username,
            action,
            entity,
            entity_key,
            details_json,
            prev_hash,
            digest,
        ),
    )


@dataclass(frozen=True)
class ChainReport:
    rows: int
    first_broken_id: int | None
    problem: str | None

    @property
    def intact(self) -> bool:
        return self.first_broken_id is None


def verify_chain(conn: sqlite3.Connection) -> ChainReport:
    """Recompute every row's hash in order; name the first row that does not match."""
    prev_hash = GENESIS
    count = 0
    expected_id = None
    for row in conn.execute(
        """SELECT id, at, user_id, username, action, entity, entity_id, details_json,
                  prev_hash, hash FROM audit_log ORDER BY id"""
    ):
        count += 1
        if expected_id is not None and row["id"] != expected_id:
            return ChainReport(count, row["id"], f"rows before id {row['id']} are missing")
        expected_id = row["id"] + 1
        if row["prev_hash"] != prev_hash:
            return ChainReport(count, row["id"], "its link to the previous row is broken")
        digest = _row_hash(
            prev_hash,
            row["at"],
            row["user_id"],
            row["username"],
            row["action"],
            row["entity"],
            row["entity_id"],
            row["details_json"],
        )
        if digest != row["hash"]:
            return ChainReport(count, row["id"], "its content does not match its hash")
        prev_hash = row["hash"]
    return ChainReport(count, None, None)


def list_entries(
    conn: sqlite3.Connection,
    *,
    username: str | None = None,
    action: str | None = None,
    since: str | None = None,
) -> Iterator[dict[str, Any]]:
    clauses = []
    params: list[Any] = []
    if username:
        clauses.append("username = ?")
        params.append(username)
    if action:
        clauses.append("(action = ? OR action LIKE ?)")
        params.extend([action, action + " %"])
    if since:
        clauses.append("at >= ?")
        params.append(since)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    for row in conn.execute(
        "SELECT id, at, username, action, entity, entity_id, details_json FROM audit_log "
        f"{where} ORDER BY id",
        params,
    ):
        yield {
            "id": row["id"],
            "at": row["at"],
            "user": row["username"],
            "action": row["action"],
            "entity": row["entity"],
            "entity_id": row["entity_id"],
            "details": json.loads(row["details_json"]),
        }
