"""`customer show` and `customer search` against plain sqlite3 doing the same work.

    python benchmarks/lookups.py [CUSTOMERS] [PROCESS_RUNS] [CALLS]

Builds a register of CUSTOMERS customers with 3 orders each (default 100000;
the issue's full size is 1000000, i.e. 3000000 orders), then prints medians of:

- `customer show` by id and by email, in-process (the service functions) and as
  a whole process (`lautex customer show REF --format json`);
- `customer search` of a surname part typed without accents, in-process and whole;

each next to plain sqlite3 doing the same reads (and, for whole processes, a
plain `python -c` script printing the same JSON), with the ratio.
"""

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from lautex_registry.platform.sqlite import sqlite3

sys.path.insert(0, str(Path(__file__).parent))

from generate import build_register, person

from lautex_registry.platform.db import connect
from lautex_registry.records import customers, lookup
from lautex_registry.records.person import person_record
from lautex_registry.records.personal_data import PERSONAL_TABLES

LINKED = [(t.table, t.customer_link) for t in PERSONAL_TABLES if t.customer_link]

PLAIN_SHOW = """
import json, sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
conn.row_factory = sqlite3.Row
ref = sys.argv[2]
linked = json.loads(sys.argv[3])
if ref.isdigit():
    cid = int(ref)
else:
    sql = "SELECT id FROM customers WHERE email = ? COLLATE NOCASE"
    cid = conn.execute(sql, (ref,)).fetchone()[0]
out = {"customer": dict(conn.execute(
    "SELECT c.*, o.name AS organisation FROM customers c "
    "LEFT JOIN organisations o ON o.id = c.organisation_id WHERE c.id = ?", (cid,)).fetchone())}
for table, link in linked:
    rows = [dict(r) for r in conn.execute(f"SELECT * FROM {table} WHERE {link} = ?", (cid,))]
    if table == "orders":
        for r in rows:
            r["lines"] = [dict(x) for x in conn.execute(
                "SELECT * FROM order_lines WHERE order_id = ?", (r["id"],))]
    out[table] = rows
print(json.dumps(out, ensure_ascii=False, default=str))
"""

PLAIN_SEARCH = """
import json, sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
conn.row_factory = sqlite3.Row
rows = conn.execute(
    "SELECT c.id, c.first_name, c.last_name, o.name AS organisation, c.email, c.phone, c.city, "
    "c.source, c.state, c.last_activity FROM customers c "
    "LEFT JOIN organisations o ON o.id = c.organisation_id WHERE c.search_text LIKE ? "
    "ORDER BY c.last_name, c.first_name, c.id LIMIT 100", ("%" + sys.argv[2] + "%",))
print(json.dumps([dict(r) for r in rows], ensure_ascii=False))
"""


def plain_show(conn: sqlite3.Connection, ref: str) -> str:
    """What `customer show` reads, written directly against sqlite3."""
    if ref.isdigit():
        cid = int(ref)
    else:
        cid = conn.execute(
            "SELECT id FROM customers WHERE email = ? COLLATE NOCASE", (ref,)
        ).fetchone()[0]
    out: dict[str, Any] = {
        "customer": dict(
            conn.execute(
                "SELECT c.*, o.name AS organisation FROM customers c "
                "LEFT JOIN organisations o ON o.id = c.organisation_id WHERE c.id = ?",
                (cid,),
            ).fetchone()
        )
    }
    for table, link in LINKED:
        rows = [dict(r) for r in conn.execute(f"SELECT * FROM {table} WHERE {link} = ?", (cid,))]
        if table == "orders":
            for r in rows:
                r["lines"] = [
                    dict(x)
                    for x in conn.execute(
                        "SELECT * FROM order_lines WHERE order_id = ?", (r["id"],)
                    )
                ]
        out[table] = rows
    return json.dumps(out, ensure_ascii=False, default=str)


def lautex_show(conn: sqlite3.Connection, ref: str) -> str:
    row = lookup.resolve_customer(conn, ref)
    return json.dumps(person_record(conn, int(row["id"])), ensure_ascii=False, default=str)


