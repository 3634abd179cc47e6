"""Ways in: login sessions, the session file that keeps their token, and service tokens.

Who the users are and how their passwords are checked is `accounts.py`. Session and
service tokens are random and stored only as SHA-256 hashes (they carry 256 bits of
entropy, so a fast hash is enough and a lookup stays cheap).
"""

import hashlib
import os
import secrets
import stat
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from lautex_registry.platform import accounts, audit, clock
from lautex_registry.platform.accounts import User
from lautex_registry.platform.db import transaction
from lautex_registry.platform.errors import AuthError, InvalidInput, NotFound, os_reason, t
from lautex_registry.platform.sqlite import sqlite3

SESSION_LIFETIME = timedelta(hours=8)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(
    conn: sqlite3.Connection,
    username: str,
    password: str,
    keep_token: Callable[[str], object] | None = None,
) -> tuple[User, str]:
    """Check the password (accounts.check_login) and start an 8-hour session; return the
    session token.

    `keep_token` (the session file) runs before the session is committed: a token
    that cannot be kept leaves no session and no audit row behind.
    """
    now = clock.real_now()
    user = accounts.check_login(conn, username, password, now)
    token = "lxs_" + secrets.token_urlsafe(32)
    with transaction(conn):
        accounts.clear_failed_logins(conn, user.id)
        conn.execute(
            """INSERT INTO sessions (user_id, token_hash, created_at, expires_at)
               VALUES (?, ?, ?, ?)""",
            (
                user.id,
                _token_hash(token),
                clock.utc_text(now),
                clock.utc_text(now + SESSION_LIFETIME),
            ),
        )
        audit.record(conn, user.actor, "login", "user", user.id)
        if keep_token is not None:
            keep_token(token)
    return user, token


def authenticate(conn: sqlite3.Connection, token: str) -> User:
    """The user a session token or service token belongs to, or AuthError."""
    digest = _token_hash(token)
    now = clock.utc_text(clock.real_now())
    row = conn.execute(
        """SELECT u.* FROM sessions s JOIN users u ON u.id = s.user_id
           WHERE s.token_hash = ? AND s.ended_at IS NULL AND s.expires_at > ?""",
        (digest, now),
    ).fetchone()
    if row is None:
        row = conn.execute("SELECT * FROM users WHERE service_token_hash = ?", (digest,)).fetchone()
    if row is None:
        raise AuthError(t("the session has expired or the token is not valid: run `lautex login`"))
    accounts.refuse_disabled(row)
    return accounts.user_from_row(row)


def end_session(conn: sqlite3.Connection, user: User, token: str) -> bool:
    cursor = conn.execute(
        "UPDATE sessions SET ended_at = ? WHERE token_hash = ? AND ended_at IS NULL",
        (clock.utc_text(clock.real_now()), _token_hash(token)),
    )
    if cursor.rowcount:
        audit.record(conn, user.actor, "logout", "user", user.id)
    return cursor.rowcount > 0


# --- service tokens: for scripts and cron, kept with the account ---------------------------


def issue_service_token(conn: sqlite3.Connection, actor: audit.Actor, username: str) -> str:
    """A new service token for scripts and cron; replaces the previous one. Shown once."""
    row = accounts.get_user(conn, username)
    accounts.refuse_disabled(row)
    token = "lxt_" + secrets.token_urlsafe(32)
    conn.execute(
        "UPDATE users SET service_token_hash = ?, service_token_created_at = ? WHERE id = ?",
        (_token_hash(token), clock.utc_text(clock.real_now()), row["id"]),
    )
    audit.record(conn, actor, "user token", "user", row["id"])
    return token


def revoke_service_token(conn: sqlite3.Connection, actor: audit.Actor, username: str) -> None:
    row = accounts.get_user(conn, username)
    if row["service_token_hash"] is None:
        raise NotFound(t("user {username!r} has no service token", username=username))
    conn.execute(
        "UPDATE users SET service_token_hash = NULL, service_token_created_at = NULL WHERE id = ?",
        (row["id"],),
    )
    audit.record(conn, actor, "user revoke-token", "user", row["id"])


# --- the session file ---------------------------------------------------------------------


def lautex_home() -> Path:
    """LAUTEX_HOME, else the user's state directory (e.g. ~/.local/state/lautex)."""
    env = os.environ.get("LAUTEX_HOME")
    if env:
        return Path(env)
    from platformdirs import user_state_path

    return user_state_path("lautex")


