"""`lautex anonymise` (`anonymize` still runs it): anonymise a customer, keep statistics."""

import typer

from lautex_registry.cli.erasing import erasure_command

COMMAND = "anonymise"
HELP = """Anonymise a customer: identity gone, statistics kept, held billing data kept.

Example: lautex anonymise 42 --dry-run
"""


def register(app: typer.Typer) -> None:
    app.command(COMMAND, help=HELP)(erasure_command(COMMAND))
