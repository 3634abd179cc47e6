"""The `user` group: personal accounts and their service tokens."""

from typing import Annotated

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.help_text import LautexTyper
from lautex_registry.cli.output import Format, FormatOption, emit_rows, pick_fields, say
from lautex_registry.cli.params import (
    ROLES,
    LimitOption,
    PasswordStdin,
    Username,
    YesUnneeded,
    choice_option,
    fields_option,
)
from lautex_registry.cli.prompts import read_password
from lautex_registry.platform.errors import t
from lautex_registry.platform.i18n import gettext

COMMAND = "user"

user_app = LautexTyper(help="Personal accounts: add, list, disable, tokens.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name=COMMAND)


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    username: Username,
    full_name: Annotated[str, typer.Option("--full-name", help="The person's full name.")],
    role: Annotated[
        str, choice_option("--role", field="role", values=ROLES, help="What the account may do.")
    ],
    password_stdin: PasswordStdin = False,
) -> None:
    """Add a personal account (system accounts are for jobs and use tokens only).

    Example: lautex user add maija --full-name "Maija Äijälä" --role clerk
    """
    from lautex_registry.platform import accounts
    from lautex_registry.platform.permissions import SYSTEM

    with open_workspace(ctx) as ws:
        accounts.check_account_fields(username, full_name, role)
        password = None
        if role != SYSTEM:
            password = read_password(from_stdin=password_stdin, confirm=True)
        with ws.writing():
            accounts.add_user(ws.conn, ws.actor, username, full_name, role, password)
    say(t("added {role} {username!r}", role=role, username=username))


# `user list --fields` (accounts.list_users gives these; tests/test_output_rules.py keeps
# them equal).
FIELDS = ("username", "full_name", "role", "disabled", "locked_until", "has_service_token",
          "created_at")  # fmt: skip
Fields = Annotated[str | None, fields_option(FIELDS, FIELDS)]


@user_app.command("list")
def user_list(
    ctx: typer.Context,
    limit: LimitOption = None,
    fields: Fields = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List the accounts.

    Example: lautex user list --format csv
    """
    from lautex_registry.platform import accounts

    with open_workspace(ctx) as ws:
        columns = pick_fields(fields, FIELDS, FIELDS)
        emit_rows(accounts.list_users(ws.conn), fmt, columns, limit=limit)


@user_app.command("passwd")
def user_passwd(
    ctx: typer.Context,
    username: Annotated[
        str | None, typer.Argument(help="Whose password (default: yours).", show_default=False)
    ] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Change a password (your own; an admin may change anyone's).

    Example: lautex user passwd
    """
    from lautex_registry.platform import accounts
    from lautex_registry.platform.errors import AuthError
    from lautex_registry.platform.permissions import ADMIN

    with open_workspace(ctx) as ws:
        target = username or ws.user.username
        if target != ws.user.username and ws.user.role != ADMIN:
            raise AuthError(t("only an admin may change another user's password"))
        password = read_password(
            from_stdin=password_stdin, confirm=True, prompt=gettext("New password")
        )
        with ws.writing():
            accounts.change_password(ws.conn, ws.actor, target, password)
    say(t("password changed for {username!r}; their other sessions have ended", username=target))


@user_app.command("disable")
def user_disable(
    ctx: typer.Context,
    username: Username,
    yes: YesUnneeded = False,
) -> None:
    """Disable an account: its sessions end and its service token is revoked.

    Reversible (`user enable`, then `user token` for a new token), so it does not ask
    (README "Conventions": which commands confirm).

    Example: lautex user disable maija
    """
    from lautex_registry.platform import accounts

    with open_workspace(ctx) as ws:
        accounts.get_user(ws.conn, username)
        with ws.writing():
            accounts.set_disabled(ws.conn, ws.actor, username, True)
    say(
        t(
            "disabled {username!r}: sessions ended, service token revoked;"
            " undo: lautex user enable",
            username=username,
        )
    )


@user_app.command("enable")
def user_enable(ctx: typer.Context, username: Username) -> None:
    """Enable a disabled (or locked) account again.

    Example: lautex user enable maija
    """
    from lautex_registry.platform import accounts

    with open_workspace(ctx, write=True) as ws:
        accounts.set_disabled(ws.conn, ws.actor, username, False)
    say(t("enabled {username!r}", username=username))


@user_app.command("token")
def user_token(ctx: typer.Context, username: Username) -> None:
    """Print a new service token for scripts and cron (shown once; replaces the old one).

    Example: LAUTEX_TOKEN=$(lautex user token retention-bot)
    """
    from lautex_registry.platform import sessions

    with open_workspace(ctx) as ws:
        with ws.writing():
            token = sessions.issue_service_token(ws.conn, ws.actor, username)
        typer.echo(token)
    say(t("keep this token secret: it is shown only once; use it as LAUTEX_TOKEN"))


@user_app.command("revoke-token")
def user_revoke_token(ctx: typer.Context, username: Username) -> None:
    """Revoke a user's service token.

    Example: lautex user revoke-token retention-bot
    """
    from lautex_registry.platform import sessions

    with open_workspace(ctx, write=True) as ws:
        sessions.revoke_service_token(ws.conn, ws.actor, username)
    say(t("revoked the service token of {username!r}", username=username))
