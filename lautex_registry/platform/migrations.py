"""Numbered schema migrations.

Rules: never edit a shipped migration, never drop-and-recreate a table that holds
register data. Each migration runs in one transaction together with the row in
`schema_migrations` that records it.
"""

import sqlite3
from dataclasses import dataclass

from lautex_registry.platform.clock import timestamp
from lautex_registry.platform.db import transaction
from lautex_registry.platform.errors import SchemaError


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    statements: tuple[str, ...]


PLATFORM = Migration(
    1,
    "platform: meta, settings, users, sessions, audit trail",
    (
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
    ),
)

REGISTER = Migration(
    2,
    "register: organisations, customers, orders, invoices",
    (
        """CREATE TABLE organisations (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            business_id TEXT UNIQUE,
            marketing_prohibited_on TEXT,
            created_at TEXT NOT NULL
        )""",
        "CREATE UNIQUE INDEX organisations_name ON organisations(name COLLATE NOCASE)",
        # Personal data columns: first_name .. notes, search_text. state 'anonymised'
        # keeps the row for statistics with every identifying column NULL and a dated marker.
        """CREATE TABLE customers (
            id INTEGER PRIMARY KEY AUTOINCREMENT,  -- an erased id is never reused
            first_name TEXT,
            last_name TEXT,
            organisation_id INTEGER REFERENCES organisations(id),
            email TEXT,
            phone TEXT,
            street TEXT,
            postal_code TEXT,
            city TEXT,
            country TEXT,
            source TEXT NOT NULL CHECK (source IN ('web-store', 'reseller', 'registration',
                'customer-service', 'subcontractor', 'partner', 'anonymised')),
            source_detail TEXT,
            language TEXT NOT NULL DEFAULT 'fi' CHECK (language IN ('fi', 'en', 'sv')),
            notes TEXT,
            search_text TEXT,
            state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'restricted',
                'anonymised-with-holds', 'anonymised')),
            anonymised_on TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            last_activity TEXT NOT NULL
        )""",
        "CREATE UNIQUE INDEX customers_email ON customers(email COLLATE NOCASE)",
        "CREATE INDEX customers_organisation ON customers(organisation_id)",
        "CREATE INDEX customers_phone ON customers(phone)",
        "CREATE INDEX customers_state_activity ON customers(state, last_activity)",
        """CREATE TABLE orders (
            id INTEGER PRIMARY KEY,
            number TEXT NOT NULL UNIQUE,
            customer_id INTEGER REFERENCES customers(id) ON DELETE SET NULL,
            order_date TEXT NOT NULL,
            channel TEXT NOT NULL CHECK (channel IN ('web-store', 'reseller')),
            reseller TEXT,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX orders_customer ON orders(customer_id)",
        "CREATE INDEX orders_date ON orders(order_date)",
        """CREATE TABLE order_lines (
            id INTEGER PRIMARY KEY,
            order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
            product TEXT NOT NULL,
            quantity INTEGER NOT NULL CHECK (quantity > 0),
            unit_price_cents INTEGER NOT NULL CHECK (unit_price_cents >= 0)
        )""",
        "CREATE INDEX order_lines_order ON order_lines(order_id)",
        # A voucher: billing name and address as they were when the invoice was issued
        # (Accounting Act 1336/1997 ch. 2 sec. 10). billing_* are personal data.
        """CREATE TABLE invoices (
            id INTEGER PRIMARY KEY,
            number TEXT NOT NULL UNIQUE,
            order_id INTEGER NOT NULL REFERENCES orders(id),
            customer_id INTEGER REFERENCES customers(id) ON DELETE SET NULL,
            issued_on TEXT NOT NULL,
            due_on TEXT NOT NULL,
            amount_cents INTEGER NOT NULL,
            billing_name TEXT,
            billing_organisation TEXT,
            billing_street TEXT,
            billing_postal_code TEXT,
            billing_city TEXT,
            billing_country TEXT,
            state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'paid',
                'in-collection', 'written-off')),
            paid_on TEXT,
            last_reminder_on TEXT,
            collection_agency TEXT,
            collection_on TEXT,
            written_off_on TEXT,
            billing_data_removed_on TEXT,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX invoices_customer ON invoices(customer_id)",
        "CREATE INDEX invoices_order ON invoices(order_id)",
        # docs/rules.md §3: finding customers with an open claim must not scan every invoice.
        """CREATE INDEX invoices_open_claims ON invoices(customer_id)
           WHERE state IN ('open', 'in-collection')""",
    ),
)

