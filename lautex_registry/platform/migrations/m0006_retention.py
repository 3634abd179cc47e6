"""Migration 6: retention runs."""

DESCRIPTION = "retention runs"
STATEMENTS: tuple[str, ...] = (
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
)
