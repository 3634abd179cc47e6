"""`lautex customer list` written to a file, against plain sqlite3 writing the same rows.

    python benchmarks/list_output.py PATH|CUSTOMERS [FORMAT ...] [--runs R]

PATH is a register built by generate.py (its admin session is under $LAUTEX_HOME);
the processes run on a copy of it (`customer list` writes an audit row). A number
instead builds a register of that many customers. Each FORMAT (default: tsv csv
json table; `default` means no --format, which is tsv into a file) runs as a whole
`lautex` process with stdout to a file; the baseline is a Python process that selects
the same columns with plain sqlite3 and writes them as TSV. The baseline and the
formats take turns R times (default 1). Prints the medians of wall and CPU seconds
(user + system: the steadier figure on a shared machine), the child's peak memory
(max RSS) and the ratios to the baseline.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from registers import register_for

BASELINE = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
out = open(sys.argv[2], "w", encoding="utf-8")
out.write("id\\tfirst_name\\tlast_name\\torganisation\\temail\\tphone\\tcity\\tsource\\tstate\\tlast_activity\\n")
for row in conn.execute(
    "SELECT c.id, c.first_name, c.last_name, o.name, c.email, c.phone, c.city, c.source, "
    "c.state, c.last_activity FROM customers c "
    "LEFT JOIN organisations o ON o.id = c.organisation_id ORDER BY c.id"
):
    out.write("\\t".join("" if v is None else str(v) for v in row) + "\\n")
"""


def run(command: list[str], output: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak memory (MiB, max RSS) of one child process."""
    started = time.perf_counter()
    with open(output, "w") as out:
        child = subprocess.Popen(command, stdout=out)
        _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"{command} exited {child.returncode}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    args = sys.argv[1:]
    runs = 1
    if "--runs" in args:
        at = args.index("--runs")
        runs = int(args[at + 1])
        del args[at : at + 2]
    if not args:
        sys.exit(__doc__)
    formats = args[1:] or ["tsv", "csv", "json", "table"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        register, customers = register_for(args[0], folder)
        times: dict[str, list[tuple[float, float, float]]] = {"plain": []}
        for _ in range(runs):
            baseline = [sys.executable, "-c", BASELINE, str(register), str(folder / "b")]
            times["plain"].append(run(baseline, folder / "unused"))
            for fmt in formats:
                extra = [] if fmt == "default" else ["--format", fmt]
                command = [sys.executable, "-m", "lautex_registry", "--db", str(register),
                           "customer", "list", *extra]  # fmt: skip
                times.setdefault(fmt, []).append(run(command, folder / f"out.{fmt}"))
        sizes = {fmt: os.path.getsize(folder / f"out.{fmt}") / 2**20 for fmt in formats}
    wall, cpu, peak = (statistics.median(t[k] for t in times["plain"]) for k in range(3))
    print(f"{customers} customers, medians of {runs} runs")
    print(f"plain sqlite3 TSV: {wall:.2f} s wall, {cpu:.2f} s CPU, {peak:.0f} MiB")
    for fmt in formats:
        w, c, m = (statistics.median(t[k] for t in times[fmt]) for k in range(3))
        print(f"customer list {fmt}: {w:.2f} s wall ({w / wall:.2f}x), "
              f"{c:.2f} s CPU ({c / cpu:.2f}x), peak {m:.0f} MiB, "
              f"{sizes[fmt]:.1f} MiB written")  # fmt: skip


if __name__ == "__main__":
    main()
