"""The retention job against a plain-sqlite3 script doing the same work.

    python benchmarks/retention.py [CUSTOMERS | REGISTER] [BATCH] [REPEATS]

Defaults: 20000 customers, batches of 300, medians of 3 runs each (alternating, each on
a fresh copy). Builds a register with benchmarks/generate.py (one order per customer),
or copies REGISTER (a path: one generate.py built, e.g. /work/bench/r1m.db; never
written) and migrates the copy. Then gives the copy what the job is for, as a register
some years old has it:

- inactive customers: every tenth customer's last activity is in 2020 (due: anonymised),
  and every hundredth of those has an open invoice (a live claim: left alone);
- vouchers past their keeping time: one customer in twenty (none of those due) has a
  paid invoice issued in 2019 (its billing name and address are removed);
- finished erasures: one customer in a hundred was anonymised with holds for an invoice
  of 2019 whose claim has lapsed (the voucher goes first, then the person is erased);
- closed requests and documents past their time: one customer in twenty has an access
  request closed in 2021 and the letter's record (both purged);
- consents for every fifth customer (deleted with the person).

On one copy it runs the real job in-process (`retention.run_retention`, the same code
cron runs); on the other a plain-sqlite3 script does the same updates in the same
batches: strips the vouchers, erases the finished erasures and anonymises the due
customers (their consents, objections, restrictions and supplements deleted, the free
text of their requests, disclosures and notices cleared, the customer's personal columns
cleared), purges the requests and documents, writes one audit row per person or batch
(the job's rows are hash-chained, the script's are not), and merges the search index
once at the end (its deletions only marked, as the job marks them for a run of many
people). The job also leaves the lock free after each batch (10-50% of the batch's
time) so that a clerk waiting for it gets in (the script would starve them); those
pauses are reported apart. The modules the job imports lazily are imported first, so
start-up is not timed. Then the same as whole processes: `lautex retention run --as-of
2026-11-25 --yes` (as cron runs it, batches of BATCH through LAUTEX_RETENTION_BATCH)
against the plain script run by `python -c` (it imports only the SQLite module and the
register's `finnish()` function, which the schema's triggers call). Prints
wall and CPU time of each (CPU: this process's in-process, the child's own for a whole
process) with the ratios (goal: within 2x as a whole process), the start-up (a whole
process's CPU time less the in-process run's) so the job's own work can be told from
it, and peak memory in-process (tracemalloc, one more run each; skipped above 100,000
customers, where it would double a long run), which should not grow with the register:
the job streams. The whole processes read bytecode from a cache of the run's own,
compiled first, as an installed lautex does.
"""

import hashlib
import inspect
import json
import os
import shutil
import statistics
import subprocess
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
from registers import copy_register, whole_process

from lautex_registry.erasure import cleanup as _cleanup  # noqa: F401 (the job imports them lazily)
from lautex_registry.erasure import erase as _erase  # noqa: F401
from lautex_registry.erasure.holds import billing_columns
from lautex_registry.erasure.retention import run_retention
from lautex_registry.platform import audit, collation, migrations
from lautex_registry.platform.db import connect, transaction
from lautex_registry.records import suppression  # noqa: F401 (warm imports
from lautex_registry.records.personal_data import PERSONAL_TABLES, personal_table

AS_OF = date(2026, 11, 25)
DUE_BEFORE = "2023-11-26"  # three years of inactivity (the default policy)
VOUCHERS_ISSUED_BY = "2019-12-31"  # six years after the financial year
LAPSED = "2023-11-25"  # a claim whose due date is on or before this has lapsed
REQUESTS_CLOSED_BY = "2023-11-25"
DOCUMENTS_BEFORE = "2023-11-26"
MEMORY_UP_TO = 100_000  # customers; tracemalloc above this would double a long run


def source_register(given: str, folder: Path) -> Path:
    """A register of `given` customers built in `folder`, or a migrated copy of `given`."""
    path = folder / "source.db"
    if given.isdigit():
        os.environ["LAUTEX_HOME"] = str(folder / "home")  # build_register logs `bench` in
        build_register(path, int(given), 1)
        return path
    copy_register(Path(given), path, folder / "home")  # with its `bench` session
    conn = connect(path)
    try:
        with transaction(conn):  # without `lautex migrate`'s safety copy: a copy
            migrations.apply_pending(conn)
    finally:
        conn.close()
    return path


