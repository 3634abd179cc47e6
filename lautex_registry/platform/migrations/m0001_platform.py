"""Migration 1: platform: meta, settings, users, sessions, audit trail."""

DESCRIPTION = "platform: meta, settings, users, sessions, audit trail"
STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )""",
    """CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value_json TEXT NOT NULL
        )""",
    """CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            full_name TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('admin', 'clerk', 'auditor', 'system')),
            password_hash TEXT,
            failed_logins INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT,
            disabled_at TEXT,
            service_token_hash TEXT UNIQUE,
            service_token_created_at TEXT,
            created_at TEXT NOT NULL
        )""",
    """CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            ended_at TEXT
        )""",
    # The audit trail holds ids, field names and counts: never personal values.
    """CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            user_id INTEGER,
            username TEXT NOT NULL,
            action TEXT NOT NULL,
            entity TEXT,
            entity_id TEXT,
            details_json TEXT NOT NULL DEFAULT '{}',
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        )""",
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
           BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
           BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    "CREATE INDEX audit_log_action ON audit_log(action)",
    "CREATE INDEX audit_log_user ON audit_log(user_id)",
)
