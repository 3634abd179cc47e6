"""`lautex object`: a person's objection to marketing or research (GDPR Art. 21)."""

from typing import Annotated

import typer

from lautex_registry.cli.objections import record_objection
from lautex_registry.cli.params import (
    OBJECTION_PURPOSES,
    Channel,
    Customer,
    Received,
    RequestOption,
    Withdraw,
    choice_option,
)

COMMAND = "object"


def register(app: typer.Typer) -> None:
    app.command(COMMAND)(object_command)


def object_command(
    ctx: typer.Context,
    customer: Customer,
    purpose: Annotated[
        list[str],
        choice_option(
            "--purpose",
            field="purpose",
            values=OBJECTION_PURPOSES,
            help="What the person forbids; all covers every one. Repeatable.",
            show_default=False,
        ),
    ],
    channel: Channel,
    received: Received = None,
    withdraw: Withdraw = False,
    request: RequestOption = None,
) -> None:
    """Record a person's objection to marketing or research; it is in force at once.

    Example: lautex object aino@example.fi --purpose direct-advertising --received 2026-11-20
    --channel email
    """
    record_objection(ctx, customer, purpose, received, channel, withdraw, request, ban=False)