def prepare(path: Path) -> tuple[int, int, dict[str, int]]:
    """Give the register its due rows (see the module's doc); customers, due, and counts."""
    conn = sqlite3.connect(path, isolation_level=None)
    collation.register(conn)  # the schema's triggers keep names' Finnish keys (migration 19)
    conn.execute("PRAGMA foreign_keys = ON")
    # Setting up, not timed: the index's deletions marked and merged once at the end.
    conn.execute("INSERT INTO customer_search(customer_search, rank) VALUES('secure-delete', 0)")
    first_order = "(SELECT min(o.id) FROM orders o WHERE o.customer_id = c.id)"
    billing = "'Bench Billing', 'Laskutie 1', '00100', 'Helsinki', 'FI'"
    conn.execute("BEGIN")
    conn.execute("UPDATE customers SET last_activity = '2020-01-01' WHERE id % 10 = 0")
    conn.execute(
        f"""INSERT INTO invoices (number, order_id, customer_id, issued_on, due_on,
               amount_cents, billing_name, billing_street, billing_postal_code, billing_city,
               billing_country, state, created_at)
           SELECT 'B' || c.id, {first_order}, c.id, '2026-10-01', '2026-10-15', 1250, {billing},
               'open', '2026-10-01T00:00:00Z'
           FROM customers c WHERE c.id % 1000 = 0"""
    )
    conn.execute(
        f"""INSERT INTO invoices (number, order_id, customer_id, issued_on, due_on,
               amount_cents, billing_name, billing_street, billing_postal_code, billing_city,
               billing_country, state, paid_on, created_at)
           SELECT 'V' || c.id, {first_order}, c.id, '2019-06-01', '2019-06-15', 1250, {billing},
               'paid', '2019-06-10', '2019-06-01T00:00:00Z'
           FROM customers c WHERE c.id % 20 = 5"""
    )
    # Anonymised with holds in 2019 for a claim that lapsed since.
    cleared = ", ".join(f"{c} = NULL" for c in personal_table("customers").columns)
    conn.execute(
        f"UPDATE customers SET {cleared}, state = 'anonymised-with-holds', source = 'anonymised', "
        "anonymised_on = '2019-09-01', organisation_id = NULL WHERE id % 100 = 3"
    )
    conn.execute(
        f"""INSERT INTO invoices (number, order_id, customer_id, issued_on, due_on,
               amount_cents, billing_name, billing_street, billing_postal_code, billing_city,
               billing_country, state, created_at)
           SELECT 'H' || c.id, {first_order}, c.id, '2019-03-01', '2019-03-15', 1250, {billing},
               'in-collection', '2019-03-01T00:00:00Z'
           FROM customers c WHERE c.id % 100 = 3"""
    )
    conn.execute(
        """INSERT INTO requests (customer_id, requester_name, requester_email, kind,
               received_on, channel, language, due_on, state, outcome, closed_on, created_at)
           SELECT id, 'Bench Requester', 'bench.' || id || '@example.fi', 'access',
               '2020-12-01', 'email', 'fi', '2021-01-01', 'closed', 'completed', '2021-01-15',
               '2020-12-01T00:00:00Z'
           FROM customers WHERE id % 20 = 7"""
    )
    conn.execute(
        """INSERT INTO documents (kind, request_id, customer_id, language, format, sha256,
               created_at)
           SELECT 'access-reply', q.id, q.customer_id, 'fi', 'pdf', hex(randomblob(32)),
               '2021-01-10T00:00:00Z'
           FROM requests q WHERE q.closed_on = '2021-01-15'"""
    )
    conn.execute(
        """INSERT INTO consents (customer_id, channel, status, recorded_on, source)
           SELECT id, 'email', 'given', '2019-01-01', 'web form' FROM customers
           WHERE id % 5 = 0 AND state = 'active'"""
    )
    conn.execute("COMMIT")
    conn.execute("INSERT INTO customer_search(customer_search) VALUES('optimize')")
    conn.execute("INSERT INTO customer_search(customer_search, rank) VALUES('secure-delete', 1)")
    conn.execute("ANALYZE")
    customers = conn.execute("SELECT count(*) FROM customers").fetchone()[0]
    due = conn.execute(
        "SELECT count(*) FROM customers WHERE state = 'active' AND last_activity < ? "
        "AND id % 1000 != 0",
        (DUE_BEFORE,),
    ).fetchone()[0]
    counts = {
        "vouchers": conn.execute(
            "SELECT count(*) FROM invoices WHERE issued_on <= ?", (VOUCHERS_ISSUED_BY,)
        ).fetchone()[0],
        "finished-erasures": conn.execute(
            "SELECT count(*) FROM customers WHERE state = 'anonymised-with-holds'"
        ).fetchone()[0],
        "closed-requests": conn.execute(
            "SELECT count(*) FROM requests WHERE closed_on <= ?", (REQUESTS_CLOSED_BY,)
        ).fetchone()[0],
        "documents": conn.execute(
            "SELECT count(*) FROM documents WHERE created_at < ?", (DOCUMENTS_BEFORE,)
        ).fetchone()[0],
    }
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return int(customers), int(due), counts


