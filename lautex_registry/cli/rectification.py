"""`rectify`, `restrict`, `unrestrict` and `request certificate` (GDPR Art. 16, 18, 19, 12(4))."""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.files import ForceOption, output_path
from lautex_registry.cli.output import Format, FormatOption, emit_rows, say
from lautex_registry.cli.params import id_of

if TYPE_CHECKING:
    from pathlib import Path

    from lautex_registry.rights.certificates import Certificate
    from lautex_registry.rights.rectification import RectificationResult

CustomerRef = Annotated[
    str, typer.Argument(help="The customer's id or email address.", show_default=False)
]
RequestOption = Annotated[
    int | None,
    typer.Option(
        "--request", help="The data subject request this answers.", parser=id_of("request")
    ),
]
Output = Annotated[
    str | None,
    typer.Option("--output", "-o", help="Write to this new file (mode 0600); - or none: stdout."),
]
NOTICE_COLUMNS = ("id", "kind", "addressee_kind", "addressee", "fields", "created_on")


def register(app: typer.Typer) -> None:
    from lautex_registry.cli.requests import request_app

    app.command("rectify")(rectify)
    app.command("restrict")(restrict)
    app.command("unrestrict")(unrestrict)
    request_app.command("certificate")(request_certificate)


def _emit_certificate(certificate: "Certificate", output: "Path | None") -> None:
    if output is not None:
        say(f"wrote the refusal certificate ({certificate.language}) to {output}")
    else:
        typer.echo(certificate.text, nl=False)


def _emit_notices(notices: list[dict[str, Any]], fmt: Format) -> None:
    if not notices:
        say("no source or recipient to notify")
        if fmt is not Format.table:
            emit_rows([], fmt, NOTICE_COLUMNS)  # scripts get an empty list, not nothing
        return
    say(f"{len(notices)} pending notice(s): tell each one, then `lautex notice sent ID`")
    for notice in notices:
        fields = ", ".join(notice["fields"]) or "all data"
        say(f"  notify {notice['addressee_kind']} {notice['addressee']} ({fields})")
    emit_rows(notices, fmt, NOTICE_COLUMNS)


def _report(result: "RectificationResult", request_id: int | None, fmt: Format) -> None:
    if result.changed or result.supplement_id is None:
        say(f"corrected: {', '.join(result.changed) or 'nothing (the values were already so)'}")
    if result.supplement_id is not None:
        say("added the supplementary statement (GDPR Art. 16)")
    if result.partially_refused:
        say(
            f"NOT changed on issued invoices {', '.join(result.kept_invoices)} "
            f"({', '.join(result.kept_fields)}): an invoice is an accounting voucher kept as "
            "issued (Accounting Act 1336/1997 ch. 2 sec. 10); recorded as a partial refusal"
        )
    if request_id is not None:
        say(f"request {request_id} closed: {result.request_outcome}")
        if result.partially_refused:
            say(f"give the person the certificate: lautex request certificate {request_id}")
    _emit_notices(result.notices, fmt)
    from lautex_registry.cli.marketing import report_restorations

    report_restorations(result.restored)  # an erased objector's objections are back


