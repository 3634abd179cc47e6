"""init, login, logout, whoami and the `user` group."""

from typing import Annotated

import typer

from lautex_registry.cli.context import db_path_of, open_workspace
from lautex_registry.cli.output import Format, FormatOption, emit_record, emit_rows, say
from lautex_registry.cli.prompts import PasswordStdinHelp, read_password

user_app = typer.Typer(help="Personal accounts: add, list, disable, tokens.", no_args_is_help=True)

PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help=PasswordStdinHelp)]
Username = Annotated[str, typer.Argument(help="The account's username.", show_default=False)]


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("login")(login)
    app.command("logout")(logout)
    app.command("whoami")(whoami)
    app.add_typer(user_app, name="user")


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
    say(f"created the register {path} (settings from {origin}); admin {admin!r}")
    say("next: lautex login " + admin)


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
    conn = open_register(db_path_of(ctx))
    try:
        password = read_password(from_stdin=password_stdin, confirm=False)
        where = register_id(conn)
        user, _token = sessions.login(
            conn, name, password, keep_token=lambda token: sessions.save_session_token(where, token)
        )
    finally:
        conn.close()
    say(f"logged in as {user.username} ({user.role}) for 8 hours")


def logout(ctx: typer.Context) -> None:
    """End this register's session and forget its token.

    Example: lautex logout
    """
    from lautex_registry.platform import sessions
    from lautex_registry.platform.db import transaction
    from lautex_registry.platform.identity import register_id

    with open_workspace(ctx) as ws:
        with transaction(ws.conn):
            sessions.end_session(ws.conn, ws.user, ws.token)
        sessions.forget_session_token(register_id(ws.conn))
    say("logged out")


def whoami(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """Show who you are logged in as.

    Example: lautex whoami --format json
    """
    with open_workspace(ctx) as ws:
        emit_record(
            {"username": ws.user.username, "full_name": ws.user.full_name, "role": ws.user.role},
            fmt,
        )


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    username: Username,
    full_name: Annotated[str, typer.Option("--full-name", help="The person's full name.")],
    role: Annotated[str, typer.Option("--role", help="admin, clerk, auditor or system.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Add a personal account (system accounts are for jobs and use tokens only).

    Example: lautex user add maija --full-name "Maija Äijälä" --role clerk
    """
    from lautex_registry.platform import accounts
    from lautex_registry.platform.db import transaction
    from lautex_registry.platform.permissions import SYSTEM

    with open_workspace(ctx) as ws:
        accounts.check_account_fields(username, full_name, role)
        password = None
        if role != SYSTEM:
            password = read_password(from_stdin=password_stdin, confirm=True)
        with transaction(ws.conn):
            accounts.add_user(ws.conn, ws.actor, username, full_name, role, password)
    say(f"added {role} {username!r}")


@user_app.command("list")
def user_list(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """List the accounts.

    Example: lautex user list --format csv
    """
    from lautex_registry.platform import accounts

    with open_workspace(ctx) as ws:
        emit_rows(accounts.list_users(ws.conn), fmt)


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
    from lautex_registry.platform.db import transaction
    from lautex_registry.platform.errors import AuthError
    from lautex_registry.platform.permissions import ADMIN

    with open_workspace(ctx) as ws:
        target = username or ws.user.username
        if target != ws.user.username and ws.user.role != ADMIN:
            raise AuthError("only an admin may change another user's password")
        password = read_password(from_stdin=password_stdin, confirm=True, prompt="New password")
        with transaction(ws.conn):
            accounts.change_password(ws.conn, ws.actor, target, password)
    say(f"password changed for {target!r}; their other sessions have ended")


@user_app.command("disable")
def user_disable(
    ctx: typer.Context,
    username: Username,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Disable an account: its sessions end and its service token is revoked for good.

    Example: lautex user disable maija --yes
    """
    from lautex_registry.cli.prompts import confirm_or_abort
    from lautex_registry.platform import accounts
    from lautex_registry.platform.db import transaction

    with open_workspace(ctx) as ws:
        accounts.get_user(ws.conn, username)
        say(f"this disables {username!r}, ends their sessions and revokes their service token")
        confirm_or_abort("Disable the account?", assume_yes=yes)
        with transaction(ws.conn):
            accounts.set_disabled(ws.conn, ws.actor, username, True)
    say(f"disabled {username!r}")


@user_app.command("enable")
def user_enable(ctx: typer.Context, username: Username) -> None:
    """Enable a disabled (or locked) account again.

    Example: lautex user enable maija
    """
    from lautex_registry.platform import accounts
    from lautex_registry.platform.db import transaction

    with open_workspace(ctx) as ws, transaction(ws.conn):
        accounts.set_disabled(ws.conn, ws.actor, username, False)
    say(f"enabled {username!r}")


@user_app.command("token")
def user_token(ctx: typer.Context, username: Username) -> None:
    """Print a new service token for scripts and cron (shown once; replaces the old one).

    Example: LAUTEX_TOKEN=$(lautex user token retention-bot)
    """
    from lautex_registry.platform import sessions
    from lautex_registry.platform.db import transaction

    with open_workspace(ctx) as ws:
        with transaction(ws.conn):
            token = sessions.issue_service_token(ws.conn, ws.actor, username)
        typer.echo(token)
    say("keep this token secret: it is shown only once; use it as LAUTEX_TOKEN")


@user_app.command("revoke-token")
def user_revoke_token(ctx: typer.Context, username: Username) -> None:
    """Revoke a user's service token.

    Example: lautex user revoke-token retention-bot
    """
    from lautex_registry.platform import sessions
    from lautex_registry.platform.db import transaction

    with open_workspace(ctx) as ws, transaction(ws.conn):
        sessions.revoke_service_token(ws.conn, ws.actor, username)
    say(f"revoked the service token of {username!r}")
