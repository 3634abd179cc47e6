"""`lautex anonymise` (`anonymize` still runs it): anonymise a customer, keep statistics."""

import typer

from lautex_registry.cli.erasing import erase_or_anonymise
from lautex_registry.cli.output import Format, FormatOption
from lautex_registry.cli.params import Customer, DryRun, RequestOption, Yes

COMMAND = "anonymise"


def register(app: typer.Typer) -> None:
    app.command(COMMAND)(anonymise)


def anonymise(
    ctx: typer.Context,
    customer: Customer,
    request: RequestOption = None,
    dry_run: DryRun = False,
    yes: Yes = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Anonymise a customer: identity gone, statistics kept, held billing data kept.

    Example: lautex anonymise 42 --dry-run
    """
    erase_or_anonymise(ctx, customer, "anonymise", request, dry_run, yes, fmt)
