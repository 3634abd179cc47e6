"""When the machine refuses (a full disk, a read-only file system, a folder that cannot be
written): one line, exit 7, and the register exactly as it was.

The failures are real: each command runs as a separate process in a private mount namespace
on a small tmpfs that is filled up or made read-only (tests run as root, so file modes would
not stop anything).
"""

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from lautex_registry.platform.sqlite import sqlite3
from tests.conftest import PASSWORD, Cli

LAUTEX = f"{sys.executable} -m lautex_registry"


@dataclass
class Outcome:
    code: int
    stderr: str


@pytest.fixture
def disk(tmp_path: Path) -> Path:
    """A folder where a script run by `on_disk` finds a 2 MiB tmpfs of its own."""
    folder = tmp_path / "disk"
    folder.mkdir()
    probe = subprocess.run(
        ["unshare", "--mount", "sh", "-c", f"mount -t tmpfs -o size=2m lautex-test {folder}"],
        capture_output=True,
        check=False,
    )
    if shutil.which("unshare") is None or probe.returncode != 0:
        pytest.skip("needs root that may mount a tmpfs in a private mount namespace")
    return folder


def on_disk(disk: Path, setup: str, command: str, env: dict[str, str]) -> Outcome:
    """Run `setup` then the lautex `command` with the tmpfs mounted at `disk` (private to the
    run: it is gone afterwards, so the setup copies out what the test inspects)."""
    err = disk.parent / "stderr.txt"
    script = (
        f"set -e\nmount -t tmpfs -o size=2m lautex-test {disk}\n{setup}\n"
        f"set +e\n{LAUTEX} {command} 2> {err}\necho $? > {err}.code\n"
        f"cp -a {disk}/. {disk.parent}/after/ 2>/dev/null || true\n"
    )
    (disk.parent / "after").mkdir(exist_ok=True)
    done = subprocess.run(
        ["unshare", "--mount", "sh", "-c", script],
        env=dict(os.environ, **env),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return Outcome(int(Path(f"{err}.code").read_text()), err.read_text("utf-8"))


def holdings(db: Path) -> tuple[str, int, int]:
    """What a register holds, read by plain sqlite3: integrity, customers, audit rows."""
    conn = sqlite3.connect(db)
    try:
        [check] = conn.execute("PRAGMA integrity_check").fetchone()
        [customers] = conn.execute("SELECT COUNT(*) FROM customers").fetchone()
        [audit_rows] = conn.execute("SELECT COUNT(*) FROM audit_log").fetchone()
    finally:
        conn.close()
    return check, customers, audit_rows


def assert_one_environment_line(outcome: Outcome, reason: str) -> None:
    assert outcome.code == 7, outcome.stderr
    assert outcome.stderr.startswith("error: environment: "), outcome.stderr
    assert outcome.stderr.count("\n") == 1 and reason in outcome.stderr
    assert "the register is as it was" in outcome.stderr


def test_a_full_disk_stops_an_import_with_exit_7_and_nothing_half_written(
    cli: Cli, disk: Path, tmp_path: Path
) -> None:
    cli.ok("customer", "add", "--first-name", "Aino", "--last-name", "Ö", "--source", "partner")
    before = holdings(cli.db)
    rows = "".join(f"Väinö{i};Öhman;v{i}@example.fi;partner\n" for i in range(3000))
    csv = tmp_path / "uudet.csv"
    csv.write_text("first_name;last_name;email;source\n" + rows, encoding="utf-8")
    # The register goes in, then a filler leaves about 150 kB: too little for 3000 rows.
    setup = (
        f"cp {cli.db} {disk}/r.db\n"
        f"free=$(df --output=avail -B1 {disk} | tail -1)\n"
        f"head -c $((free - 150000)) /dev/zero > {disk}/filler"
    )
    env = {"LAUTEX_TOKEN": cli.tokens["clerk"]}
    outcome = on_disk(disk, setup, f"--db {disk}/r.db customer import {csv}", env)
    assert_one_environment_line(outcome, "the disk is full")
    assert holdings(tmp_path / "after" / "r.db") == before
    assert before[0] == "ok"


def test_a_read_only_file_system_refuses_a_change_with_exit_7(
    cli: Cli, disk: Path, tmp_path: Path
) -> None:
    original = cli.db.read_bytes()
    setup = f"cp {cli.db} {disk}/r.db\nmount -o remount,ro {disk}"
    add = "customer add --first-name Aino --last-name Äijälä --source partner"
    outcome = on_disk(disk, setup, f"--db {disk}/r.db {add}", {"LAUTEX_TOKEN": cli.tokens["clerk"]})
    assert_one_environment_line(outcome, "cannot be opened")
    assert (tmp_path / "after" / "r.db").read_bytes() == original
    assert sorted(p.name for p in (tmp_path / "after").iterdir()) == ["r.db"]


def test_a_folder_that_cannot_be_written_refuses_backup_and_init_with_exit_7(
    cli: Cli, disk: Path, tmp_path: Path
) -> None:
    original = cli.db.read_bytes()
    token = {"LAUTEX_TOKEN": cli.tokens["admin"]}
    outcome = on_disk(disk, f"mount -o remount,ro {disk}", f"backup {disk}/b.db", token)
    assert_one_environment_line(outcome, "the file system is read-only")
    assert cli.db.read_bytes() == original
    init = f"--db {disk}/new.db init --admin hannu --full-name Hannu --password-stdin"
    password = tmp_path / "password.txt"
    password.write_text(PASSWORD + "\n")
    outcome = on_disk(disk, f"mount -o remount,ro {disk}", f"{init} < {password}", {})
    assert_one_environment_line(outcome, "read-only")
    assert not list((tmp_path / "after").iterdir())


def as_root_without_file_permissions(cli: Cli, *args: str, user: str = "admin") -> Outcome:
    """`lautex ARGS` as root without the power to ignore file modes (CAP_DAC_OVERRIDE), so
    that mode 000 makes a file unreadable and mode 555 a folder unwritable, as for a user."""
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv (util-linux) to drop root's power over file modes")
    drop = "--bounding-set=-dac_override,-dac_read_search"
    done = subprocess.run(
        ["setpriv", drop, sys.executable, "-m", "lautex_registry", *args],
        env=dict(os.environ, LAUTEX_TOKEN=cli.tokens[user]),
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    return Outcome(done.returncode, done.stderr)


def test_an_unreadable_or_read_only_register_file_is_exit_7(cli: Cli, tmp_path: Path) -> None:
    original = cli.db.read_bytes()
    cli.db.chmod(0o000)
    outcome = as_root_without_file_permissions(cli, "--db", str(cli.db), "status")
    assert_one_environment_line(outcome, "is it readable")
    cli.db.chmod(0o400)
    add = ("customer", "add", "--first-name", "Aino", "--last-name", "Ö", "--source", "partner")
    outcome = as_root_without_file_permissions(cli, "--db", str(cli.db), *add, user="clerk")
    assert_one_environment_line(outcome, "read-only")
    cli.db.chmod(0o600)
    assert cli.db.read_bytes() == original
    assert holdings(cli.db)[1] == 0


def test_a_folder_without_write_permission_refuses_init_with_exit_7(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o555)
    init = ("--db", str(folder / "new.db"), "init", "--admin", "hannu", "--full-name", "H")
    nobody = Cli(tmp_path / "none.db", tmp_path / "home", {"admin": ""})
    outcome = as_root_without_file_permissions(nobody, *init, "--password-stdin")
    assert_one_environment_line(outcome, "permission denied")
    assert list(folder.iterdir()) == []
