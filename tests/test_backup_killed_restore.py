"""A restore killed halfway leaves the copy it was preparing (erased people and all) only
until the next backup, verify, restore or retention run; a full disk while a copy is
migrated is the machine's refusal, not a bad copy (docs/rules.md §5, README "Exit codes")."""

import json
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from lautex_registry.erasure.backups import held_while_written, sweep_scratch
from lautex_registry.platform import migrations
from lautex_registry.platform.output_files import PendingOutput
from lautex_registry.platform.sqlite import sqlite3
from tests.conftest import Cli
from tests.helpers import (
    add_quinta,
    age_copy,
    assert_one_line_error,
    every_table,
    lautex_env,
    needles,
)
from tests.test_backup_older_schema import backup_before_the_upgrade, sha256_of

ROOT = Path(__file__).parent.parent
# `lautex` in a real process that kills itself with SIGKILL the moment the copy it stages
# has been migrated: the whole copy is in its staging file then, the erased person too.
KILLED_WHEN_MIGRATED = """
import os, signal, sys
from lautex_registry.platform import migrations
applied = migrations.apply_pending
def apply_then_die(*args, **kwargs):
    applied(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)
migrations.apply_pending = apply_then_die
from lautex_registry.__main__ import main
sys.argv = ["lautex", *sys.argv[1:]]
main()
"""


