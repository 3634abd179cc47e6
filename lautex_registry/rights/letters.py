"""Reply letters of data subject requests, in Finnish, Swedish or English, on screen or paper.

- the access reply's cover letter (GDPR Art. 15; the copy itself is `access.py`'s export),
- the extension notice with its reasons (Art. 12(3), within the first month),
- the refusal letter: reasons, the right to complain to the Data Protection
  Ombudsman with contact details, the right to a court remedy, date and handler
  (Art. 12(4)),
- the "no data held" letter to a requester who is not in the register,
- the reply to a completed erasure request (Art. 17), to the name and address kept
  on the request for it (Art. 12(3), 17(3)(b)): the person's own are gone by then.

Texts live in `templates/<name>.<lang>.md.j2`; the controller, the authority and
the rights come from `privacy_info.art15_information` (the settings), so they are
written down once. Every letter is recorded in `documents` with its SHA-256 and
audited.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from lautex_registry.platform import audit, documents, validation, wording
from lautex_registry.platform.clock import today
from lautex_registry.platform.errors import Refused, t
from lautex_registry.platform.paper import Paper, postal_address
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.rights import deadlines, requests
from lautex_registry.statement import privacy_info

# letter type -> (template name, documents.kind)
LETTERS: dict[str, tuple[str, str]] = {
    "access-reply": ("access_reply", "access-reply"),
    "extension-notice": ("extension_notice", "extension-notice"),
    "refusal": ("refusal_letter", "refusal-letter"),
    "no-data": ("no_data_letter", "no-data-letter"),
    "erasure-reply": ("erasure_reply", "erasure-reply"),
}
LETTER_TYPES = ("auto", *LETTERS)
EXPORT_KINDS = ("access-export", "portability-export")


@dataclass(frozen=True)
class RequestDocument:
    """A letter or certificate about one request, as rendered, recorded and audited."""

    kind: str
    language: str
    fmt: str
    text: str | bytes  # bytes for a PDF
    document_id: int


def _not_in_register(row: sqlite3.Row) -> bool:
    """A requester the register never held (not a person erased since the request)."""
    return row["customer_id"] is None and row["subject_erased_on"] is None


def choose_letter(row: sqlite3.Row) -> str:
    """The letter a request's state calls for."""
    if _not_in_register(row):
        return "no-data"
    if row["outcome"] in requests.REFUSALS:
        return "refusal"
    if row["state"] == "closed" and row["kind"] in ("access", "portability"):
        return "access-reply"
    if row["outcome"] == "completed" and row["kind"] == "erasure":
        return "erasure-reply"
    if row["state"] == "open" and row["extended_on"]:
        return "extension-notice"
    state = row["outcome"] or ("open, extended" if row["extended_on"] else "open")
    raise Refused(
        t(
            "request {id} ({kind}, {state}) has no reply letter yet: extend it, "
            "close it, or name one with --type",
            id=row["id"],
            kind=row["kind"],
            state=state,
        )
    )


def _check_fits(row: sqlite3.Row, which: str, conn: sqlite3.Connection) -> None:
    """Refuse a letter that would say something untrue about the request."""
    rid = row["id"]
    if which == "no-data" and row["customer_id"] is not None:
        raise Refused(
            t(
                "request {rid} is about customer {customer_id}: data is held",
                rid=rid,
                customer_id=row["customer_id"],
            )
        )
    if which == "no-data" and row["subject_erased_on"] is not None:
        raise Refused(
            t(
                "request {rid}: the person was erased on {subject_erased_on}",
                rid=rid,
                subject_erased_on=row["subject_erased_on"],
            )
        )
    if which != "no-data" and _not_in_register(row):
        raise Refused(
            t("request {rid} is from a person not in the register: use --type no-data", rid=rid)
        )
    if which == "erasure-reply" and (row["kind"], row["outcome"]) != ("erasure", "completed"):
        raise Refused(t("request {rid} is not a completed erasure request", rid=rid))
    if which == "extension-notice" and not row["extended_on"]:
        raise Refused(
            t("request {rid} was not extended: run `lautex request extend` first", rid=rid)
        )
    if which == "refusal" and row["outcome"] not in requests.REFUSALS:
        raise Refused(
            t("request {rid} was not refused: close it with --outcome refused first", rid=rid)
        )
    if which == "access-reply":
        if row["outcome"] == "refused":
            raise Refused(t("request {rid} was refused: send the refusal letter", rid=rid))
        exported = conn.execute(
            f"""SELECT COUNT(*) FROM documents WHERE request_id = ?
                AND kind IN ({",".join("?" * len(EXPORT_KINDS))})""",
            (rid, *EXPORT_KINDS),
        ).fetchone()[0]
        # GDPR Art. 15(3): the reply states the copy, or what was done by other means.
        if not exported and not row["done_outside"]:
            raise Refused(
                t(
                    "request {rid}: make the copy first: lautex export {customer_id} "
                    "--request {rid} --format html",
                    rid=rid,
                    customer_id=row["customer_id"],
                )
            )


