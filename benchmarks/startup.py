"""Start-up time of `lautex` against an empty Typer app, measured in the same run.

Goal: every command within 1.25x of an empty Typer app with one command (Typer's own
floor). One command of every top-level command (group) is run as a whole process, each
right after a run of the empty app, and the medians of N runs are printed with the
ratio and the number of modules the command imports (`-X importtime`).

    python benchmarks/startup.py [RUNS] [COMMAND ...]

With COMMANDs (`erase`, `customer show`), only the commands that start with them.
Wall and CPU time of each process are printed; on a busy machine CPU is the steadier.
Bytecode is written to and read from a cache of the run's own (PYTHONPYCACHEPREFIX),
warmed before timing, as an installed lautex reads its `.pyc` files: with
PYTHONDONTWRITEBYTECODE set and no `__pycache__` in the checkout, every process would
compile lautex's sources and the empty app's installed Typer would not.
Not timed: `init`, `login` (a password hash by design), `demo` (builds a register),
`logout` (ends the session the others need) and `shell` (shell.py).
"""

import datetime
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
EMPTY = "empty Typer app"

# The register every command runs on: one customer (1), a recipient (1), an open access
# request (1), a refused erasure request (2, for its letter and certificate) and a backup
# copy ({folder}/copy.db, for `restore --dry-run`).
SETUP = (
    "customer add --first-name Aino --last-name Äijälä --email aino@example.fi --source web-store",
    "recipient add Laskutus --kind processor --purpose billing --country FI",
    "request add 1 --kind access --channel email",
    "request add 1 --kind erasure --channel email",
    "request close 2 --outcome refused --reason kept",
    "backup {folder}/copy.db",
)

# One command of every top-level command, in the order `lautex --help` lists them.
# `{n}` is the run's number (a new address each time), `{today}` today's date
# (`unrestrict` lifts the restriction `restrict` placed just before it).
COMMANDS = (
    "status --format json",
    "whoami --format json",
    "user list --format json",
    "customer show 1 --format json",
    "customer list --format json",
    "customer add --first-name Eino --last-name Öhman --email eino{n}@example.fi"
    " --source web-store",
    "org list --format json",
    "order list --format json",
    "invoice list --format json",
    "request list --format json",
    "request letter 2 --lang en",
    "request certificate 2 --lang en",
    "export 1 --format json",
    "export 1 --format md",
    "rectify 1 --set email=aino{n}@example.fi --reason moved --format json",
    "restrict 1 --reason checking --format json",
    "unrestrict 1 --informed-on {today}",
    "recipient list --format json",
    "disclose 1 --to 1 --purpose billing --fields name",
    "notice list --format json",
    "object 1 --purpose market-research --channel email",
    "publication-ban 1 --channel email",
    "consent 1 --email-marketing given --date 2026-11-20 --source web",
    "marketing list --purpose direct-advertising --channel email --format json",
    "labels --format csv",
    "erase 1 --dry-run",
    "anonymise 1 --dry-run --format json",
    "backup list --format json",
    "restore {folder}/copy.db --dry-run --format json",
    "retention show --format json",
    "statement --lang en",
    "processing-record --lang en",
    "audit verify",
    "settings show",
    "config --format json",
    "completion bash",
    "migrate",
)


def case_name(command: str) -> str:
    """`lautex customer show 1` (the words before the options); a document's format
    is kept (`export 1 --format md`), as the formats import different libraries."""
    words = command.split(" --")
    shown = words[0]
    if "format md" in command or "format html" in command:
        shown += " --" + next(word for word in words if word.startswith("format"))
    return "lautex " + shown


def median_seconds(
    cases: dict[str, list[str]], env: dict[str, str], runs: int
) -> tuple[dict[str, tuple[float, float]], tuple[float, float]]:
    """Median wall time and CPU time (user + system of the process) of each command, and
    of the empty app run right before each one (its median over the whole run); the
    commands take turns, so load hits all alike. CPU time is the steadier figure on a
    busy machine: waiting for a core is not counted."""
    empty, *commands = cases.items()
    timings: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in commands}
    baseline: list[tuple[float, float]] = []
    for run in range(runs):
        for name, argv in commands:
            baseline.append(timed(empty[1], env, run))
            timings[name].append(timed(argv, env, run))
    return {name: medians(values) for name, values in timings.items()}, medians(baseline)


def timed(argv: list[str], env: dict[str, str], run: int) -> tuple[float, float]:
    argv = [arg.replace("{n}", str(run)) for arg in argv]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        sys.exit(f"{' '.join(argv[2:])}: exit {done.returncode}: {done.stderr.decode()}")
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def medians(values: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(w for w, _ in values), statistics.median(c for _, c in values)


def modules_imported(argv: list[str], env: dict[str, str]) -> int:
    """Also the warm-up run: it writes the bytecode cache the timed runs read."""
    argv = [argv[0], "-X", "importtime", *argv[1:]]
    argv = [arg.replace("{n}", "x") for arg in argv]
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{' '.join(argv[3:])}: exit {done.returncode}: {done.stderr[-2000:]}")
    return done.stderr.count("import time:") - 1  # the header line


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    only = tuple(sys.argv[2:])  # the commands that start with these words (default: all)
    with tempfile.TemporaryDirectory() as folder:
        env = dict(
            os.environ,
            LAUTEX_DB=f"{folder}/bench.db",
            LAUTEX_HOME=f"{folder}/home",
            PYTHONPYCACHEPREFIX=f"{folder}/pycache",
        )
        for name in ("LAUTEX_TOKEN", "LAUTEX_LANG", "PYTHONDONTWRITEBYTECODE"):
            env.pop(name, None)
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
        for step in SETUP:
            done = subprocess.run(
                lautex + step.replace("{folder}", folder).split(), env=env, capture_output=True
            )
            if done.returncode:
                sys.exit(f"setup: {step}: exit {done.returncode}: {done.stderr.decode()}")
        empty = Path(folder) / "empty_app.py"
        empty.write_text(EMPTY_APP)
        cases = {EMPTY: [sys.executable, str(empty)]}
        today = datetime.date.today().isoformat()
        for command in COMMANDS:
            if not only or command.startswith(only):
                name = case_name(command.replace("{folder}/", ""))
                command = command.replace("{folder}", folder).replace("{today}", today)
                cases[name] = [*lautex, *command.split()]
        modules = {name: modules_imported(argv, env) for name, argv in cases.items()}
        timings, (baseline, base_cpu) = median_seconds(cases, env, runs)
        print(
            f"{EMPTY + ':':34s} {baseline * 1000:7.1f} ms  cpu {base_cpu * 1000:6.1f} ms"
            f"  (baseline, median of {runs} x {len(timings)}, {modules[EMPTY]} modules)"
        )
        for name, (seconds, cpu) in timings.items():
            print(
                f"{name + ':':34s} {seconds * 1000:7.1f} ms  ratio {seconds / baseline:.2f}x"
                f"  cpu {cpu * 1000:6.1f} ms  ratio {cpu / base_cpu:.2f}x"
                f"  {modules[name]} modules  (goal <= 1.25x)"
            )


if __name__ == "__main__":
    main()
