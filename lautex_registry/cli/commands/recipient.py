"""The `recipient` group: who may receive the register's data."""

from typing import Annotated

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.help_text import LautexTyper
from lautex_registry.cli.output import Format, FormatOption, emit_rows, pick_fields, say
from lautex_registry.cli.params import RECIPIENT_KINDS, LimitOption, choice_option, fields_option
from lautex_registry.platform.errors import t

COMMAND = "recipient"

recipient_app = LautexTyper(
    help="Who may receive the register's data, for which purposes, in which country.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(recipient_app, name=COMMAND)


RECIPIENT_COLUMNS = ("id", "name", "kind", "purposes", "country", "eu_eea", "transfer_basis")


@recipient_app.command("add")
def recipient_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The recipient's name.", show_default=False)],
    kind: Annotated[
        str,
        choice_option(
            "--kind", field="kind", values=RECIPIENT_KINDS, help="What the recipient is."
        ),
    ],
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
    from lautex_registry.records.recipients import add_recipient

    with open_workspace(ctx, write=True) as ws:
        recipient_id = add_recipient(
            ws.conn, ws.actor, name, kind, purpose, country, transfer_basis
        )
    typer.echo(recipient_id)
    say(t("added recipient {id}", id=recipient_id))


# `recipient list --fields` (records.recipients gives these; tests/test_output_rules.py
# keeps them equal).
RECIPIENT_FIELDS = (*RECIPIENT_COLUMNS, "created_at")
Fields = Annotated[str | None, fields_option(RECIPIENT_FIELDS, RECIPIENT_COLUMNS)]


@recipient_app.command("list")
def recipient_list(
    ctx: typer.Context,
    limit: LimitOption = None,
    fields: Fields = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List the recipients with their permitted purposes and countries.

    Example: lautex recipient list --format json
    """
    from lautex_registry.records.recipients import list_recipients

    with open_workspace(ctx) as ws:
        columns = pick_fields(fields, RECIPIENT_FIELDS, RECIPIENT_COLUMNS)
        emit_rows(list_recipients(ws.conn), fmt, columns, limit=limit)
