"""Migration 4: recipients, disclosures, notices, restrictions, supplementary statements."""

DESCRIPTION = "recipients, disclosures, notices, restrictions, supplementary statements"
STATEMENTS: tuple[str, ...] = (
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
)
