"""`lautex publication-ban`: a person's ban on publishing their data in lists and labels."""

import typer

from lautex_registry.cli.objections import record_objection
from lautex_registry.cli.params import Channel, Customer, Received, RequestOption, Withdraw

COMMAND = "publication-ban"


def register(app: typer.Typer) -> None:
    app.command(COMMAND)(publication_ban)


def publication_ban(
    ctx: typer.Context,
    customer: Customer,
    channel: Channel,
    received: Received = None,
    withdraw: Withdraw = False,
    request: RequestOption = None,
) -> None:
    """Record a person's ban on publishing their data in lists and labels
    (docs/privacy-statement.md P3).

    Example: lautex publication-ban 42 --received 2026-11-20 --channel customer-service
    """
    from lautex_registry.records.objections import PUBLICATION

    record_objection(ctx, customer, [PUBLICATION], received, channel, withdraw, request, ban=True)