REQUESTS = Migration(
    3,
    "data subject requests and generated documents",
    (
        # requester_name/requester_email: personal data of a requester not in the register.
        """CREATE TABLE requests (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER REFERENCES customers(id) ON DELETE SET NULL,
            requester_name TEXT,
            requester_email TEXT,
            kind TEXT NOT NULL CHECK (kind IN ('access', 'rectification', 'erasure',
                'restriction', 'objection', 'portability', 'publication-ban')),
            received_on TEXT NOT NULL,
            channel TEXT NOT NULL CHECK (channel IN ('letter', 'email', 'phone', 'counter',
                'web')),
            language TEXT NOT NULL CHECK (language IN ('fi', 'en', 'sv')),
            signed INTEGER NOT NULL DEFAULT 0,
            identity_method TEXT,
            identity_checked_on TEXT,
            due_on TEXT NOT NULL,
            extended_on TEXT,
            extension_reason TEXT,
            state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
            outcome TEXT CHECK (outcome IN ('completed', 'refused', 'partially-refused')),
            reasons TEXT,
            manifestly_unfounded INTEGER NOT NULL DEFAULT 0,
            -- GDPR Art. 12(5): the written justification for refusing or charging.
            unfounded_justification TEXT,
            fee_cents INTEGER,
            note TEXT,
            closed_on TEXT,
            handled_by INTEGER REFERENCES users(id),
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX requests_customer ON requests(customer_id)",
        "CREATE INDEX requests_open_due ON requests(due_on) WHERE state = 'open'",
        # Letters and exports handed out: metadata and a hash, never the content.
        """CREATE TABLE documents (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            request_id INTEGER REFERENCES requests(id) ON DELETE SET NULL,
            customer_id INTEGER REFERENCES customers(id) ON DELETE SET NULL,
            language TEXT NOT NULL,
            format TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by INTEGER REFERENCES users(id)
        )""",
        "CREATE INDEX documents_customer ON documents(customer_id)",
        "CREATE INDEX documents_request ON documents(request_id)",
    ),
)

DISCLOSURES = Migration(
    4,
    "recipients, disclosures, notices, restrictions, supplementary statements",
    (
        """CREATE TABLE recipients (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('processor', 'third-party', 'authority')),
            purposes TEXT NOT NULL,
            country TEXT NOT NULL,
            transfer_basis TEXT,
            created_at TEXT NOT NULL
        )""",
        "CREATE UNIQUE INDEX recipients_name ON recipients(name COLLATE NOCASE)",
        """CREATE TABLE disclosures (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER REFERENCES customers(id) ON DELETE SET NULL,
            recipient_id INTEGER NOT NULL REFERENCES recipients(id),
            disclosed_on TEXT NOT NULL,
            purpose TEXT NOT NULL,
            fields TEXT NOT NULL,
            legal_reference TEXT,
            invoice_id INTEGER REFERENCES invoices(id) ON DELETE SET NULL,
            created_by INTEGER REFERENCES users(id),
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX disclosures_customer ON disclosures(customer_id)",
        # GDPR Art. 19: who must be told of a rectification, erasure or restriction.
        """CREATE TABLE notices (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER REFERENCES customers(id) ON DELETE SET NULL,
            request_id INTEGER REFERENCES requests(id) ON DELETE SET NULL,
            kind TEXT NOT NULL CHECK (kind IN ('rectification', 'erasure', 'restriction')),
            addressee_kind TEXT NOT NULL CHECK (addressee_kind IN ('source', 'recipient')),
            recipient_id INTEGER REFERENCES recipients(id),
            source TEXT,
            fields TEXT NOT NULL DEFAULT '',
            created_on TEXT NOT NULL,
            sent_on TEXT,
            method TEXT CHECK (method IN ('letter', 'email', 'phone'))
        )""",
        "CREATE INDEX notices_customer ON notices(customer_id)",
        "CREATE INDEX notices_pending ON notices(created_on) WHERE sent_on IS NULL",
        """CREATE TABLE restrictions (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
            request_id INTEGER REFERENCES requests(id) ON DELETE SET NULL,
            reason TEXT NOT NULL,
            started_on TEXT NOT NULL,
            lifted_on TEXT,
            informed_on TEXT
        )""",
        "CREATE INDEX restrictions_customer ON restrictions(customer_id)",
        """CREATE TABLE supplements (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
            request_id INTEGER REFERENCES requests(id) ON DELETE SET NULL,
            text TEXT NOT NULL,
            added_on TEXT NOT NULL
        )""",
        "CREATE INDEX supplements_customer ON supplements(customer_id)",
    ),
)

