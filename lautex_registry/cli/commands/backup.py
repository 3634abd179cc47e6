"""`lautex backup`: the policy's nightly copy, one-off copies, off-site copies, list, verify."""

from pathlib import Path
from typing import IO, Annotated, Any

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.help_text import HelpGroup, LautexTyper
from lautex_registry.cli.output import (
    HUMAN_FORMATS,
    Format,
    FormatOption,
    emit_record,
    emit_rows,
    pick_fields,
    say,
)
from lautex_registry.cli.params import (
    IdentityOption,
    LimitOption,
    fields_option,
    identities_from,
)
from lautex_registry.platform.errors import t, tn
from lautex_registry.platform.i18n import gettext

# Options of `backup` itself that take a value: the word after them is not its PATH.
_VALUED = {"--to", "--format", "-f"}


class BackupGroup(HelpGroup):
    """`lautex backup [PATH] [OPTIONS]` makes a copy; `lautex backup list|verify` are its
    subcommands. A first word that is no subcommand is the PATH (a file named `list` is
    `./list`)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        args = list(args)
        index = 0
        while index < len(args):
            arg = args[index]
            if arg == "--":
                break
            if arg in _VALUED:
                index += 2
                continue
            if arg.startswith("-") and arg != "-":
                index += 1
                continue
            if arg not in self.commands:
                ctx.meta["backup_path"] = args.pop(index)
            break
        return list(super().parse_args(ctx, args))


COMMAND = "backup"
# The permission table's names of the two other things `backup` does (platform/permissions.py).
ONE_OFF = "backup PATH"
OFFSITE = "backup --to"

backup_app = LautexTyper(
    cls=BackupGroup,
    invoke_without_command=True,
    help=(
        "Back the register up: with no PATH by the backup settings (checked, encrypted, "
        "rotated).\n\nUsage: lautex backup [PATH | -] [--force] | --to DIR [--allow-plain] | "
        "list | verify [PATH]\n\nExample: lautex backup --format json"
    ),
)


def register(app: typer.Typer) -> None:
    app.add_typer(backup_app, name=COMMAND)


@backup_app.callback()
def backup(
    ctx: typer.Context,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="Copy the newest backup to this folder (a share, a disk), with the rotation.",
            show_default=False,
        ),
    ] = None,
    allow_plain: Annotated[
        bool,
        typer.Option("--allow-plain", help="With --to: carry an unencrypted copy there too."),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the PATH file if it already exists.")
    ] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Back the register up.

    With no PATH, by the backup settings: a checked copy, encrypted to the recipients,
    recorded and rotated (the nightly job). PATH makes a one-off copy; - streams it.

    Example: lautex backup --format json
    """
    if ctx.invoked_subcommand is not None:
        if to or allow_plain or force or ctx.meta.get("backup_path"):
            from lautex_registry.platform.errors import InvalidInput

            raise InvalidInput(
                t("backup {command}: give its options after it", command=ctx.invoked_subcommand)
            )
        return
    path = ctx.meta.get("backup_path")
    if path is not None:
        _one_off(ctx, str(path), force, to, allow_plain)
    elif to is not None:
        _offsite(ctx, to, allow_plain, force, fmt)
    else:
        _policy_copy(ctx, allow_plain, force, fmt)


def _one_off(ctx: typer.Context, path: str, force: bool, to: str | None, plain: bool) -> None:
    from lautex_registry.cli.files import output_path
    from lautex_registry.erasure.backups import make_backup, stream_backup
    from lautex_registry.platform.errors import InvalidInput

    if to is not None or plain:
        raise InvalidInput(t("to: --to copies the policy's newest backup; it takes no PATH"))
    target = output_path(path, force)
    # A plain full copy anywhere is the admin's alone (README: Roles and permissions).
    with open_workspace(ctx, action=ONE_OFF) as ws:
        if target is None:
            copy = stream_backup(ws.conn, ws.actor, _backup_stdout())
        else:
            copy = make_backup(ws.conn, ws.actor, target, force=force)
    if copy.path is None:
        say(
            t(
                "backed up the register to stdout ({size} bytes, sha256 {sha256})",
                size=copy.size,
                sha256=copy.sha256,
            )
        )
    else:
        say(
            t(
                "backed up the register to {path} ({size} bytes, sha256 {sha256})",
                path=copy.path,
                size=copy.size,
                sha256=copy.sha256,
            )
        )


def _backup_stdout() -> IO[bytes]:
    """Standard output for `backup -`; a terminal would only show a screenful of bytes."""
    import sys

    from lautex_registry.platform.errors import InvalidInput

    if sys.stdout.isatty():
        raise InvalidInput(t("backup: stdout is a terminal; redirect it (lautex backup - > FILE)"))
    return sys.stdout.buffer


