"""`marketing list` against one plain SQL query producing the same rows.

    python benchmarks/marketing_list.py [CUSTOMERS | REGISTER] [RUNS]

Builds a register of CUSTOMERS customers (default 10000; the issue's full size is
1000000) with 3 orders each, or copies REGISTER (a path: one generate.py built), then
gives 30 % of them an email consent (a tenth of
those later withdrawn), 1 % an objection and 0.1 % a restriction. Then, interleaved
RUNS times (default 3), for `direct-advertising` by email:

- lautex: `MarketingList(...).rows()` consumed to the end (what `lautex marketing
  list` streams out, with its left-out counts);
- plain: one hand-written SQL query whose WHERE clause applies the same rules,
  rows fetched as tuples.

Prints the medians of wall and CPU time (the CPU time is the steadier figure on a
shared machine), the ratios, and checks that both produced the same ids.
"""

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lautex_registry.platform.sqlite import sqlite3

sys.path.insert(0, str(Path(__file__).parent))

from registers import register_for

from lautex_registry.marketing.lists import MarketingList
from lautex_registry.platform.db import connect

PLAIN = """
SELECT c.id, c.first_name, c.last_name, o.name, c.language, c.email
FROM customers c LEFT JOIN organisations o ON o.id = c.organisation_id
WHERE c.state NOT IN ('anonymised', 'anonymised-with-holds') AND c.state != 'restricted'
  AND NOT EXISTS (SELECT 1 FROM restrictions r WHERE r.customer_id = c.id
                  AND r.lifted_on IS NULL)
  AND NOT EXISTS (SELECT 1 FROM objections j WHERE j.customer_id = c.id
                  AND j.withdrawn_on IS NULL
                  AND j.purpose IN ('all', 'direct-advertising', 'direct-marketing',
                                    'publication'))
  AND o.marketing_prohibited_on IS NULL
  AND COALESCE((SELECT k.status FROM consents k WHERE k.customer_id = c.id
                AND k.channel = 'email' ORDER BY k.recorded_on DESC, k.id DESC LIMIT 1),
               '') != 'withdrawn'
  AND (c.organisation_id IS NOT NULL
       OR (SELECT k.status FROM consents k WHERE k.customer_id = c.id
           AND k.channel = 'email' ORDER BY k.recorded_on DESC, k.id DESC LIMIT 1) = 'given')
  AND c.email IS NOT NULL AND c.email != ''
ORDER BY c.id
"""


def add_marketing_facts(path: Path, customers: int) -> None:
    rng = random.Random(2)
    conn = sqlite3.connect(path)
    consents, objections, restrictions = [], [], []
    for cid in range(1, customers + 1):
        draw = rng.random()
        if draw < 0.3:
            consents.append((cid, "given", "2025-01-01"))
            if draw < 0.03:
                consents.append((cid, "withdrawn", "2025-06-01"))
        if rng.random() < 0.01:
            objections.append((cid, rng.choice(("all", "direct-advertising", "market-research"))))
        if rng.random() < 0.001:
            restrictions.append((cid,))
    with conn:
        conn.executemany(
            "INSERT INTO consents (customer_id, channel, status, recorded_on, source)"
            " VALUES (?, 'email', ?, ?, 'web-store')",
            consents,
        )
        conn.executemany(
            "INSERT INTO objections (customer_id, purpose, received_on, channel)"
            " VALUES (?, ?, '2025-02-01', 'email')",
            objections,
        )
        conn.executemany(
            "INSERT INTO restrictions (customer_id, reason, started_on)"
            " VALUES (?, 'accuracy contested', '2025-03-01')",
            restrictions,
        )
        conn.execute("ANALYZE")
    conn.close()


def lautex(path: Path) -> list[int]:
    conn = connect(path)
    try:
        run = MarketingList(conn, "direct-advertising", "email")
        ids = [row["id"] for row in run.rows()]
        run.end_read()
        return ids
    finally:
        conn.close()


def plain(path: Path) -> list[int]:
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute(PLAIN)]
    finally:
        conn.close()


def main() -> None:
    given = sys.argv[1] if len(sys.argv) > 1 else "10000"
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory() as tmp:
        path, customers = register_for(given, Path(tmp))
        add_marketing_facts(path, customers)
        if lautex(path) != plain(path):
            sys.exit("the lists differ: the benchmark's plain query is not the same list")
        wall: dict[str, list[float]] = {"lautex": [], "plain": []}
        cpu: dict[str, list[float]] = {"lautex": [], "plain": []}
        for _ in range(runs):
            for name, action in (("plain", plain), ("lautex", lautex)):
                started, started_cpu = time.perf_counter(), time.process_time()
                listed = len(action(path))
                wall[name].append(time.perf_counter() - started)
                cpu[name].append(time.process_time() - started_cpu)
    print(f"{customers} customers, {listed} listed, medians of {runs} interleaved runs")
    for label, times in (("wall", wall), ("cpu", cpu)):
        ours, base = statistics.median(times["lautex"]), statistics.median(times["plain"])
        print(
            f"marketing list {label:4}  lautex {ours * 1000:8.0f} ms"
            f"  plain {base * 1000:8.0f} ms  {ours / base:.2f}x"
        )


if __name__ == "__main__":
    main()
