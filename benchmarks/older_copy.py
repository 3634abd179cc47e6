"""`backup verify` and `restore --dry-run` of a copy taken before an upgrade, against the same
of a copy at the current schema and against plain sqlite3, in the same run.

    python benchmarks/older_copy.py REGISTER [REPEATS]

REGISTER is a register generate.py built with an older lautex (the shared /work/bench/r10k.db
is at schema 16); it is never written. Its bytes are the copy taken before the upgrade; a
private copy of it, migrated as `lautex migrate` does, is the live register, and a
`VACUUM INTO` of that one is a copy taken after the upgrade. Then, alternating so that a
busy machine slows every side alike (medians of REPEATS, default 3):

- plain: `PRAGMA integrity_check` of the older copy with the sqlite3 module (the baseline:
  the read every check of a copy starts with);
- verify current / verify older: `verify_copy` (integrity, schema, the journal replay
  planned: on a migrated private copy for the older one);
- dry run current / dry run older: `restore_copy(..., dry_run=True)` (staged, migrated when
  older, the replay planned), what `lautex restore --dry-run` and every restore's preview do.

Prints each wall and CPU time and its ratio to the baseline.
"""

import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from registers import register_for

from lautex_registry.erasure.backup_copies import restore_copy, verify_copy
from lautex_registry.platform import audit, migrations
from lautex_registry.platform.db import connect
from lautex_registry.platform.schema_upgrade import migrate
from lautex_registry.platform.sqlite import sqlite3

ACTOR = audit.Actor(None, "benchmark")


def timed(action: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds of one action."""
    started, started_cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - started, time.process_time() - started_cpu


def integrity(path: Path) -> None:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def main() -> None:
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    given = Path(sys.argv[1])
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        older = folder / "older.db"
        shutil.copyfile(given, older)  # the bytes only: the shared register stays unwritten
        older.chmod(0o600)
        live, customers = register_for(str(given), folder)
        conn = connect(live)
        version = migrations.current_version(conn)
        migrate(conn, live, ACTOR, backup_dir=folder / "safety")
        current = folder / "current.db"
        conn.execute("VACUUM INTO ?", (str(current),))
        sides: dict[str, Callable[[], object]] = {
            "plain": lambda: integrity(older),
            "verify current": lambda: verify_copy(conn, ACTOR, current, None),
            "verify older": lambda: verify_copy(conn, ACTOR, older, None),
            "dry run current": lambda: restore_copy(
                conn, ACTOR, current, date.today(), identities=None, dry_run=True
            ),
            "dry run older": lambda: restore_copy(
                conn, ACTOR, older, date.today(), identities=None, dry_run=True
            ),
        }
        times: dict[str, list[tuple[float, float]]] = {side: [] for side in sides}
        for _ in range(repeats):
            for side, action in sides.items():
                times[side].append(timed(action))
        conn.close()
    print(f"{customers} customers; the older copy at schema {version}, this lautex at "
          f"{migrations.LATEST}; medians of {repeats} runs")  # fmt: skip
    base_wall, base_cpu = (statistics.median(t[k] for t in times["plain"]) for k in (0, 1))
    for side in sides:
        wall, cpu = (statistics.median(t[k] for t in times[side]) for k in (0, 1))
        print(f"{side:18} {wall:8.3f} s  {wall / base_wall:6.2f}x   "
              f"CPU {cpu:8.3f} s  {cpu / base_cpu:6.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
