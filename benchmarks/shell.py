"""`lautex shell` against separate `lautex` processes and one plain sqlite3 query.

Goal: in a shell, a command after the first costs milliseconds, not a start-up. N
commands (`customer show 1` and `status`, taking turns) are run as N separate `lautex`
processes and as N lines piped into one `lautex shell`; the shell is also timed with no
command at all, so its start-up and its cost per command are told apart. The baseline
is one plain sqlite3 query in this process (connect, read the customer, close), timed
in the same run. Medians of RUNS rounds; the register has CUSTOMERS customers made by
benchmarks/generate.py.

    python benchmarks/shell.py [N] [RUNS] [CUSTOMERS]
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lautex_registry.platform.sqlite import sqlite3

COMMANDS = ("customer show 1 --format json", "status --format json")


def lautex(*args: str) -> list[str]:
    return [sys.executable, "-m", "lautex_registry", *args]


def timed(argv: list[str], env: dict[str, str], stdin: str | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, input=stdin, text=True, capture_output=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"{' '.join(argv[2:])}: exit {done.returncode}: {done.stderr}")
    return seconds


def plain_query(db: Path) -> float:
    start = time.perf_counter()
    conn = sqlite3.connect(db)
    conn.execute("SELECT * FROM customers WHERE id = 1").fetchall()
    conn.close()
    return time.perf_counter() - start


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    customers = int(sys.argv[3]) if len(sys.argv) > 3 else 10_000
    lines = [COMMANDS[n % len(COMMANDS)] for n in range(count)]
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        env = dict(os.environ, LAUTEX_DB=str(db), LAUTEX_HOME=f"{folder}/home")
        env.pop("LAUTEX_TOKEN", None)
        generate = Path(__file__).with_name("generate.py")
        # A real register with an admin `bench` whose session is kept under LAUTEX_HOME.
        subprocess.run(
            [sys.executable, str(generate), str(db), str(customers)],
            env=env,
            check=True,
            capture_output=True,
        )
        processes, shells, empties, plains = [], [], [], []
        for _ in range(runs):
            processes.append(sum(timed(lautex(*line.split()), env) for line in lines))
            shells.append(timed(lautex("shell"), env, "".join(f"{x}\n" for x in lines)))
            empties.append(timed(lautex("shell"), env, ""))
            plains.append(statistics.median(plain_query(db) for _ in range(count)))
        process = statistics.median(processes) / count
        shell_total = statistics.median(shells)
        start_up = statistics.median(empties)
        per_command = max(shell_total - start_up, 0.0) / count
        plain = statistics.median(plains)
        print(f"{count} commands ({', '.join(COMMANDS)} in turn), {customers} customers,")
        print(f"medians of {runs} runs:")
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
