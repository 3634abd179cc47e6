"""Suppression records: an objection that outlives the erasure of the person who made it.

GDPR Art. 21(3) and docs/rules.md §2: once a person has objected to direct marketing, a later
re-import of their address must not bring them back into marketing, even after their
data was erased. So erasure leaves behind only a keyed HMAC-SHA256 (the register's own
random secret) of the normalised email and of the E.164 phone, with the purposes. A
plain hash would not do: anyone could hash a guessed address and compare. Without the
secret the record reveals nothing; with it, the register can only test an address it
already holds.

`customer add`, `customer edit`, `rectify` and `customer import` call `restore_for_customers`
(through `customers.after_contact_written`): a match gets the objections back at once.
"""

import hashlib
import hmac
import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from lautex_registry.platform import audit
from lautex_registry.platform.clock import today
from lautex_registry.platform.errors import InvalidInput
from lautex_registry.platform.identity import register_secret
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.platform.validation import comparison_key, normalise_phone
from lautex_registry.records.objections import RESTORED_CHANNEL, active_purposes, insert_objection

# SQLite's default limit of host parameters is 32766; stay far below it.
_CHUNK = 500


def email_key(email: str) -> str:
    """The form of an email the HMAC is taken over: the register's one comparison key
    (README "Input rules"), so `WEISS@` finds the record of an erased `weiß@`."""
    return comparison_key(email)


def legacy_email_key(email: str) -> str:
    """The form records made before the comparison key were keyed over (NFC, lower case).

    An HMAC cannot be re-keyed, so those records are still matched in this form.
    """
    return unicodedata.normalize("NFC", email.strip()).lower()


def phone_key(phone: str) -> str:
    """The form of a phone number the HMAC is taken over: E.164 (`+358401234567`)."""
    text = phone.strip()
    if text.startswith("+") and text[1:].isdigit():
        return text  # stored phones are E.164 already: no need to parse them again
    try:
        return normalise_phone(text)
    except InvalidInput:
        return "".join(ch for ch in text if ch.isdigit() or ch == "+")


def _hmac(secret: bytes, kind: str, value: str) -> str:
    # The kind prefix keeps an email and a phone with the same text apart.
    return hmac.new(secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def email_hmac(secret: bytes, email: str | None) -> str | None:
    return None if not email else _hmac(secret, "email", email_key(email))


def email_hmacs(secret: bytes, email: str | None) -> tuple[str, ...]:
    """Every HMAC a suppression record of this email may carry: current and legacy key."""
    if not email:
        return ()
    keys = dict.fromkeys((email_key(email), legacy_email_key(email)))
    return tuple(_hmac(secret, "email", key) for key in keys)


def phone_hmac(secret: bytes, phone: str | None) -> str | None:
    return None if not phone else _hmac(secret, "phone", phone_key(phone))


def record_suppression(conn: sqlite3.Connection, customer_id: int) -> int | None:
    """Keep the customer's objections as a suppression record before they are erased.

    Returns the new record's id, or None when the customer has no objection in force
    or no email and no phone to key it by. Stores HMACs and purposes only, nothing
    that identifies the person without the register's secret. Call inside the erasing
    transaction; the caller's audit row covers it.
    """
    row = conn.execute("SELECT email, phone FROM customers WHERE id = ?", (customer_id,)).fetchone()
    if row is None:
        return None
    purposes = active_purposes(conn, customer_id)
    if not purposes:
        return None
    secret = register_secret(conn)
    by_email = email_hmac(secret, row["email"])
    by_phone = phone_hmac(secret, row["phone"])
    if by_email is None and by_phone is None:
        return None
    cursor = conn.execute(
        """INSERT INTO suppression (email_hmac, phone_hmac, purposes, created_on)
           VALUES (?, ?, ?, ?)""",
        (by_email, by_phone, json.dumps(purposes), today().isoformat()),
    )
    return int(cursor.lastrowid or 0)


@dataclass(frozen=True)
class Restoration:
    """Objections put back on a customer from suppression records."""

    customer_id: int
    purposes: tuple[str, ...]


def restore_objections(conn: sqlite3.Connection, actor: audit.Actor, customer_id: int) -> list[str]:
    """Re-create the objections of a suppression record matching this customer.

    Returns the purposes put back (objections already in force are not repeated).
    """
    restored = restore_for_customers(conn, actor, [customer_id])
    return list(restored[0].purposes) if restored else []


def restore_for_customers(
    conn: sqlite3.Connection, actor: audit.Actor, customer_ids: Sequence[int]
) -> list[Restoration]:
    """`restore_objections` for many customers at once (an import batch); in a transaction.

    The common case, no suppression record at all, costs one query per batch.
    """
    if not customer_ids or conn.execute("SELECT 1 FROM suppression LIMIT 1").fetchone() is None:
        return []
    secret = register_secret(conn)
    restored: list[Restoration] = []
    for start in range(0, len(customer_ids), _CHUNK):
        chunk = list(customer_ids[start : start + _CHUNK])
        marks = ", ".join("?" for _ in chunk)
        rows = conn.execute(
            f"SELECT id, email, phone FROM customers WHERE id IN ({marks}) ORDER BY id", chunk
        ).fetchall()
        for row in rows:
            result = _restore_one(
                conn,
                actor,
                int(row["id"]),
                email_hmacs(secret, row["email"]),
                phone_hmac(secret, row["phone"]),
            )
            if result is not None:
                restored.append(result)
    return restored


def _restore_one(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    customer_id: int,
    by_email: tuple[str, ...],
    by_phone: str | None,
) -> Restoration | None:
    if not by_email and by_phone is None:
        return None
    marks = ", ".join("?" for _ in by_email)
    matches = conn.execute(
        "SELECT id, purposes, created_on FROM suppression "
        f"WHERE email_hmac IN ({marks}) OR phone_hmac = ?",
        (*by_email, by_phone),
    ).fetchall()
    if not matches:
        return None
    recorded_on: dict[str, str] = {}  # purpose -> the latest record that keeps it
    for match in matches:
        for purpose in json.loads(match["purposes"]):
            recorded_on[purpose] = max(recorded_on.get(purpose, ""), match["created_on"])
    in_force = set(active_purposes(conn, customer_id))
    missing = sorted(
        purpose
        for purpose, since in recorded_on.items()
        if purpose not in in_force and not _withdrawn_since(conn, customer_id, purpose, since)
    )
    if not missing:
        return None
    received_on = today().isoformat()
    ids = [
        insert_objection(conn, customer_id, purpose, received_on, RESTORED_CHANNEL)
        for purpose in missing
    ]
    audit.record(
        conn,
        actor,
        "objection restore",
        "customer",
        customer_id,
        {
            "purposes": missing,
            "objection_ids": ids,
            "suppression_ids": [int(m["id"]) for m in matches],
        },
    )
    return Restoration(customer_id, tuple(missing))


def _withdrawn_since(conn: sqlite3.Connection, customer_id: int, purpose: str, since: str) -> bool:
    """True when the person withdrew this objection themselves after the record was made.

    Only the person lifts an objection (GDPR Art. 21(3)): their later withdrawal
    stands, and a suppression record older than it must not put the objection back.
    """
    row = conn.execute(
        "SELECT 1 FROM objections WHERE customer_id = ? AND purpose = ? AND withdrawn_on >= ?",
        (customer_id, purpose, since),
    ).fetchone()
    return row is not None
