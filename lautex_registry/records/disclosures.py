"""The disclosure log: who received which of a customer's fields, when and why.

The privacy statement (docs/privacy-statement.md P5) permits disclosure only for credit decisions,
debt
collection, billing, value-added services or where law requires it, never for
marketing, and not outside the EU/EEA without a recorded basis. Every
disclosure is checked here against its recipient's registered purposes and
country, and against a restriction of processing (GDPR Art. 18(2)), before it
is logged. The log is what GDPR Art. 19 notices are built from
(`notices.create_notices`).
"""

from datetime import date

from lautex_registry.platform import audit, characters, validation
from lautex_registry.platform.clock import timestamp, today
from lautex_registry.platform.errors import InvalidInput, Message, NotFound, Refused, t
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records import lookup, recipients
from lautex_registry.records.customers import ADDRESS_FIELDS

# What can be handed out about a customer, in the register's own names.
DISCLOSABLE_FIELDS = (
    "first_name",
    "last_name",
    "organisation",
    "email",
    "phone",
    *ADDRESS_FIELDS,
    "country",
    "orders",
    "invoices",
)
# Shorthands a clerk may type; stored expanded, so a later rectification of one
# address line finds every recipient of "address".
FIELD_ALIASES = {
    "name": ("first_name", "last_name"),
    "address": (*ADDRESS_FIELDS, "country"),
    "org": ("organisation",),
    "organisation_id": ("organisation",),
}


# GDPR Art. 18(2): restricted data may be processed (disclosed) only with consent, for
# legal claims, to protect another's rights or for an important public interest. Debt
# collection is the exercise of a legal claim; a disclosure the law itself requires
# (an authority's order, Art. 6(1)(c)) is the public-interest case, and the privacy
# statement (docs/privacy-statement.md P5) promises nothing beyond these two.
LEGAL_PURPOSES = ("collection", "legal-obligation")


def parse_fields(values: list[str] | str) -> list[str]:
    """Field names from a comma-separated list or repeated options, aliases expanded."""
    items = [values] if isinstance(values, str) else values
    return validation.distinct_items(
        items, _fields_of, t("fields: name at least one field that was disclosed")
    )


def _fields_of(given: str) -> tuple[str, ...]:
    name = given.lower().replace("-", "_")
    fields = FIELD_ALIASES.get(name, (name,))
    for field in fields:
        if field not in DISCLOSABLE_FIELDS:
            raise InvalidInput(
                t(
                    "fields: {given} is not a customer field; use {disclosable_fields} (or "
                    "name, address)",
                    given=characters.excerpt(given),
                    disclosable_fields=", ".join(DISCLOSABLE_FIELDS),
                )
            )
    return fields


def stored_fields(text: str | None) -> list[str]:
    return [f for f in (text or "").split(",") if f]


def disclosure_refusal(
    customer: sqlite3.Row, recipient: sqlite3.Row, purpose: str
) -> Message | None:
    """Why this disclosure is not allowed, or None when it is."""
    name = recipient["name"]
    if purpose in recipients.MARKETING_PURPOSES or "marketing" in purpose:
        return t(
            "purpose {purpose}: the privacy statement never permits "
            "disclosing customer data for marketing",
            purpose=characters.excerpt(purpose),
        )
    permitted = recipients.purposes_of(recipient)
    if purpose not in permitted:
        return t(
            "purpose {purpose} is not one of {name}'s permitted purposes ({permitted})",
            purpose=characters.excerpt(purpose),
            name=name,
            permitted=", ".join(permitted),
        )
    transfer = recipients.transfer_refusal(name, recipient["country"], recipient["transfer_basis"])
    if transfer:
        return transfer
    state = customer["state"]
    if state == "anonymised":
        return t(
            "customer {id} is anonymised: nothing new can be recorded about the person",
            id=customer["id"],
        )
    if state in ("restricted", "anonymised-with-holds") and purpose not in LEGAL_PURPOSES:
        # GDPR Art. 18(2): while restricted, storage and the legal cases above only.
        return t(
            "customer {id} is {state}: their data may be disclosed only for "
            "legal claims or obligations ({legal_purposes}), not for {purpose}",
            id=customer["id"],
            state=state,
            legal_purposes=", ".join(LEGAL_PURPOSES),
            purpose=characters.excerpt(purpose),
        )
    return None


def _customer(conn: sqlite3.Connection, customer_id: int) -> sqlite3.Row:
    return lookup.customer_row(conn, customer_id)


