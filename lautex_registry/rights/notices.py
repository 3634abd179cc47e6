"""Notices to the sources and recipients of data that was corrected, erased or restricted.

GDPR Art. 19: a rectification, erasure or restriction is communicated to each
recipient to whom the data was disclosed. The privacy statement (docs/privacy-statement.md P10)
adds the
source the wrong data came from. A notice is recorded as pending when the change
is made and marked sent (`notice sent`) when the letter, email or call is done.
"""

from datetime import date
from typing import Any

from lautex_registry.platform import audit, db, validation
from lautex_registry.platform.clock import today
from lautex_registry.platform.errors import Conflict, InvalidInput, NotFound, t
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records import lookup
from lautex_registry.records.disclosures import recipients_of_fields, stored_fields

KINDS = ("rectification", "erasure", "restriction")
METHODS = ("letter", "email", "phone")

# Sources that are someone other than the person: the data came from them, so they are
# told of a correction (docs/privacy-statement.md P10). Data the person gave through the company's
# own web store,
# registration or customer service came from the person, who already knows.
THIRD_PARTY_SOURCES = ("reseller", "subcontractor", "partner")


def source_label(source: str, detail: str | None) -> str:
    return f"{source}: {detail}" if detail else source


def create_notices(
    conn: sqlite3.Connection,
    customer_id: int,
    kind: str,
    fields: list[str] | None,
    request_id: int | None = None,
    include_source: bool = True,
    source: tuple[str, str | None] | None = None,
) -> list[int]:
    """Record pending notices for a change to `fields` (None: every field); in a transaction.

    One for the customer's source when it is a third party (and `include_source`),
    one per recipient to whom any of the fields was disclosed. Returns the notice ids.
    Field names are the register's own (see disclosures.DISCLOSABLE_FIELDS). `source`
    (source, detail) is the one the data came from when the change corrected the
    source itself: the one told is where the data came from, not the corrected value.
    """
    kind = validation.choice(kind, KINDS, "kind")
    customer: sqlite3.Row | dict[str, str | None] = lookup.customer_row(conn, customer_id)
    if source is not None:
        customer = {"source": source[0], "source_detail": source[1]}
    created_on = today().isoformat()
    ids: list[int] = []
    if include_source and customer["source"] in THIRD_PARTY_SOURCES:
        cursor = conn.execute(
            """INSERT INTO notices (customer_id, request_id, kind, addressee_kind, source,
                   fields, created_on) VALUES (?, ?, ?, 'source', ?, ?, ?)""",
            (
                customer_id,
                request_id,
                kind,
                source_label(customer["source"], customer["source_detail"]),
                ",".join(fields) if fields is not None else "",
                created_on,
            ),
        )
        ids.append(int(cursor.lastrowid or 0))
    for recipient, matching in recipients_of_fields(conn, customer_id, fields):
        cursor = conn.execute(
            """INSERT INTO notices (customer_id, request_id, kind, addressee_kind,
                   recipient_id, fields, created_on) VALUES (?, ?, ?, 'recipient', ?, ?, ?)""",
            (customer_id, request_id, kind, recipient["id"], ",".join(matching), created_on),
        )
        ids.append(int(cursor.lastrowid or 0))
    return ids


_SELECT = """SELECT n.*, r.name AS recipient_name FROM notices n
             LEFT JOIN recipients r ON r.id = n.recipient_id"""


def _record(row: sqlite3.Row) -> dict[str, Any]:
    addressee = row["recipient_name"] if row["addressee_kind"] == "recipient" else row["source"]
    return {
        "id": row["id"],
        "customer_id": row["customer_id"],
        "request_id": row["request_id"],
        "kind": row["kind"],
        "addressee_kind": row["addressee_kind"],
        "addressee": addressee,
        "recipient_id": row["recipient_id"],
        "fields": stored_fields(row["fields"]),
        "created_on": row["created_on"],
        "sent_on": row["sent_on"],
        "method": row["method"],
        "pending": row["sent_on"] is None,
    }


def notices_by_id(conn: sqlite3.Connection, ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    marks = ",".join("?" for _ in ids)
    return [
        _record(row)
        for row in conn.execute(f"{_SELECT} WHERE n.id IN ({marks}) ORDER BY n.id", ids)
    ]


def list_notices(
    conn: sqlite3.Connection, *, pending_only: bool = False, customer_id: int | None = None
) -> list[dict[str, Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if pending_only:
        clauses.append("n.sent_on IS NULL")
    if customer_id is not None:
        clauses.append("n.customer_id = ?")
        params.append(customer_id)
    where = db.where(clauses)
    return [_record(row) for row in conn.execute(f"{_SELECT}{where} ORDER BY n.id", params)]


def mark_sent(
    conn: sqlite3.Connection, actor: audit.Actor, notice_id: int, on_date: date, method: str
) -> dict[str, Any]:
    """Record that a notice was sent; call inside a transaction (checked)."""
    validation.choice(method, METHODS, "method")
    row = conn.execute("SELECT * FROM notices WHERE id = ?", (notice_id,)).fetchone()
    if row is None:
        raise NotFound(
            t(
                "no notice with id {notice_id}: see `lautex notice list --pending`",
                notice_id=notice_id,
            )
        )
    if row["sent_on"] is not None:
        raise Conflict(
            t(
                "notice {notice_id} was already marked sent on {sent_on}",
                notice_id=notice_id,
                sent_on=row["sent_on"],
            )
        )
    if on_date > today():
        raise InvalidInput(t("date: {on_date} is in the future", on_date=on_date.isoformat()))
    if on_date.isoformat() < row["created_on"]:
        raise InvalidInput(
            t(
                "date: {on_date} is before the notice was created ({created_on})",
                on_date=on_date.isoformat(),
                created_on=row["created_on"],
            )
        )
    conn.execute(
        "UPDATE notices SET sent_on = ?, method = ? WHERE id = ?",
        (on_date.isoformat(), method, notice_id),
    )
    audit.record(
        conn,
        actor,
        "notice sent",
        "notice",
        notice_id,
        {"customer_id": row["customer_id"], "kind": row["kind"], "method": method},
    )
    return notices_by_id(conn, [notice_id])[0]
