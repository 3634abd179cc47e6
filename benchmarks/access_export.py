"""The access export of one customer with many orders: md, html and pdf against json.

    python benchmarks/access_export.py [CUSTOMERS] [ORDERS[,ORDERS...]] [RUNS]

For each ORDERS (default 1000,10000) builds a register of CUSTOMERS customers with 3
orders each (default 10000), gives customer 1 ORDERS more orders (one line each),
then runs `export_customer` (the service `lautex export --output FILE` calls) in
json, csv, md, html and pdf and writes the file as the command does, interleaved RUNS
times (default 3), and prints the medians (wall and CPU time of this process), the
ratio of each to json (the baseline: the same document, serialised by the json
module), and the peak Python memory of each (tracemalloc) with its ratio to json's.
Peak memory that stays the same from 1,000 to 10,000 orders is flat. Run it with
PYTHONPATH pointing at another checkout to measure that one.
"""

import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from lautex_registry.platform.sqlite import sqlite3

sys.path.insert(0, str(Path(__file__).parent))

from generate import build_register

from lautex_registry.platform import audit
from lautex_registry.platform.db import connect, transaction
from lautex_registry.rights.access import export_customer, write_export


def add_orders(path: Path, customer_id: int, count: int) -> None:
    conn = sqlite3.connect(path)
    first = conn.execute("SELECT COALESCE(MAX(id), 0) FROM orders").fetchone()[0] + 1
    stamp = "2026-11-25T00:00:00Z"
    with conn:
        conn.executemany(
            """INSERT INTO orders (id, number, customer_id, order_date, channel, created_at)
               VALUES (?, ?, ?, ?, 'web-store', ?)""",
            [(first + k, f"X{k}", customer_id, "2026-01-02", stamp) for k in range(count)],
        )
        conn.executemany(
            "INSERT INTO order_lines (order_id, product, quantity_milli, unit_price_cents)"
            " VALUES (?, 'Koivulauta 2 m', 3000, 1250)",
            [(first + k,) for k in range(count)],
        )
    conn.close()


def export(path: Path, fmt: str) -> int:
    """`lautex export 1 --format FMT --lang en --output FILE` without the process: the
    service and the file written (as the command does, inside its transaction)."""
    target = path.with_name(f"export.{fmt}")
    target.unlink(missing_ok=True)
    conn = connect(path)
    try:
        with transaction(conn):
            result = export_customer(
                conn, audit.Actor(None, "bench"), "1", fmt=fmt, lang="en", output=target
            )
            write_export(result, path)
        return target.stat().st_size
    finally:
        conn.close()


def main() -> None:
    customers = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    counts = sys.argv[2] if len(sys.argv) > 2 else "1000,10000"
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    for orders in (int(count) for count in counts.split(",")):
        measure(customers, orders, runs)


def measure(customers: int, orders: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        build_register(path, customers, 3)
        add_orders(path, 1, orders)
        formats = ("json", "csv", "md", "html", "pdf")
        export(path, "md")  # warm: imports (jinja2, markdown-it) are not timed
        export(path, "pdf")  # and the fonts, read once a process
        times: dict[str, list[float]] = {fmt: [] for fmt in formats}
        cpu: dict[str, list[float]] = {fmt: [] for fmt in formats}
        sizes: dict[str, int] = {}
        for _ in range(runs):
            for fmt in formats:
                started, started_cpu = time.perf_counter(), time.process_time()
                sizes[fmt] = export(path, fmt)
                times[fmt].append(time.perf_counter() - started)
                cpu[fmt].append(time.process_time() - started_cpu)
        peaks: dict[str, float] = {}
        for fmt in formats:
            tracemalloc.start()
            export(path, fmt)
            peaks[fmt] = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
    base = statistics.median(times["json"])
    base_cpu = statistics.median(cpu["json"])
    print(f"{customers} customers, customer 1 with {orders + 3} orders, medians of {runs}")
    for fmt in formats:
        median = statistics.median(times[fmt])
        median_cpu = statistics.median(cpu[fmt])
        print(
            f"{fmt:5} {median * 1000:9.0f} ms  {median / base:5.2f}x json"
            f"  cpu {median_cpu * 1000:9.0f} ms  {median_cpu / base_cpu:5.2f}x json"
            f"  peak {peaks[fmt]:7.1f} MiB {peaks[fmt] / peaks['json']:5.2f}x json"
            f"  {sizes[fmt] / 2**20:6.1f} MiB out"
        )


if __name__ == "__main__":
    main()