def record_disclosure(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    customer_id: int,
    recipient_id: int,
    purpose: str,
    fields: list[str] | str,
    on_date: date,
    legal_reference: str | None = None,
    invoice_id: int | None = None,
) -> int:
    """Check a disclosure against every rule and log it; call inside a transaction (checked).

    Raises Refused (exit 4) for a purpose the recipient is not registered for,
    marketing, a transfer outside the EU/EEA without a basis, or a restricted
    customer and a purpose other than a legal one. Nothing is written then.
    """
    chosen = parse_fields(fields)
    purpose = purpose.strip()
    if on_date > today():
        raise InvalidInput(t("date: {on_date} is in the future", on_date=on_date.isoformat()))
    reference = validation.optional_text(legal_reference, "legal_reference", max_length=500)
    customer = _customer(conn, customer_id)
    recipient = recipients.get_recipient(conn, recipient_id)
    refusal = disclosure_refusal(customer, recipient, purpose)
    if refusal:
        raise Refused(refusal)
    if invoice_id is not None:
        invoice = conn.execute(
            "SELECT customer_id FROM invoices WHERE id = ?", (invoice_id,)
        ).fetchone()
        if invoice is None or invoice["customer_id"] != customer_id:
            raise InvalidInput(
                t(
                    "invoice: {invoice_id} is not an invoice of customer {customer_id}",
                    invoice_id=invoice_id,
                    customer_id=customer_id,
                )
            )
    cursor = conn.execute(
        """INSERT INTO disclosures (customer_id, recipient_id, disclosed_on, purpose, fields,
               legal_reference, invoice_id, created_by, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            customer_id,
            recipient_id,
            on_date.isoformat(),
            purpose,
            ",".join(chosen),
            reference,
            invoice_id,
            actor.user_id,
            timestamp(),
        ),
    )
    disclosure_id = int(cursor.lastrowid or 0)
    audit.record(
        conn,
        actor,
        "disclose",
        "disclosure",
        disclosure_id,
        {
            "customer_id": customer_id,
            "recipient_id": recipient_id,
            "purpose": purpose,
            "fields": chosen,
            "invoice_id": invoice_id,
            "legal_reference": reference is not None,
        },
    )
    return disclosure_id


def recipients_of_fields(
    conn: sqlite3.Connection, customer_id: int, fields: list[str] | None
) -> list[tuple[sqlite3.Row, list[str]]]:
    """Every recipient that received one of `fields` (None: anything), with those fields.

    GDPR Art. 19: each recipient to whom the data was disclosed is told of its
    rectification, erasure or restriction.
    """
    wanted = None if fields is None else set(fields)
    found: dict[int, tuple[sqlite3.Row, list[str]]] = {}
    for row in conn.execute(
        """SELECT r.*, d.fields AS disclosed_fields FROM disclosures d
           JOIN recipients r ON r.id = d.recipient_id
           WHERE d.customer_id = ? ORDER BY d.disclosed_on, d.id""",
        (customer_id,),
    ):
        disclosed = stored_fields(row["disclosed_fields"])
        matching = [f for f in disclosed if wanted is None or f in wanted]
        if not matching:
            continue
        if row["id"] not in found:
            found[row["id"]] = (row, [])
        collected = found[row["id"]][1]
        collected.extend(f for f in matching if f not in collected)
    return list(found.values())


# What a collection agency receives with a claim: the voucher's billing data and the invoice.
COLLECTION_FIELDS = (
    "first_name",
    "last_name",
    "organisation",
    "street",
    "postal_code",
    "city",
    "country",
    "invoices",
)


def record_collection_disclosure(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    invoice: sqlite3.Row,
    agency: str,
    on_date: date,
) -> sqlite3.Row:
    """Log the hand-over of an invoice to a collection agency; returns the agency's row.

    docs/privacy-statement.md P5: debt collection is a permitted disclosure, logged like any other,
    so the agency must be a registered recipient with the purpose collection.
    """
    try:
        recipient = recipients.resolve_recipient(conn, agency)
    except NotFound:
        recipient = None
    if recipient is None or "collection" not in recipients.purposes_of(recipient):
        raise Refused(
            t(
                "agency: {agency} is not a registered recipient for collection: run "
                '`lautex recipient add "{agency2}" --kind third-party --purpose '
                "collection --country FI` first",
                agency=characters.excerpt(agency),
                agency2=agency,
            )
        )
    if invoice["customer_id"] is not None:
        record_disclosure(
            conn,
            actor,
            int(invoice["customer_id"]),
            int(recipient["id"]),
            "collection",
            list(COLLECTION_FIELDS),
            on_date,
            invoice_id=int(invoice["id"]),
        )
    return recipient