def plain_plan() -> dict[str, Any]:
    """What the plain script updates, worked out once (so the script itself, run as a
    whole process, imports nothing of lautex's but the SQLite module)."""
    owned = ["consents", "objections", "restrictions", "supplements", "import_run_customers"]
    cleared = [
        [entry.table, ", ".join(f"{c} = NULL" for c in entry.columns)]
        for entry in PERSONAL_TABLES
        if entry.customer_link and entry.table not in owned
        and entry.columns and entry.table != "invoices"
    ]  # fmt: skip
    sets = ", ".join(f"{c} = NULL" for c in personal_table("customers").columns)
    billing = ", ".join(f"{c} = NULL" for c in billing_columns())
    return {"owned": owned, "cleared": cleared, "sets": sets, "billing": billing,
            "as_of": AS_OF.isoformat(), "due_before": DUE_BEFORE,
            "vouchers_issued_by": VOUCHERS_ISSUED_BY, "lapsed": LAPSED,
            "requests_closed_by": REQUESTS_CLOSED_BY,
            "documents_before": DOCUMENTS_BEFORE}  # fmt: skip


def plain_script(path: str, batch: int, plan: dict[str, Any]) -> dict[str, int]:
    """The same updates with nothing but sqlite3: no holds, no journal, no hash chain."""
    conn = sqlite3.connect(path, isolation_level=None)
    # The schema's triggers check the stored name order with the register's finnish()
    # (migration 19): a script writing customers must have it.
    collation.register(conn)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA secure_delete = ON")
    # The search index: deletions only marked, one merge at the end (as the job does for
    # a run of many people, docs/rules.md §5; in place they cost milliseconds a person).
    conn.execute("INSERT INTO customer_search(customer_search, rank) VALUES('secure-delete', 0)")
    in_batch = "IN (SELECT value FROM json_each(?))"

    def audit_row(entity: str, entity_id: Any) -> None:
        digest = hashlib.sha256(str(entity_id).encode()).hexdigest()
        conn.execute(
            """INSERT INTO audit_log (at, user_id, username, action, entity, entity_id,
                   details_json, prev_hash, hash)
               VALUES ('x', NULL, 'plain', 'retention run', ?, ?, '{}', ?, ?)""",
            (entity, str(entity_id), digest, digest),
        )

    def batches(select: str, params: tuple[Any, ...], act: Callable[[str, list[int]], None]) -> int:
        """`select` (ids past the first parameter, in id order) a batch per transaction."""
        after, done = 0, 0
        while True:
            conn.execute("BEGIN IMMEDIATE")
            ids = [r[0] for r in conn.execute(select, (after, *params, batch))]
            if not ids:
                conn.execute("COMMIT")
                return done
            act(json.dumps(ids), ids)
            conn.execute("COMMIT")
            after, done = ids[-1], done + len(ids)

    def strip_vouchers(ids_json: str, ids: list[int]) -> None:
        conn.execute(
            f"UPDATE invoices SET {plan['billing']}, billing_data_removed_on = ? "
            f"WHERE id {in_batch}",
            (plan["as_of"], ids_json),
        )
        audit_row("invoice", None)

    def clear_people(ids_json: str) -> None:
        for table in plan["owned"]:
            conn.execute(f"DELETE FROM {table} WHERE customer_id {in_batch}", (ids_json,))
        for table, cols in plan["cleared"]:
            conn.execute(f"UPDATE {table} SET {cols} WHERE customer_id {in_batch}", (ids_json,))

    def erase(ids_json: str, ids: list[int]) -> None:
        conn.execute(
            f"UPDATE requests SET subject_erased_on = ? WHERE customer_id {in_batch}",
            (plan["as_of"], ids_json),
        )
        clear_people(ids_json)
        # orders, documents, requests and invoices lose the link (ON DELETE SET NULL)
        conn.execute(f"DELETE FROM customers WHERE id {in_batch}", (ids_json,))
        for customer_id in ids:
            audit_row("customer", customer_id)

    def anonymise(ids_json: str, ids: list[int]) -> None:
        clear_people(ids_json)
        conn.execute(
            f"UPDATE customers SET {plan['sets']}, organisation_id = NULL, state = 'anonymised', "
            f"anonymised_on = ? WHERE id {in_batch}",
            (plan["as_of"], ids_json),
        )
        for customer_id in ids:
            audit_row("customer", customer_id)

    def purge(table: str) -> Callable[[str, list[int]], None]:
        def delete(ids_json: str, ids: list[int]) -> None:
            conn.execute(f"DELETE FROM {table} WHERE id {in_batch}", (ids_json,))
            audit_row(table, None)

        return delete

    done: dict[str, int] = {}
    claim = "max(substr(i.due_on, 1, 10), substr(coalesce(i.last_reminder_on, i.due_on), 1, 10))"
    done["vouchers"] = batches(
        "SELECT i.id FROM invoices i WHERE i.id > ? AND i.billing_data_removed_on IS NULL "
        "AND substr(i.issued_on, 1, 10) <= ? AND NOT (i.state IN ('open', 'in-collection') "
        f"AND {claim} > ?) ORDER BY i.id LIMIT ?",
        (plan["vouchers_issued_by"], plan["lapsed"]),
        strip_vouchers,
    )
    done["finished-erasures"] = batches(
        "SELECT c.id FROM customers c WHERE c.id > ? AND c.state = 'anonymised-with-holds' "
        "AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.customer_id = c.id "
        "AND i.billing_data_removed_on IS NULL) ORDER BY c.id LIMIT ?",
        (),
        erase,
    )
    done["inactive-customers"] = batches(
        "SELECT c.id FROM customers c WHERE c.id > ? AND c.state = 'active' "
        "AND c.last_activity < ? AND NOT EXISTS (SELECT 1 FROM invoices i "
        "WHERE i.customer_id = c.id AND i.state IN ('open', 'in-collection')) "
        "ORDER BY c.id LIMIT ?",
        (plan["due_before"],),
        anonymise,
    )
    done["closed-requests"] = batches(
        "SELECT q.id FROM requests q WHERE q.id > ? AND q.state = 'closed' "
        "AND q.closed_on <= ? ORDER BY q.id LIMIT ?",
        (plan["requests_closed_by"],),
        purge("requests"),
    )
    done["documents"] = batches(
        "SELECT d.id FROM documents d WHERE d.id > ? AND d.created_at < ? ORDER BY d.id LIMIT ?",
        (plan["documents_before"],),
        purge("documents"),
    )
    conn.execute("INSERT INTO customer_search(customer_search, rank) VALUES('secure-delete', 1)")
    conn.execute("INSERT INTO customer_search(customer_search) VALUES('optimize')")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return done


