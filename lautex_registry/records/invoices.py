"""Invoices: vouchers that keep what was billed, and the claims they open.

An invoice copies the billing name, organisation and address as they were when it
was issued: a voucher must show what was billed (Accounting Act 1336/1997 ch. 2
sec. 10), even after the customer's data changes. States: open -> paid,
in-collection or written-off; in-collection -> paid or written-off. While a claim is
open or in collection, the data needed for it is kept (GDPR Art. 17(3)(b),(e)).
"""

from collections.abc import Iterator
from datetime import date
from typing import Any, cast

from lautex_registry.platform import audit, characters, db, validation
from lautex_registry.platform.clock import timestamp, today
from lautex_registry.platform.errors import Conflict, InvalidInput, Message, NotFound, Refused, t
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records.customer_state import refuse_if_anonymised
from lautex_registry.records.disclosures import record_collection_disclosure
from lautex_registry.records.orders import not_in_future, order_row, order_total_cents

STATES = ("open", "paid", "in-collection", "written-off")
OPEN_CLAIM_STATES = ("open", "in-collection")


def invoice_row(conn: sqlite3.Connection, number: str) -> sqlite3.Row:
    validation.readable(number, "invoice")
    row = conn.execute("SELECT * FROM invoices WHERE number = ?", (number.strip(),)).fetchone()
    if row is None:
        raise NotFound(
            t("invoice: no invoice numbered {number}", number=characters.excerpt(number.strip()))
        )
    return cast(sqlite3.Row, row)


def add_invoice(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    order_number: str,
    *,
    number: str,
    issued: str,
    due: str,
) -> int:
    """Issue an invoice for an order's total, copying the billing data; inside a transaction
    (checked)."""
    clean_number = validation.required_text(number, "number", max_length=40)
    issued_on = not_in_future(issued, "issued")
    due_on = validation.parse_date(due, "due").isoformat()
    if due_on < issued_on:
        raise InvalidInput(
            t(
                "due: {due_on} is before the issue date {issued_on}",
                due_on=due_on,
                issued_on=issued_on,
            )
        )
    order = order_row(conn, order_number)
    if order["customer_id"] is None:
        raise Refused(
            t("order {number} has no customer any more: nobody to bill", number=order["number"])
        )
    customer = conn.execute(
        """SELECT c.*, o.name AS organisation FROM customers c
           LEFT JOIN organisations o ON o.id = c.organisation_id WHERE c.id = ?""",
        (order["customer_id"],),
    ).fetchone()
    refuse_if_anonymised(int(customer["id"]), customer["state"])
    if issued_on < order["order_date"]:
        raise InvalidInput(
            t(
                "issued: {issued_on} is before the order date {order_date}",
                issued_on=issued_on,
                order_date=order["order_date"],
            )
        )
    existing = conn.execute(
        "SELECT number FROM invoices WHERE number = ? OR order_id = ?",
        (clean_number, order["id"]),
    ).fetchone()
    if existing is not None:
        if existing["number"] == clean_number:
            raise Conflict(
                t(
                    "number: an invoice numbered {clean_number} already exists",
                    clean_number=characters.excerpt(clean_number),
                )
            )
        raise Conflict(
            t(
                "order {number} already has invoice {number2}",
                number=order["number"],
                number2=existing["number"],
            )
        )
    amount = order_total_cents(conn, int(order["id"]))
    name = " ".join(p for p in (customer["first_name"], customer["last_name"]) if p)
    cursor = conn.execute(
        """INSERT INTO invoices (number, order_id, customer_id, issued_on, due_on, amount_cents,
               billing_name, billing_organisation, billing_street, billing_postal_code,
               billing_city, billing_country, state, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)""",
        (
            clean_number,
            order["id"],
            customer["id"],
            issued_on,
            due_on,
            amount,
            name,
            customer["organisation"],
            customer["street"],
            customer["postal_code"],
            customer["city"],
            customer["country"],
            timestamp(),
        ),
    )
    invoice_id = int(cursor.lastrowid or 0)
    audit.record(
        conn,
        actor,
        "invoice add",
        "invoice",
        invoice_id,
        {"order_id": order["id"], "customer_id": customer["id"]},
    )
    return invoice_id


def _event_date(invoice: sqlite3.Row, value: str) -> str:
    day = not_in_future(value, "date")
    if day < invoice["issued_on"]:
        raise InvalidInput(
            t(
                "date: {day} is before the invoice was issued ({issued_on})",
                day=day,
                issued_on=invoice["issued_on"],
            )
        )
    return day


def _require_state(invoice: sqlite3.Row, allowed: tuple[str, ...], refusal: Message) -> None:
    """`refusal`: the whole sentence, with {number} and {state} to fill in."""
    if invoice["state"] not in allowed:
        raise Refused(refusal.filled(number=invoice["number"], state=invoice["state"]))


def pay_invoice(conn: sqlite3.Connection, actor: audit.Actor, number: str, on: str) -> None:
    """Mark an open or in-collection invoice paid; the claim ends."""
    invoice = invoice_row(conn, number)
    _require_state(
        invoice, OPEN_CLAIM_STATES, t("invoice {number} is {state}: it cannot be marked paid")
    )
    day = _event_date(invoice, on)
    conn.execute(
        "UPDATE invoices SET state = 'paid', paid_on = ? WHERE id = ?", (day, invoice["id"])
    )
    audit.record(conn, actor, "invoice pay", "invoice", invoice["id"], {"from": invoice["state"]})


