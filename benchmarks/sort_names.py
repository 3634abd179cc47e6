"""The cost of Finnish order: `customer list` by id and by name, against plain sqlite3.

    python benchmarks/sort_names.py [CUSTOMERS] [RUNS]

Builds a register of CUSTOMERS customers (default 100000) and prints medians of:

- in-process, the whole sorted read: plain sqlite3 `ORDER BY c.id`, plain sqlite3
  `ORDER BY last_name, first_name` (binary order, the floor for any name order), the
  register's `finnish()` sort-key function, and a Python collation doing the same
  comparison (the alternative not taken);
- whole processes: `lautex customer list -f csv` with `--sort id` and `--sort name`.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from lautex_registry.platform.sqlite import sqlite3

sys.path.insert(0, str(Path(__file__).parent))

from generate import build_register

from lautex_registry.platform import collation
from lautex_registry.platform.db import connect

SELECT = """SELECT c.id, c.first_name, c.last_name, o.name AS organisation, c.email,
    c.phone, c.city, c.source, c.state, c.last_activity
    FROM customers c LEFT JOIN organisations o ON o.id = c.organisation_id ORDER BY """


def median(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _collate(a: str, b: str) -> int:
    ka, kb = collation.finnish_key(a), collation.finnish_key(b)
    return (ka > kb) - (ka < kb)


def _sorted(conn: sqlite3.Connection, order: str) -> list[sqlite3.Row]:
    collation.finnish_key.cache_clear()  # every run computes its keys afresh
    return conn.execute(SELECT + order).fetchall()


def main() -> None:
    customers = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        env = dict(os.environ, LAUTEX_DB=str(path), LAUTEX_HOME=f"{folder}/home")
        os.environ.update(LAUTEX_HOME=f"{folder}/home")
        build_register(path, customers, 1)
        plain = sqlite3.connect(path)
        ours = connect(path)
        ours.create_collation("FINNISH", _collate)
        cases = {
            "plain sqlite3, by id": lambda: plain.execute(SELECT + "c.id").fetchall(),
            "plain sqlite3, by name (binary)": lambda: plain.execute(
                SELECT + "c.last_name, c.first_name, c.id"
            ).fetchall(),
            "finnish() sort key": lambda: _sorted(
                ours, "finnish(c.last_name), finnish(c.first_name), c.id"
            ),
            "Python collation": lambda: _sorted(
                ours, "c.last_name COLLATE FINNISH, c.first_name COLLATE FINNISH, c.id"
            ),
        }
        floor = None
        print(f"{customers} customers, medians of {runs}")
        for name, fn in cases.items():
            seconds = median(fn, runs)
            floor = floor or seconds
            print(f"  {name:34s} {seconds:7.3f} s  {seconds / floor:5.2f}x")
        lautex = [sys.executable, "-m", "lautex_registry", "customer", "list", "-f", "csv"]
        whole = {}
        for sort in ("id", "name"):
            whole[sort] = median(
                lambda s=sort: subprocess.run(  # type: ignore[misc]
                    [*lautex, "--sort", s], env=env, check=True, stdout=subprocess.DEVNULL
                ),
                max(3, runs // 2),
            )
            print(f"  lautex customer list --sort {sort:5s}  {whole[sort]:7.3f} s")
        print(f"  --sort name / --sort id: {whole['name'] / whole['id']:.2f}x")


if __name__ == "__main__":
    main()
