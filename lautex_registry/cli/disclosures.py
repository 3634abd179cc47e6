"""The `recipient` group, `disclose`, and the `notice` group (GDPR Art. 19 notices)."""

from typing import Annotated

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.output import Format, FormatOption, emit_record, emit_rows, say
from lautex_registry.cli.params import id_of

recipient_app = typer.Typer(
    help="Who may receive the register's data, for which purposes, in which country.",
    no_args_is_help=True,
)
notice_app = typer.Typer(
    help="Notices owed to sources and recipients after a rectification, erasure or restriction.",
    no_args_is_help=True,
)

RECIPIENT_COLUMNS = ("id", "name", "kind", "purposes", "country", "eu_eea", "transfer_basis")
NOTICE_COLUMNS = (
    "id",
    "customer_id",
    "request_id",
    "kind",
    "addressee_kind",
    "addressee",
    "recipient_id",
    "fields",
    "created_on",
    "sent_on",
    "method",
)
# What fits a terminal; csv and json carry every column.
NOTICE_TABLE_COLUMNS = ("id", "customer_id", "kind", "addressee", "fields", "created_on", "sent_on")

DateOption = Annotated[
    str | None, typer.Option("--date", help="The date (YYYY-MM-DD or D.M.YYYY). Default: today.")
]


def register(app: typer.Typer) -> None:
    app.add_typer(recipient_app, name="recipient")
    app.command("disclose")(disclose)
    app.add_typer(notice_app, name="notice")


@recipient_app.command("add")
def recipient_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The recipient's name.", show_default=False)],
    kind: Annotated[str, typer.Option("--kind", help="processor, third-party or authority.")],
    purpose: Annotated[
        list[str],
        typer.Option(
            "--purpose",
            help="Permitted purpose (repeat or comma-separate): billing, collection, "
            "credit-decision, value-added-service, legal-obligation.",
        ),
    ],
    country: Annotated[str, typer.Option("--country", help="Two-letter country code, e.g. FI.")],
    transfer_basis: Annotated[
        str | None,
        typer.Option(
            "--transfer-basis",
            help="Outside the EU/EEA: the adequacy decision or safeguards (GDPR Art. 45/46).",
        ),
    ] = None,
) -> None:
    """Register a recipient of the register's data; prints its id.

    Example: lautex recipient add "Laskutuspalvelu Oy" --kind processor --purpose billing
    --country FI
    """
    from lautex_registry.platform.db import transaction
    from lautex_registry.records.recipients import add_recipient

    with open_workspace(ctx) as ws, transaction(ws.conn):
        recipient_id = add_recipient(
            ws.conn, ws.actor, name, kind, purpose, country, transfer_basis
        )
    typer.echo(recipient_id)
    say(f"added recipient {recipient_id}")


@recipient_app.command("list")
def recipient_list(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """List the recipients with their permitted purposes and countries.

    Example: lautex recipient list --format json
    """
    from lautex_registry.records.recipients import list_recipients

    with open_workspace(ctx) as ws:
        emit_rows(list_recipients(ws.conn), fmt, RECIPIENT_COLUMNS)


def disclose(
    ctx: typer.Context,
    customer: Annotated[
        str, typer.Argument(help="The customer's id or email address.", show_default=False)
    ],
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
    from lautex_registry.platform.db import transaction
    from lautex_registry.platform.validation import date_or_today
    from lautex_registry.records.disclosures import record_disclosure
    from lautex_registry.records.lookup import resolve_customer
    from lautex_registry.records.recipients import resolve_recipient

    with open_workspace(ctx) as ws, transaction(ws.conn):
        day = date_or_today(on_date, "date")
        customer_id = int(resolve_customer(ws.conn, customer)["id"])
        recipient = resolve_recipient(ws.conn, to)
        disclosure_id = record_disclosure(
            ws.conn, ws.actor, customer_id, int(recipient["id"]), purpose, fields, day,
            legal_reference,
        )  # fmt: skip
    typer.echo(disclosure_id)
    say(f"logged disclosure {disclosure_id} to {recipient['name']} ({purpose})")


@notice_app.command("list")
def notice_list(
    ctx: typer.Context,
    pending: Annotated[bool, typer.Option("--pending", help="Only notices not yet sent.")] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """List the notices owed to sources and recipients (GDPR Art. 19).

    Example: lautex notice list --pending --format csv
    """
    from lautex_registry.rights.notices import list_notices

    with open_workspace(ctx) as ws:
        columns = NOTICE_TABLE_COLUMNS if fmt is Format.table else NOTICE_COLUMNS
        emit_rows(list_notices(ws.conn, pending_only=pending), fmt, columns)


@notice_app.command("sent")
def notice_sent(
    ctx: typer.Context,
    notice_id: Annotated[
        int,
        typer.Argument(help="The notice's id.", show_default=False, parser=id_of("notice")),
    ],
    method: Annotated[str, typer.Option("--method", help="letter, email or phone.")],
    on_date: DateOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Record that a notice was sent, when and how.

    Example: lautex notice sent 12 --date 2026-11-26 --method letter
    """
    from lautex_registry.platform.db import transaction
    from lautex_registry.platform.validation import date_or_today
    from lautex_registry.rights.notices import mark_sent

    with open_workspace(ctx) as ws, transaction(ws.conn):
        day = date_or_today(on_date, "date")
        record = mark_sent(ws.conn, ws.actor, notice_id, day, method)
    emit_record(record, fmt)
    say(f"notice {notice_id} marked sent")