def plain_search(conn: sqlite3.Connection, text: str) -> str:
    rows = conn.execute(
        "SELECT c.id, c.first_name, c.last_name, o.name AS organisation, c.email, c.phone, "
        "c.city, c.source, c.state, c.last_activity FROM customers c "
        "LEFT JOIN organisations o ON o.id = c.organisation_id WHERE c.search_text LIKE ? "
        "ORDER BY c.last_name, c.first_name, c.id LIMIT 100",
        (f"%{text}%",),
    )
    return json.dumps([dict(r) for r in rows], ensure_ascii=False)


def lautex_search(conn: sqlite3.Connection, text: str) -> str:
    return json.dumps(customers.search_customers(conn, text), ensure_ascii=False)


def median_call(action: Callable[[str], object], refs: list[str]) -> float:
    timings = []
    for ref in refs:
        start = time.perf_counter()
        action(ref)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def median_processes(
    argvs: tuple[list[str], list[str]], env: dict[str, str], runs: int
) -> tuple[float, float]:
    """Median wall time of each of two commands, run in turns so load hits both alike."""
    timings: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for argv, times in zip(argvs, timings, strict=True):
            start = time.perf_counter()
            subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
            times.append(time.perf_counter() - start)
    return statistics.median(timings[0]), statistics.median(timings[1])


def report(label: str, ours: float, plain: float) -> None:
    print(f"{label:<44} lautex {ours * 1000:9.3f} ms   sqlite3 {plain * 1000:9.3f} ms   "
          f"ratio {ours / plain:6.2f}x")  # fmt: skip


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 11
    calls = int(sys.argv[3]) if len(sys.argv) > 3 else 300
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        env = dict(os.environ, LAUTEX_HOME=f"{folder}/home", LAUTEX_DB=str(db))
        env.pop("LAUTEX_TOKEN", None)
        os.environ.update(LAUTEX_HOME=env["LAUTEX_HOME"])
        started = time.perf_counter()
        build_register(db, size)
        print(f"register: {size} customers, {3 * size} orders "
              f"(built in {time.perf_counter() - started:.1f} s)")  # fmt: skip
        rng = random.Random(7)
        picks = [rng.randrange(size) for _ in range(calls)]
        ids = [str(i + 1) for i in picks]
        emails = [person(i)["email"].upper() for i in picks]  # any case finds the customer
        surname = person(size // 2)["last_name"]
        term = customers.fold_for_search(surname)  # e.g. "maatta50000": accents dropped
        conn = connect(db)
        for label, ours, plain, refs in (
            ("customer show by id (in-process)", lautex_show, plain_show, ids),
            ("customer show by email (in-process)", lautex_show, plain_show, emails),
        ):
            report(label, median_call(partial(ours, conn), refs),
                   median_call(partial(plain, conn), refs))  # fmt: skip
        search_runs = [term] * max(5, runs)
        report(f"customer search {term!r} (in-process)",
               median_call(lambda t: lautex_search(conn, t), search_runs),
               median_call(lambda t: plain_search(conn, t), search_runs))  # fmt: skip
        conn.close()
        lautex = [sys.executable, "-m", "lautex_registry"]
        plain_py = [sys.executable, "-c"]
        linked = json.dumps(LINKED)
        for label, ours_argv, plain_argv in (
            ("customer show by id (whole process)",
             [*lautex, "customer", "show", ids[0], "--format", "json"],
             [*plain_py, PLAIN_SHOW, str(db), ids[0], linked]),
            ("customer show by email (whole process)",
             [*lautex, "customer", "show", emails[0], "--format", "json"],
             [*plain_py, PLAIN_SHOW, str(db), emails[0], linked]),
            (f"customer search {term!r} (whole process)",
             [*lautex, "customer", "search", term, "--format", "json"],
             [*plain_py, PLAIN_SEARCH, str(db), term]),
        ):  # fmt: skip
            report(label, *median_processes((ours_argv, plain_argv), env, runs))


if __name__ == "__main__":
    main()