def remind_invoice(conn: sqlite3.Connection, actor: audit.Actor, number: str, on: str) -> None:
    """Record a payment reminder: it starts a new 3-year limitation period (Act 728/2003)."""
    invoice = invoice_row(conn, number)
    _require_state(
        invoice, OPEN_CLAIM_STATES, t("invoice {number} is {state}: it cannot be reminded")
    )
    day = _event_date(invoice, on)
    if invoice["last_reminder_on"] and day < invoice["last_reminder_on"]:
        raise InvalidInput(
            t(
                "date: a later reminder ({last_reminder_on}) is recorded",
                last_reminder_on=invoice["last_reminder_on"],
            )
        )
    conn.execute("UPDATE invoices SET last_reminder_on = ? WHERE id = ?", (day, invoice["id"]))
    audit.record(conn, actor, "invoice remind", "invoice", invoice["id"], {})


def collect_invoice(
    conn: sqlite3.Connection, actor: audit.Actor, number: str, *, agency: str, on: str
) -> sqlite3.Row:
    """Send an open invoice to a collection agency; returns the invoice as it was before.

    Handing the claim over is a disclosure to the agency (docs/privacy-statement.md P5: debt
    collection); the disclosure log records it alongside this change.
    """
    invoice = invoice_row(conn, number)
    _require_state(
        invoice, ("open",), t("invoice {number} is {state}: it cannot be sent to collection")
    )
    clean_agency = validation.required_text(agency, "agency")
    day = _event_date(invoice, on)
    # docs/privacy-statement.md P5: the agency is a registered recipient for collection, and the
    # hand-over
    # is logged in the disclosure log (refused, exit 4, when the agency is not registered).
    recipient = record_collection_disclosure(
        conn, actor, invoice, clean_agency, date.fromisoformat(day)
    )
    conn.execute(
        """UPDATE invoices SET state = 'in-collection', collection_agency = ?, collection_on = ?
           WHERE id = ?""",
        (recipient["name"], day, invoice["id"]),
    )
    audit.record(conn, actor, "invoice collect", "invoice", invoice["id"], {})
    return invoice


def write_off_plan(conn: sqlite3.Connection, number: str, on: str) -> dict[str, Any]:
    """What `invoice write-off` would do, checked as the write-off checks it; writes nothing.

    A write-off is irreversible (no command reopens the claim), so the command shows this
    and asks first (docs/rules.md §6).
    """
    invoice = invoice_row(conn, number)
    _require_state(
        invoice, OPEN_CLAIM_STATES, t("invoice {number} is {state}: it cannot be written off")
    )
    day = _event_date(invoice, on)
    return {
        "invoice": invoice["number"],
        "billing_name": invoice["billing_name"],
        "amount": validation.format_money(invoice["amount_cents"]),
        "due_on": invoice["due_on"],
        "state": invoice["state"],
        "written_off_on": day,
    }


def write_off_invoice(conn: sqlite3.Connection, actor: audit.Actor, number: str, on: str) -> None:
    """Give up an open or in-collection claim."""
    invoice = invoice_row(conn, number)
    _require_state(
        invoice, OPEN_CLAIM_STATES, t("invoice {number} is {state}: it cannot be written off")
    )
    day = _event_date(invoice, on)
    conn.execute(
        "UPDATE invoices SET state = 'written-off', written_off_on = ? WHERE id = ?",
        (day, invoice["id"]),
    )
    audit.record(
        conn, actor, "invoice write-off", "invoice", invoice["id"], {"from": invoice["state"]}
    )


LIST_COLUMNS = (
    "number",
    "order",
    "customer_id",
    "billing_name",
    "issued_on",
    "due_on",
    "amount",
    "state",
    "paid_on",
    "last_reminder_on",
    "collection_agency",
)


# What `invoice list --fields all` adds to LIST_COLUMNS: the billing address too.
_MORE_FIELDS = ("collection_on", "written_off_on", "billing_organisation", "billing_street",
                "billing_postal_code", "billing_city", "billing_country",
                "billing_data_removed_on")  # fmt: skip


def list_invoices(
    conn: sqlite3.Connection, *, open_only: bool = False, overdue_only: bool = False
) -> Iterator[dict[str, Any]]:
    """Invoices by due date. Open: open or in collection. Overdue: open, not yet in
    collection, and past its due date today."""
    clauses: list[str] = []
    params: list[Any] = []
    if open_only:
        clauses.append("i.state IN ('open', 'in-collection')")
    if overdue_only:
        clauses.append("i.state = 'open' AND i.due_on < ?")
        params.append(today().isoformat())
    where = db.where(clauses)
    for row in conn.execute(
        f"""SELECT i.*, o.number AS "order" FROM invoices i JOIN orders o ON o.id = i.order_id
            {where} ORDER BY i.due_on, i.id""",
        params,
    ):
        record = dict(row)
        record["amount"] = validation.format_money(record.pop("amount_cents"))
        yield {key: record.get(key) for key in (*LIST_COLUMNS, *_MORE_FIELDS)}
