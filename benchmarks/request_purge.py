"""Purging closed requests, with and without indexes on the columns that point at them.

    python benchmarks/request_purge.py [REQUESTS] [DELETED]

Defaults: 20000 requests, each with an objection, a restriction, a supplement and a
notice linked to it, of which DELETED=500 are deleted as the retention job deletes
closed requests (one DELETE per request, foreign keys on). Two copies of the same
register: one at the schema before the foreign-key indexes (the indexes dropped),
one as migrated. Prints each time (medians of 3) and the ratio. Without the indexes
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

from generate import build_register

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


def build(path: Path, requests: int) -> None:
    """A register with one customer and REQUESTS closed requests, each with 4 linked rows."""
    build_register(path, 1, 0)
    conn = connect(path)
    with transaction(conn):
        for sql in ROWS.values():
            conn.executemany(sql, ((i,) for i in range(1, requests + 1)))
    conn.close()


def purge(path: Path, deleted: int) -> float:
    conn = connect(path)
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    for request_id in range(1, deleted + 1):
        conn.execute("DELETE FROM requests WHERE id = ?", (request_id,))
    conn.execute("ROLLBACK")  # the same work on every repeat
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def main() -> None:
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    deleted = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    with tempfile.TemporaryDirectory() as folder:
        indexed = Path(folder) / "indexed.db"
        build(indexed, requests)
        bare = Path(folder) / "bare.db"
        shutil.copy(indexed, bare)
        with sqlite3.connect(bare) as conn:
            for statement in migrations.named("m0009_foreign_key_indexes").statements:
                name = statement.split(" IF NOT EXISTS ")[1].split(" ON ")[0]
                conn.execute(f"DROP INDEX {name}")
        with_index = statistics.median(purge(indexed, deleted) for _ in range(3))
        without = statistics.median(purge(bare, deleted) for _ in range(3))
    print(f"{deleted} of {requests} requests deleted, each with 4 linked rows:")
    print(f"  without the indexes {without * 1000:9.1f} ms")
    print(
        f"  with the indexes    {with_index * 1000:9.1f} ms   ({without / with_index:.0f}x faster)"
    )


if __name__ == "__main__":
    main()
