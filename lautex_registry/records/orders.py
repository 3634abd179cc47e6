"""Orders and their lines: the customer's previous orders (docs/privacy-statement.md P1).

Money is integer cents in the database and euros with two decimals in and out
(Decimal, never float). A quantity is integer thousandths with a unit; a line's amount
is rounded to the cent half up and an order's total is the sum of its lines
(docs/rules.md §2 "Formats"). An order's date is the customer's latest activity: the
retention period of customer data counts from it (docs/rules.md §2 "Retention").
"""

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from lautex_registry.platform import audit, characters, db, validation
from lautex_registry.platform.clock import timestamp, today
from lautex_registry.platform.errors import Conflict, InvalidInput, NotFound, t
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records.customer_state import refuse_if_anonymised
from lautex_registry.records.customers import touch_last_activity
from lautex_registry.records.lookup import resolve_customer

# Where an order came from: the counter, the phone, email, the web store or a reseller.
CHANNELS = ("counter", "phone", "email", "web-store", "reseller")
# The units a line is sold in (closed: `order add -h` lists them). kpl = pieces,
# jm = running metres (juoksumetri); m2/m3 are accepted for m²/m³.
UNITS = ("kpl", "jm", "m", "m²", "m³", "kg", "t", "l", "pkt", "h")
DEFAULT_UNIT = "kpl"
_UNIT_SPELLINGS = {"m2": "m²", "m3": "m³", "pcs": "kpl"}
_QUANTITY_AND_UNIT = re.compile(r"^\s*(?P<quantity>[0-9][0-9 .,]*?)\s*(?P<unit>[^\s0-9.,]\S*)?\s*$")


@dataclass(frozen=True)
class OrderLine:
    product: str
    quantity_milli: int  # thousandths of `unit` (docs/rules.md §2 "Formats")
    unit: str
    unit_price_cents: int

    @property
    def amount_cents(self) -> int:
        return validation.line_amount_cents(self.quantity_milli, self.unit_price_cents)


def _quantity_and_unit(text: str, field: str) -> tuple[int, str]:
    """`1,5 m³`, `12.5jm`, `10` (pieces): the quantity in thousandths and the unit."""
    match = _QUANTITY_AND_UNIT.match(text)
    if not match:
        raise InvalidInput(
            t(
                "{field} quantity: write a number with at most three decimals and a "
                "unit, e.g. 12 or 1,5 m³ (got {text})",
                field=field,
                text=characters.excerpt(text.strip()),
            )
        )
    unit = match["unit"] or DEFAULT_UNIT
    unit = _UNIT_SPELLINGS.get(unit.casefold(), unit.casefold())
    if unit not in UNITS:
        raise InvalidInput(
            t(
                "{field} unit: must be one of {units} (got {unit})",
                field=field,
                units=", ".join(UNITS),
                unit=characters.excerpt(unit),
            )
        )
    return validation.parse_quantity(match["quantity"], f"{field} quantity"), unit


def parse_line(text: str, position: int = 1) -> OrderLine:
    """`PRODUCT;QUANTITY [UNIT];UNIT_PRICE`, e.g. `Birch plank;12,5 jm;3.20` or
    `Screws 100 pcs;1;4.90` (pieces when no unit). The product may hold `;`."""
    field = f"line {position}"
    parts = text.rsplit(";", 2)
    if len(parts) != 3:
        raise InvalidInput(
            t(
                "{field}: write it as PRODUCT;QUANTITY [UNIT];UNIT_PRICE (got {text})",
                field=field,
                text=characters.excerpt(text),
            )
        )
    product = validation.required_text(parts[0], f"{field} product")
    quantity, unit = _quantity_and_unit(parts[1], field)
    price = validation.parse_money(parts[2], f"{field} unit price")
    return OrderLine(product, quantity, unit, price)


def _check_total(lines: Sequence[OrderLine]) -> None:
    """Lines that pass one by one may still sum past what an invoice can bill (and past
    SQLite's 64-bit integer, which would break every view of the order)."""
    total = sum(line.amount_cents for line in lines)
    if total >= validation.MAX_CENTS:
        largest = validation.format_money(validation.MAX_CENTS - 1)
        raise InvalidInput(
            t("line: the order's total is more than {largest} euros", largest=largest)
        )


