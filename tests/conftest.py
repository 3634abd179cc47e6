"""Shared fixtures: every test runs on its own temporary register, never on real data.

A register with four accounts (admin, clerk, auditor, system) is built once per
test session and copied for each test; `cli.run(..., user="clerk")` runs a command
as that user through typer's CliRunner, authenticated by the user's service token.
"""

import functools
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import typer.main
import typer.testing
from hypothesis import settings
from typer.testing import CliRunner, Result

from lautex_registry.cli.app import app, register_commands
from lautex_registry.platform import accounts, collation
from lautex_registry.platform.sqlite import sqlite3

PASSWORD = "correct horse battery staple"
USERS = {"admin": "admin", "clerk": "clerk", "auditor": "auditor", "bot": "system"}
TODAY = "2026-11-25"

# The README's test command runs the same examples every time, in CI and on a newcomer's
# machine alike: a failure is reproducible, never luck. On a loaded 2-core machine a slow
# example is not a failure. `HYPOTHESIS_PROFILE=explore` searches new examples on purpose.
settings.register_profile("repeatable", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("explore", deadline=None, max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

register_commands()  # `lautex` imports only what a command needs; tests want them all

# CliRunner.invoke rebuilds typer's whole command tree on every call (about 20 ms, more
# under coverage: a large share of an in-process command). Every command is
# registered above and the tree never changes after, so it is built once per process.
setattr(typer.testing, "_get_command", functools.cache(typer.main.get_command))  # noqa: B010

# argon2id with a low cost: the same algorithm, fast enough for a test suite.
accounts.ARGON2_PARAMS.update(time_cost=1, memory_cost=1024, parallelism=1)


@dataclass
class RegisterTemplate:
    path: Path
    home: Path
    tokens: dict[str, str] = field(default_factory=dict)


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """For session fixtures, which the per-test `isolated` environment does not reach:
    these environment variables (an empty value: unset) for the block, then as before."""
    old = {key: os.environ.get(key) for key in values}
    for key, value in values.items():
        if value:
            os.environ[key] = value
        else:
            os.environ.pop(key, None)
    try:
        yield
    finally:
        for key, was in old.items():
            if was is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = was


# What `isolated` unsets, for the session fixtures' commands too.
# The interface speaks the machine's locale (docs/rules.md §6): the tests read English
# whatever the machine running them speaks; tests of the Finnish interface set their own.
_ISOLATED = {"LAUTEX_TOKEN": "", "LAUTEX_TOKEN_FILE": "", "LAUTEX_DEBUG": "", "LAUTEX_LANG": "en"}


@pytest.fixture(scope="session")
def register_template(tmp_path_factory: pytest.TempPathFactory) -> RegisterTemplate:
    folder = tmp_path_factory.mktemp("template")
    template = RegisterTemplate(folder / "lautex.db", folder / "home")
    runner = CliRunner()
    with environment(
        LAUTEX_DB=str(template.path), XDG_CONFIG_HOME=str(folder / "config"), **_ISOLATED,
        LAUTEX_HOME=str(template.home),
    ):  # fmt: skip
        result = runner.invoke(
            app,
            ["init", "--admin", "admin", "--full-name", "Anna Admin", "--password-stdin"],
            input=PASSWORD + "\n",
        )
        assert result.exit_code == 0, result.output
        result = runner.invoke(app, ["login", "admin", "--password-stdin"], input=PASSWORD + "\n")
        assert result.exit_code == 0, result.output
        for name, role in USERS.items():
            if name != "admin":
                result = runner.invoke(
                    app,
                    [
                        "user",
                        "add",
                        name,
                        "--full-name",
                        f"{name.title()} User",
                        "--role",
                        role,
                        "--password-stdin",
                    ],
                    input=PASSWORD + "\n",
                )
                assert result.exit_code == 0, result.output
        for name in USERS:
            result = runner.invoke(app, ["user", "token", name])
            assert result.exit_code == 0, result.output
            template.tokens[name] = result.stdout.strip()
    with sqlite3.connect(template.path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return template


@dataclass
class DemoTemplate:
    path: Path
    home: Path
    password: str


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> DemoTemplate:
    """`lautex demo` run once per test process, on the tests' business date (TODAY): the
    build is the same every time (a fixed seed), and takes a second or more."""
    folder = tmp_path_factory.mktemp("demo-template")
    home = folder / "home"
    with environment(
        LAUTEX_HOME=str(home), LAUTEX_TODAY=TODAY, XDG_CONFIG_HOME=str(folder / "config"),
        LAUTEX_DB="", **_ISOLATED,
    ):  # fmt: skip
        result = CliRunner().invoke(app, ["demo", "--db", str(folder / "demo.db")])
    assert result.exit_code == 0, result.output
    return DemoTemplate(folder / "demo.db", home, result.stdout.strip())


@dataclass
class Cli:
    """Runs `lautex` commands in-process against the test's register."""

    db: Path
    home: Path
    tokens: dict[str, str]
    runner: CliRunner = field(default_factory=CliRunner)

    def run(self, *args: str, user: str | None = "admin", input: str | None = None) -> Result:
        env = {"LAUTEX_TOKEN": self.tokens[user] if user else ""}
        if user is None:
            os.environ.pop("LAUTEX_TOKEN", None)
        return self.runner.invoke(app, list(args), input=input, env=env)

    def ok(self, *args: str, user: str | None = "admin", input: str | None = None) -> Result:
        """Run a command that must succeed; on failure the assertion shows its output."""
        result = self.run(*args, user=user, input=input)
        assert result.exit_code == 0, f"exit {result.exit_code}\n{result.output}"
        return result

    def init(self, db: Path | None, *extra: str, password: str = PASSWORD) -> Result:
        """`lautex [--db DB] init` of a new register with admin hannu, the password on stdin."""
        where = ("--db", str(db)) if db is not None else ()
        return self.run(
            *where, "init", "--admin", "hannu", "--full-name", "Hannu Piispa",
            "--password-stdin", *extra, user=None, input=password + "\n",
        )  # fmt: skip

    def connect(self) -> sqlite3.Connection:
        """A plain connection, with the register's finnish() (its triggers call it when a
        name is written, migration 19)."""
        conn = sqlite3.connect(self.db)
        conn.row_factory = sqlite3.Row
        collation.register(conn)
        return conn


LOCALE_VARIABLES = ("LAUTEX_LANG", "LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")


@pytest.fixture
def no_locale(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No language chosen by the environment; the test sets the one it means."""
    for name in LOCALE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No test touches real data: LAUTEX_DB, LAUTEX_HOME and the working directory are temporary."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LAUTEX_DB", str(tmp_path / "data" / "lautex.db"))
    monkeypatch.setenv("LAUTEX_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LAUTEX_TODAY", TODAY)
    monkeypatch.delenv("LAUTEX_TOKEN", raising=False)
    monkeypatch.delenv("LAUTEX_TOKEN_FILE", raising=False)
    monkeypatch.delenv("LAUTEX_DEBUG", raising=False)
    monkeypatch.setenv("LAUTEX_LANG", _ISOLATED["LAUTEX_LANG"])
    # The user's config file (lautex config) is the test's own, never the machine's.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    yield tmp_path


@pytest.fixture
def cli(
    register_template: RegisterTemplate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Cli:
    """A copy of the template register with admin, clerk, auditor and bot (system) accounts."""
    db = tmp_path / "data" / "lautex.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(register_template.path, db)
    home = tmp_path / "home"
    shutil.copytree(register_template.home, home)
    monkeypatch.setenv("LAUTEX_DB", str(db))
    monkeypatch.setenv("LAUTEX_HOME", str(home))
    return Cli(db, home, register_template.tokens)


@pytest.fixture
def demo(cli: Cli, demo_template: DemoTemplate, tmp_path: Path) -> Path:
    """A fresh copy of the demo register at tmp_path/demo.db, as `lautex demo --db
    demo.db` leaves it: its admin logged in through the session file in the test's home.
    Tests of the `demo` command itself build their own."""
    target = tmp_path / "demo.db"
    shutil.copy2(demo_template.path, target)
    shutil.copytree(demo_template.home, cli.home, dirs_exist_ok=True)
    return target


@pytest.fixture
def real_clock_in_2032(monkeypatch: pytest.MonkeyPatch) -> None:
    """For tests that run the retention job for real on days up to 2031: a real run
    refuses a day that has not come, so the real clock (clock.py's test seam) is moved
    to 2032, while LAUTEX_TODAY keeps the business date."""
    from datetime import UTC, datetime

    from lautex_registry.platform import clock

    later = datetime(2032, 6, 1, 12, 0, tzinfo=UTC)
    monkeypatch.setattr(clock, "real_now", lambda: later)


def _undo(statement: str) -> str:
    """The statement that takes back one step of a migration (tables, indexes, columns)."""
    created = re.match(
        r"\s*CREATE (?:VIRTUAL )?(TABLE|INDEX|TRIGGER)(?: IF NOT EXISTS)? (\w+)", statement
    )
    if created:
        return f"DROP {created[1]} {created[2]}"
    option = re.match(r"\s*INSERT INTO (\w+)\(\1, rank\) VALUES\('([\w-]+)', 1\)\Z", statement)
    if option:  # an FTS5 option turned on (migration 17's secure-delete): off again
        return f"INSERT INTO {option[1]}({option[1]}, rank) VALUES('{option[2]}', 0)"
    if statement.lstrip().startswith("INSERT"):
        return "SELECT 1"  # rows filled in by the migration go with their table
    added = re.match(r"\s*ALTER TABLE (\w+) ADD COLUMN (\w+)", statement)
    if added:
        return f"ALTER TABLE {added[1]} DROP COLUMN {added[2]}"
    renamed = re.match(r"\s*ALTER TABLE (\w+) RENAME COLUMN (\w+) TO (\w+)\Z", statement)
    if renamed:
        return f"ALTER TABLE {renamed[1]} RENAME COLUMN {renamed[3]} TO {renamed[2]}"
    # A column replaced by another (ADD, copy, DROP, RENAME): the old one comes back
    # without its constraints, which a register of the older release does not miss.
    dropped = re.match(r"\s*ALTER TABLE (\w+) DROP COLUMN (\w+)\Z", statement)
    if dropped:
        return f"ALTER TABLE {dropped[1]} ADD COLUMN {dropped[2]} TEXT"
    copied = re.match(r"\s*UPDATE (\w+) SET (\w+) = (\w+)\Z", statement)
    if copied:
        return f"UPDATE {copied[1]} SET {copied[3]} = {copied[2]}"
    scaled = re.match(r"\s*UPDATE (\w+) SET (\w+) = \2 \* (\d+)\Z", statement)
    if scaled:
        return f"UPDATE {scaled[1]} SET {scaled[2]} = {scaled[2]} / {scaled[3]}"
    raise AssertionError(f"cannot undo: {statement[:60]}")


def _undo_search_in_name_order(conn: sqlite3.Connection) -> None:
    """Migration 20 taken back: the index as migrations 14 and 17 left it, numbered by id,
    with their triggers, and migration 15's trigger as it was."""
    from lautex_registry.platform.migrations import (
        m0014_customer_search,
        m0015_import_runs,
        m0020_customer_search_in_name_order,
    )

    for name in (
        "customers_search_in", "customers_search_out", "customers_search_moved",
        "customers_renamed_unplaced", "customers_placed_here_only", "customers_id_in_range",
        "customers_id_kept_in_range", "import_run_customer_changed",
    ):  # fmt: skip
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute("DROP TABLE customer_search")
    conn.execute("DROP INDEX customers_by_bucket")
    conn.execute("ALTER TABLE customers DROP COLUMN search_rowid")
    conn.execute("ALTER TABLE customers DROP COLUMN name_bucket")
    (trigger,) = [
        statement
        for statement in m0015_import_runs.STATEMENTS
        if "TRIGGER import_run_customer_changed" in statement
    ]
    conn.execute(trigger)
    for statement in m0014_customer_search.STATEMENTS:
        conn.execute(statement)
    index = m0020_customer_search_in_name_order.INDEX
    conn.execute(f"INSERT INTO {index}({index}, rank) VALUES('secure-delete', 1)")
    m0014_customer_search.build(conn, None)


def roll_back_migrations(db: Path, to: int | None = None) -> None:
    """Make the file look like one written by an older release: the migrations after
    number `to` (default: all but the latest) are taken back, newest first."""
    from lautex_registry.platform import migrations

    keep = migrations.LATEST - 1 if to is None else to
    conn = sqlite3.connect(db)
    for migration in reversed(migrations.known()):
        if migration.number <= keep:
            break
        if migration.number == 20:
            _undo_search_in_name_order(conn)
        else:
            for statement in reversed(migration.statements):
                conn.execute(_undo(statement))
        conn.execute(
            f"DELETE FROM {migrations.LEDGER} WHERE migration_set = ? AND name = ?",
            (migrations.MIGRATION_SET, migration.name),
        )
    conn.commit()
    conn.close()
