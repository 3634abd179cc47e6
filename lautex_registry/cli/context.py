"""Opening the register for a command: the file, the schema, the user and the permission.

Permission is enforced here and nowhere else: the command's path ("customer add")
is looked up in lautex_registry.platform.permissions.PERMISSIONS.
"""

import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import typer

from lautex_registry.platform import accounts, audit, sessions
from lautex_registry.platform.db import connect, transaction
from lautex_registry.platform.errors import AuthError, t
from lautex_registry.platform.identity import register_id
from lautex_registry.platform.migrations import require_current
from lautex_registry.platform.permissions import allowed
from lautex_registry.platform.register_location import RegisterLocation, locate_register
from lautex_registry.platform.sqlite import sqlite3

_Row = TypeVar("_Row")


@dataclass(frozen=True)
class Workspace:
    """What a command works with: the open register and the authenticated user."""

    conn: sqlite3.Connection
    user: accounts.User
    db_path: Path
    token: str

    @property
    def actor(self) -> audit.Actor:
        return self.user.actor

    def writing(self) -> AbstractContextManager[sqlite3.Connection]:
        """The command's write transaction (BEGIN IMMEDIATE, docs/rules.md §3): its writes
        and their audit rows commit together or not at all. For a command that reads or
        asks first; a command that only writes opens its workspace with `write=True`."""
        return transaction(self.conn)

    def audit_handout(
        self,
        action: str,
        entity: str,
        entity_id: int | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        """Audit personal data a read command handed out (who, what, how many rows).

        Its own short transaction after the read: a list streams without holding the
        write lock, and its count is known only once the rows are out. A list reserves
        this row first with `reserved_handout`.
        """
        with transaction(self.conn):
            audit.record(self.conn, self.actor, action, entity, entity_id, details)

    def reserved_handout(
        self, rows: Iterable[_Row], action: str, entity: str, details: Mapping[str, Any]
    ) -> "Handout[_Row]":
        """The rows of a list of personal data, audited before the first one leaves."""
        return Handout(self, rows, action, entity, details)

    def _reserve_handout(
        self, rows: Iterator[_Row], action: str, entity: str, details: Mapping[str, Any]
    ) -> tuple[_Row] | tuple[()]:
        """The first row, read under the write lock with the `<action> started` row
        committed; nothing for an empty list, which reserves nothing.

        The lock is asked for before the read: BEGIN IMMEDIATE waits out another writer
        for the busy timeout only while this connection has no read open. A bad filter
        fails here with nothing written; a busy register (exit 6) or one the machine will
        not let us write (exit 7) fails here, before any row is handed out.
        """
        with transaction(self.conn):
            for first in rows:
                audit.record(self.conn, self.actor, f"{action} started", entity, None, details)
                return (first,)
        return ()


class Handout(Generic[_Row]):
    """A list's rows, with its audit reserved before the first row leaves.

    The first row is read and an `<action> started` row committed in one write
    transaction, then the rows go out (the read goes on after the commit);
    `audit_handout` (or the list's own audit) adds the count once they are out, or once
    the reader of a pipe stopped. GDPR Art. 5(2): when the audit row cannot be written
    (busy: exit 6; read-only: exit 7) nothing is handed out, and `refused` says there is
    nothing to count. An empty list hands out nothing and reserves nothing.
    """

    def __init__(
        self,
        ws: Workspace,
        rows: Iterable[_Row],
        action: str,
        entity: str,
        details: Mapping[str, Any],
    ) -> None:
        self.ws, self.rows, self.action, self.entity = ws, rows, action, entity
        self.details = details
        self.refused = False

    def __iter__(self) -> Iterator[_Row]:
        remaining = iter(self.rows)
        try:
            first = self.ws._reserve_handout(remaining, self.action, self.entity, self.details)
        except BaseException:
            self.refused = True
            raise
        yield from first
        yield from remaining


def command_action(ctx: typer.Context) -> str:
    """The command's path without the program name, e.g. "customer add"."""
    names = []
    current: Any = ctx
    while current is not None and current.parent is not None:
        names.append(current.info_name or "")
        current = current.parent
    return " ".join(reversed(names))


def register_location(ctx: typer.Context) -> RegisterLocation:
    """Where the register is: --db, $LAUTEX_DB, the config file or the default."""
    return locate_register(ctx.find_root().params.get("db"))


def db_path_of(ctx: typer.Context) -> Path:
    return register_location(ctx).path


def existing_register(ctx: typer.Context) -> Path:
    """The register's path, or exit 3 saying where lautex looked and how to point elsewhere."""
    return register_location(ctx).require_existing()


def current_token(conn: sqlite3.Connection) -> tuple[str, str | None]:
    """The token and where it came from: LAUTEX_TOKEN, else the file LAUTEX_TOKEN_FILE
    names (for cron: the token stays out of the crontab), else the session file written by
    `lautex login` (source None)."""
    env = os.environ.get("LAUTEX_TOKEN")
    if env:
        return env.strip(), "LAUTEX_TOKEN"
    token_file = os.environ.get("LAUTEX_TOKEN_FILE")
    if token_file:
        return sessions.read_token_file(token_file), f"LAUTEX_TOKEN_FILE ({token_file})"
    token = sessions.read_session_token(register_id(conn))
    if token is None:
        raise AuthError(
            t("not logged in: run `lautex login` (scripts and cron: set LAUTEX_TOKEN_FILE)")
        )
    return token, None


@contextmanager
def open_workspace(
    ctx: typer.Context,
    *,
    write: bool = False,
    check_schema: bool = True,
    action: str | None = None,
) -> Iterator[Workspace]:
    """Open the register, authenticate, and check that the role may run this command.

    With `write=True` the whole command runs in one write transaction, opened once the
    user may run it: everything it changes, audit rows included, commits together when
    the command ends, and nothing is left when it fails.
    """
    path = existing_register(ctx)
    conn = connect(path)
    try:
        if check_schema:
            require_current(conn)
        token, source = current_token(conn)
        try:
            user = sessions.authenticate(conn, token)
        except AuthError as exc:
            # A script cannot log in: say what its owner can do instead.
            if source is None or "disabled" in str(exc):
                raise
            raise sessions.service_token_refused(source) from exc
        # `action`: a command that does two things of different rights names the one it does.
        action = action or command_action(ctx)
        if not allowed(user.role, action):
            raise AuthError(
                t("the {role} role may not run `lautex {action}`", role=user.role, action=action)
            )
        workspace = Workspace(conn, user, path, token)
        if write:
            with workspace.writing():
                yield workspace
        else:
            yield workspace
    finally:
        conn.close()
