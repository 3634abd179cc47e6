"""`lautex customer show 1 --format table` at a terminal, against `--format json`.

    python benchmarks/show_table.py [RUNS] [ORDERS ...]

For each ORDERS (default 1000 10000) builds a register of 2,000 customers with 3 orders
each (generate.py, its admin session under a temporary $LAUTEX_HOME) and gives customer 1
ORDERS more orders (one line each), then runs whole `lautex` processes RUNS times
(default 3), interleaved: `customer show 1` as json and tsv into a file, and as a table
in a pseudo-terminal of 120 columns (pager off, as `--no-pager` or a short list). Prints
the medians of each child's CPU time (user + system) and wall time, their ratio to json,
and the child's peak memory (max RSS). Run it with PYTHONPATH pointing at another
checkout to measure that one.
"""

import fcntl
import os
import pty
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from access_export import add_orders
from generate import build_register

COLUMNS = 120


def run(command: list[str], *, terminal: bool, output: Path) -> tuple[float, float, float]:
    """CPU seconds, wall seconds and peak memory (MiB) of one process."""
    started = time.perf_counter()
    if terminal:
        primary, secondary = pty.openpty()
        fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 50, COLUMNS, 0, 0))
        with open(output, "wb") as out:

            def drain() -> None:
                while True:
                    try:
                        data = os.read(primary, 65536)
                    except OSError:
                        return
                    if not data:
                        return
                    out.write(data)

            reader = threading.Thread(target=drain)
            reader.start()
            child = subprocess.Popen(
                command, stdin=secondary, stdout=secondary, stderr=subprocess.DEVNULL
            )
            os.close(secondary)
            _pid, status, usage = os.wait4(child.pid, 0)
            reader.join()
            os.close(primary)
    else:
        with open(output, "wb") as file:
            child = subprocess.Popen(command, stdout=file, stderr=subprocess.DEVNULL)
            _pid, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{command} exited {os.waitstatus_to_exitcode(status)}")
    wall = time.perf_counter() - started
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024


def measure(orders: int, runs: int) -> None:
    folder = Path(tempfile.mkdtemp())
    os.environ["LAUTEX_HOME"] = str(folder / "home")
    path = folder / "bench.db"
    build_register(path, 2000, 3)
    add_orders(path, 1, orders)
    base = [sys.executable, "-m", "lautex_registry", "--db", str(path), "--no-pager"]
    kinds = {
        "json": (["customer", "show", "1", "--format", "json"], False),
        "tsv": (["customer", "show", "1", "--format", "tsv"], False),
        "table": (["customer", "show", "1", "--format", "table"], True),
    }
    cpu: dict[str, list[float]] = {kind: [] for kind in kinds}
    wall: dict[str, list[float]] = {kind: [] for kind in kinds}
    peak: dict[str, float] = {}
    for _ in range(runs):
        for kind, (args, terminal) in kinds.items():
            seconds, elapsed, mib = run(base + args, terminal=terminal, output=folder / kind)
            cpu[kind].append(seconds)
            wall[kind].append(elapsed)
            peak[kind] = max(peak.get(kind, 0.0), mib)
    base_cpu, base_wall = statistics.median(cpu["json"]), statistics.median(wall["json"])
    print(f"customer 1 with {orders + 3} orders, medians of {runs} (whole processes)")
    for kind in kinds:
        c, w = statistics.median(cpu[kind]), statistics.median(wall[kind])
        print(
            f"{kind:6} cpu {c * 1000:7.0f} ms {c / base_cpu:5.2f}x json"
            f"  wall {w * 1000:7.0f} ms {w / base_wall:5.2f}x"
            f"  peak {peak[kind]:6.1f} MiB  {(folder / kind).stat().st_size / 2**20:5.1f} MiB out"
        )


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    for orders in [int(a) for a in sys.argv[2:]] or [1000, 10_000]:
        measure(orders, runs)


if __name__ == "__main__":
    main()
