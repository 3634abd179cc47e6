"""`lautex status` at a glance, against counting the same facts with plain SQL.

    python benchmarks/status.py REGISTER [REPEATS]

REGISTER is made by benchmarks/generate.py (e.g. 1000000 customers, 3 orders each).
The script works on a copy: it invoices every order (one in twenty left open, a
third of those overdue, one in a hundred in collection), migrates the copy to the
current schema (which counts once and keeps counting), then times, in the same run:

- `status.register_status`, the code `lautex status` runs (kept counts, plus a range
  of the partial index of open invoices for those overdue);
- the same facts counted with plain sqlite3 queries over the tables, as status did
  before the counts were kept.

Prints the medians of wall and CPU time (goal: status under 50 ms in-process at
1000000 customers) and the ratios; the two sides take turns.
"""

import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from lautex_registry.platform import migrations
from lautex_registry.platform.db import connect, transaction
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records.status import register_status

AS_OF = date(2026, 11, 25)

PLAIN = (
    ("SELECT state, COUNT(*) FROM customers GROUP BY state", ()),
    ("SELECT COUNT(*) FROM organisations", ()),
    ("SELECT COUNT(*) FROM orders WHERE order_date >= ? AND order_date <= ?",
     ("2026-01-01", "2026-12-31")),
    ("""SELECT COUNT(*) FILTER (WHERE state = 'open'),
            SUM(amount_cents) FILTER (WHERE state = 'open'),
            COUNT(*) FILTER (WHERE state = 'open' AND due_on < ?),
            SUM(amount_cents) FILTER (WHERE state = 'open' AND due_on < ?),
            COUNT(*) FILTER (WHERE state = 'in-collection'),
            SUM(amount_cents) FILTER (WHERE state = 'in-collection')
        FROM invoices""", ("2026-11-25", "2026-11-25")),
)  # fmt: skip


def invoice_every_order(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN")
    conn.execute(
        """INSERT INTO invoices (number, order_id, customer_id, issued_on, due_on, amount_cents,
               billing_name, state, paid_on, created_at)
           SELECT 'I' || id, id, customer_id, order_date, date(order_date, '+14 days'), 12500,
               'Bench Billing',
               CASE WHEN id % 100 = 0 THEN 'in-collection'
                    WHEN id % 20 = 0 THEN 'open' ELSE 'paid' END,
               CASE WHEN id % 20 = 0 THEN NULL ELSE order_date END,
               '2026-01-01T00:00:00Z'
           FROM orders"""
    )
    conn.execute(
        "UPDATE invoices SET due_on = '2030-01-01' WHERE state = 'open' AND order_id % 3 <> 0"
    )
    conn.execute("COMMIT")


def medians_ms(
    actions: tuple[Callable[[], object], Callable[[], object]], repeats: int
) -> list[tuple[float, float]]:
    """Median wall and CPU ms of each action, run in turns so load hits both alike."""
    for action in actions:
        action()  # warm the page cache
    times: list[tuple[list[float], list[float]]] = [([], []) for _ in actions]
    for _ in range(repeats):
        for action, (wall, cpu) in zip(actions, times, strict=True):
            started, started_cpu = time.perf_counter(), time.process_time()
            action()
            cpu.append(time.process_time() - started_cpu)
            wall.append(time.perf_counter() - started)
    return [(statistics.median(w) * 1000, statistics.median(c) * 1000) for w, c in times]


def plain_counts(conn: sqlite3.Connection) -> None:
    for sql, params in PLAIN:
        conn.execute(sql, params).fetchall()


def main() -> None:
    source = Path(sys.argv[1])
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 11
    with tempfile.TemporaryDirectory() as folder:  # never next to a shared, read-only register
        copy = Path(folder) / "status.db"
        shutil.copyfile(source, copy)  # the bytes, not a read-only mode
        conn = connect(copy)
        conn.execute("DROP TABLE IF EXISTS register_counts")  # an older copy: count afresh
        conn.execute(
            f"DELETE FROM {migrations.LEDGER} WHERE name = ?",
            (migrations.named("m0010_register_counts").name,),
        )
        for name in ("customers", "organisations", "orders", "invoices"):
            for kind in ("in", "out", "moved"):
                conn.execute(f"DROP TRIGGER IF EXISTS {name}_counted_{kind}")
        conn.execute("DROP INDEX IF EXISTS invoices_open_due")
        invoice_every_order(conn)
        started = time.perf_counter()
        with transaction(conn):
            migrations.apply_pending(conn)
        print(f"migrated (counting once) in {time.perf_counter() - started:.1f} s")
        customers = conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0]
        invoices = conn.execute("SELECT COUNT(*) FROM invoices").fetchone()[0]
        ours, plain = medians_ms(
            (lambda: register_status(conn, AS_OF), lambda: plain_counts(conn)), repeats
        )
        conn.close()
    print(f"{customers} customers, {invoices} invoices; medians of {repeats} (wall, CPU):")
    print(f"  status (kept counts)     {ours[0]:8.1f} ms {ours[1]:8.1f} ms   (goal: under 50 ms)")
    print(f"  plain counting queries   {plain[0]:8.1f} ms {plain[1]:8.1f} ms")
    print(f"  ratio                    {ours[0] / plain[0]:8.3f}x {ours[1] / plain[1]:8.3f}x")


if __name__ == "__main__":
    main()
