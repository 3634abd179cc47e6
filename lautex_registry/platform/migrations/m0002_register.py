"""Migration 2: register: organisations, customers, orders, invoices."""

DESCRIPTION = "register: organisations, customers, orders, invoices"
STATEMENTS: tuple[str, ...] = (
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
)
