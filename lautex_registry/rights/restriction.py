"""Restriction of processing (GDPR Art. 18).

While the accuracy of the data or a claim is being checked, the person may ask
that their data only be stored. A restricted customer (customers.state =
'restricted', with a row in `restrictions`) is left out of every marketing and
list export, and their data is disclosed only for legal claims or obligations
(`disclosures.LEGAL_PURPOSES`). The restriction is communicated to every
recipient of the data (Art. 19), and the person is told before it is lifted
(Art. 18(3)): `unrestrict` records when.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lautex_registry.platform import audit
from lautex_registry.platform.clock import today
from lautex_registry.platform.errors import Conflict, InvalidInput, Refused, t
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records import lookup
from lautex_registry.records.customer_state import refuse_if_anonymised
from lautex_registry.rights import notices, requests

# Request kinds a restriction may answer: the person's own restriction request, or one
# whose checking is the reason for it (Art. 18(1)(a) accuracy, (d) objection, erasure).
REQUEST_KINDS = ("restriction", "rectification", "erasure", "objection")


@dataclass
class RestrictionResult:
    restriction_id: int
    notices: list[dict[str, Any]] = field(default_factory=list)
    request_closed: bool = False


def _customer_state(conn: sqlite3.Connection, customer_id: int) -> str:
    return str(lookup.customer_row(conn, customer_id)["state"])


def _request_for(conn: sqlite3.Connection, request_id: int, customer_id: int) -> sqlite3.Row:
    row = lookup.request_for(conn, request_id, customer_id, kinds=REQUEST_KINDS)
    if row["kind"] == "restriction":
        lookup.refuse_closed(row)
    return row


def restrict(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    customer_id: int,
    reason: str,
    request_id: int | None = None,
) -> RestrictionResult:
    """Restrict a customer's data to storage and legal uses; in a transaction (checked).

    A restriction request given with --request is closed as completed; a
    rectification, erasure or objection request stays open while it is checked.
    """
    reason_text = requests.free_text(reason, "reason")
    if reason_text is None:
        raise InvalidInput(t("reason: say why processing is restricted (GDPR Art. 18(1))"))
    state = _customer_state(conn, customer_id)
    if state == "restricted":
        raise Conflict(t("customer {customer_id} is already restricted", customer_id=customer_id))
    refuse_if_anonymised(customer_id, state)
    request = _request_for(conn, request_id, customer_id) if request_id else None
    cursor = conn.execute(
        """INSERT INTO restrictions (customer_id, request_id, reason, started_on)
           VALUES (?, ?, ?, ?)""",
        (customer_id, request_id, reason_text, today().isoformat()),
    )
    result = RestrictionResult(int(cursor.lastrowid or 0))
    conn.execute("UPDATE customers SET state = 'restricted' WHERE id = ?", (customer_id,))
    # GDPR Art. 19: every recipient of the data is told of the restriction.
    ids = notices.create_notices(
        conn, customer_id, "restriction", None, request_id, include_source=False
    )
    result.notices = notices.notices_by_id(conn, ids)
    if request is not None and request["kind"] == "restriction":
        requests.close_request(conn, actor, request["id"], "completed")
        result.request_closed = True
    audit.record(
        conn,
        actor,
        "restrict",
        "customer",
        customer_id,
        {
            "restriction_id": result.restriction_id,
            "request_id": request_id,
            "fields": ["state"],
            "notices": ids,
        },
    )
    return result


def unrestrict(
    conn: sqlite3.Connection, actor: audit.Actor, customer_id: int, informed_on: date
) -> int:
    """Lift the restriction; the person must have been told first (Art. 18(3)). In a
    transaction (checked).

    Returns the id of the lifted restriction.
    """
    if _customer_state(conn, customer_id) != "restricted":
        raise Refused(t("customer {customer_id} is not restricted", customer_id=customer_id))
    row = conn.execute(
        """SELECT id, started_on FROM restrictions WHERE customer_id = ? AND lifted_on IS NULL
           ORDER BY id DESC LIMIT 1""",
        (customer_id,),
    ).fetchone()
    if informed_on > today():
        raise InvalidInput(
            t(
                "informed-on: {informed_on} is in the future; the person is told "
                "before the restriction is lifted (GDPR Art. 18(3))",
                informed_on=informed_on.isoformat(),
            )
        )
    if row is not None and informed_on.isoformat() < row["started_on"]:
        raise InvalidInput(
            t(
                "informed-on: {informed_on} is before the restriction began ({started_on})",
                informed_on=informed_on.isoformat(),
                started_on=row["started_on"],
            )
        )
    now = today().isoformat()
    restriction_id = 0
    if row is not None:
        restriction_id = int(row["id"])
        conn.execute(
            "UPDATE restrictions SET lifted_on = ?, informed_on = ? WHERE id = ?",
            (now, informed_on.isoformat(), restriction_id),
        )
    conn.execute("UPDATE customers SET state = 'active' WHERE id = ?", (customer_id,))
    audit.record(
        conn,
        actor,
        "unrestrict",
        "customer",
        customer_id,
        {"restriction_id": restriction_id, "fields": ["state", "lifted_on", "informed_on"]},
    )
    return restriction_id
