"""Rectification (GDPR Art. 16) with its notices (Art. 19) and refusals (Art. 12(4)).

The privacy statement (docs/privacy-statement.md P10): wrong, incomplete or outdated data is
corrected or
completed without delay, and whoever the wrong data came from or was disclosed
to is told. The new value is validated like any input and written over the old
one: the old value is kept nowhere (the audit rows name fields only).

A fact that bookkeeping must keep is not rectified: an issued invoice is a
voucher that shows what was billed, to whom and where (Accounting Act 1336/1997
ch. 2 sec. 10), so correcting a customer's address corrects their current
contact data and leaves the billed address on issued invoices as it was. That
part of the request is refused with that reason, and recorded as a partial
refusal.
"""

from dataclasses import dataclass, field
from typing import Any

from lautex_registry.platform import audit, characters
from lautex_registry.platform.clock import today
from lautex_registry.platform.errors import InvalidInput, Refused, t
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records import customers, lookup
from lautex_registry.records.suppression import Restoration
from lautex_registry.rights import notices, requests

# The invoice's billing columns that copy a customer field when the invoice is issued.
BILLED_COPY = {
    "first_name": "billing_name",
    "last_name": "billing_name",
    "org": "billing_organisation",
    "street": "billing_street",
    "postal_code": "billing_postal_code",
    "city": "billing_city",
    "country": "billing_country",
}
# Names a clerk might give for a bookkeeping fact itself: refused outright.
BOOKKEEPING_FACTS = frozenset({"amount", "invoice", "invoiced_amount", *BILLED_COPY.values()})
# customers.FIELDS name -> the name the disclosure log uses.
_NOTICE_NAME = {"org": "organisation"}
_FIELD_ALIASES = {"organisation": "org", "organization": "org"}

_BOOKKEEPING_REASON = {
    "fi": (
        "Laskuilla {invoices} oleva laskutustieto ({fields}) säilytetään sellaisena kuin "
        "lasku on annettu: lasku on kirjanpidon tosite, jota ei saa muuttaa "
        "(kirjanpitolaki 1336/1997, 2 luku 10 §). Asiakkaan nykyiset yhteystiedot on korjattu."
    ),
    "en": (
        "The billing data ({fields}) on invoices {invoices} is kept as the invoices were "
        "issued: an invoice is an accounting voucher that must not be altered (Finnish "
        "Accounting Act 1336/1997, chapter 2 section 10). The customer's current contact "
        "data has been corrected."
    ),
}


@dataclass
class RectificationResult:
    customer_id: int
    changed: list[str]
    supplement_id: int | None = None
    notices: list[dict[str, Any]] = field(default_factory=list)
    kept_invoices: list[str] = field(default_factory=list)
    kept_fields: list[str] = field(default_factory=list)
    request_outcome: str | None = None
    # GDPR Art. 21(3): objections of an erased person whose email or phone this now is.
    restored: list[Restoration] = field(default_factory=list)

    @property
    def partially_refused(self) -> bool:
        return bool(self.kept_invoices)


def parse_assignments(items: list[str]) -> dict[str, str | None]:
    """`FIELD=VALUE` options -> {field: value}; an empty value clears an optional field."""
    changes: dict[str, str | None] = {}
    for item in items:
        name, sep, value = item.partition("=")
        key = name.strip().lower().replace("-", "_")
        if not sep or not key:
            raise InvalidInput(
                t(
                    "set: {item} must be FIELD=VALUE, e.g. phone=040 123 4567",
                    item=characters.excerpt(item),
                )
            )
        key = _FIELD_ALIASES.get(key, key)
        if key in BOOKKEEPING_FACTS:
            raise Refused(
                t(
                    "{key}: an issued invoice is an accounting voucher that must be kept "
                    "as issued (Accounting Act 1336/1997 ch. 2 sec. 10); record the "
                    "refusal with `lautex rectify CUSTOMER --refuse --reason TEXT "
                    "--request ID`",
                    key=key,
                )
            )
        if key in changes:
            raise InvalidInput(t("set: {key} is given twice", key=key))
        changes[key] = value.strip() or None
    return changes


def rectification_request(
    conn: sqlite3.Connection, request_id: int, customer_id: int
) -> sqlite3.Row:
    """The open rectification request of this customer, checked before anything is written."""
    return lookup.request_for(
        conn, request_id, customer_id, kinds=("rectification",), open_only=True
    )