def _policy_copy(ctx: typer.Context, plain: bool, force: bool, fmt: Format) -> None:
    from lautex_registry.erasure.backup_copies import make_policy_copy
    from lautex_registry.platform.errors import InvalidInput

    if plain or force:
        raise InvalidInput(
            t(
                "backup: --allow-plain goes with --to, --force with PATH; the policy's copy "
                "takes neither"
            )
        )
    with open_workspace(ctx) as ws:
        made = make_policy_copy(ws.conn, ws.actor)
    if fmt not in HUMAN_FORMATS:
        emit_record(made.as_dict(), fmt)
    values = {"path": made.copy.path, "size": made.copy.size, "sha256": made.copy.sha256}
    if made.encrypted:
        say(
            t(
                "backed up the register to {path} ({size} bytes, sha256 {sha256}, encrypted, "
                "verified)",
                **values,
            )
        )
    else:
        say(
            t(
                "backed up the register to {path} ({size} bytes, sha256 {sha256}, NOT encrypted "
                "(no [backup] recipients), verified)",
                **values,
            )
        )
    if made.deleted:
        count = len(made.deleted)
        say(
            tn(
                "deleted {count} older copies by the rotation",
                "deleted {count} older copies by the rotation",
                count,
                count=count,
            )
        )


def _offsite(ctx: typer.Context, to: str, plain: bool, force: bool, fmt: Format) -> None:
    from lautex_registry.erasure.backup_copies import copy_offsite
    from lautex_registry.platform.errors import InvalidInput

    if force:
        raise InvalidInput(t("force: --to never replaces a copy; it takes no --force"))
    if not to:
        raise InvalidInput(t("to: give the folder to copy the backup to"))
    with open_workspace(ctx, action=OFFSITE) as ws:
        done = copy_offsite(ws.conn, ws.actor, Path(to), allow_plain=plain)
    if fmt not in HUMAN_FORMATS:
        emit_record(done.as_dict(), fmt)
    if done.copied:
        say(
            t(
                "copied {file} to {target} ({size} bytes, sha256 {sha256})",
                file=done.source.name,
                target=done.target,
                size=done.copy.size,
                sha256=done.copy.sha256,
            )
        )
    else:
        say(t("{target} is there already with the same SHA-256", target=done.target))
    if done.deleted:
        count = len(done.deleted)
        say(
            tn(
                "deleted {count} older copies in {folder} by the rotation",
                "deleted {count} older copies in {folder} by the rotation",
                count,
                count=count,
                folder=to,
            )
        )


# The fields of `backup list` (erasure.backup_copies.list_copies gives these;
# tests/test_marketing_options.py keeps them equal), written out for `-h`.
BACKUP_FIELDS = ("location", "file", "made_at", "bytes", "encrypted", "verified_at",
                 "expires_on", "sha256")  # fmt: skip


@backup_app.command("list")
def backup_list(
    ctx: typer.Context,
    limit: LimitOption = None,
    fields: Annotated[str | None, fields_option(BACKUP_FIELDS, BACKUP_FIELDS)] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Show the backup copies: where, when, size, encrypted, verified, when they expire.

    Example: lautex backup list --format json
    Example: lautex backup list --fields file,made_at,expires_on --limit 5
    """
    from lautex_registry.erasure.backup_copies import list_copies

    columns = pick_fields(fields, BACKUP_FIELDS, BACKUP_FIELDS)
    with open_workspace(ctx) as ws:
        listing = list_copies(ws.conn)
    for folder in listing.unreachable:
        say(
            t(
                "skipped {folder}: not a folder that can be reached now (is the disk mounted?)",
                folder=folder,
            )
        )
    emit_rows(listing.rows, fmt, columns, limit=limit)


@backup_app.command("verify")
def backup_verify(
    ctx: typer.Context,
    path: Annotated[
        str | None,
        typer.Argument(help="The copy to check. Default: the newest.", show_default=False),
    ] = None,
    identity: IdentityOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Check a copy: recorded SHA-256, decrypted integrity, schema, journal replay; exit 4 if not.

    Example: lautex backup verify --identity /media/keys/lautex-backup.key
    """
    from lautex_registry.erasure.backup_copies import verify_copy

    identities = identities_from(identity)
    with open_workspace(ctx) as ws:
        found = verify_copy(ws.conn, ws.actor, Path(path) if path else None, identities)
    emit_record(found.as_dict(), fmt, title=gettext("backup verify"))
    say(
        t(
            "{path}: ok ({customers} customers; the erasure journal replays {erasures} "
            "erasure(s) onto it)",
            path=found.path,
            customers=found.customers,
            erasures=found.replay_would_erase,
        )
    )
    if found.migrates_on_restore:
        from lautex_registry.platform.migrations import LATEST

        say(
            t(
                "{path}: the copy's schema is at version {version}: a restore migrates it "
                "to version {latest}",
                path=found.path,
                version=found.schema_version,
                latest=LATEST,
            )
        )
