"""`lautex anonymize`: anonymise a customer, keeping statistics and held billing data."""

import typer

from lautex_registry.cli.erasing import erase_or_anonymize
from lautex_registry.cli.output import Format, FormatOption
from lautex_registry.cli.params import Customer, DryRun, RequestOption, Yes

COMMAND = "anonymize"


def register(app: typer.Typer) -> None:
    app.command(COMMAND)(anonymize)


def anonymize(
    ctx: typer.Context,
    customer: Customer,
    request: RequestOption = None,
    dry_run: DryRun = False,
    yes: Yes = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Anonymise a customer: identity gone, statistics kept, held billing data kept.

    Example: lautex anonymize 42 --dry-run
    """
    erase_or_anonymize(ctx, customer, "anonymise", request, dry_run, yes, fmt)
