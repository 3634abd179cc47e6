"""Helpers the test modules share: one of each, imported from here (and conftest) only."""

import json
from typing import Any

from typer.testing import Result

from tests.conftest import Cli


def dump(cli: Cli) -> list[str]:
    """Every row of the register, to show that a failed command changed nothing."""
    with cli.connect() as conn:
        return list(conn.iterdump())


def add_customer(cli: Cli, *args: str, user: str = "clerk") -> int:
    """`customer add` with these options; the new customer's id."""
    result = cli.ok("customer", "add", *args, user=user)
    return int(result.stdout.strip())


def add_aino(cli: Cli, *extra: str) -> int:
    return add_customer(
        cli,
        "--first-name", "Aino", "--last-name", "Äijälä", "--email", "Aino.Aijala@Example.fi",
        "--phone", "040 123 4567", "--street", "Kuusitie 3 B 12", "--postal-code", "00100",
        "--city", "Helsinki", "--source", "web-store", *extra,
    )  # fmt: skip


def show(cli: Cli, ref: str) -> dict[str, Any]:
    result = cli.ok("customer", "show", ref, "--format", "json", user="clerk")
    shown: dict[str, Any] = json.loads(result.stdout)
    return shown


def assert_one_line_error(result: Result, code: int, *fragments: str) -> None:
    """One `error: ...` line on stderr, this exit code, and each fragment in the line."""
    assert result.exit_code == code, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: ")
    for fragment in fragments:
        assert fragment in result.stderr
