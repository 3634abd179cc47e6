"""The `audit` group: the tamper-evident audit trail."""

from typing import Annotated

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.help_text import LautexTyper
from lautex_registry.cli.output import (
    HUMAN_FORMATS,
    Format,
    FormatOption,
    emit_record,
    emit_rows,
    pick_fields,
    say,
)
from lautex_registry.cli.params import LimitOption, fields_option
from lautex_registry.platform.errors import t

COMMAND = "audit"

audit_app = LautexTyper(help="The tamper-evident audit trail.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name=COMMAND)


FIELDS = ("id", "at", "user", "action", "entity", "entity_id", "details")
Fields = Annotated[str | None, fields_option(FIELDS, FIELDS)]


@audit_app.command("list")
def audit_list(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option("--user", help="Only this username.")] = None,
    action: Annotated[
        str | None, typer.Option("--action", help="Only this action, e.g. 'customer'.")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="From this date or UTC time on (ISO 8601).")
    ] = None,
    limit: LimitOption = None,
    fields: Fields = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List audit rows: who did what, when, to which entity (never personal values).

    Example: lautex audit list --user maija --since 2026-11-01
    """
    from lautex_registry.platform import audit

    since = _since(since) if since else None
    columns = pick_fields(fields, FIELDS, FIELDS)
    with open_workspace(ctx) as ws:
        emit_rows(
            audit.list_entries(ws.conn, username=user, action=action, since=since),
            fmt,
            columns,
            limit=limit,
        )


def _since(text: str) -> str:
    """A date (`2026-11-01`) or a time (`2026-11-01T08:00:00+02:00`, naive = UTC) in the
    form the audit trail stores (`2026-11-01T06:00:00Z`), so text comparison is right."""
    from datetime import UTC, date, datetime

    from lautex_registry.platform.clock import utc_text
    from lautex_registry.platform.errors import InvalidInput

    value = text.strip()
    try:
        if len(value) == 10:
            return date.fromisoformat(value).isoformat()
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            t(
                "since: {value!r} is not a date or time (use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)",
                value=value,
            )
        ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return utc_text(moment)


@audit_app.command("verify")
def audit_verify(
    ctx: typer.Context,
    anchor: Annotated[
        str | None,
        typer.Option(
            "--anchor",
            help="A head recorded earlier (ID:HASH): it must still be there, unchanged.",
        ),
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Check the audit trail: its hash chain from `init` on, times in order, and its
    append-only triggers; exit 4 naming the first broken row.

    Prints the head (ID:HASH); keep it outside the register (cron mails it) and give it
    back with --anchor, so that cutting off the newest rows is found too.

    Example: lautex audit verify --anchor 1234:5f1c...e9
    """
    from lautex_registry.platform import audit
    from lautex_registry.platform.errors import Refused

    with open_workspace(ctx) as ws:
        report = audit.verify_chain(ws.conn)
        if anchor is not None and report.intact:
            report = audit.check_anchor(ws.conn, report, anchor)
    head = f"{report.head_id}:{report.head_hash}" if report.head_id is not None else None
    if fmt not in HUMAN_FORMATS:
        emit_record(
            {
                "intact": report.intact,
                "rows": report.rows,
                "first_broken_id": report.first_broken_id,
                "problem": None if report.problem is None else str(report.problem),
                "head": head,
            },
            fmt,
        )
    if not report.intact:
        if report.first_broken_id is None:
            raise Refused(t("the audit trail is broken: {problem}", problem=report.problem))
        raise Refused(
            t(
                "the audit trail is broken at row {id}: {problem}",
                id=report.first_broken_id,
                problem=report.problem,
            )
        )
    say(t("the audit trail is intact ({rows} rows); head {head}", rows=report.rows, head=head))
