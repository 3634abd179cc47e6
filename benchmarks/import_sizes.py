"""The whole import (read, validate, store) at several file sizes, serial and with the
validation pool, against plain `executemany` of the same rows, in the same run.

    python benchmarks/import_sizes.py [REPEATS] [ROWS ...] [--sides NAME,NAME...]

Defaults: 3 repeats at 1000, 10000 and 100000 rows (the issue's range goes to
1000000), every side. For each size, on fresh copies of an empty register (the same
schema: the customers' search index and counts are kept by triggers on every side),
the sides take turns:

- plain: `executemany` of the rows (validated beforehand, not timed) in one transaction,
  SQLite's default page cache;
- plain-cache: the same with the import's page cache (`storing.CACHE_KIB`): what a
  plain script that sets it would do, the stricter baseline;
- serial: `import_customers` of the CSV file in-process, validation in this process;
- pool: the same with the validation pool forced on (threshold 0 bytes);
- lautex: the same with the import's own threshold (`PARALLEL_MIN_BYTES`).

The import stores in batches (`runs.BATCH_ROWS`), each its own transaction, and leaves
the write lock free for clerks after each (`db.let_others_write`): those pauses are
summed and shown apart ("less pauses" is the wall time without them).

Prints medians (wall, wall less pauses, and CPU of this process: the pool's workers
are other processes), the ratios to plain and to plain-cache, and the file size, which
is where the threshold is chosen.
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

from lautex_registry.platform import audit, collation, db
from lautex_registry.platform.db import connect
from lautex_registry.records.customers import INSERT_SQL
from lautex_registry.records.importing.run import import_customers
from lautex_registry.records.importing.storing import CACHE_KIB
from lautex_registry.records.importing.validating import BUSINESS_ID_SLOT, PARALLEL_MIN_BYTES


def copy_of(template: Path, target: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, target)
    return target


class Pauses:
    """`db.let_others_write` counted: the seconds the import left the lock to clerks."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.let_others_write = db.let_others_write

    def __call__(self, held: float) -> float:
        pause = self.let_others_write(held)
        self.seconds += pause
        return pause


def arguments() -> tuple[int, list[int], list[str]]:
    args = sys.argv[1:]
    sides = ["plain", "plain-cache", "serial", "pool", "lautex"]
    if "--sides" in args:
        at = args.index("--sides")
        sides = args[at + 1].split(",")
        del args[at : at + 2]
    repeats = int(args[0]) if args else 3
    sizes = [int(arg) for arg in args[1:]] or [1_000, 10_000, 100_000]
    return repeats, sizes, sides


def main() -> None:
    repeats, sizes, chosen = arguments()
    pauses = Pauses()
    db.let_others_write = pauses
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

            def plain(cache_kib: int, rows: list = rows) -> Callable[[Path], None]:  # type: ignore[type-arg]
                def run(register: Path) -> None:
                    conn = sqlite3.connect(register, isolation_level=None)
                    # The schema's triggers check the stored name order with the register's
                    # finnish() (migration 19): a script writing customers must have it.
                    collation.register(conn)
                    if cache_kib:
                        conn.execute(f"PRAGMA cache_size = -{cache_kib}")
                    conn.execute("BEGIN IMMEDIATE")
                    conn.executemany(INSERT_SQL, rows)
                    conn.execute("COMMIT")
                    conn.close()

                return run

            def importer(
                threshold: int, csv_path: Path = csv_path, size: int = size
            ) -> Callable[[Path], None]:
                def run(register: Path) -> None:
                    conn = connect(register)
                    report = import_customers(
                        conn, audit.Actor(1, "bench"), csv_path, parallel_min_bytes=threshold
                    )
                    conn.close()
                    assert report.stored == size, report.summary()

                return run

            every = {
                "plain": plain(0),
                "plain-cache": plain(CACHE_KIB),
                "serial": importer(2**62),
                "pool": importer(0),
                "lautex": importer(PARALLEL_MIN_BYTES),
            }
            sides = {name: every[name] for name in chosen}
            wall: dict[str, list[float]] = {name: [] for name in sides}
            paused: dict[str, list[float]] = {name: [] for name in sides}
            cpu: dict[str, list[float]] = {name: [] for name in sides}
            for _ in range(repeats):
                for name, action in sides.items():
                    path = copy_of(template, base / f"{name}.db")
                    pauses.seconds = 0.0
                    started, started_cpu = time.perf_counter(), time.process_time()
                    action(path)
                    wall[name].append(time.perf_counter() - started)
                    cpu[name].append(time.process_time() - started_cpu)
                    paused[name].append(pauses.seconds)
                    print(
                        f"    ({name}: {wall[name][-1]:.1f} s, {paused[name][-1]:.1f} s of it "
                        f"paused, cpu here {cpu[name][-1]:.1f} s)",
                        flush=True,
                    )
            print(f"{size:>9,} rows ({csv_path.stat().st_size:,} bytes):")
            baselines = [name for name in ("plain", "plain-cache") if name in sides]
            for name in sides:
                seconds = statistics.median(wall[name])
                less = statistics.median(
                    w - p for w, p in zip(wall[name], paused[name], strict=True)
                )
                busy = statistics.median(cpu[name])
                ratios = "  ".join(
                    f"{base} {seconds / statistics.median(wall[base]):.2f}x"
                    f" / {less / statistics.median(wall[base]):.2f}x"
                    f" / {busy / statistics.median(cpu[base]):.2f}x"
                    for base in baselines
                )
                print(
                    f"  {name:11} {seconds * 1000:9.0f} ms, {less * 1000:9.0f} ms less pauses,"
                    f" cpu here {busy * 1000:8.0f} ms;  {ratios}",
                    flush=True,
                )
            print("  (ratios: wall / wall less pauses / cpu)")
            csv_path.unlink()


if __name__ == "__main__":
    main()
