"""Helpers shared by the marketing, objection, label and suppression tests (no tests here)."""

import json
import shutil
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.conftest import TODAY, Cli, RegisterTemplate

T = TypeVar("T")


def build_once(
    template: RegisterTemplate,
    tmp_path_factory: pytest.TempPathFactory,
    build: Callable[[Cli], T],
) -> tuple[Path, T]:
    """Run `build` on a copy of the template register once; tests copy the result.

    For module-scoped fixtures: a scenario built with dozens of commands is made once,
    and each test still gets its own copy of the file.
    """
    folder = tmp_path_factory.mktemp("scenario")
    db = folder / "lautex.db"
    shutil.copy2(template.path, db)
    home = folder / "home"
    shutil.copytree(template.home, home)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        patch.setenv("LAUTEX_DB", str(db))
        patch.setenv("LAUTEX_HOME", str(home))
        patch.setenv("LAUTEX_TODAY", TODAY)
        patch.delenv("LAUTEX_TOKEN", raising=False)
        built = build(Cli(db, home, template.tokens))
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db, built


def add_person(
    cli: Cli,
    first: str,
    last: str,
    *,
    email: str | None = None,
    phone: str | None = None,
    org: str | None = None,
    street: str | None = "Koivukuja 3 B 12",
    postal_code: str | None = "00100",
    city: str | None = "Helsinki",
    country: str | None = None,
) -> int:
    """`customer add` as the clerk; returns the new id."""
    args = ["customer", "add", "--first-name", first, "--last-name", last, "--source", "web-store"]
    for option, value in (
        ("--email", email),
        ("--phone", phone),
        ("--org", org),
        ("--street", street),
        ("--postal-code", postal_code),
        ("--city", city),
        ("--country", country),
    ):
        if value is not None:
            args += [option, value]
    return int(cli.ok(*args, user="clerk").stdout.strip())


def add_org(cli: Cli, name: str) -> int:
    return int(cli.ok("org", "add", name, user="clerk").stdout.strip())


def object_to(cli: Cli, customer: int | str, *purposes: str, received: str = "2026-11-20") -> None:
    args = ["object", str(customer)]
    for purpose in purposes:
        args += ["--purpose", purpose]
    cli.ok(*args, "--received", received, "--channel", "email", user="clerk")


def ban(cli: Cli, customer: int | str) -> None:
    cli.ok(
        "publication-ban", str(customer), "--received", "2026-11-20", "--channel",
        "customer-service", user="clerk",
    )  # fmt: skip


def give_consent(cli: Cli, customer: int, channel: str = "email", status: str = "given") -> None:
    cli.ok(
        "consent", str(customer), f"--{channel}-marketing", status, "--date", "2026-11-01",
        "--source", "web store checkbox", user="clerk",
    )  # fmt: skip


def add_order(cli: Cli, customer: int, number: str, date: str = "2026-06-01") -> None:
    cli.ok(
        "order", "add", str(customer), "--number", number, "--date", date, "--channel",
        "web-store", "--line", "Birch plank 2 m;10;12.50", user="clerk",
    )  # fmt: skip


def marketing_list(cli: Cli, *args: str, user: str = "clerk") -> list[dict[str, Any]]:
    result = cli.ok("marketing", "list", *args, "--format", "json", user=user)
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def listed_ids(cli: Cli, *args: str, user: str = "clerk") -> set[int]:
    return {int(row["id"]) for row in marketing_list(cli, *args, user=user)}


def table_dump(cli: Cli) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, to show a failed command changed nothing."""
    with closing(cli.connect()) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {t: [tuple(r) for r in conn.execute(f'SELECT * FROM "{t}"')] for t in tables}