def not_in_future(value: str, field: str) -> str:
    """A validated ISO date that is not after today: the register records what happened."""
    day = validation.parse_date(value, field)
    if day > today():
        raise InvalidInput(t("{field}: {day} is in the future", field=field, day=day.isoformat()))
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
        raise InvalidInput(t("reseller: required when the channel is reseller"))
    if clean_channel != "reseller" and clean_reseller is not None:
        raise InvalidInput(t("reseller: only for orders whose channel is reseller"))
    if not lines:
        raise InvalidInput(
            t("line: an order needs at least one --line PRODUCT;QUANTITY [UNIT];UNIT_PRICE")
        )
    parsed = [parse_line(text, i) for i, text in enumerate(lines, start=1)]
    _check_total(parsed)
    customer = resolve_customer(conn, customer_ref)
    refuse_if_anonymised(int(customer["id"]), customer["state"])
    existing = conn.execute("SELECT id FROM orders WHERE number = ?", (clean_number,)).fetchone()
    if existing is not None:
        raise Conflict(
            t(
                "number: an order numbered {clean_number} already exists",
                clean_number=characters.excerpt(clean_number),
            )
        )
    cursor = conn.execute(
        """INSERT INTO orders (number, customer_id, order_date, channel, reseller, created_at)
           VALUES (?, ?, ?, ?, ?, ?)""",
        (clean_number, customer["id"], day, clean_channel, clean_reseller, timestamp()),
    )
    order_id = int(cursor.lastrowid or 0)
    conn.executemany(
        """INSERT INTO order_lines (order_id, product, quantity_milli, unit, unit_price_cents)
           VALUES (?, ?, ?, ?, ?)""",
        [
            (order_id, line.product, line.quantity_milli, line.unit, line.unit_price_cents)
            for line in parsed
        ],
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
    validation.readable(number, "order")
    row = conn.execute("SELECT * FROM orders WHERE number = ?", (number.strip(),)).fetchone()
    if row is None:
        raise NotFound(
            t("order: no order numbered {number}", number=characters.excerpt(number.strip()))
        )
    return cast(sqlite3.Row, row)


# A line's amount in SQL, as validation.line_amount_cents computes it (half up; quantities
# and prices are never negative, so integer division rounds as it should).
LINE_AMOUNT_SQL = "((quantity_milli * unit_price_cents + 500) / 1000)"


def order_total_cents(conn: sqlite3.Connection, order_id: int) -> int:
    row = conn.execute(
        f"SELECT COALESCE(SUM({LINE_AMOUNT_SQL}), 0) FROM order_lines WHERE order_id = ?",
        (order_id,),
    ).fetchone()
    return int(row[0])


LIST_COLUMNS = ("number", "order_date", "customer_id", "customer", "channel", "reseller", "total")

_LIST_SELECT = """SELECT o.number, o.order_date, o.customer_id,
    TRIM(COALESCE(c.first_name, '') || ' ' || COALESCE(c.last_name, '')) AS customer,
    o.channel, o.reseller,
    (SELECT COALESCE(SUM((l.quantity_milli * l.unit_price_cents + 500) / 1000), 0)
     FROM order_lines l WHERE l.order_id = o.id) AS total_cents
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


def shown_line(row: sqlite3.Row) -> dict[str, Any]:
    """An order line as every view shows it: the quantity as an exact decimal string."""
    return {
        "product": row["product"],
        "quantity": validation.format_quantity(row["quantity_milli"]),
        "unit": row["unit"],
        "unit_price": validation.format_money(row["unit_price_cents"]),
        "amount": validation.format_money(
            validation.line_amount_cents(row["quantity_milli"], row["unit_price_cents"])
        ),
    }


def show_order(conn: sqlite3.Connection, number: str) -> dict[str, Any]:
    """An order with its lines, total and invoices."""
    order = order_row(conn, number)
    record = _listed(conn.execute(f"{_LIST_SELECT} WHERE o.id = ?", (order["id"],)).fetchone())
    record["lines"] = [
        shown_line(row)
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
