"""`lautex disclose`: the log of what was handed to whom."""

from typing import Annotated

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.output import say
from lautex_registry.cli.params import Customer, DateOption
from lautex_registry.platform.errors import t

COMMAND = "disclose"


def register(app: typer.Typer) -> None:
    app.command(COMMAND)(disclose)


def disclose(
    ctx: typer.Context,
    customer: Customer,
    to: Annotated[str, typer.Option("--to", help="The recipient's name or id.")],
    purpose: Annotated[str, typer.Option("--purpose", help="Why: one of its permitted purposes.")],
    fields: Annotated[
        str,
        typer.Option(
            "--fields",
            help="Comma-separated fields handed over: first_name, last_name, organisation, "
            "email, phone, street, postal_code, city, country, orders, invoices (or name, "
            "address).",
        ),
    ],
    on_date: DateOption = None,
    legal_reference: Annotated[
        str | None,
        typer.Option("--legal-reference", help="The law or decision that requires it."),
    ] = None,
) -> None:
    """Log a disclosure: who received which fields of a customer, when and why.

    Refused (exit 4) for a purpose the recipient is not registered for, marketing,
    a transfer outside the EU/EEA without a basis, or a restricted customer unless
    the purpose is a legal one. Prints the disclosure's id.

    Example: lautex disclose aino@example.fi --to "Laskutuspalvelu Oy" --purpose billing
    --fields name,address,email
    """
    from lautex_registry.platform.validation import date_or_today
    from lautex_registry.records.disclosures import record_disclosure
    from lautex_registry.records.lookup import resolve_customer
    from lautex_registry.records.recipients import resolve_recipient

    with open_workspace(ctx, write=True) as ws:
        day = date_or_today(on_date, "date")
        customer_id = int(resolve_customer(ws.conn, customer)["id"])
        recipient = resolve_recipient(ws.conn, to)
        disclosure_id = record_disclosure(
            ws.conn, ws.actor, customer_id, int(recipient["id"]), purpose, fields, day,
            legal_reference,
        )  # fmt: skip
    typer.echo(disclosure_id)
    say(t("logged disclosure {id} to {recipient} ({purpose})", id=disclosure_id,
          recipient=recipient["name"], purpose=purpose))  # fmt: skip
