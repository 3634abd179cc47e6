"""`lautex migrate` against plain sqlite3 running the same statements, in the same run.

A fresh register is made, its migrations after number KEEP are taken back (as the tests
do to imitate an older release), and then brought up to date, N times each way:
- `lautex migrate` as a whole process (start-up, backup with VACUUM INTO, the runner,
  the audit row);
- the runner alone, in-process (`apply_pending`), without the backup;
- plain sqlite3: BEGIN IMMEDIATE, the same statements, the ledger rows, COMMIT.
Medians; the ratio is against the plain sqlite3 run.

    python benchmarks/migrate.py [RUNS] [KEEP]
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lautex_registry.platform import migrations
from lautex_registry.platform.db import connect, transaction
from lautex_registry.platform.sqlite import sqlite3
from tests.conftest import roll_back_migrations

PASSWORD = "benchmark password 1"


def plain(db: Path, keep: int) -> None:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    for migration in migrations.known():
        if migration.number > keep:
            for statement in migration.statements:
                conn.execute(statement)
    conn.execute("COMMIT")
    conn.close()


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 9
    keep = int(sys.argv[2]) if len(sys.argv) > 2 else 6
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ, LAUTEX_DB=f"{folder}/bench.db", LAUTEX_HOME=f"{folder}/home")
        env.pop("LAUTEX_TOKEN", None)
        lautex = [sys.executable, "-m", "lautex_registry"]
        for args in (
            ["init", "--admin", "bench", "--full-name", "Bench Mark", "--password-stdin"],
            ["login", "bench", "--password-stdin"],
        ):
            subprocess.run(
                lautex + args, env=env, input=PASSWORD + "\n", text=True, check=True,
                capture_output=True,
            )  # fmt: skip
        template = Path(folder) / "template.db"
        with sqlite3.connect(env["LAUTEX_DB"]) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copy(env["LAUTEX_DB"], template)
        roll_back_migrations(template, to=keep)
        work = Path(env["LAUTEX_DB"])
        timings: dict[str, list[float]] = {"plain": [], "runner": [], "lautex migrate": []}
        for run in range(runs):
            for name in timings:
                for stale in Path(folder).glob("bench.db*"):
                    stale.unlink()
                shutil.copy(template, work)
                started = time.perf_counter()
                if name == "plain":
                    plain(work, keep)
                elif name == "runner":
                    conn = connect(work)
                    with transaction(conn):
                        migrations.apply_pending(conn)
                    conn.close()
                else:
                    subprocess.run(
                        [*lautex, "migrate", "--backup-dir", f"{folder}/backups/{run}"],
                        env=env, check=True, capture_output=True,
                    )  # fmt: skip
                timings[name].append(time.perf_counter() - started)
        base = statistics.median(timings.pop("plain"))
        print(f"migrations {keep + 1}..{migrations.LATEST}, median of {runs}")
        print(f"plain sqlite3:            {base * 1000:7.1f} ms (baseline)")
        for name, values in timings.items():
            median = statistics.median(values)
            print(f"{name + ':':25s} {median * 1000:7.1f} ms  ratio {median / base:.2f}x")


if __name__ == "__main__":
    main()
