"""Files the tool writes: never the register, never a file replaced without --force, never
half a file under the target's name (README "Conventions": output files)."""

import atexit
import errno
import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import IO

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from lautex_registry.platform import collation
from lautex_registry.platform.errors import InvalidInput
from lautex_registry.platform.output_files import check_target
from lautex_registry.platform.sqlite import sqlite3
from tests.conftest import Cli, roll_back_migrations
from tests.helpers import add_quinta, refused

# Each command that writes a file, as a function of the file name.
Command = Callable[[Cli, str], list[str]]


def _export(cli: Cli, path: str) -> list[str]:
    return ["export", str(add_quinta(cli)), "--output", path]


def _letter(cli: Cli, path: str) -> list[str]:
    request_id = cli.ok(
        "request", "add", "--requester", "Ville Vieras <ville@example.org>",
        "--kind", "access", "--channel", "email",
    ).stdout.strip()  # fmt: skip
    return ["request", "letter", request_id, "--output", path]


def _certificate(cli: Cli, path: str) -> list[str]:
    request_id, _text = refused(cli)
    return ["request", "certificate", str(request_id), "--output", path]


COMMANDS: dict[str, Command] = {
    "export": _export,
    "statement": lambda cli, path: ["statement", "--output", path],
    "processing-record": lambda cli, path: ["processing-record", "--output", path],
    "request letter": _letter,
    "request certificate": _certificate,
    "labels pdf": lambda cli, path: ["labels", "--format", "pdf", "--output", path],
    "labels csv": lambda cli, path: ["labels", "--format", "csv", "--output", path],
    "backup": lambda cli, path: ["backup", path],
}


def with_path(args: list[str], path: str) -> list[str]:
    return [path if arg == "PATH" else arg for arg in args]


def register_state(cli: Cli) -> tuple[bytes, bytes | None, list[tuple[object, ...]]]:
    """The register's bytes, its journal's, and its audit trail (a refusal records nothing)."""
    journal = Path(f"{cli.db}.erasure-journal")
    with closing(cli.connect()) as conn:
        audit = [tuple(row) for row in conn.execute("SELECT * FROM audit_log ORDER BY id")]
    return cli.db.read_bytes(), journal.read_bytes() if journal.exists() else None, audit


def assert_register_whole(cli: Cli) -> None:
    with closing(sqlite3.connect(cli.db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == 4


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".lautex-partial"))


def make_spelling(cli: Cli, spelling: str) -> str:
    """A path that leads to the register or one of its files, spelt as a user might."""
    journal = Path(f"{cli.db}.erasure-journal")
    journal.write_text("")  # the journal exists once anyone was erased
    journal.chmod(0o600)
    if spelling == "symlink":
        Path("link.db").symlink_to(cli.db)
        return "link.db"
    if spelling == "symlinked folder":
        Path("elsewhere").symlink_to(cli.db.parent, target_is_directory=True)
        return "elsewhere/lautex.db"
    if spelling == "symlinked journal":
        Path("journal.txt").symlink_to(journal)
        return "journal.txt"
    if spelling == "hard link":
        os.link(cli.db, "hard.db")
        return "hard.db"
    return {
        "itself": "data/lautex.db",
        "dot-dot": "data/../data/./lautex.db",
        "absolute": str(cli.db),
        "wal": "data/lautex.db-wal",
        "shm": "data/lautex.db-shm",
        "rollback journal": "data/lautex.db-journal",
        "erasure journal": "data/lautex.db.erasure-journal",
    }[spelling]


SPELLINGS = [
    "itself", "dot-dot", "absolute", "wal", "shm", "rollback journal", "erasure journal",
    "symlinked journal", "symlink", "symlinked folder", "hard link",
]  # fmt: skip


@pytest.mark.parametrize("spelling", SPELLINGS)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_no_output_ever_lands_on_the_register(cli: Cli, command: str, spelling: str) -> None:
    target = make_spelling(cli, spelling)
    args = COMMANDS[command](cli, target)
    before = register_state(cli)

    for force in ((), ("--force",)):  # --force replaces files, never the register
        result = cli.run(*args, *force)

        assert result.exit_code == 2, result.output
        (line,) = result.stderr.strip().splitlines()
        assert "is the register" in line and "choose another file" in line, line
        assert register_state(cli) == before
    assert_register_whole(cli)
    assert leftovers(cli.db.parent) == []


