"""`lautex rectify`: correct or complete a customer's data (GDPR Art. 16, 19)."""

from typing import Annotated

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.output import Format, FormatOption, say
from lautex_registry.cli.params import Customer, RequestOption
from lautex_registry.cli.rectifying import emit_certificate, report_rectification
from lautex_registry.platform.errors import t

COMMAND = "rectify"


def register(app: typer.Typer) -> None:
    app.command(COMMAND)(rectify)


def rectify(
    ctx: typer.Context,
    customer: Customer,
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
    from lautex_registry.platform.errors import InvalidInput
    from lautex_registry.records.lookup import resolve_customer
    from lautex_registry.rights import rectification

    with open_workspace(ctx, write=True) as ws:
        if refuse and (assignments or supplement):
            raise InvalidInput(t("refuse: --refuse cannot be combined with --set or --supplement"))
        if refuse and request_id is None:
            raise InvalidInput(t("request: a refusal answers a request: add --request ID"))
        changes = rectification.parse_assignments(assignments or [])
        customer_id = int(resolve_customer(ws.conn, customer)["id"])
        if refuse:
            assert request_id is not None
            # Only a refusal writes a document: the others import no letters (start-up).
            from lautex_registry.rights import certificates

            rectification.refuse_rectification(ws.conn, ws.actor, customer_id, request_id, reason)
            certificate = certificates.refusal_certificate(ws.conn, ws.actor, request_id)
        else:
            result = rectification.rectify(
                ws.conn, ws.actor, customer_id, changes, reason,
                request_id=request_id, supplement=supplement,
            )  # fmt: skip
    if refuse:
        say(t("request {id} closed as refused; the refusal certificate follows", id=request_id))
        emit_certificate(certificate, None)
    else:
        report_rectification(result, request_id, fmt)
