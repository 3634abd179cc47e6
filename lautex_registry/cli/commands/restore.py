"""`lautex restore`: put a backup in place and replay the erasures made since."""

from typing import Annotated

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.output import Format, FormatOption, emit_record, preview_record, say
from lautex_registry.cli.params import DryRun, Yes

COMMAND = "restore"


def register(app: typer.Typer) -> None:
    app.command(COMMAND)(restore)


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
