"""`lautex login`: start a session on this machine."""

from typing import Annotated

import typer

from lautex_registry.cli.context import existing_register
from lautex_registry.cli.output import say
from lautex_registry.cli.params import PasswordStdin
from lautex_registry.cli.prompts import read_password
from lautex_registry.platform.errors import t

COMMAND = "login"


def register(app: typer.Typer) -> None:
    app.command(COMMAND)(login)


def login(
    ctx: typer.Context,
    username: Annotated[
        str | None, typer.Argument(help="Username (default: $USER).", show_default=False)
    ] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Log in: start an 8-hour session for this register.

    Example: lautex login hannu
    """
    import getpass

    from lautex_registry.platform import sessions
    from lautex_registry.platform.identity import register_id
    from lautex_registry.platform.register_file import open_register

    name = username or getpass.getuser()
    conn = open_register(existing_register(ctx))
    try:
        password = read_password(from_stdin=password_stdin, confirm=False)
        where = register_id(conn)
        user, _token = sessions.login(
            conn, name, password, keep_token=lambda token: sessions.save_session_token(where, token)
        )
    finally:
        conn.close()
    say(t("logged in as {username} ({role}) for 8 hours", username=user.username, role=user.role))
