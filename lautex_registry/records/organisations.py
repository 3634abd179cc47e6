"""Organisations: the companies and bodies customers represent.

A legal person's name and business ID are not personal data; the people who
represent it are customers and are linked to it. A sole trader's business
(toiminimi, e.g. "Matti Virtanen Tmi") is not a legal person: it is the trader,
its name and business ID are the trader's personal data (GDPR Art. 4(1)), so it
is marked `sole_trader`, names its trader (`trader_id`, the customer it is) and goes
with that person (`erasure/erase.py`); one recorded without a trader goes with its last contact.
"""

from collections.abc import Iterator
from typing import Any

from lautex_registry.platform import audit, validation
from lautex_registry.platform.clock import timestamp
from lautex_registry.platform.db import IN_LIST, json_list
from lautex_registry.platform.errors import Conflict, InvalidInput, Refused, t
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records.lookup import (
    organisation_id_by_name,
    resolve_customer,
    resolve_organisation_id,
)

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
    trader: str | None = None,
) -> int:
    """Store an organisation; the name (any case) and the business ID must be new."""
    trader_id = _trader_id(conn, trader, sole_trader, None)
    clean_name = validation.required_text(name, "name")
    if clean_name.isdigit():
        # Commands take an organisation by name or id: an all-digit name would be ambiguous.
        raise InvalidInput(t("name: an organisation's name cannot be only digits"))
    clean_id = validation.business_id(business_id) if business_id else None
    existing = organisation_id_by_name(conn, clean_name)
    if existing is not None:
        # NFC and case folding: an NFD or upper-case spelling is the same organisation.
        raise Conflict(t("name: organisation {existing} already has this name", existing=existing))
    if clean_id is not None:
        row = conn.execute(
            "SELECT id FROM organisations WHERE business_id = ?", (clean_id,)
        ).fetchone()
        if row is not None:
            raise Conflict(
                t(
                    "business_id: organisation {row} already has business ID {clean_id}",
                    row=row[0],
                    clean_id=clean_id,
                )
            )
    cursor = conn.execute(
        "INSERT INTO organisations (name, business_id, sole_trader, trader_id, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (clean_name, clean_id, int(sole_trader), trader_id, timestamp()),
    )
    organisation_id = int(cursor.lastrowid or 0)
    linked = _link_trader(conn, trader_id, organisation_id)
    audit.record(
        conn,
        actor,
        "org add",
        "organisation",
        organisation_id,
        {
            "fields": ["name", *(["business_id"] if clean_id else [])],
            **({"sole_trader": True} if sole_trader else {}),
            **({"trader_id": trader_id} if trader_id else {}),
            **({"trader_linked": True} if linked else {}),
        },
    )
    return organisation_id


def _trader_id(
    conn: sqlite3.Connection, trader: str | None, sole_trader: bool, organisation_id: int | None
) -> int | None:
    """The customer a sole trader's business is; none given, none recorded. The trader is
    a contact of their own business (so their access export and `customer show` name it):
    one who represents another organisation is refused."""
    if trader is None:
        return None
    if not sole_trader:
        raise InvalidInput(t("trader: only a sole trader's business has a trader (--sole-trader)"))
    row = resolve_customer(conn, trader)
    if row["state"] in ("anonymised", "anonymised-with-holds"):
        raise Refused(t("trader: customer {id} is {state}", id=row["id"], state=row["state"]))
    if row["organisation_id"] not in (None, organisation_id):
        raise Refused(
            t(
                "trader: customer {id} represents organisation {organisation_id}: "
                "change it with `customer edit --org` first",
                id=row["id"],
                organisation_id=row["organisation_id"],
            )
        )
    return int(row["id"])


def _link_trader(conn: sqlite3.Connection, trader_id: int | None, organisation_id: int) -> bool:
    """Link a trader with no organisation to their business; True when it was done."""
    if trader_id is None:
        return False
    cursor = conn.execute(
        "UPDATE customers SET organisation_id = ?, updated_at = ? "
        "WHERE id = ? AND organisation_id IS NULL",
        (organisation_id, timestamp(), trader_id),
    )
    if cursor.rowcount == 0:
        return False
    # Search finds a customer by the organisation they represent (docs/rules.md §3).
    from lautex_registry.records.customers import refresh_search_text

    refresh_search_text(conn, [trader_id])
    return True


