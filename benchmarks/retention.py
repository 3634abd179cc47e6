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
hash-chained, the script's are not), and merge the search index once at the end (its
deletions only marked, as the job marks them for a run of many people). The job also
leaves the lock free after each batch (10-50% of the batch's time) so that a clerk
waiting for it gets in (the script would starve them); those pauses are reported apart.
The modules the job imports lazily are imported first, so start-up is not timed.
Then the same as whole processes: `lautex retention run --as-of 2026-11-25 --yes` (as
cron runs it, batches of BATCH through LAUTEX_RETENTION_BATCH) against the plain script
run by `python -c` (it imports only the SQLite module). Prints wall and CPU time of
each (CPU: this process's in-process, the child's own for a whole process) with the
ratios (goal: within 2x as a whole process), and peak memory in-process (tracemalloc,
one more run each), which should not grow with CUSTOMERS: the job streams.
"""

import hashlib
import inspect
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from lautex_registry.platform.sqlite import sqlite3

sys.path.insert(0, str(Path(__file__).parent))

from generate import build_register
from registers import whole_process

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


def plain_plan() -> dict[str, Any]:
    """What the plain script updates, worked out once (so the script itself, run as a
    whole process, imports nothing of lautex's but the SQLite module)."""
    owned = ["consents", "objections", "restrictions", "supplements"]
    cleared = [
        [entry.table, ", ".join(f"{c} = NULL" for c in entry.columns)]
        for entry in PERSONAL_TABLES
        if entry.customer_link and entry.table not in owned
        and entry.columns and entry.table != "invoices"
    ]  # fmt: skip
    sets = ", ".join(f"{c} = NULL" for c in personal_table("customers").columns)
    return {"owned": owned, "cleared": cleared, "sets": sets, "as_of": AS_OF.isoformat(),
            "due_before": DUE_BEFORE}  # fmt: skip


def plain_script(path: str, batch: int, plan: dict[str, Any]) -> int:
    """The same updates with nothing but sqlite3: no holds, no journal, no hash chain."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA secure_delete = ON")
    # The search index: deletions only marked, one merge at the end (as the job does for
    # a run of many people, docs/rules.md §5; in place they cost milliseconds a person).
    conn.execute("INSERT INTO customer_search(customer_search, rank) VALUES('secure-delete', 0)")
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
                (plan["due_before"], batch),
            )
        ]
        if not ids:
            conn.execute("COMMIT")
            break
        ids_json = json.dumps(ids)
        for table in plan["owned"]:
            conn.execute(
                f"DELETE FROM {table} WHERE customer_id IN (SELECT value FROM json_each(?))",
                (ids_json,),
            )
        for table, cols in plan["cleared"]:
            conn.execute(
                f"UPDATE {table} SET {cols} WHERE customer_id IN (SELECT value FROM json_each(?))",
                (ids_json,),
            )
        conn.execute(
            f"UPDATE customers SET {plan['sets']}, organisation_id = NULL, state = 'anonymised', "
            "anonymised_on = ? WHERE id IN (SELECT value FROM json_each(?))",
            (plan["as_of"], ids_json),
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
    conn.execute("INSERT INTO customer_search(customer_search, rank) VALUES('secure-delete', 1)")
    conn.execute("INSERT INTO customer_search(customer_search) VALUES('optimize')")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return done


# The plain script as a whole process: its own source, the SQLite module and json.
PLAIN_PROCESS = (
    "import hashlib, json, sys\n"
    "from typing import Any\n"
    "from lautex_registry.platform.sqlite import sqlite3\n"
    + inspect.getsource(plain_script)
    + "\nprint(plain_script(sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])))\n"
)


YIELDED: list[float] = []


def lautex_job(path: Path, batch: int) -> int:
    conn = connect(path)
    try:
        summary = run_retention(conn, audit.Actor(None, "bench"), AS_OF, batch=batch)
        YIELDED.append(summary.yielded)
        return summary.counts["inactive-customers"]
    finally:
        conn.close()


def timed(action: Callable[[], int]) -> tuple[float, float, int]:
    """Wall and CPU time (this process's) of an in-process run, and its count."""
    started, cpu = time.perf_counter(), time.process_time()
    count = action()
    return time.perf_counter() - started, time.process_time() - cpu, count


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


def lautex_process(path: Path, batch: int, env: dict[str, str]) -> tuple[float, float]:
    """`lautex retention run` as cron runs it (a whole process)."""
    command = [sys.executable, "-m", "lautex_registry", "retention", "run", "--as-of",
               AS_OF.isoformat(), "--yes"]  # fmt: skip
    return whole_process(command, dict(env, LAUTEX_DB=str(path), LAUTEX_RETENTION_BATCH=str(batch)))


def plain_process(path: Path, batch: int, env: dict[str, str]) -> tuple[float, float]:
    command = [sys.executable, "-c", PLAIN_PROCESS, str(path), str(batch), json.dumps(plain_plan())]
    return whole_process(command, env)


def ratio_line(
    label: str, ours: list[tuple[float, float]], plain: list[tuple[float, float]]
) -> str:
    o_wall, o_cpu = (statistics.median(x) for x in zip(*ours, strict=True))
    p_wall, p_cpu = (statistics.median(x) for x in zip(*plain, strict=True))
    return (f"{label:<14} lautex {o_wall:7.2f} s wall {o_cpu:7.2f} s CPU | plain {p_wall:7.2f} s "
            f"wall {p_cpu:7.2f} s CPU | ratio {o_wall / p_wall:.2f}x wall, "
            f"{o_cpu / p_cpu:.2f}x CPU (goal: within 2x)")  # fmt: skip


def main() -> None:
    customers = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    with tempfile.TemporaryDirectory() as folder:
        # build_register saves the `bench` admin's session here; the whole processes use it.
        os.environ["LAUTEX_HOME"] = f"{folder}/home"
        env = {k: v for k, v in os.environ.items() if k not in ("LAUTEX_TOKEN", "LAUTEX_DB")}
        source = Path(folder) / "source.db"
        due = prepare(source, customers)
        ours, plain, pauses, ours_p, plain_p = [], [], [], [], []
        for _ in range(repeats):  # alternating, so a busy machine slows both alike
            wall, cpu, ours_n = timed(lambda: lautex_job(fresh_copy(source, "ours"), batch))
            ours.append((wall, cpu))
            pauses.append(YIELDED[-1])
            wall, cpu, plain_n = timed(
                lambda: plain_script(str(fresh_copy(source, "plain")), batch, plain_plan())
            )
            plain.append((wall, cpu))
            ours_p.append(lautex_process(fresh_copy(source, "ours"), batch, env))
            plain_p.append(plain_process(fresh_copy(source, "plain"), batch, env))
        ours_mb = peak_mib(lambda: lautex_job(fresh_copy(source, "ours"), batch))
        plain_mb = peak_mib(
            lambda: plain_script(str(fresh_copy(source, "plain")), batch, plain_plan())
        )
    paused = statistics.median(pauses)
    working = statistics.median(o[0] - p for o, p in zip(ours, pauses, strict=True))
    plain_wall = statistics.median(p[0] for p in plain)
    print(f"{customers} customers, {due} due, batches of {batch}, medians of {repeats} runs")
    print(f"anonymised: lautex {ours_n}, plain {plain_n}; peak Python memory in-process: "
          f"lautex {ours_mb:.1f} MiB, plain {plain_mb:.1f} MiB")  # fmt: skip
    print(ratio_line("in-process", ours, plain))
    print(ratio_line("whole process", ours_p, plain_p))
    # Between batches the job pauses briefly so a clerk waiting for the lock gets it.
    print(
        f"in-process pauses for clerks: {paused:.2f} s; wall ratio without them: "
        f"{working / plain_wall:.2f}x"
    )


if __name__ == "__main__":
    main()
