"""`lautex shell` against separate `lautex` processes and one plain sqlite3 query.

Goal: in a shell, a command after the first costs milliseconds, not a start-up. N
commands (`customer show 1` and `status`, taking turns) are run as N separate `lautex`
processes and as N lines piped into one `lautex shell`; the shell is also timed with no
command at all, so its start-up and its cost per command are told apart. The baseline
is one plain sqlite3 query in this process (connect, read the customer, close), timed
in the same run. Medians of RUNS rounds, in wall and in CPU time (user + system of the
processes; the steadier figure on a shared machine); the register has CUSTOMERS
customers made by benchmarks/generate.py, or is a copy of REGISTER (a path: one
generate.py built, with its session under $LAUTEX_HOME).

    python benchmarks/shell.py [N] [RUNS] [CUSTOMERS | REGISTER]
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from registers import children_cpu, register_for

from lautex_registry.platform.sqlite import sqlite3

COMMANDS = ("customer show 1 --format json", "status --format json")


def lautex(*args: str) -> list[str]:
    return [sys.executable, "-m", "lautex_registry", *args]


def timed(argv: list[str], env: dict[str, str], stdin: str | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of one process."""
    start, start_cpu = time.perf_counter(), children_cpu()
    done = subprocess.run(argv, env=env, input=stdin, text=True, capture_output=True)
    seconds, cpu = time.perf_counter() - start, children_cpu() - start_cpu
    if done.returncode:
        sys.exit(f"{' '.join(argv[2:])}: exit {done.returncode}: {done.stderr}")
    return seconds, cpu


def plain_query(db: Path) -> tuple[float, float]:
    start, start_cpu = time.perf_counter(), time.process_time()
    conn = sqlite3.connect(db)
    conn.execute("SELECT * FROM customers WHERE id = 1").fetchall()
    conn.close()
    return time.perf_counter() - start, time.process_time() - start_cpu


def summed(times: list[tuple[float, float]]) -> tuple[float, float]:
    return sum(t[0] for t in times), sum(t[1] for t in times)


def medians(times: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    given = sys.argv[3] if len(sys.argv) > 3 else "10000"
    lines = [COMMANDS[n % len(COMMANDS)] for n in range(count)]
    with tempfile.TemporaryDirectory() as folder:
        # A real register with an admin `bench` whose session is kept under LAUTEX_HOME.
        db, customers = register_for(given, Path(folder))
        env = dict(os.environ, LAUTEX_DB=str(db))  # register_for set LAUTEX_HOME
        env.pop("LAUTEX_TOKEN", None)
        processes, shells, empties, plains = [], [], [], []
        for _ in range(runs):
            processes.append(summed([timed(lautex(*line.split()), env) for line in lines]))
            shells.append(timed(lautex("shell"), env, "".join(f"{x}\n" for x in lines)))
            empties.append(timed(lautex("shell"), env, ""))
            plains.append(medians([plain_query(db) for _ in range(count)]))
    print(f"{count} commands ({', '.join(COMMANDS)} in turn), {customers} customers,")
    print(f"medians of {runs} runs:")
    for kind, k in (("wall", 0), ("cpu", 1)):
        process = statistics.median(t[k] for t in processes) / count
        shell_total = statistics.median(t[k] for t in shells)
        start_up = statistics.median(t[k] for t in empties)
        per_command = max(shell_total - start_up, 1e-9) / count
        plain = statistics.median(t[k] for t in plains)
        print(f"{kind}:")
        print(f"  separate lautex processes: {process * 1000:8.2f} ms a command")
        print(
            f"  one lautex shell:          {shell_total * 1000:8.1f} ms in all, of which "
            f"{start_up * 1000:.1f} ms start-up, {per_command * 1000:.2f} ms a command"
        )
        print(f"  plain sqlite3 query:       {plain * 1000:8.3f} ms (connect, read, close)")
        print(f"  a process / a command in the shell: {process / per_command:.0f}x")
        print(f"  N processes / one shell of N:       {process * count / shell_total:.1f}x")
        print(f"  a command in the shell / plain:     {per_command / plain:.1f}x")


if __name__ == "__main__":
    main()
