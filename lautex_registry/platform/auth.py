"""Personal accounts, passwords, sessions and service tokens.

The privacy statement (docs/privacy-statement.md P7): every user of the electronic register has a
personal
username and password. Passwords are hashed with argon2id; session and service
tokens are random and stored only as SHA-256 hashes (they carry 256 bits of
entropy, so a fast hash is enough and a lookup stays cheap).
"""

import hashlib
import os
import re
import secrets
import sqlite3
import stat
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from lautex_registry.platform import audit, clock, validation
from lautex_registry.platform.errors import AuthError, Conflict, InvalidInput, NotFound
from lautex_registry.platform.permissions import ROLES, SYSTEM

MIN_PASSWORD_LENGTH = 12
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=8)
USERNAME_PATTERN = re.compile(r"^[a-z][a-z0-9._-]{1,31}$")

# argon2-cffi's defaults (RFC 9106 low-memory profile); tests lower the cost.
ARGON2_PARAMS: dict[str, Any] = {}


@dataclass(frozen=True)
class User:
    id: int
    username: str
    full_name: str
    role: str

    @property
    def actor(self) -> audit.Actor:
        return audit.Actor(self.id, self.username)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _hasher() -> Any:
    from argon2 import PasswordHasher  # heavy: loaded only when a password is handled

    return PasswordHasher(**ARGON2_PARAMS)


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password: at least {MIN_PASSWORD_LENGTH} characters are required")


def hash_password(password: str) -> str:
    check_password_rules(password)
    return str(_hasher().hash(password))


# An argon2id hash of no one's password, with argon2-cffi's default parameters: a failed
# login for an unknown, disabled, locked or system account is checked against it, so every
# failed path costs one hash verification and the time taken does not tell usernames apart.
_DEFAULT_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$8pwmV0s0CFULXk1GYj0QsA$"
    "Ey6VzjNyCaiLvwFwroAIbZjdal6wpyh7MBamhGrDdrE"
)
_dummy_hashes: dict[tuple[tuple[str, Any], ...], str] = {}


def _dummy_hash() -> str:
    """The dummy hash made with the parameters in force (tests lower the cost)."""
    if not ARGON2_PARAMS:
        return _DEFAULT_DUMMY_HASH
    key = tuple(sorted(ARGON2_PARAMS.items()))
    if key not in _dummy_hashes:
        _dummy_hashes[key] = str(_hasher().hash(secrets.token_urlsafe(16)))
    return _dummy_hashes[key]


def _password_matches(stored_hash: str, password: str) -> bool:
    from argon2.exceptions import VerificationError, VerifyMismatchError

    try:
        return bool(_hasher().verify(stored_hash, password))
    except (VerifyMismatchError, VerificationError):
        return False


def _user_from_row(row: sqlite3.Row) -> User:
    return User(row["id"], row["username"], row["full_name"], row["role"])


def get_user(conn: sqlite3.Connection, username: str) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM users WHERE username = ?", (username,)
    ).fetchone()
    if row is None:
        raise NotFound(f"no user named {username!r}")
    return row


def check_account_fields(username: str, full_name: str, role: str) -> None:
    """Refuse a bad username, role or name before anyone is asked for a password."""
    if not USERNAME_PATTERN.match(username):
        raise InvalidInput(
            "username: 2-32 characters, lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter"
        )
    role = validation.choice(role, ROLES, "role")
    if not full_name.strip():
        raise InvalidInput("full name: every account belongs to a named person or job")
    validation.required_text(full_name, "full name")


def add_user(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    username: str,
    full_name: str,
    role: str,
    password: str | None,
) -> User:
    """Create an account; call inside a transaction (checked). `system` accounts have no
    password."""
    check_account_fields(username, full_name, role)
    if role == SYSTEM:
        password_hash = None  # jobs authenticate with service tokens only
    else:
        if password is None:
            raise InvalidInput("password: required for a personal account")
        password_hash = hash_password(password)
    if conn.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
        raise Conflict(f"a user named {username!r} already exists")
    cursor = conn.execute(
        """INSERT INTO users (username, full_name, role, password_hash, created_at)
           VALUES (?, ?, ?, ?, ?)""",
        (username, full_name.strip(), role, password_hash, clock.utc_text(clock.real_now())),
    )
    user_id = int(cursor.lastrowid or 0)
    audit.record(conn, actor, "user add", "user", user_id, {"role": role})
    return User(user_id, username, full_name.strip(), role)


