"""The retention job over N customers of whom 10% are due, against a plain-sqlite3 script.

    python benchmarks/retention.py [CUSTOMERS] [BATCH] [REPEATS]

Defaults: 20000 customers (the issue's full size is 1000000, of whom 100000 due),
batches of 300, medians of 3 runs each (alternating, each on a fresh copy).
Builds a register with benchmarks/generate.py (one order per customer), marks
every tenth customer inactive since 2020 and gives every hundredth due customer
an open invoice (it must be left alone), then copies it. On one copy it runs the
real job in-process (`retention.run_retention`, the same code cron runs); on the
other a plain-sqlite3 script does the same updates in the same batches: find the
due customers, delete their consents, objections, restrictions and supplements,
clear the free text of their requests, disclosures and notices, clear the
customer's personal columns, write one audit row per person (the job's rows are
hash-chained, the script's are not). The job also leaves the lock free after
each batch (10-50% of the batch's time) so that a clerk waiting for it gets in
(the script would starve them); those pauses are reported apart. The modules the
job imports lazily are imported first, so start-up is not timed.
Prints time and peak memory (tracemalloc, one more run) of each and the ratio
(goal: within 2x). Peak memory should not grow with CUSTOMERS: the job streams.
"""

import hashlib
import json
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import date
from pathlib import Path

from lautex_registry.platform.sqlite import sqlite3

sys.path.insert(0, str(Path(__file__).parent))

from generate import build_register

from lautex_registry.erasure.retention import run_retention
from lautex_registry.platform import audit
from lautex_registry.platform.db import connect
from lautex_registry.records import suppression  # noqa: F401 (warm imports
from lautex_registry.records.personal_data import PERSONAL_TABLES, personal_table

AS_OF = date(2026, 11, 25)
DUE_BEFORE = "2023-11-26"


def prepare(path: Path, customers: int) -> int:
    build_register(path, customers, 1)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE customers SET last_activity = '2020-01-01' WHERE id % 10 = 0")
        conn.execute(
            """INSERT INTO invoices (number, order_id, customer_id, issued_on, due_on,
                   amount_cents, billing_name, state, created_at)
               SELECT 'B' || o.id, o.id, o.customer_id, '2026-10-01', '2026-10-15', 1250,
                   'Bench Billing', 'open', '2026-10-01T00:00:00Z'
               FROM orders o WHERE o.customer_id % 1000 = 0"""
        )
        conn.execute(
            """INSERT INTO consents (customer_id, channel, status, recorded_on, source)
               SELECT id, 'email', 'given', '2019-01-01', 'web form' FROM customers
               WHERE id % 5 = 0"""
        )
    due = conn.execute(
        "SELECT count(*) FROM customers WHERE last_activity < ? AND id % 1000 != 0", (DUE_BEFORE,)
    ).fetchone()[0]
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return int(due)


def plain_script(path: Path, batch: int) -> int:
    """The same updates with nothing but sqlite3: no holds, no journal, no hash chain."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA secure_delete = ON")
    customer_columns = personal_table("customers").columns
    sets = ", ".join(f"{c} = NULL" for c in customer_columns)
    owned = ("consents", "objections", "restrictions", "supplements")
    cleared = [t for t in PERSONAL_TABLES if t.customer_link and t.table not in owned]
    done = 0
    while True:
        conn.execute("BEGIN IMMEDIATE")
        ids = [
            r[0]
            for r in conn.execute(
                """SELECT c.id FROM customers c WHERE c.state = 'active'
                   AND c.last_activity < ? AND NOT EXISTS (SELECT 1 FROM invoices i
                   WHERE i.customer_id = c.id AND i.state IN ('open', 'in-collection'))
                   LIMIT ?""",
                (DUE_BEFORE, batch),
            )
        ]
        if not ids:
            conn.execute("COMMIT")
            break
        ids_json = json.dumps(ids)
        for table in owned:
            conn.execute(
                f"DELETE FROM {table} WHERE customer_id IN (SELECT value FROM json_each(?))",
                (ids_json,),
            )
        for entry in cleared:
            if entry.columns and entry.table != "invoices":
                cols = ", ".join(f"{c} = NULL" for c in entry.columns)
                conn.execute(
                    f"UPDATE {entry.table} SET {cols} WHERE customer_id IN "
                    "(SELECT value FROM json_each(?))",
                    (ids_json,),
                )
        conn.execute(
            f"UPDATE customers SET {sets}, organisation_id = NULL, state = 'anonymised', "
            "anonymised_on = ? WHERE id IN (SELECT value FROM json_each(?))",
            (AS_OF.isoformat(), ids_json),
        )
        for customer_id in ids:
            digest = hashlib.sha256(str(customer_id).encode()).hexdigest()
            conn.execute(
                """INSERT INTO audit_log (at, user_id, username, action, entity, entity_id,
                       details_json, prev_hash, hash)
                   VALUES ('x', NULL, 'plain', 'retention run', 'customer', ?, '{}', ?, ?)""",
                (str(customer_id), digest, digest),
            )
        conn.execute("COMMIT")
        done += len(ids)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return done


YIELDED: list[float] = []


def lautex_job(path: Path, batch: int) -> int:
    conn = connect(path)
    try:
        summary = run_retention(conn, audit.Actor(None, "bench"), AS_OF, batch=batch)
        YIELDED.append(summary.yielded)
        return summary.counts["inactive-customers"]
    finally:
        conn.close()


def timed(action: Callable[[], int]) -> tuple[float, int]:
    started = time.perf_counter()
    count = action()
    return time.perf_counter() - started, count


def peak_mib(action: Callable[[], int]) -> float:
    """Peak Python memory of a run on a fresh copy (tracemalloc slows what it traces)."""
    tracemalloc.start()
    action()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def fresh_copy(source: Path, name: str) -> Path:
    copy = source.with_name(f"{name}.db")
    for suffix in ("", "-wal", "-shm", ".erasure-journal", ".retention.lock"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, copy)
    return copy


def main() -> None:
    customers = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "source.db"
        due = prepare(source, customers)
        ours, plain, pauses = [], [], []
        for _ in range(repeats):  # alternating, so a busy machine slows both alike
            seconds, ours_n = timed(lambda: lautex_job(fresh_copy(source, "ours"), batch))
            ours.append(seconds)
            pauses.append(YIELDED[-1])
            seconds, plain_n = timed(lambda: plain_script(fresh_copy(source, "plain"), batch))
            plain.append(seconds)
        ours_mb = peak_mib(lambda: lautex_job(fresh_copy(source, "ours"), batch))
        plain_mb = peak_mib(lambda: plain_script(fresh_copy(source, "plain"), batch))
    ours_s, plain_s, paused = (statistics.median(x) for x in (ours, plain, pauses))
    working = statistics.median(o - p for o, p in zip(ours, pauses, strict=True))
    print(f"{customers} customers, {due} due, batches of {batch}, medians of {repeats} runs")
    print(f"lautex retention run: {ours_s:7.2f} s  peak {ours_mb:6.1f} MiB  anonymised {ours_n}")
    print(f"plain sqlite3:        {plain_s:7.2f} s  peak {plain_mb:6.1f} MiB  anonymised {plain_n}")
    print(f"ratio: {ours_s / plain_s:.2f}x (goal: within 2x)")
    # Between batches the job pauses briefly so a clerk waiting for the lock gets it.
    print(
        f"of which pauses for clerks: {paused:.2f} s; ratio without them: {working / plain_s:.2f}x"
    )


if __name__ == "__main__":
    main()
