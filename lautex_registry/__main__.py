"""`python -m lautex_registry` and the `lautex` command (pyproject `[project.scripts]`)."""

import gc


def main() -> None:
    # Start-up creates hundreds of thousands of objects (Typer, pydantic, our modules) and
    # almost no garbage, yet Python's cycle collector walks them every few hundred
    # allocations: 4-5 % of a short command's CPU (benchmarks/README.md, start-up). It is
    # off until the command's work starts (cli/app.py `collect_garbage_from_here`).
    gc.disable()
    from lautex_registry.cli.app import main as run

    run()


if __name__ == "__main__":
    main()
