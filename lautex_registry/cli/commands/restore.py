"""`lautex restore`: put a backup (plain or encrypted) in place and replay the erasures made
since; on a machine with no register, the copy becomes the register."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lautex_registry.cli.context import db_path_of, open_workspace
from lautex_registry.cli.output import Format, FormatOption, emit_record, preview_record, say
from lautex_registry.cli.params import DryRun, IdentityOption, Yes, identities_from
from lautex_registry.platform.errors import t
from lautex_registry.platform.i18n import gettext

if TYPE_CHECKING:
    from lautex_registry.erasure.backup_copies import Identity
    from lautex_registry.erasure.backups import RestoreResult

COMMAND = "restore"


def register(app: typer.Typer) -> None:
    app.command(COMMAND)(restore)


def restore(
    ctx: typer.Context,
    path: Annotated[str, typer.Argument(help="The backup file.", show_default=False)],
    identity: IdentityOption = None,
    dry_run: DryRun = False,
    yes: Yes = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Put a backup in place, then erase again everyone the erasure journal says was erased.

    Nobody else may use the register meanwhile; everything written after the backup is lost.
    An encrypted copy needs --identity FILE (or - for stdin).

    With no register at --db (a new machine), the copy becomes the register: no login is
    asked for, since the identity opens the copy anyway; log in with an account of the copy.

    Example: lautex restore data/backups/lautex-20261125T013000Z.db.age --identity key.txt --yes
    """
    from lautex_registry.cli.prompts import confirm_or_abort
    from lautex_registry.erasure.backup_copies import restore_copy
    from lautex_registry.platform.clock import today

    identities = identities_from(identity)
    if not db_path_of(ctx).exists():
        _restore_fresh(ctx, path, identities, dry_run, yes, fmt)
        return
    with open_workspace(ctx) as ws:
        preview = restore_copy(ws.conn, ws.actor, Path(path), today(), identities=identities,
                               dry_run=True)  # fmt: skip
        if dry_run:
            emit_record(preview.as_dict(), fmt, title=gettext("restore"))
            _say_migration(preview)
            say(t("dry run: nothing was changed"))
            return
        preview_record(preview.as_dict(), title=gettext("restore (preview)"), yes=yes)
        _say_migration(preview)
        say(
            t(
                "this replaces the register {register} with {path}: later changes are lost",
                register=ws.db_path,
                path=path,
            )
        )
        confirm_or_abort(gettext("Restore the backup?"), assume_yes=yes)
        done = restore_copy(ws.conn, ws.actor, Path(path), today(), identities=identities)
    emit_record(done.as_dict(), fmt, title=gettext("restored"))
    say(
        t(
            "restored {path}; {replayed} erasure(s) replayed from {entries} journal entries",
            path=path,
            replayed=done.replayed,
            entries=done.journal_entries,
        )
    )
    _say_migration(done)
    for customer_id in done.already_erased:
        say(t("customer {id}: already erased, nothing to replay", id=customer_id))
    for request_id in done.requests_closed_again:
        say(t("request {id}: closed again, as it was answered after the backup", id=request_id))


def _restore_fresh(
    ctx: typer.Context, path: str, identities: "list[Identity] | None", dry_run: bool,
    yes: bool, fmt: Format,
) -> None:  # fmt: skip
    from lautex_registry.cli.prompts import confirm_or_abort
    from lautex_registry.erasure.backup_copies import restore_fresh
    from lautex_registry.platform.clock import today
    from lautex_registry.platform.errors import InvalidInput

    db = db_path_of(ctx)
    if dry_run:
        raise InvalidInput(
            t("dry-run: there is no register at {register} to compare the copy with", register=db)
        )
    say(t("there is no register at {register}: the copy {path} will become it", register=db,
          path=path))  # fmt: skip
    confirm_or_abort(gettext("Create the register from the backup?"), assume_yes=yes)
    done = restore_fresh(db, Path(path), today(), identities=identities)
    emit_record(done.as_dict(), fmt, title=gettext("restored"))
    say(
        t(
            "restored {path} as {register}; {replayed} erasure(s) replayed from {entries} "
            "journal entries; log in with an account of the copy",
            path=path,
            register=db,
            replayed=done.replayed,
            entries=done.journal_entries,
        )
    )
    _say_migration(done)


def _say_migration(result: "RestoreResult") -> None:
    """A copy of an older schema is migrated in its staging file (docs/rules.md §5)."""
    from lautex_registry.platform.migrations import LATEST

    if result.migrated_from is None:
        return
    if result.dry_run:
        say(
            t(
                "the copy is at schema version {version}: the restore migrates it to "
                "version {latest} before the erasures are replayed",
                version=result.migrated_from,
                latest=LATEST,
            )
        )
        return
    say(
        t(
            "the copy was at schema version {version}: migrated to version {latest} before "
            "the erasures were replayed",
            version=result.migrated_from,
            latest=LATEST,
        )
    )
