"""`lautex init`: a new register with its first admin account."""

from typing import Annotated

import typer

from lautex_registry.cli.context import db_path_of
from lautex_registry.cli.output import say
from lautex_registry.cli.params import PasswordStdin
from lautex_registry.cli.prompts import read_password
from lautex_registry.platform.errors import t

COMMAND = "init"


def register(app: typer.Typer) -> None:
    app.command(COMMAND)(init)


def init(
    ctx: typer.Context,
    admin: Annotated[str, typer.Option("--admin", help="Username of the first admin.")],
    full_name: Annotated[str, typer.Option("--full-name", help="The admin's full name.")],
    settings_file: Annotated[
        str | None,
        typer.Option("--settings", help="Settings TOML (default: data/register.toml, if present)."),
    ] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a new register with its first admin account.

    Example: lautex init --admin hannu --full-name "Hannu Piispa"
    """
    from pathlib import Path

    from lautex_registry.platform.settings import load_settings_file
    from lautex_registry.setup.new_register import create_register

    path = db_path_of(ctx)
    settings, origin = load_settings_file(Path(settings_file) if settings_file else None)
    password = read_password(from_stdin=password_stdin, confirm=True)
    create_register(
        path,
        admin_username=admin,
        admin_full_name=full_name,
        admin_password=password,
        settings=settings,
    )
    say(t("created the register {path} (settings from {origin}); admin {admin!r}", path=path,
          origin=origin, admin=admin))  # fmt: skip
    say(t("next: lautex login {admin}", admin=admin))