# The plain script as a whole process: its own source, the SQLite module and json.
PLAIN_PROCESS = (
    "import hashlib, json, sys\n"
    "from collections.abc import Callable\n"
    "from typing import Any\n"
    "from lautex_registry.platform import collation\n"
    "from lautex_registry.platform.sqlite import sqlite3\n"
    + inspect.getsource(plain_script)
    + "\nprint(plain_script(sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])))\n"
)


YIELDED: list[float] = []
POLICIES = ("vouchers", "finished-erasures", "inactive-customers", "closed-requests", "documents")


def lautex_job(path: Path, batch: int) -> dict[str, int]:
    conn = connect(path)
    try:
        summary = run_retention(conn, audit.Actor(None, "bench"), AS_OF, batch=batch)
        YIELDED.append(summary.yielded)
        return {name: summary.counts[name] for name in POLICIES}
    finally:
        conn.close()


def timed(action: Callable[[Path], dict[str, int]], path: Path) -> tuple[float, float, Any]:
    """Wall and CPU time (this process's) of an in-process run on `path`, and its counts."""
    started, cpu = time.perf_counter(), time.process_time()
    counts = action(path)
    return time.perf_counter() - started, time.process_time() - cpu, counts


def peak_mib(action: Callable[[], Any]) -> float:
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


