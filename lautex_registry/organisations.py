"""Organisations: the companies and bodies customers represent.

A legal person's name and business ID are not personal data; the people who
represent it are customers and are linked to it. A sole trader's business
(toiminimi, e.g. "Matti Virtanen Tmi") is not a legal person: it is the trader,
its name and business ID are the trader's personal data (GDPR Art. 4(1)), so it
is marked `sole_trader` and goes with its person (`erasure.py`).
"""

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

from lautex_registry import audit, validation
from lautex_registry.clock import timestamp
from lautex_registry.customers import resolve_organisation_id
from lautex_registry.errors import Conflict, InvalidInput

LIST_COLUMNS = (
    "id",
    "name",
    "business_id",
    "sole_trader",
    "customers",
    "marketing_prohibited_on",
)


def add_organisation(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    name: str,
    business_id: str | None = None,
    *,
    sole_trader: bool = False,
) -> int:
    """Store an organisation; the name (any case) and the business ID must be new."""
    clean_name = validation.required_text(name, "name")
    if clean_name.isdigit():
        # Commands take an organisation by name or id: an all-digit name would be ambiguous.
        raise InvalidInput("name: an organisation's name cannot be only digits")
    clean_id = validation.business_id(business_id) if business_id else None
    from lautex_registry.customers import organisation_id_by_name

    existing = organisation_id_by_name(conn, clean_name)
    if existing is not None:
        # NFC and case folding: an NFD or upper-case spelling is the same organisation.
        raise Conflict(f"name: organisation {existing} already has this name")
    if clean_id is not None:
        row = conn.execute(
            "SELECT id FROM organisations WHERE business_id = ?", (clean_id,)
        ).fetchone()
        if row is not None:
            raise Conflict(f"business_id: organisation {row[0]} already has business ID {clean_id}")
    cursor = conn.execute(
        "INSERT INTO organisations (name, business_id, sole_trader, created_at) "
        "VALUES (?, ?, ?, ?)",
        (clean_name, clean_id, int(sole_trader), timestamp()),
    )
    organisation_id = int(cursor.lastrowid or 0)
    audit.record(
        conn,
        actor,
        "org add",
        "organisation",
        organisation_id,
        {
            "fields": ["name", *(["business_id"] if clean_id else [])],
            **({"sole_trader": True} if sole_trader else {}),
        },
    )
    return organisation_id


_SELECT = """SELECT o.id, o.name, o.business_id, o.sole_trader = 1 AS sole_trader,
    o.marketing_prohibited_on, o.created_at,
    (SELECT COUNT(*) FROM customers c WHERE c.organisation_id = o.id) AS customers
    FROM organisations o"""


def list_organisations(conn: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    for row in conn.execute(f"{_SELECT} ORDER BY o.name COLLATE NOCASE"):
        yield {**dict(row), "sole_trader": bool(row["sole_trader"])}


def show_organisation(conn: sqlite3.Connection, ref: str) -> dict[str, Any]:
    """An organisation with the ids and names of the customers who represent it."""
    organisation_id = resolve_organisation_id(conn, ref)
    record = dict(conn.execute(f"{_SELECT} WHERE o.id = ?", (organisation_id,)).fetchone())
    record["sole_trader"] = bool(record["sole_trader"])
    record["contacts"] = [
        dict(row)
        for row in conn.execute(
            """SELECT id, first_name, last_name, email, state FROM customers
               WHERE organisation_id = ? ORDER BY last_name, first_name, id""",
            (organisation_id,),
        )
    ]
    return record


# --- a sole trader's business goes with its person (called by erasure.py) ----------------

_IDS = "(SELECT value FROM json_each(?))"


def sole_trader_businesses(conn: sqlite3.Connection, ids_json: str) -> dict[int, int]:
    """Customer -> the sole trader's business it is the last contact of (not counting the
    customers being erased together)."""
    rows = conn.execute(
        f"""SELECT c.id, c.organisation_id FROM customers c
            JOIN organisations o ON o.id = c.organisation_id AND o.sole_trader = 1
            WHERE c.id IN {_IDS} AND NOT EXISTS (
                SELECT 1 FROM customers other WHERE other.organisation_id = o.id
                AND other.id NOT IN {_IDS})""",
        (ids_json, ids_json),
    )
    return {int(r[0]): int(r[1]) for r in rows}


def remove_sole_traders(conn: sqlite3.Connection, organisation_ids: set[int]) -> None:
    """After their people are unlinked: the businesses that were those people."""
    conn.execute(
        f"DELETE FROM organisations WHERE id IN {_IDS}", (json.dumps(sorted(organisation_ids)),)
    )
