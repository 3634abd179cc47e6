"""The tamper-evident audit trail.

Every state-changing command and every export writes one row in the same
transaction as its change. Rows hold ids, field names and counts, never personal
values (docs/privacy-statement.md P7; GDPR Art. 5(2) accountability). Each row's
hash covers the previous row's hash and its own content, so an edit made with
the sqlite3 shell breaks the chain at that row.
"""

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from lautex_registry.platform import db
from lautex_registry.platform.clock import real_timestamp
from lautex_registry.platform.sqlite import sqlite3

if TYPE_CHECKING:
    from lautex_registry.platform.errors import Message

GENESIS = "0" * 64
# The rows every trail starts with: `lautex init` adds the first admin, then records itself.
INIT_ACTIONS = ("user add", "init")
# json.dumps(..., ensure_ascii=False, separators=(",", ":")) and
# json.dumps(..., sort_keys=True, ensure_ascii=False), built once: the same text, without
# making an encoder for every row (a retention run writes one row per person).
_HASH_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_DETAILS_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False)
_INSERT = """INSERT INTO audit_log
           (at, user_id, username, action, entity, entity_id, details_json, prev_hash, hash)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"""


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
    payload = _HASH_JSON.encode(
        [prev_hash, at, user_id, username, action, entity, entity_id, details_json]
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _chain_end(conn: sqlite3.Connection) -> tuple[str, str]:
    """The last row's hash and time (GENESIS and "" before the first row)."""
    last = conn.execute("SELECT hash, at FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    return (str(last[0]), str(last[1])) if last else (GENESIS, "")


# A row not yet chained: user_id, username, action, entity, entity_id, details_json.
_Pending = tuple[int | None, str, str, str | None, str | None, str]


def _pending(
    actor: Actor,
    action: str,
    entity: str | None,
    entity_id: int | str | None,
    details: Mapping[str, Any] | None,
) -> _Pending:
    entity_key = None if entity_id is None else str(entity_id)
    details_json = _DETAILS_JSON.encode(dict(details or {}))
    return (actor.user_id, actor.username, action, entity, entity_key, details_json)


def _append(conn: sqlite3.Connection, rows: list[_Pending], at: str) -> None:
    """Chain and insert rows after the last one: one read, one executemany.

    Only inside the transaction of the change (checked): a row committed on its own
    could record a change that then rolls back, or a change could commit unrecorded.
    """
    db.require_transaction(conn, "audit.record")
    if not rows:
        return
    prev_hash, last_at = _chain_end(conn)
    # Times never go backwards along the trail (`verify_chain` checks it): a system clock
    # stepped back (NTP) stamps the previous row's time rather than an earlier one.
    at = max(at, last_at)
    chained = []
    for user_id, username, action, entity, entity_key, details_json in rows:
        digest = _row_hash(
            prev_hash, at, user_id, username, action, entity, entity_key, details_json
        )
        chained.append(
            (at, user_id, username, action, entity, entity_key, details_json, prev_hash, digest)
        )
        prev_hash = digest
    conn.executemany(_INSERT, chained)


def record(
    conn: sqlite3.Connection,
    actor: Actor,
    action: str,
    entity: str | None = None,
    entity_id: int | str | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Append one audit row, inside the transaction of the change it records (checked:
    db.OutsideTransaction otherwise)."""
    _append(conn, [_pending(actor, action, entity, entity_id, details)], real_timestamp())


def record_many(
    conn: sqlite3.Connection,
    actor: Actor,
    action: str,
    rows: Iterable[tuple[str | None, int | str | None, Mapping[str, Any] | None]],
) -> None:
    """Append one row per (entity, entity_id, details), all with one timestamp.

    The same rows and hashes as `record` called for each, in order, at one moment, but
    the end of the chain is read once and the rows go in with one executemany: for a
    job that records hundreds of people a batch (figures in benchmarks/README.md).
    Inside the transaction of the change (checked, as for `record`).
    """
    _append(
        conn,
        [
            _pending(actor, action, entity, entity_id, details)
            for entity, entity_id, details in rows
        ],
        real_timestamp(),
    )


class ChainReport(NamedTuple):
    """What `audit verify` found (a named tuple: a dataclass costs every command's start-up
    about 0.7 ms to make, and only `audit verify` makes reports)."""

    rows: int
    first_broken_id: int | None
    # What is wrong, for the person who runs `audit verify` (the JSON report: its English).
    problem: "Message | None"
    head_id: int | None = None  # the last row: record it elsewhere to detect truncation
    head_hash: str | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None


def expected_triggers() -> dict[str, str]:
    """The append-only triggers the migrations put on audit_log, by name, as created."""
    from lautex_registry.platform import migrations

    found = {}
    for migration in migrations.known():
        for statement in migration.statements:
            words = statement.split()
            if words[:2] == ["CREATE", "TRIGGER"] and "audit_log" in words[3:8]:
                found[words[2]] = _normalised(statement)
    return found


def _normalised(sql: str) -> str:
    return " ".join(sql.split())


def _trigger_problem(conn: sqlite3.Connection) -> "Message | None":
    """A trigger on audit_log dropped, changed or added: its rows can then be rewritten."""
    from lautex_registry.platform.errors import t

    present = {
        row["name"]: _normalised(row["sql"] or "")
        for row in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'"
        )
    }
    for name, sql in expected_triggers().items():
        if name not in present:
            return t("the append-only trigger {name} has been dropped", name=name)
        if present[name] != sql:
            return t("the append-only trigger {name} has been changed", name=name)
    for name in sorted(set(present) - set(expected_triggers())):
        return t("an unknown trigger {name} acts on the audit trail", name=name)
    return None


def _row_problem(row: sqlite3.Row, prev: sqlite3.Row | None, expected_id: int) -> "Message | None":
    """What is wrong with one row given the one before it (None for the first row)."""
    from lautex_registry.platform.errors import t

    if row["id"] != expected_id:
        return t("rows before id {id} are missing", id=row["id"])
    if row["prev_hash"] != (GENESIS if prev is None else prev["hash"]):
        return t("its link to the previous row is broken")
    digest = _row_hash(
        row["prev_hash"],
        row["at"],
        row["user_id"],
        row["username"],
        row["action"],
        row["entity"],
        row["entity_id"],
        row["details_json"],
    )
    if digest != row["hash"]:
        return t("its content does not match its hash")
    if row["id"] <= len(INIT_ACTIONS) and row["action"] != INIT_ACTIONS[row["id"] - 1]:
        return t("the trail does not start with the rows of the register's `init`")
    if prev is not None and row["at"] < prev["at"]:
        return t(
            "its time {at} is before the previous row's ({previous})",
            at=row["at"],
            previous=prev["at"],
        )
    return None


def verify_chain(conn: sqlite3.Connection) -> ChainReport:
    """Recompute every row's hash in order; name the first row that does not match.

    A trail starts with the rows of the register's `init` (an empty one was emptied), its times
    never go backwards, and its append-only triggers are those the migrations made.
    """
    prev = None
    count = 0
    for row in conn.execute(
        """SELECT id, at, user_id, username, action, entity, entity_id, details_json,
                  prev_hash, hash FROM audit_log ORDER BY id"""
    ):
        count += 1
        problem = _row_problem(row, prev, 1 if prev is None else prev["id"] + 1)
        if problem is not None:
            return ChainReport(count, row["id"], problem)
        prev = row
    if prev is None:
        from lautex_registry.platform.errors import t

        return ChainReport(
            0, 1, t("the trail is empty: it starts with the rows of the register's `init`")
        )
    head_id, head_hash = int(prev["id"]), str(prev["hash"])
    trigger = _trigger_problem(conn)
    return ChainReport(count, None, trigger, head_id, head_hash)


def check_anchor(conn: sqlite3.Connection, report: ChainReport, anchor: str) -> ChainReport:
    """Compare an intact chain with a head recorded earlier (`ID:HASH`, from `audit verify`).

    A chain checks itself only from the inside: whoever deletes its newest rows leaves a
    shorter chain that is still intact. A head mailed away each night (cron) is an anchor
    outside the file; the row it names must still be there with the same hash.
    """
    from lautex_registry.platform.errors import InvalidInput, t

    row_id_text, _, expected = anchor.partition(":")
    if len(expected) != 64:
        raise InvalidInput(t("anchor: give ID:HASH as printed by `lautex audit verify`"))
    from lautex_registry.platform.validation import record_id

    row_id = record_id(row_id_text, "anchor")
    row = conn.execute("SELECT hash FROM audit_log WHERE id = ?", (row_id,)).fetchone()
    if row is None:
        return ChainReport(
            report.rows, row_id, t("the recorded head row is gone: the trail was cut short"),
            report.head_id, report.head_hash,
        )  # fmt: skip
    if row["hash"] != expected.lower():
        return ChainReport(
            report.rows, row_id,
            t("the recorded head row has another hash: the trail was rewritten"),
            report.head_id, report.head_hash,
        )  # fmt: skip
    return report


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
    where = db.where(clauses)
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