def session_file(register_id: str) -> Path:
    return lautex_home() / "sessions" / f"{register_id}.token"


def _cannot_keep(path: Path, reason: str) -> InvalidInput:
    return InvalidInput(
        t("LAUTEX_HOME: cannot keep the session file in {path}: {reason}", path=path, reason=reason)
    )


def _private_folder(path: Path, *, may_be_link: bool) -> None:
    """A folder only its owner may enter (0700): a wider mode of ours is narrowed; a
    symlink (where not allowed) or someone else's folder is refused, since whoever
    controls it could read session tokens or plant files."""
    if not may_be_link and path.is_symlink():
        raise _cannot_keep(path, "it is a symbolic link")
    if not path.is_dir():
        raise _cannot_keep(path, "it is not a folder")
    info = os.stat(path)
    if info.st_uid != os.getuid():
        raise _cannot_keep(path, "it belongs to another user")
    if stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(path, 0o700)


def save_session_token(register_id: str, token: str) -> Path:
    """Keep the token in a file only its owner can read (mode 0600), one per register.

    Written to a new temp file of a random name (created exclusively and never through
    a link: someone may have planted one to catch the token), its mode set on the open
    descriptor, forced to disk, then renamed over the old session file. A login killed
    or run twice at once leaves at most a stray temp file, never one in the way.
    """
    from lautex_registry.platform.output_files import PendingOutput, create_private_folder

    path = session_file(register_id)
    create_private_folder(path.parent, "LAUTEX_HOME")
    _private_folder(lautex_home(), may_be_link=True)  # a home moved elsewhere by a link is fine
    _private_folder(path.parent, may_be_link=False)
    pending = PendingOutput(path, force=True, field="LAUTEX_HOME")
    try:
        try:
            with pending.open("w") as handle:
                handle.write(token + "\n")
        except OSError as exc:
            raise pending.cannot_write(exc) from exc
        pending.publish()
    finally:
        pending.discard()
    return path


def read_session_token(register_id: str) -> str | None:
    """The token `lautex login` kept, read only from folders that are private (0700)."""
    path = session_file(register_id)
    if path.parent.exists() or path.parent.is_symlink():
        _private_folder(lautex_home(), may_be_link=True)
        _private_folder(path.parent, may_be_link=False)  # else another user plants a session
    try:
        return path.read_text().strip() or None
    except FileNotFoundError:
        return None


def forget_session_token(register_id: str) -> None:
    session_file(register_id).unlink(missing_ok=True)


# --- the token a command runs with: LAUTEX_TOKEN, LAUTEX_TOKEN_FILE or the session file -----


def read_token_file(path_text: str) -> str:
    """The service token kept in `path_text` (LAUTEX_TOKEN_FILE), so it never stands in a
    crontab or a process list. Like the session file, it must be the owner's alone: a
    file that group or others may read is refused, not read."""
    path = Path(path_text)
    field = "LAUTEX_TOKEN_FILE"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except FileNotFoundError as exc:
        raise InvalidInput(t("{field}: no file at {path}", field=field, path=path)) from exc
    except OSError as exc:
        raise InvalidInput(
            t(
                "{field}: cannot read {path}: {value}",
                field=field,
                path=path,
                value=os_reason(exc),
            )
        ) from exc
    # Checked on the descriptor before a file object is made of it: Python refuses to
    # open a folder as one (IsADirectoryError), and the user should hear why, in one line.
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise InvalidInput(t("{field}: {path} is not a regular file", field=field, path=path))
    with os.fdopen(fd, "rb") as handle:
        if info.st_mode & 0o077:
            mode = stat.S_IMODE(info.st_mode)
            raise InvalidInput(
                t(
                    "{field}: {path} may be read by others (mode {mode:04o}): `chmod 600 "
                    "{path}` and issue a new token (`lautex user token NAME`)",
                    field=field,
                    path=path,
                    mode=mode,
                )
            )
        data = handle.read(4096)
    token = data.decode("utf-8", "replace").strip()
    if not token or any(ch.isspace() for ch in token):
        raise InvalidInput(
            t("{field}: {path} does not hold one token on one line", field=field, path=path)
        )
    return token


def service_token_refused(source: str) -> AuthError:
    """What a script or cron job can do about a token that is not (or no longer) valid."""
    return AuthError(
        t(
            "the service token in {source} is not valid (revoked, replaced by a "
            "newer one, or its account disabled): an admin issues a new one with "
            "`lautex user token USERNAME` and puts it in {source}",
            source=source,
        )
    )
