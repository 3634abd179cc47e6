"""customer import stages its rows in a private file on disk, removed however it ends."""

import fcntl
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from lautex_registry.platform import audit
from lautex_registry.platform.db import connect
from lautex_registry.platform.errors import Conflict
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records.importing import reading, storing
from lautex_registry.records.importing.run import import_customers
from lautex_registry.records.importing.staging_file import remove_abandoned, staging_files
from tests.conftest import Cli
from tests.helpers import dump

HEADER = "first_name,last_name,email,source\n"


def write(tmp_path: Path, count: int, start: int = 0, name: str = "staged.csv") -> Path:
    path = tmp_path / name
    rows = "".join(f"Väinö{i},Öhman,v{i}@example.fi,partner\n" for i in range(start, start + count))
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def leftovers(cli: Cli) -> list[Path]:
    return sorted(p for p in cli.db.parent.iterdir() if ".import-staging." in p.name)


def run(cli: Cli, path: Path) -> None:
    conn = connect(cli.db)
    try:
        import_customers(conn, audit.Actor(1, "admin"), path)
    finally:
        conn.close()


def watch_staging(monkeypatch: pytest.MonkeyPatch, fail_at: int | None = None) -> list[Any]:
    """Record the staging files (path, mode, staged rows) as each chunk is taken; raise
    KeyboardInterrupt (Ctrl-C) at chunk `fail_at`."""
    seen: list[Any] = []
    take = storing.Staging.take

    def watched(self: storing.Staging, results: list[Any]) -> None:
        if fail_at is not None and len(seen) == fail_at:
            raise KeyboardInterrupt
        take(self, results)
        files = staging_files(self.conn)
        staged = self.conn.execute("SELECT COUNT(*) FROM staging.import_staged").fetchone()[0]
        seen.append([(f, stat.S_IMODE(f.stat().st_mode), staged) for f in files])

    monkeypatch.setattr(storing.Staging, "take", watched)
    monkeypatch.setattr(reading, "CHUNK_ROWS", 10)
    return seen


def test_rows_are_staged_in_a_private_file_beside_the_register_then_removed(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = watch_staging(monkeypatch)
    run(cli, write(tmp_path, 35))
    assert len(seen) == 4
    [(path, mode, _staged)] = seen[-1]
    assert path.parent == cli.db.parent and path.name.startswith(".lautex.db.import-staging.")
    assert mode == 0o600
    assert [chunk[0][2] for chunk in seen] == [10, 20, 30, 35]  # on disk, chunk after chunk
    assert leftovers(cli) == []
    with cli.connect() as conn:
        emails = {r[0] for r in conn.execute("SELECT email FROM customers WHERE email LIKE 'v%'")}
    assert emails == {f"v{i}@example.fi" for i in range(35)}


def test_ctrl_c_removes_the_staging_file_and_writes_nothing(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = dump(cli)
    seen = watch_staging(monkeypatch, fail_at=2)
    with pytest.raises(KeyboardInterrupt):
        run(cli, write(tmp_path, 35))
    assert len(seen) == 2 and seen[-1]  # the file was there, with rows in it
    assert leftovers(cli) == []
    assert dump(cli) == before


def test_a_bad_row_a_dry_run_and_a_busy_register_leave_no_staging_file(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = dump(cli)
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "A,One,a@example.fi,partner\nB,Two,b@,partner\n", encoding="utf-8")
    assert cli.run("customer", "import", str(bad)).exit_code == 2
    assert leftovers(cli) == []
    good = write(tmp_path, 20)
    cli.ok("customer", "import", str(good), "--dry-run")
    assert leftovers(cli) == []
    # The final store cannot take the write lock: exit 6, nothing written, no file left.
    monkeypatch.setattr(storing, "STORE_BUSY_TIMEOUT_MS", 200)
    clerk = sqlite3.connect(cli.db, isolation_level=None)
    clerk.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(Conflict):
            run(cli, good)
    finally:
        clerk.execute("ROLLBACK")
        clerk.close()
    assert leftovers(cli) == []
    assert dump(cli) == before


def test_a_living_imports_file_is_left_alone_and_an_abandoned_one_removed(cli: Cli) -> None:
    conn = connect(cli.db)
    try:
        living = cli.db.parent / ".lautex.db.import-staging.0000aaaa.lautex-partial"
        abandoned = cli.db.parent / ".lautex.db.import-staging.0000bbbb.lautex-partial"
        for path in (living, abandoned):
            path.write_bytes(b"SQLite format 3\0" + b"\0" * 100)
        Path(f"{abandoned}-journal").write_bytes(b"x")
        other = cli.db.parent / "notes.import-staging.txt"  # not a staging file's name
        other.write_text("keep")
        fd = os.open(living, os.O_RDONLY)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        try:
            assert remove_abandoned(conn) == 1
        finally:
            os.close(fd)
        assert living.exists() and other.exists()
        assert not abandoned.exists() and not Path(f"{abandoned}-journal").exists()
    finally:
        conn.close()


def test_a_killed_import_writes_nothing_and_the_next_import_removes_its_file(
    cli: Cli, tmp_path: Path
) -> None:
    before = dump(cli)
    big = write(tmp_path, 100_000, name="big.csv")
    env = dict(os.environ, LAUTEX_DB=str(cli.db), LAUTEX_TOKEN=cli.tokens["clerk"])
    errors = tmp_path / "stderr.txt"
    importer = subprocess.Popen(
        [sys.executable, "-m", "lautex_registry", "customer", "import", str(big)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=errors.open("w"),
    )
    try:
        # Killed while staging: its file is there and holds rows.
        deadline = time.monotonic() + 120
        while importer.poll() is None:
            files = leftovers(cli)
            if files and files[0].stat().st_size > 1_000_000:
                break
            assert time.monotonic() < deadline, "the import never staged a megabyte"
            time.sleep(0.02)
        assert importer.poll() is None, errors.read_text()
    finally:
        importer.send_signal(signal.SIGKILL)
        importer.wait(timeout=60)
    [left] = [p for p in leftovers(cli) if p.name.endswith(".lautex-partial")]
    assert stat.S_IMODE(left.stat().st_mode) == 0o600
    assert dump(cli) == before  # nothing of the killed import is in the register
    small = write(tmp_path, 3, start=500_000, name="small.csv")
    cli.ok("customer", "import", str(small), user="clerk")
    assert leftovers(cli) == []
    with cli.connect() as conn:
        emails = [r[0] for r in conn.execute("SELECT email FROM customers WHERE email LIKE 'v%'")]
    assert sorted(emails) == [f"v{i}@example.fi" for i in range(500_000, 500_003)]
