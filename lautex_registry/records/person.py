"""Everything the register holds about one person, gathered from the personal-data map.

`customer show` and the access export (GDPR Art. 15) both use `person_record`. It
walks `personal_data.PERSONAL_TABLES` generically, so a table another part of the
register adds (and lists there) appears in both without further code.
"""

from typing import Any

from lautex_registry.platform.errors import NotFound, t
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.platform.validation import format_money, format_quantity, line_amount_cents
from lautex_registry.records.personal_data import PERSONAL_TABLES

# Derived columns that repeat other columns of the same row: not shown separately.
DERIVED_COLUMNS = frozenset({"search_text", "search_email_key"})
# Rows that belong to a linked row rather than to the person directly:
# table -> (child table, foreign key in the child, key in the output).
CHILD_TABLES: dict[str, tuple[str, str, str]] = {
    "orders": ("order_lines", "order_id", "lines"),
}
CENTS_SUFFIX = "_cents"
# Columns SQLite stores as 0/1 that mean yes/no: JSON says true/false (docs/rules.md §6).
BOOLEAN_COLUMNS = frozenset({"signed", "manifestly_unfounded", "sole_trader", "dry_run"})


def row_to_dict(row: sqlite3.Row) -> dict[str, Any]:
    """A row as a dict, with `*_cents` columns as euro strings under the name without `_cents`."""
    record: dict[str, Any] = {}
    for key, value in zip(row.keys(), row, strict=True):
        if key in DERIVED_COLUMNS:
            continue
        if key.endswith(CENTS_SUFFIX):
            record[key[: -len(CENTS_SUFFIX)]] = None if value is None else format_money(value)
        elif key in BOOLEAN_COLUMNS and value is not None:
            record[key] = bool(value)
        else:
            record[key] = value
    return record


def _customer(conn: sqlite3.Connection, customer_id: int) -> dict[str, Any]:
    row = conn.execute(
        """SELECT c.*, o.name AS organisation, o.business_id AS organisation_business_id,
                  o.sole_trader AS organisation_sole_trader
           FROM customers c LEFT JOIN organisations o ON o.id = c.organisation_id
           WHERE c.id = ?""",
        (customer_id,),
    ).fetchone()
    if row is None:
        raise NotFound(t("customer: no customer with id {id}", id=customer_id))
    record = row_to_dict(row)
    # A sole trader's business name and business ID are the person's own data.
    sole = record.pop("organisation_sole_trader")
    record["organisation_sole_trader"] = None if sole is None else bool(sole)
    return record


def _order_totals(record: dict[str, Any], lines: list[sqlite3.Row]) -> None:
    # The sum of the lines' rounded amounts, as on the order (docs/rules.md §2 "Formats").
    total = sum(line_amount_cents(x["quantity_milli"], x["unit_price_cents"]) for x in lines)
    record["total"] = format_money(total)


def _order_line(row: sqlite3.Row) -> dict[str, Any]:
    """A line with its quantity as an exact decimal (`1.5`), not the stored thousandths."""
    record: dict[str, Any] = {}
    for key, value in row_to_dict(row).items():
        if key == "quantity_milli":
            record["quantity"] = format_quantity(value)
        else:
            record[key] = value
    return record


def _linked_rows(
    conn: sqlite3.Connection, table: str, link: str, customer_id: int
) -> list[dict[str, Any]]:
    rows = conn.execute(
        f'SELECT * FROM "{table}" WHERE "{link}" = ? ORDER BY rowid', (customer_id,)
    ).fetchall()
    child = CHILD_TABLES.get(table)
    result = []
    for row in rows:
        record = row_to_dict(row)
        if child is not None:
            child_table, child_link, key = child
            children = conn.execute(
                f'SELECT * FROM "{child_table}" WHERE "{child_link}" = ? ORDER BY id',
                (row["id"],),
            ).fetchall()
            shown = _order_line if child_table == "order_lines" else row_to_dict
            record[key] = [shown(c) for c in children]
            if table == "orders":
                _order_totals(record, children)
        result.append(record)
    return result


def person_record(conn: sqlite3.Connection, customer_id: int) -> dict[str, Any]:
    """`{"customer": {...}, "orders": [...], "invoices": [...], ...}` for one customer.

    Every table in PERSONAL_TABLES with a customer link contributes a list (empty
    when the person has no rows there); money is in euros with two decimals.
    """
    record: dict[str, Any] = {"customer": _customer(conn, customer_id)}
    for entry in PERSONAL_TABLES:
        if entry.customer_link is None:
            continue
        record[entry.table] = _linked_rows(conn, entry.table, entry.customer_link, customer_id)
    record["requests"] += _requests_by_email(conn, record["customer"].get("email"))
    return record


def _requests_by_email(conn: sqlite3.Connection, email: str | None) -> list[dict[str, Any]]:
    """Requests the person made before they were in the register, found by their email
    (erasure clears the same ones): their name and address are the person's too."""
    if not email:
        return []
    rows = conn.execute(
        "SELECT * FROM requests WHERE customer_id IS NULL "
        "AND lower(requester_email) = lower(?) ORDER BY id",
        (email,),
    )
    return [row_to_dict(row) for row in rows]
