"""`lautex logout`: end the session with this register."""

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.output import say
from lautex_registry.platform.errors import t

COMMAND = "logout"


def register(app: typer.Typer) -> None:
    app.command(COMMAND)(logout)


def logout(ctx: typer.Context) -> None:
    """End this register's session and forget its token.

    Example: lautex logout
    """
    from lautex_registry.platform import sessions
    from lautex_registry.platform.identity import register_id

    with open_workspace(ctx) as ws:
        with ws.writing():
            sessions.end_session(ws.conn, ws.user, ws.token)
        sessions.forget_session_token(register_id(ws.conn))
    say(t("logged out"))
