"""`lautex erase`: erase a customer, keeping only what legal holds require."""

import typer

from lautex_registry.cli.erasing import erasure_command

COMMAND = "erase"
HELP = """Erase a customer: show what goes now and what legal holds keep until when, then do it.

With no hold the person is erased completely; with holds (open invoice, claim in
collection, accounting vouchers) only the held billing data stays and the customer
becomes anonymised-with-holds until the retention job finishes the erasure.

Example: lautex erase 42 --request 7 --yes
"""


def register(app: typer.Typer) -> None:
    app.command(COMMAND, help=HELP)(erasure_command(COMMAND))