def reply_letter(conn: sqlite3.Connection, request_id: int) -> str | None:
    """The letter `request letter ID` writes for the request now, or None when it would
    refuse: a closing command names the letter only when there is one to write."""
    row = requests.get_request(conn, request_id)
    try:
        which = choose_letter(row)
        _check_fits(row, which, conn)
    except Refused:
        return None
    return which


def _kept_contact(row: sqlite3.Row) -> list[str]:
    """The address kept on the request for the reply: postal lines, else the email."""
    if row["requester_address"]:
        return str(row["requester_address"]).split("\n")
    return [row["requester_email"]] if row["requester_email"] else []


class CustomerContact(NamedTuple):
    name: str
    email: str | None
    street: str | None
    address: list[str]  # postal lines, the name left out: the paper prints it on its own line


def customer_contact(conn: sqlite3.Connection, customer_id: int) -> CustomerContact:
    """The customer's name, email and postal address as a letter or certificate prints
    them (a request's customer_id is cleared when the customer goes: the row is there)."""
    customer = conn.execute(
        """SELECT c.first_name, c.last_name, c.email, c.street, c.postal_code, c.city,
                  c.country, o.name AS organisation
           FROM customers c LEFT JOIN organisations o ON o.id = c.organisation_id
           WHERE c.id = ?""",
        (customer_id,),
    ).fetchone()
    name = " ".join(p for p in (customer["first_name"], customer["last_name"]) if p)
    # Posti's order (docs/rules.md §2 "Addresses"); the name is printed on its own line.
    address = postal_address(
        name=None,
        organisation=customer["organisation"],
        street=customer["street"],
        postal_code=customer["postal_code"],
        city=customer["city"],
        country=customer["country"] if customer["street"] else None,
    )
    return CustomerContact(name, customer["email"], customer["street"], address)