def lautex(
    env: dict[str, str], *args: str, killed: bool = False
) -> subprocess.CompletedProcess[str]:
    program = ["-c", KILLED_WHEN_MIGRATED] if killed else ["-m", "lautex_registry"]
    return subprocess.run(
        [sys.executable, *program, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def holding_the_erased(folder: Path, *, besides: tuple[Path, ...] = ()) -> list[str]:
    """The files in `folder` (other than `besides`) that hold a value of the erased person."""
    found = []
    for path in sorted(folder.iterdir()):
        if path.is_file() and path not in besides:
            data = path.read_bytes()
            if any(needle in data for needle in needles()):
                found.append(path.name)
    return found


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if "partial" in p.name or "restoring" in p.name)


def erased_after_last_nights_copy(cli: Cli, folder: Path) -> Path:
    """Last night's copy (before the upgrade, so a restore migrates it), the person in it
    erased since."""
    erased = add_quinta(cli)
    add_quinta(cli, email="keeper@example.fi", last="Äijälä", phone="040 111 2222")
    folder.mkdir()
    copy = folder / "last-night.db"
    backup_before_the_upgrade(cli, copy)
    for safety_copy in cli.db.parent.glob("*.bak"):  # migrate's, not a restore's: not looked at
        safety_copy.unlink()
    cli.ok("erase", str(erased), "--yes", user="clerk")
    return copy


def next_command(name: str, copies: Path, copy: Path) -> tuple[str, ...]:
    """The command run after the killed restore: each one sweeps what it left."""
    return {
        "backup": ("backup", str(copies / "tonight.db")),
        "verify": ("backup", "verify", str(copy)),
        "retention": ("retention", "run", "--dry-run"),
        "restore": ("restore", str(copy), "--dry-run"),
    }[name]


@pytest.mark.parametrize("dry_run", [False, True])
@pytest.mark.parametrize("command", ["backup", "verify", "retention", "restore"])
def test_a_restore_killed_mid_migration_leaves_the_copy_only_until_the_next_command(
    cli: Cli, tmp_path: Path, command: str, dry_run: bool
) -> None:
    copies = tmp_path / "copies"
    copy = erased_after_last_nights_copy(cli, copies)
    made = sha256_of(copy)
    env = lautex_env(cli, "admin")
    mode = "--dry-run" if dry_run else "--yes"

    killed = lautex(env, "restore", str(copy), mode, killed=True)

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    # The staging copy was left, the erased person in it (in the clear, whatever the copy).
    register = (cli.db, Path(f"{cli.db}-wal"))
    assert holding_the_erased(cli.db.parent, besides=register)
    assert leftovers(cli.db.parent)

    done = lautex(env, *next_command(command, copies, copy))

    assert done.returncode == 0, done.stderr
    assert leftovers(cli.db.parent) == []
    assert holding_the_erased(cli.db.parent, besides=register) == []
    assert sha256_of(copy) == made


def test_an_encrypted_copy_killed_mid_restore_leaves_nothing_in_the_clear_after_retention(
    cli: Cli, tmp_path: Path
) -> None:
    plain = erased_after_last_nights_copy(cli, tmp_path / "copies")
    copy, identity = age_copy(plain, tmp_path)
    plain.unlink()
    env = lautex_env(cli, "admin")

    killed = lautex(env, "restore", str(copy), "--identity", str(identity), "--yes", killed=True)

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    register = (cli.db, Path(f"{cli.db}-wal"))
    assert holding_the_erased(cli.db.parent, besides=register)
    assert lautex(env, "retention", "run", "--yes").returncode == 0
    assert leftovers(cli.db.parent) == []
    assert holding_the_erased(cli.db.parent, besides=register) == []


def test_a_restore_onto_a_new_machine_killed_mid_migration_is_removed_by_the_retry(
    cli: Cli, tmp_path: Path
) -> None:
    copy = erased_after_last_nights_copy(cli, tmp_path / "copies")
    new = tmp_path / "new-machine" / "lautex.db"
    new.parent.mkdir()
    shutil.copy(f"{cli.db}.erasure-journal", f"{new}.erasure-journal")
    env = {**lautex_env(cli, "admin"), "LAUTEX_DB": str(new), "LAUTEX_TOKEN": ""}

    killed = lautex(env, "restore", str(copy), "--yes", killed=True)

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not new.exists()
    assert [n for n in leftovers(new.parent) if n.startswith(".lautex.db.")]
    assert holding_the_erased(new.parent)

    again = lautex(env, "restore", str(copy), "--yes")

    assert again.returncode == 0, again.stderr
    assert leftovers(new.parent) == []
    assert holding_the_erased(new.parent) == []  # the new register holds no erased person


def test_the_sweep_takes_a_killed_restores_files_and_leaves_a_running_ones(cli: Cli) -> None:
    folder = cli.db.parent
    # A register a killed restore onto a new machine was building, with its WAL.
    building = folder / ".lautex.db.0123abcd.lautex-partial"
    building.write_bytes(b"a whole copy")
    Path(f"{building}-wal").write_bytes(b"wal")
    # The staging file of a restore by an older lautex: a fixed name, never held.
    legacy = [Path(f"{cli.db}.restoring{side}") for side in ("", "-wal", "-shm")]
    for path in legacy:
        path.write_bytes(b"a whole copy")
    other = folder / ".other.db.0123abcd.lautex-partial"
    other.write_bytes(b"not this register's")
    # A demo register being built by that name: made anew by create_register, out of a
    # lock's reach, so it has a name of its own that no sweep takes.
    demo = PendingOutput(cli.db, force=True, field="db", kind="demo")
    running = PendingOutput(cli.db, force=False, field="db")
    try:
        with held_while_written(running):
            assert sweep_scratch(cli.db) == 5
            assert running.temp.exists()  # a restore still building it: left alone
    finally:
        running.discard()
    assert not building.exists() and not Path(f"{building}-wal").exists()
    assert not any(path.exists() for path in legacy)
    assert other.exists() and cli.db.exists()
    assert demo.temp.exists()
    demo.discard()


# --- a full disk while a copy is migrated ------------------------------------------------------


def assert_refused_by_the_machine(result) -> None:  # type: ignore[no-untyped-def]
    """Exit 7 and its one error line, after what a restore says before it starts."""
    assert result.exit_code == 7, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and errors[0].startswith("error: environment: "), result.stderr


def full_disk(*args: object, **kwargs: object) -> None:
    raise sqlite3.OperationalError("database or disk is full")


def io_error(*args: object, **kwargs: object) -> None:
    raise sqlite3.OperationalError("disk I/O error")


@pytest.mark.parametrize("failure", [full_disk, io_error])
@pytest.mark.parametrize(
    "command",
    [("restore", "--yes"), ("restore", "--dry-run"), ("backup", "verify")],
    ids=["restore", "dry-run", "verify"],
)
def test_a_disk_that_fails_while_a_copy_is_migrated_is_exit_7_not_a_bad_copy(
    cli: Cli,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: tuple[str, str],
    failure: Callable[..., None],
) -> None:
    copy = erased_after_last_nights_copy(cli, tmp_path / "copies")
    monkeypatch.setattr(migrations, "apply_pending", failure)
    first, second = command
    args = (first, str(copy), second) if first == "restore" else (first, second, str(copy))

    result = cli.run(*args)

    assert_refused_by_the_machine(result)
    assert "not a" not in result.stderr and str(copy) not in result.stderr
    assert leftovers(cli.db.parent) == []


def test_a_full_disk_while_the_index_is_built_anew_is_exit_7(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lautex_registry.erasure import cleanup

    copy = erased_after_last_nights_copy(cli, tmp_path / "copies")
    monkeypatch.setattr(cleanup, "rebuild_search_index", full_disk)

    assert_refused_by_the_machine(cli.run("restore", str(copy), "--yes"))
    new = tmp_path / "new-machine" / "lautex.db"
    fresh = cli.run("--db", str(new), "restore", str(copy), "--yes", user=None)
    assert_refused_by_the_machine(fresh)
    assert not new.exists()


def test_a_full_disk_while_the_journal_is_replayed_onto_the_copy_is_exit_7(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lautex_registry.erasure import backups

    copy = erased_after_last_nights_copy(cli, tmp_path / "copies")
    monkeypatch.setattr(backups, "replay_journal", full_disk)

    assert_refused_by_the_machine(cli.run("restore", str(copy), "--yes"))
    assert leftovers(cli.db.parent) == []


def test_a_full_disk_while_a_copy_is_migrated_on_a_new_machine_is_exit_7(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = erased_after_last_nights_copy(cli, tmp_path / "copies")
    monkeypatch.setattr(migrations, "apply_pending", full_disk)
    new = tmp_path / "new-machine" / "lautex.db"

    fresh = cli.run("--db", str(new), "restore", str(copy), "--yes", user=None)

    assert_refused_by_the_machine(fresh)
    assert not new.exists() and leftovers(new.parent) == []


def test_a_copy_that_migrations_do_not_take_is_still_a_bad_copy(cli: Cli, tmp_path: Path) -> None:
    copy = erased_after_last_nights_copy(cli, tmp_path / "copies")
    with sqlite3.connect(copy) as conn:  # migration 19 adds this column: it cannot
        conn.execute("ALTER TABLE customers ADD COLUMN sort_last_name TEXT")

    assert_one_line_error(cli.run("restore", str(copy), "--yes"), 2, "backup:", "not a lautex")
    assert_one_line_error(cli.run("backup", "verify", str(copy)), 4, "backup verify:")


# --- the version a copy is reported at ---------------------------------------------------------


def test_a_copy_that_lacks_one_migration_is_reported_at_the_version_before_it(
    cli: Cli, tmp_path: Path
) -> None:
    add_quinta(cli)
    made = tmp_path / "today.db"
    cli.ok("backup", str(made))
    copy = tmp_path / "altered.db"  # not the file the register recorded
    shutil.copyfile(made, copy)
    with sqlite3.connect(copy) as conn:
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm0017_search_secure_delete'")

    preview = cli.ok("restore", str(copy), "--dry-run")
    verified = cli.ok("backup", "verify", str(copy), "-f", "json")

    assert "the copy is at schema version 16: the restore migrates it" in preview.stderr
    assert json.loads(verified.stdout)["schema_version"] == 16


# --- a copy found damaged only when the replay writes to it ------------------------------------


def test_a_copy_whose_index_the_replay_finds_damaged_is_refused_naming_the_copy(
    cli: Cli, tmp_path: Path
) -> None:
    erased = add_quinta(cli)
    copy = tmp_path / "today.db"
    cli.ok("backup", str(copy))
    cli.ok("erase", str(erased), "--yes", user="clerk")
    with sqlite3.connect(copy) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        (root,) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'customers_search_email_key'"
        ).fetchone()
    damaged = bytearray(copy.read_bytes())
    offset = (root - 1) * page_size
    damaged[offset : offset + 12] = b"\x0d" + b"\xff" * 11  # a leaf page that makes no sense
    copy.write_bytes(bytes(damaged))
    with cli.connect() as conn:
        before = every_table(conn)

    result = cli.run("restore", str(copy), "--yes")

    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[-1] == (
        f"error: backup: {copy} is not a lautex register (database disk image is malformed)"
    )
    with cli.connect() as conn:
        assert every_table(conn) == before
    assert leftovers(cli.db.parent) == []