@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_existing_file_is_kept_without_force_and_replaced_with_it(
    cli: Cli, command: str
) -> None:
    target = Path("out") / "file"
    target.parent.mkdir()
    target.write_text("someone's own file")
    target.chmod(0o644)
    args = COMMANDS[command](cli, str(target))
    before = register_state(cli)

    kept = cli.run(*args)

    assert kept.exit_code == 6, kept.output
    assert "already exists: add --force to replace it" in kept.stderr
    assert target.read_text() == "someone's own file"
    assert register_state(cli) == before  # nothing recorded for a file not written

    cli.ok(*args, "--force")

    assert target.read_text(errors="replace") != "someone's own file"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert leftovers(target.parent) == []


@pytest.mark.parametrize("command", list(COMMANDS))
def test_links_and_missing_folders_are_refused(cli: Cli, command: str) -> None:
    Path("nowhere.txt").symlink_to("missing/target.txt")
    Path("mine.txt").write_text("mine")
    Path("link.txt").symlink_to("mine.txt")
    args = COMMANDS[command](cli, "PATH")
    before = register_state(cli)

    dangling = cli.run(*with_path(args, "nowhere.txt"))
    through = cli.run(*with_path(args, "link.txt"), "--force")
    no_folder = cli.run(*with_path(args, "new/folder/file"))

    assert (dangling.exit_code, through.exit_code, no_folder.exit_code) == (2, 2, 2)
    assert "nowhere.txt is a dangling symbolic link" in dangling.stderr
    assert "link.txt is a symbolic link" in through.stderr
    assert "the folder new/folder does not exist" in no_folder.stderr
    assert not Path("missing").exists() and not Path("new").exists()
    assert Path("mine.txt").read_text() == "mine"
    assert register_state(cli)[2] == before[2]  # no audit row


@pytest.mark.parametrize("command", ["export", "statement", "request letter", "labels csv"])
def test_dash_is_stdout_and_no_file_named_dash(cli: Cli, command: str) -> None:
    args = COMMANDS[command](cli, "-")

    result = cli.ok(*args)

    assert result.stdout
    assert not Path("-").exists()
    forced = cli.run(*args, "--force")
    assert forced.exit_code == 2
    assert "force: --force replaces a file; it has no meaning on stdout" in forced.stderr


def test_an_export_to_dash_is_the_json_export_and_labels_the_pdf(cli: Cli) -> None:
    export = cli.ok("export", str(add_quinta(cli)), "-o", "-")
    labels = cli.ok("labels", "--format", "pdf", "--output", "-")

    assert json.loads(export.stdout)["format"] == "lautex-access-export"
    assert labels.stdout_bytes.startswith(b"%PDF-")
    assert not Path("-").exists()


def test_a_disk_full_mid_write_leaves_no_file_and_no_record(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer = str(add_quinta(cli))
    Path("out").mkdir()
    Path("out/old.json").write_text("the old export")
    before = register_state(cli)

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(os, "fsync", disk_full)
        new = cli.run("export", customer, "--output", "out/new.json")
        old = cli.run("export", customer, "--output", "out/old.json", "--force")
        labels = cli.run("labels", "--format", "pdf", "--output", "out/labels.pdf")
        backup = cli.run("backup", "out/backup.db")

    for result in (new, old, labels, backup):
        assert result.exit_code == 7, result.output  # the machine refused, not the user
        assert "cannot write out/" in result.stderr and "No space left" in result.stderr
    assert sorted(p.name for p in Path("out").iterdir()) == ["old.json"]
    assert Path("out/old.json").read_text() == "the old export"
    assert register_state(cli) == before


def test_the_backup_audit_row_holds_the_hash_and_size_not_the_name(cli: Cli) -> None:
    add_quinta(cli)
    target = Path("backup-before-erasing-quinta.db")

    result = cli.ok("backup", str(target))

    content = target.read_bytes()
    digest = hashlib.sha256(content).hexdigest()
    assert f"({len(content)} bytes, sha256 {digest})" in result.stderr
    with closing(cli.connect()) as conn:
        (details,) = conn.execute(
            "SELECT details_json FROM audit_log WHERE action = 'backup'"
        ).fetchone()
    assert json.loads(details) == {"sha256": digest, "bytes": len(content), "stdout": False}
    assert "quinta" not in details and "backup-before" not in details


def test_folders_the_tool_creates_are_private_whatever_the_umask(cli: Cli) -> None:
    old = os.umask(0)
    try:
        result = cli.init(Path("registers") / "office" / "lautex.db")
        os.makedirs("out")  # the user's own folder: the umask's to decide
        cli.ok("statement", "--output", "out/statement.md")
    finally:
        os.umask(old)

    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(Path("registers").stat().st_mode) == 0o700
    assert stat.S_IMODE(Path("registers/office").stat().st_mode) == 0o700
    assert stat.S_IMODE(Path("registers/office/lautex.db").stat().st_mode) == 0o600
    assert stat.S_IMODE(Path("out/statement.md").stat().st_mode) == 0o600


def lautex(cli: Cli, *args: str, stdout: IO[bytes] | int) -> "subprocess.Popen[bytes]":
    """`lautex ARGS` as a real process, as the admin; stderr is piped."""
    env = dict(os.environ, LAUTEX_DB=str(cli.db), LAUTEX_HOME=str(cli.home),
               LAUTEX_TOKEN=cli.tokens["admin"], LAUTEX_TODAY="2026-11-25")  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "lautex_registry", *args],
        env=env,
        stdout=stdout,
        stderr=subprocess.PIPE,
    )