def _addressee(conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    if row["customer_id"] is None:
        # Someone not in the register: the postal address they gave for the reply, if any.
        given = str(row["requester_address"]).split("\n") if row["requester_address"] else []
        address = _kept_contact(row) if row["subject_erased_on"] else given
        return {"name": row["requester_name"], "email": row["requester_email"], "address": address}
    customer = customer_contact(conn, row["customer_id"])
    if row["requester_name"] or row["requester_address"]:
        # GDPR Art. 12(3): the contact kept on the request (the person's own may be gone).
        return {
            "name": row["requester_name"] or customer.name or None,
            "email": row["requester_email"] or customer.email,
            "address": _kept_contact(row) or customer.address,
        }
    return {"name": customer.name or None, "email": customer.email, "address": customer.address}


def _exports(conn: sqlite3.Connection, request_id: int) -> list[dict[str, Any]]:
    return [
        dict(doc)
        for doc in conn.execute(
            f"""SELECT kind, format, language, sha256, created_at FROM documents
                WHERE request_id = ? AND kind IN ({",".join("?" * len(EXPORT_KINDS))})
                ORDER BY id""",
            (request_id, *EXPORT_KINDS),
        )
    ]


def letter_context(
    conn: sqlite3.Connection, row: sqlite3.Row, lang: str, actor: audit.Actor
) -> dict[str, Any]:
    info = privacy_info.art15_information(conn, lang)

    def when(value: str | None) -> str | None:
        return wording.format_date(value, lang) if value else None

    def money(cents: int | None) -> str | None:
        return None if cents is None else wording.format_money(cents, lang, cents=True)

    received = date.fromisoformat(row["received_on"])
    return {
        "info": info,
        "controller": info["controller"],
        "complaint": info["complaint"],
        "addressee": _addressee(conn, row),
        "date": when(today().isoformat()),
        "handler": requests.handler_name(conn, row, actor),
        "request": {
            "id": row["id"],
            "kind": row["kind"],
            "received_on": when(row["received_on"]),
            "first_due_on": when(deadlines.request_due(received).isoformat()),
            "due_on": when(row["due_on"]),
            "extended_on": when(row["extended_on"]),
            "extension_reason": row["extension_reason"],
            "outcome": row["outcome"],
            "reasons": row["reasons"],
            "manifestly_unfounded": bool(row["manifestly_unfounded"]),
            "justification": row["unfounded_justification"],
            "fee": money(row["fee_cents"]),
            "closed_on": when(row["closed_on"]),
            "done_outside": row["done_outside"],
        },
        "exports": _exports(conn, row["id"]),
        "requests_kept_years": info["retention_settings"]["closed_requests_years"],
    }


def _title(markdown: str, fallback: str) -> str:
    """The letter's first heading, for the HTML <title>: the text stays in the template."""
    for line in markdown.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return fallback


def request_letter(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    request_id: int,
    *,
    lang: str | None = None,
    fmt: str = "md",
    which: str = "auto",
) -> RequestDocument:
    """Render, record (hash only) and audit a request's reply letter. Inside a transaction
    (checked)."""
    which = validation.choice(which, LETTER_TYPES, "type")
    fmt = validation.choice(fmt, documents.FORMATS, "format")
    if lang is not None:
        lang = validation.choice(lang, documents.LANGUAGES, "lang")
    row = requests.get_request(conn, request_id)
    if which == "auto":
        which = choose_letter(row)
    _check_fits(row, which, conn)
    language = lang or privacy_info.document_language(conn, row["language"])
    template, kind = LETTERS[which]
    context = letter_context(conn, row, language, actor)
    return issue_document(
        conn,
        actor,
        row,
        template=template,
        kind=kind,
        language=language,
        fmt=fmt,
        context=context,
        addressee=context["addressee"],
        audited=("request letter", {"letter": kind}),
    )


def issue_document(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    request: sqlite3.Row,
    *,
    template: str,
    kind: str,
    language: str,
    fmt: str,
    context: dict[str, Any],
    addressee: dict[str, Any],
    audited: tuple[str, dict[str, Any]],
    title: str | None = None,
) -> RequestDocument:
    """Render a letter or certificate of `request` to `addressee`, record it (hash only)
    and audit it as `audited` (the action and its own details). `title` is the HTML and
    paper title; without it, the document's first heading. Inside a transaction (checked).
    """
    fmt = validation.choice(fmt, documents.FORMATS, "format")
    markdown = documents.render_markdown(template, language, context, paper=fmt == "pdf")
    title = title or _title(markdown, kind)
    text: str | bytes = markdown
    if fmt == "html":
        text = documents.markdown_to_html(markdown, title, language)
    elif fmt == "pdf":
        paper = Paper(
            lang=language,
            title=title,
            controller=context["controller"],
            date=context["date"],
            reference=privacy_info.request_reference(request["id"], language),
            recipient=[addressee["name"] or "", *addressee["address"]],
            signer=context["handler"],
        )
        text = documents.markdown_to_pdf(markdown, paper)
    document_id = documents.record_document(
        conn,
        kind=kind,
        language=language,
        fmt=fmt,
        content=text,
        created_by=actor.user_id,
        customer_id=request["customer_id"],
        request_id=request["id"],
    )
    action, details = audited
    details = {**details, "language": language, "format": fmt, "document_id": document_id}
    audit.record(conn, actor, action, "request", request["id"], details)
    return RequestDocument(kind, language, fmt, text, document_id)
