"""`lautex status`: the register at a glance."""

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.output import Format, FormatOption, emit_record
from lautex_registry.cli.params import AsOf

COMMAND = "status"


def register(app: typer.Typer) -> None:
    app.command(COMMAND)(status)


def status(
    ctx: typer.Context,
    fmt: FormatOption = Format.table,
    as_of: AsOf = None,
) -> None:
    """Show the register at a glance: customers, orders, claims, requests, retention.

    Example: lautex --db data/demo.db status --format json
    """
    from lautex_registry.platform.validation import date_or_today
    from lautex_registry.records.status import register_status, status_lines, status_row

    day = date_or_today(as_of, "as_of")
    with open_workspace(ctx) as ws:
        facts = register_status(ws.conn, day)
    if fmt is Format.table:
        emit_record(status_lines(facts), fmt, title="lautex status")
    elif fmt in (Format.csv, Format.tsv):
        emit_record(status_row(facts), fmt)
    else:
        emit_record(facts, fmt)
