"""`lautex migrate`: bring the register's schema up to date."""

from typing import Annotated

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.output import progress_bar, say
from lautex_registry.platform.errors import t
from lautex_registry.platform.i18n import gettext

COMMAND = "migrate"


def register(app: typer.Typer) -> None:
    app.command(COMMAND)(migrate)


def migrate(
    ctx: typer.Context,
    backup_dir: Annotated[
        str | None,
        typer.Option("--backup-dir", help="Where the pre-migration backup goes (default: beside)."),
    ] = None,
) -> None:
    """Back up the register (VACUUM INTO), then apply pending schema migrations.

    Example: lautex migrate
    """
    from pathlib import Path

    from lautex_registry.platform.schema_upgrade import migrate as run_migrations

    with open_workspace(ctx, check_schema=False) as ws, progress_bar() as bar:
        backup, applied = run_migrations(
            ws.conn,
            ws.db_path,
            ws.actor,
            Path(backup_dir) if backup_dir else None,
            bar.counter(gettext("building indexes")),
        )
    if not applied:
        say(t("the schema is up to date; nothing to do"))
        return
    say(t("backup written to {path}", path=backup))
    say(t("applied migrations {numbers}", numbers=", ".join(str(n) for n in applied)))
