"""Start-up time of `lautex` against an empty Typer app, measured in the same run.

Goal (issue 2): `lautex whoami` and `lautex customer show ID --format json` within
1.25x of an empty Typer app with one command (Typer's own floor). Whole processes,
medians of N runs.

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


def median_seconds(argv: list[str], env: dict[str, str], runs: int) -> float:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


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
        baseline = median_seconds([sys.executable, str(empty)], env, runs)
        print(f"empty Typer app:          {baseline * 1000:7.1f} ms (baseline)")
        cases = {"lautex whoami": [*lautex, "whoami", "--format", "json"]}
        if has_customers:
            cases["lautex customer show 1"] = [*lautex, "customer", "show", "1", "--format", "json"]
        for name, argv in cases.items():
            seconds = median_seconds(argv, env, runs)
            print(
                f"{name + ':':25s} {seconds * 1000:7.1f} ms  ratio {seconds / baseline:.2f}x"
                "  (goal <= 1.25x)"
            )


if __name__ == "__main__":
    main()