def grow_register(db: Path, customers: int) -> None:
    """Customers with 1 KB of incompressible notes each: a backup that takes a while."""
    with closing(sqlite3.connect(db)) as conn, conn:
        collation.register(conn)  # the triggers put each name in Finnish order
        conn.execute(
            """WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
               INSERT INTO customers (first_name, last_name, source, language, notes,
                   search_text, state, created_at, updated_at, last_activity)
               SELECT 'Iso', 'Asiakas' || i, 'web-store', 'fi', hex(randomblob(512)),
                   'iso asiakas' || i, 'active', '2026-01-01T00:00:00Z',
                   '2026-01-01T00:00:00Z', '2026-01-01' FROM n""",
            (customers,),
        )
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def test_a_killed_backup_leaves_nothing_at_the_target_and_the_rerun_succeeds(cli: Cli) -> None:
    grow_register(cli.db, 60000)
    folder = Path("backups")
    folder.mkdir()
    target = folder / "nightly.db"

    job = lautex(cli, "backup", str(target), stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and job.poll() is None:
        if any(p.stat().st_size > 0 for p in folder.iterdir()):
            break  # the copy is under way
        time.sleep(0.001)
    assert job.poll() is None, "the backup ended before it could be killed"
    job.send_signal(signal.SIGKILL)
    job.wait(timeout=10)

    assert not target.exists()
    cli.ok("backup", str(target))
    with closing(sqlite3.connect(target)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 60000


def test_backup_dash_streams_a_whole_copy_to_stdout(cli: Cli) -> None:
    add_quinta(cli)
    with open("copy.db", "wb") as stdout:
        job = lautex(cli, "backup", "-", stdout=stdout)
        _out, err = job.communicate(timeout=60)

    assert job.returncode == 0, err
    content = Path("copy.db").read_bytes()
    digest = hashlib.sha256(content).hexdigest()
    assert (
        f"backed up the register to stdout ({len(content)} bytes, sha256 {digest})" in err.decode()
    )
    with closing(sqlite3.connect("copy.db")) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 1
    assert not Path("-").exists()
    assert leftovers(cli.db.parent) == []
    with closing(cli.connect()) as conn:
        (details,) = conn.execute(
            "SELECT details_json FROM audit_log WHERE action = 'backup'"
        ).fetchone()
    assert json.loads(details) == {"sha256": digest, "bytes": len(content), "stdout": True}
    assert cli.run("backup", "-", "--force").exit_code == 2


def test_a_killed_migrate_leaves_no_safety_copy_that_looks_real(cli: Cli) -> None:
    grow_register(cli.db, 60000)
    roll_back_migrations(cli.db)
    folder = Path("before-migration")
    folder.mkdir()

    job = lautex(cli, "migrate", "--backup-dir", str(folder), stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and job.poll() is None:
        if any(p.stat().st_size > 0 for p in folder.iterdir()):
            break  # the safety copy is under way
        time.sleep(0.001)
    assert job.poll() is None, "migrate ended before it could be killed"
    job.send_signal(signal.SIGKILL)
    job.wait(timeout=10)

    assert list(folder.glob("*.bak")) == []
    assert cli.run("whoami").exit_code == 4  # nothing was migrated
    cli.ok("migrate", "--backup-dir", str(folder))
    (copy,) = folder.glob("lautex.db.before-v*.bak")
    with closing(sqlite3.connect(copy)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 60000


def test_a_backup_folder_migrate_creates_is_private_whatever_the_umask(cli: Cli) -> None:
    roll_back_migrations(cli.db)
    old = os.umask(0)
    try:
        cli.ok("migrate", "--backup-dir", "safety/copies")
    finally:
        os.umask(old)

    assert stat.S_IMODE(Path("safety").stat().st_mode) == 0o700
    assert stat.S_IMODE(Path("safety/copies").stat().st_mode) == 0o700
    (copy,) = Path("safety/copies").glob("lautex.db.before-v*.bak")
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600


def test_a_failed_demo_build_leaves_the_old_demo_and_no_half_built_file(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lautex_registry.demo import story

    Path("demos").mkdir()
    cli.ok("demo", "--db", "demos/demo.db", user=None)
    before = Path("demos/demo.db").read_bytes()

    def power_cut(ctx: story.DemoContext) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(story, "STEPS", [*story.STEPS, power_cut])
    result = cli.run("demo", "--db", "demos/demo.db", "--force", user=None)
    fresh = cli.run("demo", "--db", "demos/new.db", user=None)

    assert (result.exit_code, fresh.exit_code) == (7, 7)  # EIO: the machine refused
    assert Path("demos/demo.db").read_bytes() == before
    assert sorted(p.name for p in Path("demos").iterdir()) == ["demo.db"]


COMPANIONS = ("", "-wal", "-shm", "-journal", ".erasure-journal", ".retention.lock")


def test_demo_never_writes_through_a_symbolic_link_at_its_path(cli: Cli) -> None:
    Path("demos").mkdir()
    cli.ok("demo", "--db", "demos/demo-copy.db", user=None)
    before = Path("demos/demo-copy.db").read_bytes()
    Path("dangling.db").symlink_to("demos/nowhere.db")
    Path("live.db").symlink_to("demos/demo-copy.db")

    dangling = lautex(cli, "demo", "--db", "dangling.db", stdout=subprocess.PIPE)
    live = lautex(cli, "demo", "--db", "live.db", "--force", stdout=subprocess.PIPE)

    for job, message in ((dangling, "is a dangling symbolic link"), (live, "is a symbolic link")):
        out, err = job.communicate(timeout=120)
        assert job.returncode == 2, err
        assert out == b"" and err.decode().count("\n") == 1 and message in err.decode()
    assert Path("dangling.db").is_symlink() and not Path("demos/nowhere.db").exists()
    assert Path("live.db").is_symlink()
    assert Path("demos/demo-copy.db").read_bytes() == before
    assert sorted(p.name for p in Path("demos").iterdir()) == ["demo-copy.db"]
    assert leftovers(Path(".")) == []


def test_a_new_demo_never_meets_the_old_demos_files(cli: Cli) -> None:
    Path("demos").mkdir()
    cli.ok("demo", "--db", "demos/demo.db", user=None)
    for suffix in COMPANIONS[1:]:  # an old demo's leftovers: a crash, a retention run
        Path(f"demos/demo.db{suffix}").write_bytes(b"left by the old demo")

    cli.ok("demo", "--db", "demos/demo.db", "--force", user=None)

    assert sorted(p.name for p in Path("demos").iterdir()) == ["demo.db"]
    with closing(sqlite3.connect("demos/demo.db")) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _spelling_register_folder() -> tuple[Path, Path]:
    """A register folder with a sub-folder and a symbolic link to it, made once."""
    root = Path(tempfile.mkdtemp(prefix="lautex-spellings-"))
    atexit.register(shutil.rmtree, root, True)
    (root / "data" / "sub").mkdir(parents=True)
    (root / "data" / "lautex.db").write_bytes(b"")
    (root / "alias").symlink_to(root / "data", target_is_directory=True)
    return root, root / "data" / "lautex.db"


SPELLING_ROOT, SPELLING_REGISTER = _spelling_register_folder()
FOLDER_SPELLINGS = st.lists(st.sampled_from([".", "sub/..", "sub/./.."]), max_size=3)


@given(
    start=st.sampled_from(["data", "alias", "data/sub/..", "alias/sub/../."]),
    hops=FOLDER_SPELLINGS,
    suffix=st.sampled_from(COMPANIONS),
)
def test_every_spelling_of_a_register_file_is_refused(
    start: str, hops: list[str], suffix: str
) -> None:
    target = SPELLING_ROOT.joinpath(start, *hops, f"lautex.db{suffix}")

    with pytest.raises(InvalidInput, match="is the register"):
        check_target(target, SPELLING_REGISTER, force=True)


@given(
    start=st.sampled_from(["data", "alias", "data/sub/.."]),
    hops=FOLDER_SPELLINGS,
    name=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.-_", min_size=1, max_size=20),
)
def test_any_other_new_file_beside_the_register_may_be_written(
    start: str, hops: list[str], name: str
) -> None:
    assume(name not in (".", "..", "sub") and name not in {f"lautex.db{s}" for s in COMPANIONS})
    target = SPELLING_ROOT.joinpath(start, *hops, name)

    check_target(target, SPELLING_REGISTER, force=False)  # no exception: it may be written
