"""`lautex backup`: copy the register to a new file."""

from typing import IO, Annotated

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.output import say

COMMAND = "backup"


def register(app: typer.Typer) -> None:
    app.command(COMMAND)(backup)


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
