"""Start-up time of `lautex` against an empty Typer app, measured in the same run.

Goal: every command within 1.25x of an empty Typer app with one command (Typer's own
floor). One command of every top-level command (group) is run as a whole process, all
taking turns with the empty app, and the medians of N runs are printed with the ratio
and the number of modules the command imports (`-X importtime`).

    python benchmarks/startup.py [RUNS] [COMMAND ...]

With COMMANDs (`erase`, `customer show`), only the commands that start with them.
Wall and CPU time of each process are printed; on a busy machine CPU is the steadier.
"""

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PASSWORD = "benchmark password 1"
EMPTY_APP = """
import typer
app = typer.Typer()
@app.command()
def hello() -> None:
    print("hello")
app()
"""


# One command of every top-level command, on a register with one customer. `{n}` is
# the run's number (`customer add` needs a new address each time).
COMMANDS = (
    "whoami --format json",
    "status --format json",
    "customer show 1 --format json",
    "customer list --format json",
    "customer add --first-name Eino --last-name Öhman --email eino{n}@example.fi"
    " --source web-store",
    "order list --format json",
    "invoice list --format json",
    "request list --format json",
    "org list --format json",
    "user list --format json",
    "recipient list --format json",
    "retention show --format json",
    "audit verify",
    "settings show",
    "statement --lang en",
    "processing-record --lang en",
    "marketing list --purpose direct-advertising --channel email --format json",
    "labels --format csv",
    "erase 1 --dry-run",
)


def median_seconds(
    cases: dict[str, list[str]], env: dict[str, str], runs: int
) -> dict[str, tuple[float, float]]:
    """Median wall time and CPU time (user + system of the process) of each command; the
    commands take turns, so load hits all alike. CPU time is the steadier figure on a
    busy machine: waiting for a core is not counted."""
    timings: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for run in range(runs):
        for name, argv in cases.items():
            argv = [arg.replace("{n}", str(run)) for arg in argv]
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if done.returncode:
                sys.exit(f"{' '.join(argv[2:])}: exit {done.returncode}: {done.stderr.decode()}")
            cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            timings[name].append((wall, cpu))
    return {
        name: (statistics.median(w for w, _ in values), statistics.median(c for _, c in values))
        for name, values in timings.items()
    }


def modules_imported(argv: list[str], env: dict[str, str]) -> int:
    argv = [argv[0], "-X", "importtime", *argv[1:]]
    argv = [arg.replace("{n}", "x") for arg in argv]
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    return done.stderr.count("import time:") - 1  # the header line


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    only = tuple(sys.argv[2:])  # the commands that start with these words (default: all)
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ, LAUTEX_DB=f"{folder}/bench.db", LAUTEX_HOME=f"{folder}/home")
        env.pop("LAUTEX_TOKEN", None)
        lautex = [sys.executable, "-m", "lautex_registry"]
        for args in (
            ["init", "--admin", "bench", "--full-name", "Bench Mark", "--password-stdin"],
            ["login", "bench", "--password-stdin"],
        ):
            subprocess.run(
                lautex + args,
                env=env,
                input=PASSWORD + "\n",
                text=True,
                check=True,
                capture_output=True,
            )
        customer_show = [
            *lautex,
            "customer",
            "add",
            "--first-name",
            "Aino",
            "--last-name",
            "Äijälä",
            "--email",
            "aino@example.fi",
            "--source",
            "web-store",
        ]
        has_customers = subprocess.run(customer_show, env=env, capture_output=True).returncode == 0
        empty = Path(folder) / "empty_app.py"
        empty.write_text(EMPTY_APP)
        cases = {"empty Typer app": [sys.executable, str(empty)]}
        if not has_customers:
            sys.exit("could not add the benchmark's customer")
        for command in COMMANDS:
            if not only or command.startswith(only):
                cases[f"lautex {command.split(' --')[0]}"] = [*lautex, *command.split()]
        modules = {name: modules_imported(argv, env) for name, argv in cases.items()}
        medians = median_seconds(cases, env, runs)
        baseline, base_cpu = medians.pop("empty Typer app")
        print(
            f"{'empty Typer app:':32s} {baseline * 1000:7.1f} ms  cpu {base_cpu * 1000:6.1f} ms"
            f"  (baseline, median of {runs}, {modules['empty Typer app']} modules)"
        )
        for name, (seconds, cpu) in medians.items():
            print(
                f"{name + ':':32s} {seconds * 1000:7.1f} ms  ratio {seconds / baseline:.2f}x"
                f"  cpu {cpu * 1000:6.1f} ms  ratio {cpu / base_cpu:.2f}x"
                f"  {modules[name]} modules  (goal <= 1.25x)"
            )


if __name__ == "__main__":
    main()
