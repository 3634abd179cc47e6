"""`customer show` and `customer search` against plain sqlite3 doing the same work.

    python benchmarks/lookups.py [CUSTOMERS | REGISTER] [PROCESS_RUNS] [CALLS]

Builds a register of CUSTOMERS customers with 3 orders each (default 100000;
the issue's full size is 1000000, i.e. 3000000 orders), or works on a copy of
REGISTER (a path: one generate.py built, with its session under $LAUTEX_HOME),
then prints medians of:

- `customer show` by id and by email, in-process (the service functions) and as
  a whole process (`lautex customer show REF --format json`);
- `customer search` of a surname part typed without accents, in-process and whole;

each next to plain sqlite3 doing the same reads (and, for whole processes, a
plain `python -c` script printing the same JSON), with the ratio, in wall and in
CPU time (the steadier figure on a shared machine). The two sides take turns.
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

from generate import person
from registers import children_cpu, register_for

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


Timings = tuple[list[float], list[float]]  # wall and CPU seconds of each call


def median_calls(
    actions: tuple[Callable[[str], object], Callable[[str], object]], refs: list[str]
) -> tuple[Timings, Timings]:
    """Wall and CPU time of each call of lautex and of plain sqlite3, in turns."""
    timings: tuple[Timings, Timings] = (([], []), ([], []))
    for ref in refs:
        for action, (wall, cpu) in zip(actions, timings, strict=True):
            start, start_cpu = time.perf_counter(), time.process_time()
            action(ref)
            cpu.append(time.process_time() - start_cpu)
            wall.append(time.perf_counter() - start)
    return timings


def median_processes(
    argvs: tuple[list[str], list[str]], env: dict[str, str], runs: int
) -> tuple[Timings, Timings]:
    """Wall and CPU time of each of two commands, run in turns so load hits both alike."""
    timings: tuple[Timings, Timings] = (([], []), ([], []))
    for _ in range(runs):
        for argv, (wall, cpu) in zip(argvs, timings, strict=True):
            start, start_cpu = time.perf_counter(), children_cpu()
            subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
            cpu.append(children_cpu() - start_cpu)
            wall.append(time.perf_counter() - start)
    return timings


def report(label: str, ours: Timings, plain: Timings) -> None:
    for kind, mine, theirs in (("wall", ours[0], plain[0]), ("cpu", ours[1], plain[1])):
        a, b = statistics.median(mine), statistics.median(theirs)
        print(f"{label:<44} {kind:4} lautex {a * 1000:9.3f} ms   sqlite3 {b * 1000:9.3f} ms   "
              f"ratio {a / b:6.2f}x")  # fmt: skip


def main() -> None:
    given = sys.argv[1] if len(sys.argv) > 1 else "100000"
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 11
    calls = int(sys.argv[3]) if len(sys.argv) > 3 else 300
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        db, size = register_for(given, Path(folder))
        env = dict(os.environ, LAUTEX_DB=str(db))  # register_for set LAUTEX_HOME
        env.pop("LAUTEX_TOKEN", None)
        print(f"register: {size} customers "
              f"(built or copied in {time.perf_counter() - started:.1f} s)")  # fmt: skip
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
            report(label, *median_calls((partial(ours, conn), partial(plain, conn)), refs))
        search_runs = [term] * max(5, runs)
        report(f"customer search {term!r} (in-process)",
               *median_calls((partial(lautex_search, conn), partial(plain_search, conn)),
                             search_runs))  # fmt: skip
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
