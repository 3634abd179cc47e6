"""How often erasing one customer leaves a term only they held naming a leaf page of the
search index's `_idx` table, so the erasure must merge the index (docs/rules.md §5).

    python benchmarks/exposed_terms.py REGISTER [PEOPLE]

Copies REGISTER, brings the copy to the current schema (migration 17 merges the index
into one segment), then for PEOPLE random customers (20 by default, seed 5) clears the
search text as an erasure does (the triggers delete the tokens in place), asks
`cleanup.owe_merge_if_exposed` and rolls back: each person is measured against the same
index. Prints how many needed the merge, the CPU time of the check and of one merge.
"""

import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from lautex_registry.erasure.cleanup import MERGE_PENDING, make_owed_merge, owe_merge_if_exposed
from lautex_registry.platform import migrations
from lautex_registry.platform.db import connect, transaction


def main(source: Path, people: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "r.db"
        shutil.copyfile(source, copy)
        conn = connect(copy)
        with transaction(conn):
            migrations.apply_pending(conn)
        ids = [
            int(r[0])
            for r in conn.execute("SELECT id FROM customers WHERE search_text IS NOT NULL")
        ]
        leaves = conn.execute("SELECT count(*) FROM customer_search_idx").fetchone()[0]
        chosen = random.Random(5).sample(ids, people)
        exposed, cpu = 0, 0.0
        for cid in chosen:
            conn.execute("BEGIN IMMEDIATE")
            (text,) = conn.execute(
                "SELECT search_text FROM customers WHERE id = ?", (cid,)
            ).fetchone()
            conn.execute("UPDATE customers SET search_text = NULL WHERE id = ?", (cid,))
            started = time.process_time()
            owed = owe_merge_if_exposed(conn, [text])
            cpu += time.process_time() - started
            assert (
                conn.execute("SELECT 1 FROM meta WHERE key = ?", (MERGE_PENDING,)).fetchone()
                or not owed
            )
            exposed += owed
            conn.execute("ROLLBACK")
        # What an erasure that owes one pays: the merge (one segment made two, optimised).
        with transaction(conn):
            conn.execute("INSERT INTO meta (key, value) VALUES (?, '1')", (MERGE_PENDING,))
        started = time.process_time()
        make_owed_merge(conn)
        merge = time.process_time() - started
        conn.close()
    print(
        f"{source.name}: {len(ids)} customers, {leaves} _idx rows (leaf pages a term starts on); "
        f"{exposed}/{people} erasures owe a merge; check {cpu / people * 1000:.2f} ms CPU each; "
        f"the merge {merge * 1000:.0f} ms CPU"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 20)
