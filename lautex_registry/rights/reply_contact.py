"""The reply to a request outlives the person it answers (GDPR Art. 12(3), 17(3)(b)).

An erasure clears every personal column of the person's requests, but a request
still open needs its reply, and by then the person's own name and address are
gone. So each open request keeps what its reply needs and nothing more: the
requester's name and one address (the email of a request that came by email or
of a person without a postal address, else the postal address). It goes with the
request, which the retention job purges `closed_requests_years` after closing.
"""

from dataclasses import dataclass

from lautex_registry.platform.db import IN_LIST
from lautex_registry.platform.sqlite import sqlite3


@dataclass(frozen=True)
class ReplyContact:
    """Who the reply to an erasure request goes to, and where (GDPR Art. 12(3), 17(3)(b)):
    the person's own data is gone once the reply is due, so the request keeps this much."""

    name: str | None
    email: str | None
    address: str | None


def reply_contact(conn: sqlite3.Connection, request_id: int, customer_id: int) -> ReplyContact:
    """Read before the erasure: the request's own contact, else the customer's; only the
    email (a request that came by email, or no postal address) or the postal address."""
    request = conn.execute(
        "SELECT channel, requester_name, requester_email, requester_address FROM requests "
        "WHERE id = ?",
        (request_id,),
    ).fetchone()
    customer = conn.execute(
        "SELECT first_name, last_name, email, street, postal_code, city, country "
        "FROM customers WHERE id = ?",
        (customer_id,),
    ).fetchone()
    own = [customer[c] for c in ("first_name", "last_name")] if customer else []
    name = request["requester_name"] or " ".join(p for p in own if p) or None
    email = request["requester_email"] or (customer["email"] if customer else None)
    address = request["requester_address"] or _postal_lines(customer)
    # GDPR Art. 5(1)(c): only the one address the reply goes to.
    if address and not (request["channel"] == "email" and email):
        return ReplyContact(name, None, address)
    return ReplyContact(name, email, None)


def _postal_lines(customer: sqlite3.Row | None) -> str | None:
    if customer is None or not customer["street"]:
        return None
    place = f"{customer['postal_code']} {customer['city']}"
    abroad = [customer["country"]] if customer["country"] not in (None, "FI") else []
    return "\n".join([customer["street"], place, *abroad])


def keep_reply_contact(conn: sqlite3.Connection, request_id: int, contact: ReplyContact) -> None:
    """After the erasure cleared an open request's personal columns: put back what its
    reply needs. It goes with the request (the retention job purges closed requests)."""
    conn.execute(
        "UPDATE requests SET requester_name = ?, requester_email = ?, requester_address = ? "
        "WHERE id = ?",
        (contact.name, contact.email, contact.address, request_id),
    )


def replies_owed(conn: sqlite3.Connection, ids_json: str) -> dict[int, ReplyContact]:
    """GDPR Art. 12(3): every open request of these people still needs its reply."""
    return {
        int(r[0]): reply_contact(conn, int(r[0]), int(r[1]))
        for r in conn.execute(
            f"SELECT id, customer_id FROM requests WHERE state = 'open' AND customer_id {IN_LIST}",
            (ids_json,),
        ).fetchall()
    }
