"""Migration 10: counts kept for status."""


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
DESCRIPTION = "counts kept for status"
STATEMENTS: tuple[str, ...] = (
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
    *_count_triggers("orders", "'orders:' || substr(ROW.order_date, 1, 4)", watched="order_date"),
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
)
