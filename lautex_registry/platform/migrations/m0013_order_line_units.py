"""Migration 13: order lines with decimal quantities and units; orders from every channel."""

# docs/rules.md §2 "Formats": a quantity is kept exactly as integer thousandths with its
# unit; the lines recorded before were whole pieces, so they become N * 1000 kpl. The
# column is renamed rather than copied, so its CHECK (> 0) and the data stay in place.
# The channel's CHECK named only the web store and resellers: the column is replaced by
# one that also admits the counter, the phone and email (ADD, copy, DROP, RENAME: SQLite
# rewrites the rows in place, the table itself is never dropped, docs/rules.md §3).
DESCRIPTION = "order lines with decimal quantities and units; orders from every channel"
STATEMENTS: tuple[str, ...] = (
    "ALTER TABLE order_lines RENAME COLUMN quantity TO quantity_milli",
    "UPDATE order_lines SET quantity_milli = quantity_milli * 1000",
    "ALTER TABLE order_lines ADD COLUMN unit TEXT NOT NULL DEFAULT 'kpl' CHECK (unit <> '')",
    "ALTER TABLE orders ADD COLUMN channel_any TEXT NOT NULL DEFAULT 'web-store' "
    "CHECK (channel_any IN ('counter', 'phone', 'email', 'web-store', 'reseller'))",
    "UPDATE orders SET channel_any = channel",
    "ALTER TABLE orders DROP COLUMN channel",
    "ALTER TABLE orders RENAME COLUMN channel_any TO channel",
)
