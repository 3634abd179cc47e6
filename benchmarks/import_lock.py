"""How long a clerk's write waits while `customer import` runs, before and after staging.

    python benchmarks/import_lock.py [ROWS] [BEFORE_CHECKOUT]

Default 100000 rows. BEFORE_CHECKOUT is another checkout of the project (the code before
the import staged its rows, e.g. a worktree of an older commit); without it only this
checkout is measured. For each side, `lautex customer import FILE` runs as its own
process on a register of 1000 customers, while a clerk in this process writes every
0.1 s as the CLI does (BEGIN IMMEDIATE with the register's 5 s busy timeout, one
UPDATE, COMMIT). Printed per side: the import's seconds and peak memory, the clerk's
writes, how many failed after 5 s (a clerk's exit 6), the median and the longest wait
for the write lock, and the longest wait as a ratio of the same write with no import
running (plain sqlite3, same run).
"""

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lautex_registry.platform.sqlite import sqlite3

sys.path.insert(0, str(Path(__file__).parent))

from generate import build_register, write_csv

from lautex_registry.platform.db import BUSY_TIMEOUT_MS

HERE = Path(__file__).resolve().parent.parent


def clerk_write(conn: sqlite3.Connection, n: int) -> float:
    """Seconds until the write lock was taken; raises sqlite3.OperationalError when busy."""
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    waited = time.perf_counter() - started
    conn.execute(
        "UPDATE customers SET notes = ?, updated_at = '2026-11-27T12:00:00Z' WHERE id = 1",
        (f"call {n}",),
    )
    conn.execute("COMMIT")
    return waited


def clerk_connection(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(db, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def baseline(db: Path, writes: int = 30) -> float:
    """The median seconds to take the lock with no import running."""
    conn = clerk_connection(db)
    waits = [clerk_write(conn, n) for n in range(writes)]
    conn.close()
    return statistics.median(waits)


def measure(code: Path, db: Path, csv_path: Path) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(code))
    env.pop("LAUTEX_TOKEN", None)
    importer = subprocess.Popen(
        [sys.executable, "-m", "lautex_registry", "--db", str(db), "customer", "import",
         str(csv_path)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        cwd=db.parent,  # not a checkout: `-m` puts the working directory first on the path
    )  # fmt: skip
    started = time.perf_counter()
    waits: list[float] = []
    failed = 0
    conn = clerk_connection(db)
    n = 0
    while importer.poll() is None:
        n += 1
        try:
            waits.append(clerk_write(conn, n))
        except sqlite3.OperationalError:  # "database is locked" after 5 s: exit 6
            failed += 1
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        time.sleep(0.1)
    seconds = time.perf_counter() - started
    conn.close()
    _out, err = importer.communicate()
    if importer.returncode:
        sys.exit(f"the import failed: {err}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "seconds": seconds,
        "writes": len(waits) + failed,
        "failed": failed,
        "median": statistics.median(waits) if waits else float("nan"),
        "longest": max(waits) if waits else float("nan"),
        "peak_mib": peak / 1024,
    }


def fresh(base: Path, name: str, code: Path) -> Path:
    """A register of 1000 customers built by `code` itself: an older checkout does not
    open a register with a newer schema."""
    db = base / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    if code == HERE:
        build_register(db, 1000, 0)
        return db
    script = (
        f"import sys; sys.path.insert(0, {str(code / 'benchmarks')!r}); "
        "from pathlib import Path; from generate import build_register; "
        f"build_register(Path({str(db)!r}), 1000, 0)"
    )
    subprocess.run([sys.executable, "-c", script], env=dict(os.environ, PYTHONPATH=str(code)),
                   cwd=base, check=True)  # fmt: skip
    return db


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    sides = [("after (this checkout)", HERE)]
    if len(sys.argv) > 2:
        sides.insert(0, ("before", Path(sys.argv[2]).resolve()))
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        os.environ["LAUTEX_HOME"] = str(base / "home")
        csv_path = base / "import.csv"
        write_csv(csv_path, size, start=10_000_000)
        for name, code in sides:
            db = fresh(base, name.split()[0], code)
            plain = baseline(db)
            found = measure(code, db, csv_path)
            print(
                f"{name}: import of {size} rows {found['seconds']:.1f} s "
                f"(peak memory of the processes so far {found['peak_mib']:.0f} MiB); "
                f"clerk writes {found['writes']:.0f}, failed after 5 s {found['failed']:.0f}; "
                f"lock wait median {found['median'] * 1000:.1f} ms, longest "
                f"{found['longest'] * 1000:.0f} ms; no import running {plain * 1000:.2f} ms "
                f"(longest {found['longest'] / plain:.0f}x)"
            )


if __name__ == "__main__":
    main()