def bytecode_env(folder: Path) -> dict[str, str]:
    """The environment of the whole processes: bytecode from a cache of the run's own,
    compiled before timing, as an installed lautex reads its `.pyc` files (with
    PYTHONDONTWRITEBYTECODE set and no `__pycache__` in the checkout, every lautex process
    would compile its sources, and the plain script's standard modules would not)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("LAUTEX_TOKEN", "LAUTEX_DB", "PYTHONDONTWRITEBYTECODE")}  # fmt: skip
    env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    package = Path(__file__).parent.parent / "lautex_registry"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], env=env, check=True)
    # The cache holds every module a process reads, the standard library's and Typer's too:
    # one untimed start of the command and an import of what the run imports later.
    subprocess.run([sys.executable, "-m", "lautex_registry", "retention", "run", "--help"],
                   env=env, check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    subprocess.run([sys.executable, "-c", WARM_IMPORTS], env=env, check=True)
    return env


# What a run imports after its start (lazily) and the plain script imports.
WARM_IMPORTS = (
    "import fcntl, hashlib, hmac, json, random, secrets, dateutil.relativedelta\n"
    "import lautex_registry.erasure.erase, lautex_registry.erasure.cleanup\n"
    "import lautex_registry.erasure.retention, lautex_registry.cli.prompts\n"
    "from lautex_registry.platform import collation\n"
)


def medians(runs: list[tuple[float, float]]) -> tuple[float, float]:
    wall, cpu = (statistics.median(x) for x in zip(*runs, strict=True))
    return wall, cpu


def ratio_line(
    label: str, ours: list[tuple[float, float]], plain: list[tuple[float, float]]
) -> str:
    (o_wall, o_cpu), (p_wall, p_cpu) = medians(ours), medians(plain)
    return (f"{label:<14} lautex {o_wall:7.2f} s wall {o_cpu:7.2f} s CPU | plain {p_wall:7.2f} s "
            f"wall {p_cpu:7.2f} s CPU | ratio {o_wall / p_wall:.2f}x wall, "
            f"{o_cpu / p_cpu:.2f}x CPU (goal: within 2x)")  # fmt: skip


def main() -> None:
    given = sys.argv[1] if len(sys.argv) > 1 else "20000"
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        source = source_register(given, Path(folder))  # LAUTEX_HOME: the copy's own home
        env = bytecode_env(Path(folder))
        customers, due, counts = prepare(source)
        print(f"register ready in {time.perf_counter() - started:.0f} s", flush=True)
        ours, plain, pauses, ours_p, plain_p = [], [], [], [], []
        for _ in range(repeats):  # alternating, so a busy machine slows both alike
            wall, cpu, ours_n = timed(lambda p: lautex_job(p, batch), fresh_copy(source, "ours"))
            ours.append((wall, cpu))
            pauses.append(YIELDED[-1])
            wall, cpu, plain_n = timed(
                lambda p: plain_script(str(p), batch, plain_plan()), fresh_copy(source, "plain")
            )
            plain.append((wall, cpu))
            ours_p.append(lautex_process(fresh_copy(source, "ours"), batch, env))
            plain_p.append(plain_process(fresh_copy(source, "plain"), batch, env))
            print(f"run: in-process {ours[-1][1]:.2f} / {plain[-1][1]:.2f} s CPU, whole "
                  f"{ours_p[-1][1]:.2f} / {plain_p[-1][1]:.2f} s CPU", flush=True)  # fmt: skip
        memory = ""
        if customers <= MEMORY_UP_TO:
            ours_mb = peak_mib(lambda: lautex_job(fresh_copy(source, "ours"), batch))
            plain_mb = peak_mib(
                lambda: plain_script(str(fresh_copy(source, "plain")), batch, plain_plan())
            )
            memory = (f"; peak Python memory in-process: lautex {ours_mb:.1f} MiB, "
                      f"plain {plain_mb:.1f} MiB")  # fmt: skip
    paused = statistics.median(pauses)
    working = statistics.median(o[0] - p for o, p in zip(ours, pauses, strict=True))
    plain_wall = statistics.median(p[0] for p in plain)
    print(f"{customers} customers, {due} due, batches of {batch}, medians of {repeats} runs")
    print(f"set up: {json.dumps(counts)}")
    print(f"done: lautex {json.dumps(ours_n)}, plain {json.dumps(plain_n)}{memory}")
    if ours_n != plain_n:
        sys.exit("the job and the plain script did different work: the benchmark is wrong")
    print(ratio_line("in-process", ours, plain))
    print(ratio_line("whole process", ours_p, plain_p))
    # Start-up (Python, imports, the CLI, opening and logging in) is what a whole process
    # spends besides the in-process run: lautex's is fixed, whatever the register's size.
    (_, o_cpu), (_, p_cpu) = medians(ours_p), medians(plain_p)
    (_, o_job), (_, p_job) = medians(ours), medians(plain)
    print(f"start-up (whole process less in-process), CPU: lautex {o_cpu - o_job:.2f} s, "
          f"plain {p_cpu - p_job:.2f} s")  # fmt: skip
    # Between batches the job pauses briefly so a clerk waiting for the lock gets it.
    print(
        f"in-process pauses for clerks: {paused:.2f} s; wall ratio without them: "
        f"{working / plain_wall:.2f}x"
    )


if __name__ == "__main__":
    main()