def list_users(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [
        {
            "username": row["username"],
            "full_name": row["full_name"],
            "role": row["role"],
            "disabled": row["disabled_at"] is not None,
            "locked_until": row["locked_until"],
            "has_service_token": row["service_token_hash"] is not None,
            "created_at": row["created_at"],
        }
        for row in conn.execute("SELECT * FROM users ORDER BY username")
    ]


def _refuse_unusable(row: sqlite3.Row) -> None:
    if row["disabled_at"] is not None:
        raise AuthError(f"user {row['username']!r} is disabled")


def _refuse_login(row: sqlite3.Row | None, now: datetime) -> AuthError | None:
    """Why this account may not log in at all, or None if its password decides."""
    if row is None:
        return AuthError("wrong username or password")
    if row["disabled_at"] is not None:
        return AuthError(f"user {row['username']!r} is disabled")
    if row["role"] == SYSTEM:
        return AuthError("system accounts cannot log in: use a service token (LAUTEX_TOKEN)")
    if row["locked_until"] and clock.parse_utc_text(row["locked_until"]) > now:
        return AuthError(
            f"account {row['username']!r} is locked after {MAX_FAILED_LOGINS} wrong passwords "
            f"until {row['locked_until']}"
        )
    return None


def _count_wrong_password(conn: sqlite3.Connection, row: sqlite3.Row, now: datetime) -> None:
    failures = int(row["failed_logins"]) + 1
    locked_until = clock.utc_text(now + LOCKOUT) if failures >= MAX_FAILED_LOGINS else None
    conn.execute(
        "UPDATE users SET failed_logins = ?, locked_until = ? WHERE id = ?",
        (0 if locked_until else failures, locked_until, row["id"]),
    )
    audit.record(
        conn,
        audit.Actor(row["id"], row["username"]),
        "login failed",
        "user",
        row["id"],
        {"locked": locked_until is not None},
    )


def login(
    conn: sqlite3.Connection,
    username: str,
    password: str,
    keep_token: Callable[[str], object] | None = None,
) -> tuple[User, str]:
    """Check the password and start an 8-hour session; return the session token.

    Five wrong passwords in a row lock the account for 15 minutes. The failure
    count is committed even though the login fails: that is the point of it.
    `keep_token` (the session file) runs before the session is committed: a token
    that cannot be kept leaves no session and no audit row behind.
    """
    from lautex_registry.platform.db import transaction

    with transaction(conn):
        row = conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
        now = clock.real_now()
        refusal = _refuse_login(row, now)
        # Every failed path costs one verification: the time does not tell usernames apart.
        stored = row["password_hash"] if refusal is None else None
        ok = _password_matches(stored or _dummy_hash(), password) and stored is not None
        if refusal is None and not ok:
            _count_wrong_password(conn, row, now)
    if refusal is not None:
        raise refusal
    if not ok:
        raise AuthError("wrong username or password")
    user = _user_from_row(row)
    token = "lxs_" + secrets.token_urlsafe(32)
    with transaction(conn):
        conn.execute(
            "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?", (user.id,)
        )
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
        raise AuthError("the session has expired or the token is not valid: run `lautex login`")
    _refuse_unusable(row)
    return _user_from_row(row)


def end_session(conn: sqlite3.Connection, user: User, token: str) -> bool:
    cursor = conn.execute(
        "UPDATE sessions SET ended_at = ? WHERE token_hash = ? AND ended_at IS NULL",
        (clock.utc_text(clock.real_now()), _token_hash(token)),
    )
    if cursor.rowcount:
        audit.record(conn, user.actor, "logout", "user", user.id)
    return cursor.rowcount > 0


def change_password(
    conn: sqlite3.Connection, actor: audit.Actor, username: str, password: str
) -> None:
    row = get_user(conn, username)
    if row["role"] == SYSTEM:
        raise InvalidInput("system accounts have no password: they use service tokens")
    conn.execute(
        "UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL WHERE id = ?",
        (hash_password(password), row["id"]),
    )
    # Other sessions of this user end: a password change is often a response to a leak.
    conn.execute(
        "UPDATE sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL",
        (clock.utc_text(clock.real_now()), row["id"]),
    )
    audit.record(conn, actor, "user passwd", "user", row["id"])


def set_disabled(
    conn: sqlite3.Connection, actor: audit.Actor, username: str, disabled: bool
) -> None:
    row = get_user(conn, username)
    if disabled and row["id"] == actor.user_id:
        raise InvalidInput("you cannot disable your own account")
    details: dict[str, Any] = {}
    if disabled:
        now = clock.utc_text(clock.real_now())
        # Disabling ends every way in: sessions and the service token, which an `enable`
        # must not bring back (issue a new one with `user token`).
        conn.execute(
            "UPDATE users SET disabled_at = ?, service_token_hash = NULL, "
            "service_token_created_at = NULL WHERE id = ?",
            (now, row["id"]),
        )
        conn.execute(
            "UPDATE sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL",
            (now, row["id"]),
        )
        details["service_token_revoked"] = row["service_token_hash"] is not None
    else:
        conn.execute(
            "UPDATE users SET disabled_at = NULL, failed_logins = 0, locked_until = NULL "
            "WHERE id = ?",
            (row["id"],),
        )
    action = "user disable" if disabled else "user enable"
    audit.record(conn, actor, action, "user", row["id"], details)


def issue_service_token(conn: sqlite3.Connection, actor: audit.Actor, username: str) -> str:
    """A new service token for scripts and cron; replaces the previous one. Shown once."""
    row = get_user(conn, username)
    _refuse_unusable(row)
    token = "lxt_" + secrets.token_urlsafe(32)
    conn.execute(
        "UPDATE users SET service_token_hash = ?, service_token_created_at = ? WHERE id = ?",
        (_token_hash(token), clock.utc_text(clock.real_now()), row["id"]),
    )
    audit.record(conn, actor, "user token", "user", row["id"])
    return token


def revoke_service_token(conn: sqlite3.Connection, actor: audit.Actor, username: str) -> None:
    row = get_user(conn, username)
    if row["service_token_hash"] is None:
        raise NotFound(f"user {username!r} has no service token")
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
    return InvalidInput(f"LAUTEX_HOME: cannot keep the session file in {path}: {reason}")


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