MARKETING = Migration(
    5,
    "objections, publication bans, consents, suppression records",
    (
        # purpose 'publication' is the statement's publication ban on lists
        # (docs/privacy-statement.md P3).
        """CREATE TABLE objections (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
            purpose TEXT NOT NULL CHECK (purpose IN ('direct-advertising',
                'distance-selling', 'direct-marketing', 'market-research',
                'opinion-research', 'all', 'publication')),
            received_on TEXT NOT NULL,
            channel TEXT NOT NULL,
            withdrawn_on TEXT,
            withdrawn_channel TEXT,
            request_id INTEGER REFERENCES requests(id) ON DELETE SET NULL
        )""",
        "CREATE INDEX objections_customer ON objections(customer_id)",
        """CREATE TABLE consents (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
            channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
            status TEXT NOT NULL CHECK (status IN ('given', 'withdrawn')),
            recorded_on TEXT NOT NULL,
            source TEXT NOT NULL
        )""",
        "CREATE INDEX consents_customer ON consents(customer_id)",
        # Keyed HMACs only (the register's secret): an objection outlives erasure
        # without keeping the address (GDPR Art. 21(3)).
        """CREATE TABLE suppression (
            id INTEGER PRIMARY KEY,
            email_hmac TEXT,
            phone_hmac TEXT,
            purposes TEXT NOT NULL,
            created_on TEXT NOT NULL
        )""",
        "CREATE INDEX suppression_email ON suppression(email_hmac)",
        "CREATE INDEX suppression_phone ON suppression(phone_hmac)",
    ),
)

RETENTION = Migration(
    6,
    "retention runs",
    (
        """CREATE TABLE retention_runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            as_of TEXT NOT NULL,
            dry_run INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'finished',
                'failed')),
            counts_json TEXT NOT NULL DEFAULT '{}',
            user_id INTEGER REFERENCES users(id)
        )""",
    ),
)

ANSWERED_FOR_REAL = Migration(
    7,
    "sole traders; what answered a request; the requester's contact kept for the reply",
    (
        # A sole trader's business (toiminimi) is the person: its name and business ID
        # are personal data and go with the person.
        "ALTER TABLE organisations ADD COLUMN sole_trader INTEGER NOT NULL DEFAULT 0",
        # GDPR Art. 12(3), 17(3)(b): the postal address the reply goes to (name and email
        # are requester_name/requester_email), kept after the person is erased.
        "ALTER TABLE requests ADD COLUMN requester_address TEXT",
        # What was done by other means when a request was completed outside the register.
        "ALTER TABLE requests ADD COLUMN done_outside TEXT",
        # The date the person the request is about was erased (the link is then gone).
        "ALTER TABLE requests ADD COLUMN subject_erased_on TEXT",
    ),
)

# Emails and organisation names compare after NFC and full Unicode case folding
# (`ÄIJÄLÄ@example.fi` is `äijälä@example.fi`), which COLLATE NOCASE does only for
# ASCII. The unique NOCASE indexes stay; these partial indexes hold just the values
# with a character outside printable ASCII, so the code compares those few by their
# folded form without reading the whole table. Duplicates stored before this
# migration are kept (nothing is lost); new writes are refused (README "Input rules").
UNICODE_NAMES = Migration(
    8,
    "emails and organisation names compared in full Unicode",
    (
        "CREATE INDEX IF NOT EXISTS customers_email_unicode ON customers(email) "
        "WHERE email GLOB '*[^ -~]*'",
        "CREATE INDEX IF NOT EXISTS organisations_name_unicode ON organisations(name) "
        "WHERE name GLOB '*[^ -~]*'",
    ),
)

