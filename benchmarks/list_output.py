"""`lautex customer list` written to a file, against plain sqlite3 writing the same rows.

    python benchmarks/list_output.py PATH [FORMAT ...]

PATH is a register built by generate.py (its admin session is under $LAUTEX_HOME).
Each FORMAT (default: tsv csv json table; `default` means no --format, which is tsv
into a file) runs as a whole `lautex` process with stdout to a file; the baseline is
a Python process that selects the same columns with plain sqlite3 and writes them as
TSV. Prints seconds, the child's peak memory (max RSS) and the ratio to the baseline.
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def run(command: list[str], output: Path) -> tuple[float, float]:
    """Seconds and peak memory (MiB, this child's own max RSS) of one process."""
    started = time.perf_counter()
    with open(output, "w") as out:
        child = subprocess.Popen(command, stdout=out)
        _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"{command} exited {child.returncode}")
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    register = Path(sys.argv[1])
    formats = sys.argv[2:] or ["tsv", "csv", "json", "table"]
    folder = Path(tempfile.mkdtemp())
    base_s, base_mb = run([sys.executable, "-c", BASELINE, str(register), str(folder / "b")],
                          folder / "unused")  # fmt: skip
    print(f"plain sqlite3 TSV: {base_s:.2f} s, {base_mb:.0f} MiB")
    for fmt in formats:
        extra = [] if fmt == "default" else ["--format", fmt]
        command = [sys.executable, "-m", "lautex_registry", "--db", str(register),
                   "customer", "list", *extra]  # fmt: skip
        seconds, peak = run(command, folder / f"out.{fmt}")
        size = os.path.getsize(folder / f"out.{fmt}") / 2**20
        print(f"customer list {fmt}: {seconds:.2f} s ({seconds / base_s:.2f}x), "
              f"peak {peak:.0f} MiB, {size:.1f} MiB written")  # fmt: skip


if __name__ == "__main__":
    main()