def rectify(
    ctx: typer.Context,
    customer: CustomerRef,
    reason: Annotated[str, typer.Option("--reason", help="Why the data is corrected or refused.")],
    assignments: Annotated[
        list[str] | None,
        typer.Option("--set", help="FIELD=VALUE to correct (repeat); FIELD= clears it."),
    ] = None,
    supplement: Annotated[
        str | None, typer.Option("--supplement", help="A supplementary statement (Art. 16).")
    ] = None,
    request_id: RequestOption = None,
    refuse: Annotated[
        bool, typer.Option("--refuse", help="Refuse the request; prints the certificate.")
    ] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Correct or complete a customer's data and list who must be told (Art. 16, 19).

    Example: lautex rectify 42 --set phone="040 765 4321" --reason "number changed" --request 7
    """
    from lautex_registry.platform.db import transaction
    from lautex_registry.platform.errors import InvalidInput
    from lautex_registry.records.lookup import resolve_customer
    from lautex_registry.rights import certificates, rectification

    with open_workspace(ctx) as ws, transaction(ws.conn):
        if refuse and (assignments or supplement):
            raise InvalidInput("refuse: --refuse cannot be combined with --set or --supplement")
        if refuse and request_id is None:
            raise InvalidInput("request: a refusal answers a request: add --request ID")
        changes = rectification.parse_assignments(assignments or [])
        customer_id = int(resolve_customer(ws.conn, customer)["id"])
        if refuse:
            assert request_id is not None
            rectification.refuse_rectification(ws.conn, ws.actor, customer_id, request_id, reason)
            certificate = certificates.refusal_certificate(ws.conn, ws.actor, request_id)
        else:
            result = rectification.rectify(
                ws.conn, ws.actor, customer_id, changes, reason,
                request_id=request_id, supplement=supplement,
            )  # fmt: skip
    if refuse:
        say(f"request {request_id} closed as refused; the refusal certificate follows")
        _emit_certificate(certificate, None)
    else:
        _report(result, request_id, fmt)


def restrict(
    ctx: typer.Context,
    customer: CustomerRef,
    reason: Annotated[
        str, typer.Option("--reason", help="Why: accuracy or a claim is being checked.")
    ],
    request_id: RequestOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Restrict processing (Art. 18): no marketing, lists or non-legal disclosures.

    Example: lautex restrict 42 --reason "the customer contests the address" --request 8
    """
    from lautex_registry.platform.db import transaction
    from lautex_registry.records.lookup import resolve_customer
    from lautex_registry.rights.restriction import restrict as restrict_customer

    with open_workspace(ctx) as ws, transaction(ws.conn):
        customer_id = int(resolve_customer(ws.conn, customer)["id"])
        result = restrict_customer(ws.conn, ws.actor, customer_id, reason, request_id)
    say(f"customer {customer_id} is restricted (restriction {result.restriction_id})")
    if result.request_closed:
        say(f"request {request_id} closed: completed")
    _emit_notices(result.notices, fmt)


def unrestrict(
    ctx: typer.Context,
    customer: CustomerRef,
    informed_on: Annotated[
        str,
        typer.Option(
            "--informed-on",
            help="When the person was told the restriction ends (required, Art. 18(3)).",
        ),
    ],
) -> None:
    """Lift a restriction, recording when the person was told (Art. 18(3)).

    Example: lautex unrestrict 42 --informed-on 2026-11-20
    """
    from lautex_registry.platform.db import transaction
    from lautex_registry.platform.validation import parse_date
    from lautex_registry.records.lookup import resolve_customer
    from lautex_registry.rights.restriction import unrestrict as unrestrict_customer

    with open_workspace(ctx) as ws, transaction(ws.conn):
        day = parse_date(informed_on, "informed-on")
        customer_id = int(resolve_customer(ws.conn, customer)["id"])
        unrestrict_customer(ws.conn, ws.actor, customer_id, day)
    say(f"customer {customer_id}: restriction lifted (the person was told on {day.isoformat()})")


def request_certificate(
    ctx: typer.Context,
    request_id: Annotated[
        int,
        typer.Argument(help="The request's id.", show_default=False, parser=id_of("request")),
    ],
    lang: Annotated[
        str | None,
        typer.Option("--lang", help="fi or en. Default: the request's language."),
    ] = None,
    doc_format: Annotated[str, typer.Option("--format", help="md or html.")] = "md",
    output: Output = None,
    force: ForceOption = False,
) -> None:
    """The refusal certificate of a refused request: reasons, Ombudsman, court remedy.

    Example: lautex request certificate 7 --lang en --format html --output certificate.html
    """
    from lautex_registry.platform.db import transaction
    from lautex_registry.platform.documents import write_private
    from lautex_registry.rights.certificates import refusal_certificate

    target = output_path(output, force)
    with open_workspace(ctx) as ws, transaction(ws.conn):
        certificate = refusal_certificate(ws.conn, ws.actor, request_id, lang, doc_format)
        # Written inside the transaction, as a letter is: a file that cannot be written
        # leaves no document row and no audit row claiming it was handed out.
        if target is not None:
            write_private(target, certificate.text, ws.db_path, force=force)
    _emit_certificate(certificate, target)
