"""`lautex whoami`: who is logged in."""

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.output import Format, FormatOption, emit_record

COMMAND = "whoami"


def register(app: typer.Typer) -> None:
    app.command(COMMAND)(whoami)


def whoami(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """Show who you are logged in as.

    Example: lautex whoami --format json
    """
    with open_workspace(ctx) as ws:
        emit_record(
            {"username": ws.user.username, "full_name": ws.user.full_name, "role": ws.user.role},
            fmt,
        )
