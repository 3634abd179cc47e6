"""The refusal certificate: the written reasons a person can take to the Ombudsman.

The privacy statement (docs/privacy-statement.md P10): a refusal to rectify gets a written
certificate
with the reasons, which the person can take to the Data Protection Ombudsman
(tietosuojavaltuutettu). GDPR Art. 12(4): a request not acted on is answered
with the reasons, the right to lodge a complaint with a supervisory authority
and the right to a judicial remedy. Any refused or partially refused request
gets one. The authority's details come from the settings through
`privacy_info.art15_information`, so they are written down in one place only.
"""

from typing import Any

from lautex_registry.platform import audit, wording
from lautex_registry.platform.clock import today
from lautex_registry.platform.errors import Refused, t
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.rights import requests
from lautex_registry.rights.letters import RequestDocument, customer_contact, issue_document
from lautex_registry.statement import privacy_info

DOCUMENT_KIND = "refusal-certificate"
_TITLES = {
    "fi": "Todistus pyynnön epäämisestä",
    "sv": "Intyg om avslag på begäran",
    "en": "Certificate of refusal",
}


def _requester(conn: sqlite3.Connection, request: sqlite3.Row) -> dict[str, Any]:
    name, email = request["requester_name"], request["requester_email"]
    address = str(request["requester_address"] or "").split("\n")
    if request["customer_id"] is not None:
        customer = customer_contact(conn, request["customer_id"])
        name, email = customer.name or name, customer.email or email
        if not request["requester_address"] and customer.street:
            address = customer.address
    return {
        "name": name,
        "email": email,
        "customer_id": request["customer_id"],
        "address": [line for line in address if line.strip()],
    }


def certificate_context(
    conn: sqlite3.Connection, request: sqlite3.Row, lang: str, actor: audit.Actor
) -> dict[str, Any]:
    info = privacy_info.art15_information(conn, lang)
    closed_on = request["closed_on"] or today().isoformat()
    return {
        "controller": info["controller"],
        "register_name": info["register_name"],
        "complaint": info["complaint"],
        "requester": _requester(conn, request),
        "request": {
            "id": request["id"],
            "kind": request["kind"],
            "received_on": wording.format_date(request["received_on"], lang),
            "channel": request["channel"],
            "note": request["note"],
        },
        "outcome": request["outcome"],
        "reasons": request["reasons"] or "",
        "decided_on": wording.format_date(closed_on, lang),
        "date": wording.format_date(today().isoformat(), lang),
        "handler": requests.handler_name(conn, request, actor),
    }


def refusal_certificate(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    request_id: int,
    lang: str | None = None,
    fmt: str = "md",
) -> RequestDocument:
    """Render the certificate of a refused or partially refused request; record it (hash only).

    Call inside a transaction (checked): the document row and the audit row are written.
    """
    request = requests.get_request(conn, request_id)
    if request["state"] != "closed" or request["outcome"] not in requests.REFUSALS:
        state = request["outcome"] or request["state"]
        raise Refused(
            t(
                "request {request_id} is {state}: a refusal certificate is only for a "
                "refused or partially refused request (close it with `lautex request "
                "close` first)",
                request_id=request_id,
                state=state,
            )
        )
    language = lang or privacy_info.document_language(conn, request["language"])
    context = certificate_context(conn, request, language, actor)
    # The statement promises a written certificate (docs/privacy-statement.md P10): on paper
    # it carries the handler's signature line.
    return issue_document(
        conn,
        actor,
        request,
        template="refusal_certificate",
        kind=DOCUMENT_KIND,
        language=language,
        fmt=fmt,
        context=context,
        addressee=context["requester"],
        audited=("request certificate", {}),
        title=f"{_TITLES[language]}: {context['controller']['name']}",
    )
