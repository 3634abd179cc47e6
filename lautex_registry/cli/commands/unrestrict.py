"""`lautex unrestrict`: lift a restriction (GDPR Art. 18(3))."""

from typing import Annotated

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.output import say
from lautex_registry.cli.params import Customer
from lautex_registry.platform.errors import t

COMMAND = "unrestrict"


def register(app: typer.Typer) -> None:
    app.command(COMMAND)(unrestrict)


def unrestrict(
    ctx: typer.Context,
    customer: Customer,
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
    from lautex_registry.platform.validation import parse_date
    from lautex_registry.records.lookup import resolve_customer
    from lautex_registry.rights.restriction import unrestrict as unrestrict_customer

    with open_workspace(ctx, write=True) as ws:
        day = parse_date(informed_on, "informed-on")
        customer_id = int(resolve_customer(ws.conn, customer)["id"])
        unrestrict_customer(ws.conn, ws.actor, customer_id, day)
    say(t("customer {id}: restriction lifted (the person was told on {day})", id=customer_id,
          day=day.isoformat()))  # fmt: skip
