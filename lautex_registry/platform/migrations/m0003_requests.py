"""Migration 3: data subject requests and generated documents."""

DESCRIPTION = "data subject requests and generated documents"
STATEMENTS: tuple[str, ...] = (
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
)
