"""The `notice` group: notices owed to sources and recipients (GDPR Art. 19)."""

from typing import Annotated

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.help_text import LautexTyper
from lautex_registry.cli.output import (
    Format,
    FormatOption,
    emit_record,
    emit_rows,
    pick_fields,
    say,
)
from lautex_registry.cli.params import (
    NOTICE_METHODS,
    DateOption,
    LimitOption,
    choice_option,
    fields_option,
    id_of,
)
from lautex_registry.platform.errors import t

COMMAND = "notice"

notice_app = LautexTyper(
    help="Notices owed to sources and recipients after a rectification, erasure or restriction.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(notice_app, name=COMMAND)


NOTICE_COLUMNS = (
    "id",
    "customer_id",
    "request_id",
    "kind",
    "addressee_kind",
    "addressee",
    "recipient_id",
    "fields",
    "created_on",
    "sent_on",
    "method",
)


# What fits a terminal; csv and json carry every column.
NOTICE_FIELDS = (*NOTICE_COLUMNS, "pending")
Fields = Annotated[str | None, fields_option(NOTICE_FIELDS, NOTICE_COLUMNS)]
NOTICE_TABLE_COLUMNS = ("id", "customer_id", "kind", "addressee", "fields", "created_on", "sent_on")


@notice_app.command("list")
def notice_list(
    ctx: typer.Context,
    pending: Annotated[bool, typer.Option("--pending", help="Only notices not yet sent.")] = False,
    limit: LimitOption = None,
    fields: Fields = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List the notices owed to sources and recipients (GDPR Art. 19).

    Example: lautex notice list --pending --format csv
    """
    from lautex_registry.rights.notices import list_notices

    with open_workspace(ctx) as ws:
        default = NOTICE_TABLE_COLUMNS if fmt is Format.table else NOTICE_COLUMNS
        columns = pick_fields(fields, NOTICE_FIELDS, default)
        emit_rows(list_notices(ws.conn, pending_only=pending), fmt, columns, limit=limit)


@notice_app.command("sent")
def notice_sent(
    ctx: typer.Context,
    notice_id: Annotated[
        int,
        typer.Argument(help="The notice's id.", show_default=False, parser=id_of("notice")),
    ],
    method: Annotated[
        str,
        choice_option("--method", field="method", values=NOTICE_METHODS, help="How it was sent."),
    ],
    on_date: DateOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Record that a notice was sent, when and how.

    Example: lautex notice sent 12 --date 2026-11-26 --method letter
    """
    from lautex_registry.platform.validation import date_or_today
    from lautex_registry.rights.notices import mark_sent

    with open_workspace(ctx, write=True) as ws:
        day = date_or_today(on_date, "date")
        record = mark_sent(ws.conn, ws.actor, notice_id, day, method)
    emit_record(record, fmt)
    say(t("notice {id} marked sent", id=notice_id))
