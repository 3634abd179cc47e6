"""`customer import` speed and memory, against plain sqlite3 executemany in the same run.

    python benchmarks/import_speed.py [ROWS]

Default 100000 rows (the issue's full size is 1000000). Prints:

- the storing step (the import's own code from the validated rows in its spill
  file to the commit, with its audit row) against plain `executemany` of the same
  validated rows into an identical register in one transaction: goal within 1.5x;
- the whole import as a user runs it (`lautex customer import FILE`, a separate
  process, validation on every core included): goal 20000 rows/s or more;
- the peak memory (max RSS) of that process for a quarter of the file and for the
  whole file: it should not grow with the file (the file is streamed).
"""

import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from generate import build_register, write_csv

from lautex_registry import audit
from lautex_registry.customers import INSERT_SQL
from lautex_registry.db import connect
from lautex_registry.importing import (
    CHUNK_ROWS,
    ImportReport,
    RegisterChecks,
    RowContext,
    _store,
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


def validated_rows(rows: int) -> list[tuple[Any, ...]]:
    """The rows of write_csv(…, rows) validated by the import's own code."""
    import csv

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rows.csv"
        write_csv(path, rows, start=10_000_000)
        with open(path, encoding="utf-8", newline="") as handle:
            records = list(csv.reader(handle))[1:]
    context = RowContext(HEADER, None, "2026-11-25T00:00:00Z", "2026-11-25")
    result: list[tuple[Any, ...]] = []
    for start in range(0, len(records), CHUNK_ROWS):
        chunk = [(start + i + 2, r) for i, r in enumerate(records[start : start + CHUNK_ROWS])]
        result.extend(v for _line, v, _problem in validate_chunk(chunk, context) if v)
    return result


def time_storing_step(db: Path, rows: list[tuple[Any, ...]]) -> float:
    """The import's storing step: spilled rows -> executemany -> audit row -> commit."""
    conn = connect(db)
    with tempfile.TemporaryFile() as spill:
        for start in range(0, len(rows), CHUNK_ROWS):
            pickle.dump(rows[start : start + CHUNK_ROWS], spill, protocol=pickle.HIGHEST_PROTOCOL)
        checks = RegisterChecks(conn)
        report = ImportReport(rows=len(rows), valid=len(rows))
        started = time.perf_counter()
        _store(conn, audit.Actor(1, "bench"), spill, checks, report)
        seconds = time.perf_counter() - started
        checks.close()
    conn.close()
    assert report.stored == len(rows)
    return seconds


def time_plain_executemany(db: Path, rows: list[tuple[Any, ...]]) -> float:
    import sqlite3

    conn = sqlite3.connect(db, isolation_level=None)
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


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        os.environ["LAUTEX_HOME"] = str(base / "home")
        env = dict(os.environ)
        env.pop("LAUTEX_TOKEN", None)

        rows = validated_rows(size)
        ours_db, plain_db = base / "ours.db", base / "plain.db"
        build_register(ours_db, 0, 0)
        build_register(plain_db, 0, 0)
        plain = time_plain_executemany(plain_db, rows)
        ours = time_storing_step(ours_db, rows)
        print(f"storing {size} validated rows: import {ours:.2f} s, plain executemany "
              f"{plain:.2f} s, ratio {ours / plain:.2f}x (goal <= 1.5x)")  # fmt: skip

        peaks = []
        for rows_in_file in (max(1, size // 4), size):
            db, csv_path = base / f"whole{rows_in_file}.db", base / f"import{rows_in_file}.csv"
            build_register(db, 0, 0)
            write_csv(csv_path, rows_in_file)
            seconds, peak_kib = whole_import(db, csv_path, env)
            peaks.append(peak_kib)
            print(f"whole import of {rows_in_file} rows: {seconds:.2f} s, "
                  f"{rows_in_file / seconds:,.0f} rows/s (goal >= 20,000), "
                  f"peak memory {peak_kib / 1024:.0f} MiB")  # fmt: skip
        print(
            f"peak memory, whole file vs a quarter of it: {peaks[1] / peaks[0]:.2f}x "
            "(streaming: about 1x)"
        )


if __name__ == "__main__":
    main()