# Every foreign key gets an index on its child column: without one, deleting or
# re-keying a parent row (a closed request purged by the retention job, an invoice
# stripped) makes SQLite scan the whole child table once per parent row
# (docs/rules.md §3: jobs probe an index, never scan per row).
FOREIGN_KEY_INDEXES = Migration(
    9,
    "indexes on every foreign key",
    tuple(
        f"CREATE INDEX IF NOT EXISTS {table}_{column} ON {table}({column})"
        for table, column in (
            ("notices", "request_id"),
            ("restrictions", "request_id"),
            ("supplements", "request_id"),
            ("objections", "request_id"),
            ("notices", "recipient_id"),
            ("disclosures", "recipient_id"),
            ("disclosures", "invoice_id"),
            ("disclosures", "created_by"),
            ("documents", "created_by"),
            ("requests", "handled_by"),
            ("sessions", "user_id"),
            ("retention_runs", "user_id"),
        )
    ),
)


def _count_triggers(
    table: str,
    key: str,
    amount: str = "0",
    *,
    watched: str | None = None,
    counted: str = "1",
    on_insert: bool = True,
) -> tuple[str, ...]:
    """Triggers that keep the `register_counts` row named by `key` exact.

    `key`, `amount` and `counted` are SQL over the row, written with `ROW.`; only rows
    for which `counted` holds are counted. `watched`: the columns whose change moves a
    row from one count to another.
    """

    def bump(row: str, sign: str) -> str:
        def of(sql: str) -> str:
            return sql.replace("ROW.", f"{row}.")

        return (
            f"INSERT INTO register_counts (name, n, cents) "
            f"SELECT {of(key)}, {sign}1, {sign}({of(amount)}) WHERE {of(counted)} "
            f"ON CONFLICT (name) DO UPDATE SET n = n {sign} 1, cents = cents {sign} ({of(amount)});"
        )

    triggers = [
        f"CREATE TRIGGER {table}_counted_out AFTER DELETE ON {table} BEGIN {bump('OLD', '-')} END"
    ]
    if on_insert:
        triggers.append(
            f"CREATE TRIGGER {table}_counted_in AFTER INSERT ON {table} "
            f"BEGIN {bump('NEW', '+')} END"
        )
    if watched is not None:
        triggers.append(
            f"CREATE TRIGGER {table}_counted_moved AFTER UPDATE OF {watched} ON {table} "
            f"BEGIN {bump('OLD', '-')} {bump('NEW', '+')} END"
        )
    return tuple(triggers)


# `lautex status` is the clerk's at-a-glance command: it reads these counts instead of
# counting a million customers and every invoice each time (docs/rules.md §3). Triggers
# keep them exact in the same transaction as the change; the migration counts once.
# Customers are born active (the one INSERT sets it) and leave that state by UPDATE, so
# only the other states are kept: active = COUNT(*) - the rest. An INSERT trigger on
# customers, even one that does nothing, made a bulk import's inserts much slower,
# and COUNT(*) of a million customers is quick (figures in benchmarks/README.md).
# Overdue invoices depend on the day asked about: a range of a partial index of open ones.
REGISTER_COUNTS = Migration(
    10,
    "counts kept for status",
    (
        """CREATE TABLE register_counts (
            name TEXT PRIMARY KEY,
            n INTEGER NOT NULL DEFAULT 0,
            cents INTEGER NOT NULL DEFAULT 0
        )""",
        *_count_triggers(
            "customers",
            "'customers:' || ROW.state",
            watched="state",
            counted="ROW.state <> 'active'",
            on_insert=False,
        ),
        *_count_triggers("organisations", "'organisations'"),
        *_count_triggers(
            "orders", "'orders:' || substr(ROW.order_date, 1, 4)", watched="order_date"
        ),
        *_count_triggers(
            "invoices",
            "'invoices:' || ROW.state",
            "ROW.amount_cents",
            watched="state, amount_cents",
        ),
        """INSERT INTO register_counts (name, n, cents)
           SELECT 'customers:' || state, count(*), 0 FROM customers
               WHERE state <> 'active' GROUP BY state
           UNION ALL SELECT 'organisations', count(*), 0 FROM organisations
           UNION ALL SELECT 'orders:' || substr(order_date, 1, 4), count(*), 0
               FROM orders GROUP BY 1
           UNION ALL SELECT 'invoices:' || state, count(*), sum(amount_cents)
               FROM invoices GROUP BY state""",
        """CREATE INDEX invoices_open_due ON invoices(due_on, amount_cents)
           WHERE state = 'open'""",
    ),
)

