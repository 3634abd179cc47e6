"""`lautex erase`: erase a customer, keeping only what legal holds require."""

import typer

from lautex_registry.cli.erasing import erase_or_anonymise
from lautex_registry.cli.output import Format, FormatOption
from lautex_registry.cli.params import Customer, DryRun, RequestOption, Yes

COMMAND = "erase"


def register(app: typer.Typer) -> None:
    app.command(COMMAND)(erase)


def erase(
    ctx: typer.Context,
    customer: Customer,
    request: RequestOption = None,
    dry_run: DryRun = False,
    yes: Yes = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Erase a customer: show what goes now and what legal holds keep until when, then do it.

    With no hold the person is erased completely; with holds (open invoice, claim in
    collection, accounting vouchers) only the held billing data stays and the customer
    becomes anonymised-with-holds until the retention job finishes the erasure.

    Example: lautex erase 42 --request 7 --yes
    """
    erase_or_anonymise(ctx, customer, "erase", request, dry_run, yes, fmt)
