"""erase, anonymize, backup and restore."""

from typing import IO, TYPE_CHECKING, Annotated

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.output import Format, FormatOption, emit_record, preview_record, say
from lautex_registry.cli.params import id_of

if TYPE_CHECKING:
    from lautex_registry.erasure.plan import ErasurePlan

Customer = Annotated[str, typer.Argument(help="The customer's id or email.", show_default=False)]
RequestOption = Annotated[
    int | None,
    typer.Option(
        "--request",
        help="The erasure request this answers; it is closed with the outcome.",
        parser=id_of("request"),
    ),
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show what would happen; change nothing.")]
Yes = Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")]


def register(app: typer.Typer) -> None:
    app.command("erase")(erase)
    app.command("anonymize")(anonymize)
    app.command("backup")(backup)
    app.command("restore")(restore)


def _describe(result: "ErasurePlan") -> str:
    end = result.last_hold_ends
    if result.outcome == "erased":
        return f"customer {result.customer_id} erased completely"
    held = f"; {len(result.holds)} hold(s), the last ending {end.isoformat()}" if end else ""
    return f"customer {result.customer_id} {result.outcome}{held}"


def _erase_or_anonymize(
    ctx: typer.Context, customer: str, mode: str, request: int | None, dry_run: bool, yes: bool,
    fmt: Format,
) -> None:  # fmt: skip
    from lautex_registry.cli.prompts import confirm_or_abort
    from lautex_registry.erasure.erase import carry_out
    from lautex_registry.erasure.plan import plan_erasure, refuse_repeat
    from lautex_registry.platform.clock import today
    from lautex_registry.records.lookup import resolve_customer

    with open_workspace(ctx) as ws:
        customer_id = int(resolve_customer(ws.conn, customer)["id"])
        shown = plan_erasure(ws.conn, customer_id, mode, today(), request_id=request)
        refuse_repeat(shown)
        record = shown.as_brief_dict() if fmt is Format.table else shown.as_dict()
        emit_record(record, fmt, title=f"{mode} customer {customer_id}")
        if dry_run:
            say("dry run: nothing was changed")
            return
        confirm_or_abort(f"{mode.capitalize()} customer {customer_id} as shown?", assume_yes=yes)
        done = carry_out(ws.conn, ws.actor, customer_id, mode, today(), request_id=request)
    say(_describe(done))
    if not done.checkpointed:
        say("warning: another connection kept the -wal file from being truncated: old page "
            "images stay in it until the next erasure or retention run")  # fmt: skip
    if done.request_id is not None:
        say(f"request {done.request_id} closed: {done.request_outcome}")


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
    _erase_or_anonymize(ctx, customer, "erase", request, dry_run, yes, fmt)


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
    _erase_or_anonymize(ctx, customer, "anonymise", request, dry_run, yes, fmt)


def backup(
    ctx: typer.Context,
    path: Annotated[
        str, typer.Argument(help="The new backup file; - writes it to stdout.", show_default=False)
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Replace the backup file if it already exists.")
    ] = False,
) -> None:
    """Copy the register to a new file with VACUUM INTO (mode 0600, no free pages).

    Example: lautex backup /var/backups/lautex/lautex-2026-11-25.db
    """
    from lautex_registry.cli.files import output_path
    from lautex_registry.erasure.backups import make_backup, stream_backup

    target = output_path(path, force)
    with open_workspace(ctx) as ws:
        if target is None:
            copy = stream_backup(ws.conn, ws.actor, _backup_stdout())
        else:
            copy = make_backup(ws.conn, ws.actor, target, force=force)
    where = "stdout" if copy.path is None else str(copy.path)
    say(f"backed up the register to {where} ({copy.size} bytes, sha256 {copy.sha256})")


def _backup_stdout() -> IO[bytes]:
    """Standard output for `backup -`; a terminal would only show a screenful of bytes."""
    import sys

    from lautex_registry.platform.errors import InvalidInput

    if sys.stdout.isatty():
        raise InvalidInput("backup: stdout is a terminal; redirect it (lautex backup - > FILE)")
    return sys.stdout.buffer


def restore(
    ctx: typer.Context,
    path: Annotated[str, typer.Argument(help="The backup file.", show_default=False)],
    dry_run: DryRun = False,
    yes: Yes = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Put a backup in place, then erase again everyone the erasure journal says was erased.

    Nobody else may use the register meanwhile; everything written after the backup is lost.

    Example: lautex restore /var/backups/lautex/lautex-2026-11-25.db --yes
    """
    from pathlib import Path

    from lautex_registry.cli.prompts import confirm_or_abort
    from lautex_registry.erasure.backups import restore_backup
    from lautex_registry.platform.clock import today

    with open_workspace(ctx) as ws:
        preview = restore_backup(ws.conn, ws.actor, Path(path), today(), dry_run=True)
        if dry_run:
            emit_record(preview.as_dict(), fmt, title="restore")
            say("dry run: nothing was changed")
            return
        preview_record(preview.as_dict(), title="restore (preview)")
        say(f"this replaces the register {ws.db_path} with {path}: later changes are lost")
        confirm_or_abort("Restore the backup?", assume_yes=yes)
        done = restore_backup(ws.conn, ws.actor, Path(path), today())
    emit_record(done.as_dict(), fmt, title="restored")
    say(
        f"restored {path}; {done.replayed} erasure(s) replayed from "
        f"{done.journal_entries} journal entries"
    )
    for customer_id in done.already_erased:
        say(f"customer {customer_id}: already erased, nothing to replay")
    for request_id in done.requests_closed_again:
        say(f"request {request_id}: closed again, as it was answered after the backup")
