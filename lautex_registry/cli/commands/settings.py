"""The `settings` group: the register's settings."""

from typing import Annotated

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.help_text import LautexTyper
from lautex_registry.cli.output import Format, FormatOption, emit_record, preview_record, say
from lautex_registry.cli.params import DryRun, Yes
from lautex_registry.platform.errors import t
from lautex_registry.platform.i18n import gettext

COMMAND = "settings"

settings_app = LautexTyper(help="The register's settings.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(settings_app, name=COMMAND)


@settings_app.command("load")
def settings_load(
    ctx: typer.Context,
    path: Annotated[
        str | None,
        typer.Argument(
            help="Settings TOML (default: data/register.toml); - reads stdin.", show_default=False
        ),
    ] = None,
    dry_run: DryRun = False,
    yes: Yes = False,
) -> None:
    """Put a settings file in force: the statement's texts and the retention policy.

    The whole file replaces the settings; it is refused (exit 2, nothing changed) when it
    leaves out a section (unless it says reset_to_defaults = true), when the retention
    policy breaks a legal floor or when a statement heading would render empty.

    The settings in force are replaced for good, so it shows which sections change and asks
    first (without a terminal it needs --yes); --dry-run checks the file the same way and
    changes nothing.

    Example: lautex settings load data/register.toml --dry-run
    """
    import sys
    from pathlib import Path

    from lautex_registry.cli.prompts import confirm_or_abort
    from lautex_registry.platform.settings import (
        LOCAL_SETTINGS_FILE,
        load_settings_file,
        load_settings_stream,
    )
    from lautex_registry.setup.settings_in_force import (
        replace_settings,
        settings_load_plan,
        settings_to_load,
    )

    with open_workspace(ctx) as ws:
        if path == "-":
            settings, origin = load_settings_stream(sys.stdin.buffer)
        else:
            settings, origin = load_settings_file(Path(path) if path else LOCAL_SETTINGS_FILE)
        loaded = settings_to_load(settings, origin)
        plan = settings_load_plan(ws.conn, ws.actor, loaded)
        preview_record(plan, title=gettext("settings load {origin}").format(origin=origin), yes=yes)
        if dry_run:
            say(t("dry run: nothing was changed"))
            return
        confirm_or_abort(gettext("Replace the settings in force?"), assume_yes=yes)
        with ws.writing():
            sections = replace_settings(ws.conn, ws.actor, loaded)
    say(t("settings from {origin} are in force ({sections})", origin=origin,
          sections=", ".join(sections)))  # fmt: skip
    if loaded.reset:
        say(t("reset to the built-in defaults: {sections}", sections=", ".join(loaded.reset)))
    for name in loaded.added:
        say(t("note: {origin} has no [{name}] section (it was written before there was one): "
              "the built-in default is in force; add the section to change it", origin=origin,
              name=name))  # fmt: skip


@settings_app.command("show")
def settings_show(ctx: typer.Context, fmt: FormatOption = Format.json) -> None:
    """Print the settings in force (the statement's content and the retention policy).

    Example: lautex settings show
    """
    from lautex_registry.platform.settings import all_settings

    with open_workspace(ctx) as ws:
        emit_record(all_settings(ws.conn), fmt)
