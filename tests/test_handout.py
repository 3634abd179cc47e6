"""Personal data is audited before it leaves: every list reserves its audit row first."""

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from lautex_registry.cli import context
from lautex_registry.platform import db
from lautex_registry.platform.sqlite import sqlite3
from tests.conftest import Cli, RegisterTemplate
from tests.helpers import build_once

LISTS = {
    "customer list": ("customer", "list", "-f", "csv"),
    "order list": ("order", "list", "-f", "csv"),
    "invoice list": ("invoice", "list", "-f", "csv"),
    "marketing list": ("marketing", "list", "--purpose", "direct-advertising",
                       "--channel", "post", "--format", "csv"),
    "labels": ("labels", "--format", "csv"),
}  # fmt: skip
SURNAME = "Äijälä-Handout"


def build_listed(cli: Cli) -> None:
    """A register with two customers who appear on every list: orders, invoices, mailings.

    Two, so a list is still reading (its first row out, the next one read) when its
    audit is reserved.
    """
    for n in (1, 2):
        added = cli.ok(
            "customer", "add", "--first-name", f"Aino{n}", "--last-name", SURNAME,
            "--email", f"aino{n}.handout@example.fi", "--street", "Katu 1",
            "--postal-code", "00100", "--city", "Helsinki", "--source", "web-store",
            user="clerk",
        )  # fmt: skip
        cli.ok("order", "add", added.stdout.strip(), "--number", f"H-{n}",
               "--date", "2026-11-01", "--channel", "web-store", "--line", "Plank;1;10",
               user="clerk")  # fmt: skip
        cli.ok("invoice", "add", f"H-{n}", "--number", f"900{n}", "--issued", "2026-11-01",
               "--due", "2026-11-15", user="clerk")  # fmt: skip
    for action, args in LISTS.items():
        assert cli.ok(*args, user="admin").stdout.count(SURNAME) == 2, action


@pytest.fixture(scope="module")
def built_listed(
    register_template: RegisterTemplate, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The register above, built once per module; each test gets its own copy."""
    return build_once(register_template, tmp_path_factory, build_listed)[0]


@pytest.fixture
def listed(cli: Cli, built_listed: Path) -> Cli:
    shutil.copy2(built_listed, cli.db)
    return cli


def audit_actions(cli: Cli) -> list[str]:
    with cli.connect() as conn:
        return [row[0] for row in conn.execute("SELECT action FROM audit_log ORDER BY id")]


@contextmanager
def write_lock_held(cli: Cli) -> Iterator[None]:
    """Another writer holding the lock until the block ends (a list in this process
    waits the busy timeout; make it short)."""
    holder = sqlite3.connect(cli.db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.mark.parametrize("action", LISTS)
def test_a_list_is_audited_before_its_first_row_leaves(listed: Cli, action: str) -> None:
    before = len(audit_actions(listed))
    listed.ok(*LISTS[action], user="admin")
    assert audit_actions(listed)[before:] == [f"{action} started", action]
    # A filter refused before a row is read reserves nothing.
    assert listed.run("customer", "list", "--state", "frozen", user="admin").exit_code == 2
    assert audit_actions(listed)[before:] == [f"{action} started", action]


@pytest.mark.parametrize("action", LISTS)
def test_a_busy_register_hands_out_nothing_and_exits_6(
    listed: Cli, action: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 100)
    before = audit_actions(listed)
    with write_lock_held(listed):
        result = listed.run(*LISTS[action], user="admin")
    assert result.exit_code == 6
    assert SURNAME not in result.stdout and "H-1" not in result.stdout
    assert (
        result.stderr.startswith("error: the register is busy") and result.stderr.count("\n") == 1
    )
    assert audit_actions(listed) == before


@pytest.mark.parametrize("action", LISTS)
def test_a_read_only_register_hands_out_nothing_and_exits_1(
    listed: Cli, action: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_connect = db.connect

    def read_only(path: Path) -> sqlite3.Connection:
        conn = real_connect(path)
        conn.execute("PRAGMA query_only = ON")  # as a file the process cannot write
        return conn

    monkeypatch.setattr(context, "connect", read_only)
    before = audit_actions(listed)
    result = listed.run(*LISTS[action], user="admin")
    assert result.exit_code == 7
    assert SURNAME not in result.stdout and "H-1" not in result.stdout
    assert result.stderr.startswith("error: environment: the register file or its file system")
    assert result.stderr.count("\n") == 1
    assert audit_actions(listed) == before


def test_a_list_cut_short_by_the_pipe_reader_is_audited_with_what_went_out(
    cli: Cli, tmp_path: Path
) -> None:
    people = [f"Aino{n},Äijälä,aino{n}@example.fi,web-store" for n in range(1500)]
    data = tmp_path / "many.csv"
    data.write_text("first_name,last_name,email,source\n" + "\n".join(people) + "\n")
    cli.ok("customer", "import", str(data))
    env = dict(os.environ, LAUTEX_DB=str(cli.db), LAUTEX_TOKEN=cli.tokens["clerk"])
    child = subprocess.Popen(
        [sys.executable, "-m", "lautex_registry", "customer", "list", "--format", "jsonl"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    assert child.stdout is not None and child.stderr is not None
    assert b"Aino" in child.stdout.readline()
    child.stdout.close()
    assert child.wait(timeout=60) == 0, child.stderr.read()
    with cli.connect() as conn:
        rows = conn.execute(
            "SELECT action, details_json FROM audit_log WHERE action LIKE 'customer list%' "
            "ORDER BY id"
        ).fetchall()
    assert [row[0] for row in rows] == ["customer list started", "customer list"]
    assert 0 < json.loads(rows[1][1])["rows"] < 1500


def start_list(cli: Cli, action: str) -> "subprocess.Popen[str]":
    """A list in its own `lautex` process, as a cron job or a second clerk runs it."""
    env = dict(os.environ, LAUTEX_DB=str(cli.db), LAUTEX_TOKEN=cli.tokens["admin"])
    return subprocess.Popen(
        [sys.executable, "-m", "lautex_registry", *LISTS[action]],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
    )  # fmt: skip


@pytest.mark.parametrize("action", LISTS)
def test_a_list_waits_for_a_writer_that_commits_within_the_busy_timeout(
    listed: Cli, action: str
) -> None:
    before = audit_actions(listed)
    writer = sqlite3.connect(listed.db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE customers SET city = city")  # another clerk's change, committed
    child = start_list(listed, action)
    time.sleep(3)  # the list starts (about a second) and waits, within the 5-second timeout
    writer.execute("COMMIT")
    writer.close()
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    assert out.count(SURNAME) == 2
    assert audit_actions(listed)[len(before) :] == [f"{action} started", action]


def test_a_writer_holding_on_past_the_busy_timeout_makes_every_list_exit_6_empty_handed(
    listed: Cli,
) -> None:
    before = audit_actions(listed)
    with write_lock_held(listed):
        children = {action: start_list(listed, action) for action in LISTS}
        results = {action: child.communicate(timeout=60) for action, child in children.items()}
    for action, child in children.items():
        out, err = results[action]
        assert child.returncode == 6, (action, err)
        assert out == "", action  # not even the CSV header
        assert err.startswith("error: the register is busy") and err.count("\n") == 1, action
    assert audit_actions(listed) == before
