"""`lautex config`: which register lautex uses, why, and saving it in the user's config file."""

from typing import Annotated

import typer

from lautex_registry.cli.context import register_location
from lautex_registry.cli.output import Format, FormatOption, emit_record, say
from lautex_registry.platform.errors import t

COMMAND = "config"


def register(app: typer.Typer) -> None:
    app.command(COMMAND)(config)


def config(
    ctx: typer.Context,
    save: Annotated[
        bool,
        typer.Option(
            "--save",
            help="Name the register in use (from --db or $LAUTEX_DB) in the config file, so "
            "lautex finds it from any folder.",
        ),
    ] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Show which register lautex uses and why; --save names it for every folder.

    The register is --db, else $LAUTEX_DB, else `db` in $XDG_CONFIG_HOME/lautex/config.toml
    (~/.config/lautex/config.toml), else data/lautex.db.

    Example: lautex --db /srv/lautex/data/lautex.db config --save
    """
    from lautex_registry.platform.register_location import save_register

    location = register_location(ctx)
    if save:
        written = save_register(location.path)
        say(t("saved: lautex now uses {path} unless --db or $LAUTEX_DB says otherwise ({file})",
              path=location.path.resolve(), file=written))  # fmt: skip
        location = register_location(ctx)
    emit_record(
        {
            "register": str(location.path),
            "exists": location.path.is_file(),
            "from": location.source,
            "config_file": str(location.config),
            "config_file_exists": location.config.is_file(),
        },
        fmt,
    )
