"""Migration 15: import runs, so a large import stores in batches and can be undone."""

# `customer import` stores its rows in batches, each its own short write transaction, so
# a clerk's write waits for one batch at most (docs/rules.md §6, "import runs"). The run
# ties the batches together: it can be resumed after a crash or Ctrl-C and undone as a
# whole. It holds counts, times and the file's SHA-256, never personal data; the link
# tables hold ids only and go with the customer or organisation (ON DELETE CASCADE), so
# erasure leaves no link behind (docs/rules.md §5).
DESCRIPTION = "import runs: batched, resumable and undoable customer imports"
STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE import_runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        undone_at TEXT,
        state TEXT NOT NULL DEFAULT 'running'
            CHECK (state IN ('running', 'finished', 'undone')),
        file_sha256 TEXT NOT NULL,
        options TEXT NOT NULL DEFAULT '{}',
        rows_read INTEGER NOT NULL DEFAULT 0,
        to_store INTEGER NOT NULL DEFAULT 0,
        stored INTEGER NOT NULL DEFAULT 0,
        removed INTEGER NOT NULL DEFAULT 0,
        batches INTEGER NOT NULL DEFAULT 0,
        last_line INTEGER NOT NULL DEFAULT 0
    )""",
    """CREATE TABLE import_run_customers (
        customer_id INTEGER PRIMARY KEY NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
        run_id INTEGER NOT NULL REFERENCES import_runs(id),
        changed INTEGER NOT NULL DEFAULT 0 CHECK (changed IN (0, 1))
    )""",
    "CREATE INDEX import_run_customers_run ON import_run_customers(run_id)",
    # A clerk's change to an imported customer (an edit, a rectification, anonymisation)
    # is work an undo must not throw away: marked here, in the change's own transaction.
    # Times cannot tell: an edit in the import's second leaves updated_at as it was.
    """CREATE TRIGGER import_run_customer_changed AFTER UPDATE ON customers
           WHEN EXISTS (SELECT 1 FROM import_run_customers
                        WHERE customer_id = NEW.id AND changed = 0) BEGIN
           UPDATE import_run_customers SET changed = 1 WHERE customer_id = NEW.id;
       END""",
    """CREATE TABLE import_run_organisations (
        organisation_id INTEGER PRIMARY KEY NOT NULL
            REFERENCES organisations(id) ON DELETE CASCADE,
        run_id INTEGER NOT NULL REFERENCES import_runs(id)
    )""",
    "CREATE INDEX import_run_organisations_run ON import_run_organisations(run_id)",
)
