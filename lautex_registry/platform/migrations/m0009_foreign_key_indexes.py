"""Migration 9: indexes on every foreign key."""

# Every foreign key gets an index on its child column: without one, deleting or
# re-keying a parent row (a closed request purged by the retention job, an invoice
# stripped) makes SQLite scan the whole child table once per parent row
# (docs/rules.md §3: jobs probe an index, never scan per row).
DESCRIPTION = "indexes on every foreign key"
STATEMENTS: tuple[str, ...] = tuple(
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
)
