"""Personal accounts: users, roles, passwords and the lockout after wrong passwords.

The privacy statement (docs/privacy-statement.md P7): every user of the electronic register
has a personal username and password. Passwords are hashed with argon2id. How a user, once
known, gets in and stays in (login sessions, the session file, service tokens) is
`sessions.py`, which stands on this module.
"""

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lautex_registry.platform import audit, clock, validation
from lautex_registry.platform.db import transaction
from lautex_registry.platform.errors import AuthError, Conflict, InvalidInput, NotFound, t
from lautex_registry.platform.permissions import ROLES, SYSTEM
from lautex_registry.platform.sqlite import sqlite3

MIN_PASSWORD_LENGTH = 12
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
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


def _hasher() -> Any:
    from argon2 import PasswordHasher  # heavy: loaded only when a password is handled

    return PasswordHasher(**ARGON2_PARAMS)


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            t(
                "password: at least {min_password_length} characters are required",
                min_password_length=MIN_PASSWORD_LENGTH,
            )
        )


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


def user_from_row(row: sqlite3.Row) -> User:
    return User(row["id"], row["username"], row["full_name"], row["role"])


def get_user(conn: sqlite3.Connection, username: str) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM users WHERE username = ?", (username,)
    ).fetchone()
    if row is None:
        raise NotFound(t("no user named {username!r}", username=username))
    return row


def check_account_fields(username: str, full_name: str, role: str) -> None:
    """Refuse a bad username, role or name before anyone is asked for a password."""
    if not USERNAME_PATTERN.match(username):
        raise InvalidInput(
            t(
                "username: 2-32 characters, lower-case letters, digits, '.', '_' or "
                "'-', starting with a letter"
            )
        )
    role = validation.choice(role, ROLES, "role")
    if not full_name.strip():
        raise InvalidInput(t("full name: every account belongs to a named person or job"))
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
            raise InvalidInput(t("password: required for a personal account"))
        password_hash = hash_password(password)
    if conn.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
        raise Conflict(t("a user named {username!r} already exists", username=username))
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


def refuse_disabled(row: sqlite3.Row) -> None:
    if row["disabled_at"] is not None:
        raise AuthError(t("user {username!r} is disabled", username=row["username"]))


def _refuse_login(row: sqlite3.Row | None, now: datetime) -> AuthError | None:
    """Why this account may not log in at all, or None if its password decides."""
    if row is None:
        return AuthError(t("wrong username or password"))
    if row["disabled_at"] is not None:
        return AuthError(t("user {username!r} is disabled", username=row["username"]))
    if row["role"] == SYSTEM:
        return AuthError(t("system accounts cannot log in: use a service token (LAUTEX_TOKEN)"))
    if row["locked_until"] and clock.parse_utc_text(row["locked_until"]) > now:
        return AuthError(
            t(
                "account {username!r} is locked after {max_failed_logins} wrong "
                "passwords until {locked_until}",
                username=row["username"],
                max_failed_logins=MAX_FAILED_LOGINS,
                locked_until=row["locked_until"],
            )
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


def check_login(conn: sqlite3.Connection, username: str, password: str, now: datetime) -> User:
    """The account whose password this is, or AuthError; runs its own transaction.

    Five wrong passwords in a row lock the account for 15 minutes. The failure count
    is committed even though the login fails: that is the point of it. The count goes
    back to zero with `clear_failed_logins`, in the transaction that starts the session.
    """
    with transaction(conn):
        row = conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
        refusal = _refuse_login(row, now)
        # Every failed path costs one verification: the time does not tell usernames apart.
        stored = row["password_hash"] if refusal is None else None
        ok = _password_matches(stored or _dummy_hash(), password) and stored is not None
        if refusal is None and not ok:
            _count_wrong_password(conn, row, now)
    if refusal is not None:
        raise refusal
    if not ok:
        raise AuthError(t("wrong username or password"))
    return user_from_row(row)


def clear_failed_logins(conn: sqlite3.Connection, user_id: int) -> None:
    """A right password ends the count of wrong ones; call inside a transaction."""
    conn.execute("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?", (user_id,))


def _end_every_session(conn: sqlite3.Connection, user_id: int, now: str) -> None:
    """End the account's open login sessions. Sessions rows belong to their account, so a
    change to the account that must shut its ways in (a new password, disabling) does it
    here, in the same transaction, and sessions.py never has to be told."""
    conn.execute(
        "UPDATE sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL",
        (now, user_id),
    )


def change_password(
    conn: sqlite3.Connection, actor: audit.Actor, username: str, password: str
) -> None:
    row = get_user(conn, username)
    if row["role"] == SYSTEM:
        raise InvalidInput(t("system accounts have no password: they use service tokens"))
    conn.execute(
        "UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL WHERE id = ?",
        (hash_password(password), row["id"]),
    )
    # Other sessions of this user end: a password change is often a response to a leak.
    _end_every_session(conn, row["id"], clock.utc_text(clock.real_now()))
    audit.record(conn, actor, "user passwd", "user", row["id"])


def set_disabled(
    conn: sqlite3.Connection, actor: audit.Actor, username: str, disabled: bool
) -> None:
    row = get_user(conn, username)
    if disabled and row["id"] == actor.user_id:
        raise InvalidInput(t("you cannot disable your own account"))
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
        _end_every_session(conn, row["id"], now)
        details["service_token_revoked"] = row["service_token_hash"] is not None
    else:
        conn.execute(
            "UPDATE users SET disabled_at = NULL, failed_logins = 0, locked_until = NULL "
            "WHERE id = ?",
            (row["id"],),
        )
    action = "user disable" if disabled else "user enable"
    audit.record(conn, actor, action, "user", row["id"], details)
