"""`customer import` speed and memory, against plain sqlite3 executemany in the same run.

    python benchmarks/import_speed.py [ROWS] [REPEATS]

Default 100000 rows, 3 repeats (the issue's full size is 1000000). Prints medians of:

- the storing step (`importing.storing.store_validated`: the import's own checks against
  the register, staging in the private file on disk, the final INSERT ... SELECT, audit
  row and commit, from rows already validated) against
  plain `executemany` of the same rows into an identical register in one transaction
  on a plain connection (goal: within 1.5x); plain with the import's page cache too;
- the whole import as a user runs it (`lautex customer import FILE`, a separate
  process, validation on every core included): goal 20000 rows/s or more;
- the peak memory (max RSS) of that process for a quarter of the file and for the
  whole file: the file is streamed and the good rows are staged on disk until the
  final store, so it stays flat whatever the size of the file.

Runs alternate between the two sides, so a busy machine slows both alike.
"""

import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lautex_registry.platform.sqlite import sqlite3

sys.path.insert(0, str(Path(__file__).parent))

from generate import build_register, write_csv

from lautex_registry.platform import audit
from lautex_registry.platform.db import connect
from lautex_registry.records.customers import INSERT_SQL
from lautex_registry.records.importing.reading import CHUNK_ROWS
from lautex_registry.records.importing.report import ImportReport
from lautex_registry.records.importing.storing import CACHE_KIB, store_validated
from lautex_registry.records.importing.validating import (
    BUSINESS_ID_SLOT,
    Checked,
    RowContext,
    validate_chunk,
)

PEAK_RSS = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
if done.returncode:
    sys.exit(done.stderr)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""
HEADER = ("first_name", "last_name", "email", "phone", "street", "postal_code", "city", "source")


def validated_chunks(rows: int) -> list[list[Checked]]:
    """The rows of write_csv(…, rows) validated by the import's own code, chunk by chunk."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rows.csv"
        write_csv(path, rows, start=10_000_000)
        with open(path, encoding="utf-8", newline="") as handle:
            records = list(csv.reader(handle))[1:]
    context = RowContext(HEADER, None, "2026-11-25T00:00:00Z", "2026-11-25")
    return [
        validate_chunk(
            [(start + i + 2, r) for i, r in enumerate(records[start : start + CHUNK_ROWS])],
            context,
        )
        for start in range(0, len(records), CHUNK_ROWS)
    ]


def time_storing_step(db: Path, chunks: list[list[Checked]]) -> float:
    """The import's storing step: checks, executemany, audit row, commit."""
    conn = connect(db)
    report = ImportReport()
    started = time.perf_counter()
    store_validated(conn, audit.Actor(1, "bench"), chunks, report)
    seconds = time.perf_counter() - started
    conn.close()
    assert report.stored == sum(len(c) for c in chunks), report.summary()
    return seconds


def time_plain_executemany(db: Path, rows: list[tuple[Any, ...]], cache_kib: int = 0) -> float:
    conn = sqlite3.connect(db, isolation_level=None)
    if cache_kib:
        conn.execute(f"PRAGMA cache_size = -{cache_kib}")
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(INSERT_SQL, rows)
    conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    conn.close()
    return seconds


def whole_import(db: Path, csv_path: Path, env: dict[str, str]) -> tuple[float, int]:
    """Seconds and peak RSS (KiB) of `lautex customer import FILE` as its own process."""
    argv = [sys.executable, "-c", PEAK_RSS, sys.executable, "-m", "lautex_registry",
            "--db", str(db), "customer", "import", str(csv_path)]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, check=True, capture_output=True, text=True)
    return time.perf_counter() - started, int(done.stdout.strip())


def fresh(base: Path, name: str) -> Path:
    db = base / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    build_register(db, 0, 0)
    return db


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        os.environ["LAUTEX_HOME"] = str(base / "home")
        env = dict(os.environ)
        env.pop("LAUTEX_TOKEN", None)

        chunks = validated_chunks(size)
        rows = [values[:BUSINESS_ID_SLOT] for chunk in chunks for _l, values, _p in chunk if values]
        ours, plain, plain_cache = [], [], []
        for _ in range(repeats):
            plain.append(time_plain_executemany(fresh(base, "plain"), rows))
            ours.append(time_storing_step(fresh(base, "ours"), chunks))
            plain_cache.append(time_plain_executemany(fresh(base, "plain"), rows, CACHE_KIB))
        del chunks, rows
        ours_s, plain_s = statistics.median(ours), statistics.median(plain)
        cache_s = statistics.median(plain_cache)
        print(f"storing {size} validated rows (median of {repeats}): import {ours_s:.2f} s, "
              f"plain executemany {plain_s:.2f} s, ratio {ours_s / plain_s:.2f}x (goal <= 1.5x); "
              f"plain with the import's {CACHE_KIB // 1024} MiB cache {cache_s:.2f} s, "
              f"ratio {ours_s / cache_s:.2f}x")  # fmt: skip

        peaks = []
        for rows_in_file in (max(1, size // 4), size):
            csv_path = base / f"import{rows_in_file}.csv"
            write_csv(csv_path, rows_in_file)
            runs = [whole_import(fresh(base, "whole"), csv_path, env) for _ in range(repeats)]
            seconds = statistics.median(s for s, _peak in runs)
            peak_kib = max(peak for _s, peak in runs)
            peaks.append(peak_kib)
            print(f"whole import of {rows_in_file} rows (median of {repeats}): {seconds:.2f} s, "
                  f"{rows_in_file / seconds:,.0f} rows/s (goal >= 20,000), "
                  f"peak memory {peak_kib / 1024:.0f} MiB")  # fmt: skip
            csv_path.unlink()
        print(
            f"peak memory, whole file vs a quarter of it: {peaks[1] / peaks[0]:.2f}x "
            "(goal: about 1x: the rows are staged on disk, not in memory)"
        )


if __name__ == "__main__":
    main()
