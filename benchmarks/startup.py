"""Start-up time of `lautex` against an empty Typer app, measured in the same run.

Goal: `lautex whoami` and `lautex customer show ID --format json` within
1.25x of an empty Typer app with one command (Typer's own floor). Whole processes,
medians of N runs, the three commands taking turns.

    python benchmarks/startup.py [RUNS]
"""

import os
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


def median_seconds(cases: dict[str, list[str]], env: dict[str, str], runs: int) -> dict[str, float]:
    """Median wall time of each command; the commands take turns, so load hits all alike."""
    timings: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, argv in cases.items():
            start = time.perf_counter()
            subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
            timings[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in timings.items()}


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
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
        cases = {
            "empty Typer app": [sys.executable, str(empty)],
            "lautex whoami": [*lautex, "whoami", "--format", "json"],
        }
        if has_customers:
            cases["lautex customer show 1"] = [*lautex, "customer", "show", "1", "--format", "json"]
        medians = median_seconds(cases, env, runs)
        baseline = medians.pop("empty Typer app")
        print(f"empty Typer app:          {baseline * 1000:7.1f} ms (baseline, median of {runs})")
        for name, seconds in medians.items():
            print(
                f"{name + ':':25s} {seconds * 1000:7.1f} ms  ratio {seconds / baseline:.2f}x"
                "  (goal <= 1.25x)"
            )


if __name__ == "__main__":
    main()
