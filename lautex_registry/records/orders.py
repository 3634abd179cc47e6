"""Orders and their lines: the customer's previous orders (docs/privacy-statement.md P1).

Money is integer cents in the database and euros with two decimals in and out
(Decimal, never float). An order's date is the customer's latest activity: the
retention period of customer data counts from it (docs/rules.md §2 "Retention").
"""

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from lautex_registry.platform import audit, characters, db, validation
from lautex_registry.platform.clock import timestamp, today
from lautex_registry.platform.errors import Conflict, InvalidInput, NotFound
from lautex_registry.records.customer_state import refuse_if_anonymised
from lautex_registry.records.customers import touch_last_activity
from lautex_registry.records.lookup import resolve_customer

CHANNELS = ("web-store", "reseller")
MAX_QUANTITY = 1_000_000


@dataclass(frozen=True)
class OrderLine:
    product: str
    quantity: int
    unit_price_cents: int


def parse_line(text: str, position: int = 1) -> OrderLine:
    """`PRODUCT;QTY;UNIT_PRICE`, e.g. `Birch plank 2 m;10;12.50` (the product may hold `;`)."""
    field = f"line {position}"
    parts = text.rsplit(";", 2)
    if len(parts) != 3:
        raise InvalidInput(
            f"{field}: write it as PRODUCT;QUANTITY;UNIT_PRICE (got {characters.excerpt(text)})"
        )
    product = validation.required_text(parts[0], f"{field} product")
    quantity_text = parts[1].strip()
    if not (quantity_text.isascii() and quantity_text.isdigit()):
        raise InvalidInput(
            f"{field} quantity: a whole number is required "
            f"(got {characters.excerpt(quantity_text)})"
        )
    quantity = int(quantity_text)
    if not 0 < quantity <= MAX_QUANTITY:
        raise InvalidInput(f"{field} quantity: must be between 1 and {MAX_QUANTITY}")
    price = validation.parse_money(parts[2], f"{field} unit price")
    return OrderLine(product, quantity, price)


def _check_total(lines: Sequence[OrderLine]) -> None:
    """Lines that pass one by one may still sum past what an invoice can bill (and past
    SQLite's 64-bit integer, which would break every view of the order)."""
    total = sum(line.quantity * line.unit_price_cents for line in lines)
    if total >= validation.MAX_CENTS:
        largest = validation.format_money(validation.MAX_CENTS - 1)
        raise InvalidInput(f"line: the order's total is more than {largest} euros")


def not_in_future(value: str, field: str) -> str:
    """A validated ISO date that is not after today: the register records what happened."""
    day = validation.parse_date(value, field)
    if day > today():
        raise InvalidInput(f"{field}: {day.isoformat()} is in the future")
    return day.isoformat()


def add_order(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    customer_ref: str,
    *,
    number: str,
    order_date: str,
    channel: str,
    reseller: str | None,
    lines: Sequence[str],
) -> int:
    """Record an order with its lines; call inside a transaction (checked)."""
    clean_number = validation.required_text(number, "number", max_length=40)
    day = not_in_future(order_date, "date")
    clean_channel = validation.choice(channel, CHANNELS, "channel")
    clean_reseller = validation.optional_text(reseller, "reseller")
    if clean_channel == "reseller" and clean_reseller is None:
        # docs/privacy-statement.md P4: a reply to the person must be able to name the reseller.
        raise InvalidInput("reseller: required when the channel is reseller")
    if clean_channel != "reseller" and clean_reseller is not None:
        raise InvalidInput("reseller: only for orders whose channel is reseller")
    if not lines:
        raise InvalidInput("line: an order needs at least one --line PRODUCT;QUANTITY;UNIT_PRICE")
    parsed = [parse_line(text, i) for i, text in enumerate(lines, start=1)]
    _check_total(parsed)
    customer = resolve_customer(conn, customer_ref)
    refuse_if_anonymised(int(customer["id"]), customer["state"])
    existing = conn.execute("SELECT id FROM orders WHERE number = ?", (clean_number,)).fetchone()
    if existing is not None:
        raise Conflict(
            f"number: an order numbered {characters.excerpt(clean_number)} already exists"
        )
    cursor = conn.execute(
        """INSERT INTO orders (number, customer_id, order_date, channel, reseller, created_at)
           VALUES (?, ?, ?, ?, ?, ?)""",
        (clean_number, customer["id"], day, clean_channel, clean_reseller, timestamp()),
    )
    order_id = int(cursor.lastrowid or 0)
    conn.executemany(
        """INSERT INTO order_lines (order_id, product, quantity, unit_price_cents)
           VALUES (?, ?, ?, ?)""",
        [(order_id, line.product, line.quantity, line.unit_price_cents) for line in parsed],
    )
    touch_last_activity(conn, int(customer["id"]), day)
    audit.record(
        conn,
        actor,
        "order add",
        "order",
        order_id,
        {"customer_id": customer["id"], "lines": len(parsed)},
    )
    return order_id