def edit_organisation(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    ref: str,
    *,
    sole_trader: bool | None = None,
    trader: str | None = None,
) -> list[str]:
    """Mark an organisation as a sole trader's business (with its trader) or as a legal
    person; returns the fields that changed (audited, never their values)."""
    if sole_trader is None and trader is None:
        raise InvalidInput(
            t("org edit: nothing to change: give --sole-trader, --no-sole-trader or --trader")
        )
    organisation_id = resolve_organisation_id(conn, ref)
    current = conn.execute(
        "SELECT sole_trader, trader_id FROM organisations WHERE id = ?", (organisation_id,)
    ).fetchone()
    sole = bool(current["sole_trader"]) if sole_trader is None else sole_trader
    trader_id = (
        _trader_id(conn, trader, sole, organisation_id)
        if trader is not None
        else current["trader_id"]
    )
    if not sole:
        trader_id = None  # a legal person is no one's: it has no trader
    changed = [
        field
        for field, old, new in (
            ("sole_trader", bool(current["sole_trader"]), sole),
            ("trader", current["trader_id"], trader_id),
        )
        if old != new
    ]
    conn.execute(
        "UPDATE organisations SET sole_trader = ?, trader_id = ? WHERE id = ?",
        (int(sole), trader_id, organisation_id),
    )
    linked = _link_trader(conn, trader_id, organisation_id) if trader is not None else False
    audit.record(conn, actor, "org edit", "organisation", organisation_id,
                 {"fields": changed, "sole_trader": sole,
                  **({"trader_linked": True} if linked else {})})  # fmt: skip
    return changed


_SELECT = """SELECT o.id, o.name, o.business_id, o.sole_trader = 1 AS sole_trader, o.trader_id,
    o.marketing_prohibited_on, o.created_at,
    (SELECT COUNT(*) FROM customers c WHERE c.organisation_id = o.id) AS customers
    FROM organisations o"""


def list_organisations(conn: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    for row in conn.execute(f"{_SELECT} ORDER BY finnish(o.name)"):
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
               WHERE organisation_id = ?
               ORDER BY sort_last_name, sort_first_name, id""",
            (organisation_id,),
        )
    ]
    return record


# --- a sole trader's business goes with its person (called by erasure/erase.py) ---------


def sole_trader_businesses(conn: sqlite3.Connection, ids_json: str) -> dict[int, list[int]]:
    """Customer -> the sole traders' businesses that are that person (GDPR Art. 4(1)): those
    they are the trader of, whoever else is linked; for a business with no trader recorded,
    the one they are the last contact of (not counting the customers erased together)."""
    rows = conn.execute(
        f"""SELECT trader_id, id FROM organisations
            WHERE sole_trader = 1 AND trader_id {IN_LIST}
            UNION
            SELECT c.id, c.organisation_id FROM customers c
            JOIN organisations o ON o.id = c.organisation_id
                AND o.sole_trader = 1 AND o.trader_id IS NULL
            WHERE c.id {IN_LIST} AND NOT EXISTS (
                SELECT 1 FROM customers other WHERE other.organisation_id = o.id
                AND other.id NOT {IN_LIST})
            ORDER BY 1, 2""",
        (ids_json, ids_json, ids_json),
    )
    businesses: dict[int, list[int]] = {}
    for customer_id, organisation_id in rows:
        businesses.setdefault(int(customer_id), []).append(int(organisation_id))
    return businesses


def other_contacts(conn: sqlite3.Connection, organisation_ids: list[int], customer_id: int) -> int:
    """The contacts of these businesses besides their trader: unlinked when they go."""
    row = conn.execute(
        f"SELECT count(*) FROM customers WHERE organisation_id {IN_LIST} AND id <> ?",
        (json_list(organisation_ids), customer_id),
    ).fetchone()
    return int(row[0])


def remove_sole_traders(conn: sqlite3.Connection, organisation_ids: set[int]) -> None:
    """The businesses that were the people just erased or anonymised: their other contacts
    stay customers, no longer linked to a business that is gone."""
    ids_json = json_list(sorted(organisation_ids))
    contacts = [
        int(row[0])
        for row in conn.execute(
            f"SELECT id FROM customers WHERE organisation_id {IN_LIST}", (ids_json,)
        )
    ]
    conn.execute(
        f"UPDATE customers SET organisation_id = NULL, updated_at = ? "
        f"WHERE organisation_id {IN_LIST}",
        (timestamp(), ids_json),
    )
    conn.execute(f"DELETE FROM organisations WHERE id {IN_LIST}", (ids_json,))
    # The business's name is the erased person's data (GDPR Art. 4(1)): it leaves the
    # other contacts' search text and so the search index too (docs/rules.md §5). Most
    # batches of the retention job erase no business: records.customers is imported only
    # when there are contacts to rewrite (benchmarks/README.md, retention start-up).
    if contacts:
        from lautex_registry.records.customers import refresh_search_text

        refresh_search_text(conn, contacts)