def _kept_on_invoices(
    conn: sqlite3.Connection, customer_id: int, changed: list[str]
) -> tuple[list[str], list[str]]:
    """Invoice numbers and billing columns that keep the old value of a changed field."""
    columns = sorted({BILLED_COPY[name] for name in changed if name in BILLED_COPY})
    if not columns:
        return [], []
    any_value = " OR ".join(f"{column} IS NOT NULL" for column in columns)
    numbers = [
        str(row["number"])
        for row in conn.execute(
            f"""SELECT number FROM invoices WHERE customer_id = ?
                AND billing_data_removed_on IS NULL AND ({any_value}) ORDER BY issued_on, id""",
            (customer_id,),
        )
    ]
    return numbers, (columns if numbers else [])


def bookkeeping_reason(lang: str, invoices: list[str], columns: list[str]) -> str:
    text = _BOOKKEEPING_REASON["en" if lang == "en" else "fi"]
    return text.format(invoices=", ".join(invoices), fields=", ".join(columns))


def _add_supplement(
    conn: sqlite3.Connection, customer_id: int, request_id: int | None, text: str
) -> int:
    cursor = conn.execute(
        "INSERT INTO supplements (customer_id, request_id, text, added_on) VALUES (?, ?, ?, ?)",
        (customer_id, request_id, text, today().isoformat()),
    )
    return int(cursor.lastrowid or 0)


def rectify(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    customer_id: int,
    changes: dict[str, str | None],
    reason: str,
    *,
    request_id: int | None = None,
    supplement: str | None = None,
) -> RectificationResult:
    """Correct fields and/or add a supplementary statement; record the notices. In a
    transaction (checked).

    With a request, the request is closed: completed, or partially refused when
    issued invoices keep the old billing data (its reasons say so).
    """
    reason_text = requests.free_text(reason, "reason")
    if reason_text is None:
        raise InvalidInput(
            t("reason: say why the data is corrected (the request names what and why)")
        )
    supplement_text = requests.free_text(supplement, "supplement")
    if not changes and supplement_text is None:
        raise InvalidInput(t("set: give at least one --set FIELD=VALUE or a --supplement TEXT"))
    request = rectification_request(conn, request_id, customer_id) if request_id else None
    # docs/privacy-statement.md P10: the one told is where the wrong data came from, also when the
    # source is corrected.
    came_from = conn.execute(
        "SELECT source, source_detail FROM customers WHERE id = ?", (customer_id,)
    ).fetchone()
    written = customers.update_customer_fields(conn, actor, customer_id, changes, action="rectify")
    changed = written.changed
    result = RectificationResult(customer_id, changed, restored=written.restored)
    if supplement_text is not None:
        # GDPR Art. 16: incomplete data is completed, also by a supplementary statement.
        result.supplement_id = _add_supplement(conn, customer_id, request_id, supplement_text)
    notice_fields = [_NOTICE_NAME.get(name, name) for name in changed]
    if notice_fields:
        ids = notices.create_notices(
            conn, customer_id, "rectification", notice_fields, request_id,
            source=(came_from["source"], came_from["source_detail"]),
        )  # fmt: skip
        result.notices = notices.notices_by_id(conn, ids)
    result.kept_invoices, result.kept_fields = _kept_on_invoices(conn, customer_id, changed)
    if request is not None:
        result.request_outcome = "partially-refused" if result.partially_refused else "completed"
        reasons = reason_text
        if result.partially_refused:
            explanation = bookkeeping_reason(
                request["language"], result.kept_invoices, result.kept_fields
            )
            reasons = f"{reason_text}\n\n{explanation}"
        requests.close_request(conn, actor, request["id"], result.request_outcome, reasons)
    audit.record(
        conn,
        actor,
        "rectify",
        "customer",
        customer_id,
        {
            "fields": changed,
            "supplement": result.supplement_id is not None,
            "notices": [n["id"] for n in result.notices],
            "request_id": request_id,
            "kept_on_invoices": len(result.kept_invoices),
            "kept_fields": result.kept_fields,
        },
    )
    return result


def refuse_rectification(
    conn: sqlite3.Connection, actor: audit.Actor, customer_id: int, request_id: int, reason: str
) -> None:
    """Close a rectification request as refused, with reasons (GDPR Art. 12(4)). In a transaction.

    The refusal certificate is then made with `certificates.refusal_certificate`.
    """
    if requests.free_text(reason, "reason") is None:
        raise InvalidInput(t("reason: a refusal must give its reasons (GDPR Art. 12(4))"))
    rectification_request(conn, request_id, customer_id)
    requests.close_request(conn, actor, request_id, "refused", reason)
