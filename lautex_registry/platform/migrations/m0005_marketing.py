"""Migration 5: objections, publication bans, consents, suppression records."""

DESCRIPTION = "objections, publication bans, consents, suppression records"
STATEMENTS: tuple[str, ...] = (
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
)
