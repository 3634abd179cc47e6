"""`lautex restrict`: restrict processing (GDPR Art. 18)."""

from typing import Annotated

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.output import Format, FormatOption, say
from lautex_registry.cli.params import Customer, RequestOption
from lautex_registry.cli.rectifying import emit_notices
from lautex_registry.platform.errors import t

COMMAND = "restrict"


def register(app: typer.Typer) -> None:
    app.command(COMMAND)(restrict)


def restrict(
    ctx: typer.Context,
    customer: Customer,
    reason: Annotated[
        str, typer.Option("--reason", help="Why: accuracy or a claim is being checked.")
    ],
    request_id: RequestOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Restrict processing (Art. 18): no marketing, lists or non-legal disclosures.

    Example: lautex restrict 42 --reason "the customer contests the address" --request 8
    """
    from lautex_registry.records.lookup import resolve_customer
    from lautex_registry.rights.restriction import restrict as restrict_customer

    with open_workspace(ctx, write=True) as ws:
        customer_id = int(resolve_customer(ws.conn, customer)["id"])
        result = restrict_customer(ws.conn, ws.actor, customer_id, reason, request_id)
    say(t("customer {id} is restricted (restriction {restriction})", id=customer_id,
          restriction=result.restriction_id))  # fmt: skip
    if result.request_closed:
        say(t("request {id} closed: completed", id=request_id))
    emit_notices(result.notices, fmt)
