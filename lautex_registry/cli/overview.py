"""`lautex demo` and `lautex status`."""

from typing import Annotated

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.output import Format, FormatOption, emit_record, say


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
    app.command("status")(status)


def demo(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Where to build it (default: data/demo.db).", show_default=False),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Replace a demo register built earlier at that path (nothing else)."
        ),
    ] = False,
) -> None:
    """Build a demo register with made-up data and log its demo admin in.

    Example: lautex demo && lautex --db data/demo.db status
    """
    from pathlib import Path

    from lautex_registry.demo.build import DEFAULT_DEMO_DB, build_demo

    # The demo never lands in $LAUTEX_DB by accident: only an explicit --db moves it.
    path = Path(db or ctx.find_root().params.get("db") or DEFAULT_DEMO_DB)
    built = build_demo(path, replace=force)
    counts = ", ".join(f"{n} {what}" for what, n in built.counts.items())
    say(f"built the demo register {built.path}: {counts}")
    say("WARNING: this is a DEMO register with made-up people; never put real data in it.")
    say(f"demo admin {built.username!r} is logged in; the password (shown once) is:")
    typer.echo(built.password)
    say(f"next: lautex --db {built.path} status")


def status(
    ctx: typer.Context,
    fmt: FormatOption = Format.table,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The day to count from (default: today).")
    ] = None,
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
    elif fmt is Format.csv:
        emit_record(status_row(facts), fmt)
    else:
        emit_record(facts, fmt)