# A sole trader's business is one person, its trader (GDPR Art. 4(1)): it goes when that
# customer is erased or anonymised, whoever else is linked to it. Businesses recorded
# before keep no trader and go with their last contact, as before.
SOLE_TRADER_PERSON = Migration(
    11,
    "the customer a sole trader's business is",
    (
        "ALTER TABLE organisations ADD COLUMN trader_id INTEGER "
        "REFERENCES customers(id) ON DELETE SET NULL",
        "CREATE INDEX organisations_trader ON organisations(trader_id)",
    ),
)

# The copies `lautex backup` makes by the policy: where, when, their SHA-256 and size, whether
# encrypted and verified, and when they were deleted. No personal data: a copy's name is made
# of the moment it was taken; an off-site location is the folder the admin named.
BACKUP_COPIES = Migration(
    12,
    "backup copies made by the policy",
    (
        """CREATE TABLE backups (
            id INTEGER PRIMARY KEY,
            file_name TEXT NOT NULL,
            location TEXT NOT NULL,
            made_at TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            bytes INTEGER NOT NULL,
            encrypted INTEGER NOT NULL CHECK (encrypted IN (0, 1)),
            verified_at TEXT,
            deleted_at TEXT,
            deleted_reason TEXT
        )""",
        "CREATE INDEX backups_location_file ON backups(location, file_name)",
    ),
)

MIGRATIONS: tuple[Migration, ...] = (
    PLATFORM,
    REGISTER,
    REQUESTS,
    DISCLOSURES,
    MARKETING,
    RETENTION,
    ANSWERED_FOR_REAL,
    UNICODE_NAMES,
    FOREIGN_KEY_INDEXES,
    REGISTER_COUNTS,
    SOLE_TRADER_PERSON,
    BACKUP_COPIES,
)
LATEST = MIGRATIONS[-1].number

_LEDGER = """CREATE TABLE IF NOT EXISTS schema_migrations (
    number INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
)"""


def current_version(conn: sqlite3.Connection) -> int:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchone()
    if not exists:
        return 0
    row = conn.execute("SELECT MAX(number) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def pending(conn: sqlite3.Connection) -> list[Migration]:
    version = current_version(conn)
    return [m for m in MIGRATIONS if m.number > version]


def apply_pending(conn: sqlite3.Connection) -> list[Migration]:
    """Apply every pending migration, each in its own transaction with its ledger row."""
    applied = []
    for migration in pending(conn):
        with transaction(conn):
            conn.execute(_LEDGER)
            for statement in migration.statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (number, name, applied_at) VALUES (?, ?, ?)",
                (migration.number, migration.name, timestamp()),
            )
        applied.append(migration)
    return applied


def require_current(conn: sqlite3.Connection) -> None:
    """Refuse to work on a schema older or newer than this code."""
    version = current_version(conn)
    if version == 0:
        raise SchemaError("this file is not a lautex register: run `lautex init` to create one")
    if version < LATEST:
        raise SchemaError(
            f"the register's schema is at version {version}, this lautex needs {LATEST}: "
            "run `lautex migrate`"
        )
    if version > LATEST:
        raise SchemaError(
            f"the register's schema (version {version}) is newer than this lautex "
            f"(knows up to {LATEST}): upgrade lautex"
        )
