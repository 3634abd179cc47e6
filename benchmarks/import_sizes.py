"""The whole import (read, validate, store) at several file sizes, serial and with the
validation pool, against plain `executemany` of the same rows, in the same run.

    python benchmarks/import_sizes.py [REPEATS] [ROWS ...]

Defaults: 3 repeats at 1000, 10000 and 100000 rows (the issue's range goes to
1000000). For each size, on fresh copies of an empty register, the sides take turns:

- plain: `executemany` of the rows (validated beforehand, not timed) in one transaction;
- serial: `import_customers` of the CSV file in-process, validation in this process;
- pool: the same with the validation pool forced on (threshold 0 bytes);
- lautex: the same with the import's own threshold (`PARALLEL_MIN_BYTES`).

Prints medians (wall and CPU of this process), the ratios to plain and the file size,
which is where the threshold is chosen.
"""

import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from lautex_registry.platform.sqlite import sqlite3

sys.path.insert(0, str(Path(__file__).parent))

from generate import build_register, write_csv
from import_speed import validated_chunks

from lautex_registry.platform import audit
from lautex_registry.platform.db import connect
from lautex_registry.records.customers import INSERT_SQL
from lautex_registry.records.importing.run import import_customers
from lautex_registry.records.importing.validating import BUSINESS_ID_SLOT, PARALLEL_MIN_BYTES


def copy_of(template: Path, target: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, target)
    return target


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    sizes = [int(arg) for arg in sys.argv[2:]] or [1_000, 10_000, 100_000]
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        template = base / "template.db"
        build_register(template, 0, 0)
        conn = sqlite3.connect(template)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        print(f"threshold in force: {PARALLEL_MIN_BYTES:,} bytes; medians of {repeats}")
        for size in sizes:
            csv_path = base / f"rows{size}.csv"
            write_csv(csv_path, size, start=10_000_000)
            rows = [
                values[:BUSINESS_ID_SLOT]
                for chunk in validated_chunks(size)
                for _line, values, _problem in chunk
                if values
            ]

            def plain(db: Path, rows: list = rows) -> None:  # type: ignore[type-arg]
                conn = sqlite3.connect(db, isolation_level=None)
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(INSERT_SQL, rows)
                conn.execute("COMMIT")
                conn.close()

            def importer(
                threshold: int, csv_path: Path = csv_path, size: int = size
            ) -> Callable[[Path], None]:
                def run(path: Path) -> None:
                    conn = connect(path)
                    report = import_customers(
                        conn, audit.Actor(1, "bench"), csv_path, parallel_min_bytes=threshold
                    )
                    conn.close()
                    assert report.stored == size, report.summary()

                return run

            sides = {
                "plain": plain,
                "serial": importer(2**62),
                "pool": importer(0),
                "lautex": importer(PARALLEL_MIN_BYTES),
            }
            wall: dict[str, list[float]] = {name: [] for name in sides}
            cpu: dict[str, list[float]] = {name: [] for name in sides}
            for _ in range(repeats):
                for name, action in sides.items():
                    db = copy_of(template, base / f"{name}.db")
                    started, started_cpu = time.perf_counter(), time.process_time()
                    action(db)
                    wall[name].append(time.perf_counter() - started)
                    cpu[name].append(time.process_time() - started_cpu)
            plain_s = statistics.median(wall["plain"])
            print(f"{size:>9,} rows ({csv_path.stat().st_size:,} bytes):")
            for name in sides:
                seconds = statistics.median(wall[name])
                print(
                    f"  {name:7} {seconds * 1000:9.0f} ms  {seconds / plain_s:5.2f}x plain"
                    f"  (cpu here {statistics.median(cpu[name]) * 1000:8.0f} ms)"
                )
            csv_path.unlink()


if __name__ == "__main__":
    main()
