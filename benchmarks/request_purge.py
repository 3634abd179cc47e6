"""Purging closed requests, with and without indexes on the columns that point at them.

    python benchmarks/request_purge.py [REQUESTS] [DELETED] [REGISTER]

Defaults: 20000 requests, each with an objection, a restriction, a supplement and a
notice linked to it, of which DELETED=500 are deleted as the retention job deletes
closed requests (one DELETE per request, foreign keys on). The requests are customer
1's, in a register of one customer, or in a copy of REGISTER (a path: one generate.py
built, e.g. of 1000000 customers, so the child tables sit beside a full register).
Two copies of the same register: one at the schema before the foreign-key indexes
(the indexes dropped), one as migrated. Prints each wall and CPU time (medians of 3,
the two copies in turns) and the ratio. Without the indexes
every deleted request makes SQLite scan the four child tables to apply ON DELETE
SET NULL; with them it is four index probes.
"""

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lautex_registry.platform.sqlite import sqlite3

sys.path.insert(0, str(Path(__file__).parent))

from registers import register_for

from lautex_registry.platform import migrations
from lautex_registry.platform.db import connect, transaction

ROWS = {
    "requests": "INSERT INTO requests (id, customer_id, kind, received_on, channel, language, "
    "due_on, state, outcome, closed_on, created_at) VALUES (?, 1, 'access', '2020-01-01', "
    "'email', 'fi', '2020-02-01', 'closed', 'completed', '2020-01-20', '2020-01-01T00:00:00Z')",
    "objections": "INSERT INTO objections (customer_id, purpose, received_on, channel, "
    "request_id) VALUES (1, 'direct-marketing', '2020-01-01', 'email', ?)",
    "restrictions": "INSERT INTO restrictions (customer_id, reason, started_on, request_id) "
    "VALUES (1, 'accuracy contested', '2020-01-01', ?)",
    "supplements": "INSERT INTO supplements (customer_id, text, added_on, request_id) "
    "VALUES (1, 'supplement', '2020-01-01', ?)",
    "notices": "INSERT INTO notices (customer_id, kind, addressee_kind, source, created_on, "
    "request_id) VALUES (1, 'rectification', 'source', 'web-store', '2020-01-01', ?)",
}


def build(folder: Path, requests: int, given: str) -> Path:
    """A register (of one customer, or a copy of `given`) with REQUESTS closed requests of
    customer 1, each with 4 linked rows."""
    path, _customers = register_for(given, folder, 0)
    conn = connect(path)
    with transaction(conn):
        for sql in ROWS.values():
            conn.executemany(sql, ((i,) for i in range(1, requests + 1)))
    conn.close()
    return path


def purge(path: Path, deleted: int) -> tuple[float, float]:
    conn = connect(path)
    started, started_cpu = time.perf_counter(), time.process_time()
    conn.execute("BEGIN IMMEDIATE")
    for request_id in range(1, deleted + 1):
        conn.execute("DELETE FROM requests WHERE id = ?", (request_id,))
    conn.execute("ROLLBACK")  # the same work on every repeat
    elapsed, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    conn.close()
    return elapsed, cpu


def main() -> None:
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    deleted = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    given = sys.argv[3] if len(sys.argv) > 3 else "1"
    with tempfile.TemporaryDirectory() as folder:
        indexed = build(Path(folder), requests, given)
        bare = Path(folder) / "bare.db"
        shutil.copyfile(indexed, bare)
        with sqlite3.connect(bare) as conn:
            for statement in migrations.named("m0009_foreign_key_indexes").statements:
                name = statement.split(" IF NOT EXISTS ")[1].split(" ON ")[0]
                conn.execute(f"DROP INDEX {name}")
        with_index, without = [], []
        for _ in range(3):
            with_index.append(purge(indexed, deleted))
            without.append(purge(bare, deleted))
    print(f"{deleted} of {requests} requests deleted, each with 4 linked rows "
          f"({'one customer' if given == '1' else given}), medians of 3:")  # fmt: skip
    for kind, k in (("wall", 0), ("cpu", 1)):
        slow = statistics.median(t[k] for t in without)
        fast = statistics.median(t[k] for t in with_index)
        print(f"  {kind}: without the indexes {slow * 1000:9.1f} ms, "
              f"with them {fast * 1000:9.1f} ms   ({slow / fast:.0f}x faster)")  # fmt: skip


if __name__ == "__main__":
    main()