def order_row(conn: sqlite3.Connection, number: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM orders WHERE number = ?", (number.strip(),)).fetchone()
    if row is None:
        raise NotFound(f"order: no order numbered {characters.excerpt(number.strip())}")
    return cast(sqlite3.Row, row)


def order_total_cents(conn: sqlite3.Connection, order_id: int) -> int:
    row = conn.execute(
        "SELECT COALESCE(SUM(quantity * unit_price_cents), 0) FROM order_lines WHERE order_id = ?",
        (order_id,),
    ).fetchone()
    return int(row[0])


LIST_COLUMNS = ("number", "order_date", "customer_id", "customer", "channel", "reseller", "total")

_LIST_SELECT = """SELECT o.number, o.order_date, o.customer_id,
    TRIM(COALESCE(c.first_name, '') || ' ' || COALESCE(c.last_name, '')) AS customer,
    o.channel, o.reseller,
    (SELECT COALESCE(SUM(l.quantity * l.unit_price_cents), 0) FROM order_lines l
     WHERE l.order_id = o.id) AS total_cents
    FROM orders o LEFT JOIN customers c ON c.id = o.customer_id"""


def _listed(row: sqlite3.Row) -> dict[str, Any]:
    record = dict(row)
    record["total"] = validation.format_money(record.pop("total_cents"))
    return record


def list_orders(
    conn: sqlite3.Connection, *, customer: str | None = None, since: str | None = None
) -> Iterator[dict[str, Any]]:
    """Orders by date, optionally of one customer and from a date on (streamed)."""
    clauses: list[str] = []
    params: list[Any] = []
    if customer:
        clauses.append("o.customer_id = ?")
        params.append(int(resolve_customer(conn, customer)["id"]))
    if since:
        clauses.append("o.order_date >= ?")
        params.append(validation.parse_date(since, "since").isoformat())
    where = db.where(clauses)
    for row in conn.execute(f"{_LIST_SELECT}{where} ORDER BY o.order_date, o.id", params):
        yield _listed(row)


def show_order(conn: sqlite3.Connection, number: str) -> dict[str, Any]:
    """An order with its lines, total and invoices."""
    order = order_row(conn, number)
    record = _listed(conn.execute(f"{_LIST_SELECT} WHERE o.id = ?", (order["id"],)).fetchone())
    record["lines"] = [
        {
            "product": row["product"],
            "quantity": row["quantity"],
            "unit_price": validation.format_money(row["unit_price_cents"]),
            "amount": validation.format_money(row["quantity"] * row["unit_price_cents"]),
        }
        for row in conn.execute(
            "SELECT * FROM order_lines WHERE order_id = ? ORDER BY id", (order["id"],)
        )
    ]
    record["invoices"] = [
        {
            "number": row["number"],
            "state": row["state"],
            "issued_on": row["issued_on"],
            "due_on": row["due_on"],
            "amount": validation.format_money(row["amount_cents"]),
        }
        for row in conn.execute(
            "SELECT * FROM invoices WHERE order_id = ? ORDER BY id", (order["id"],)
        )
    ]
    return record
