"""A killed `customer import` takes its worker processes and their socket folder with it."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records.importing.validating import PARALLEL_MIN_BYTES, usable_cores
from tests.conftest import Cli


def _living_processes() -> dict[int, int]:
    """pid -> parent pid of every process that has not ended (zombies have ended)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        state, parent = stat.rsplit(")", 1)[1].split()[:2]
        if state not in ("Z", "X"):
            parents[int(entry.name)] = int(parent)
    return parents


def _descendants(pid: int) -> set[int]:
    parents = _living_processes()
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


@pytest.mark.skipif(usable_cores() < 2, reason="the import starts its pool on 2 cores or more")
def test_a_killed_import_leaves_no_worker_and_no_socket_folder(
    cli: Cli, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    rows = "".join(f"Väinö{i};Öhman;v{i}@example.fi;040 123 {i % 10000:04d};partner\n"
                   for i in range(100_000))  # fmt: skip
    csv = tmp_path / "big.csv"
    csv.write_text("first_name;last_name;email;phone;source\n" + rows, encoding="utf-8")
    # The pool's socket folder (pymp-*) goes here: a short path, as a Unix socket needs.
    temp = Path(tempfile.mkdtemp(prefix="lautex-pool-", dir="/tmp"))
    request.addfinalizer(lambda: shutil.rmtree(temp, ignore_errors=True))
    env = dict(os.environ, LAUTEX_DB=str(cli.db), LAUTEX_TOKEN=cli.tokens["clerk"],
               TMPDIR=str(temp))  # fmt: skip
    errors = tmp_path / "stderr.txt"
    importer = subprocess.Popen(
        [sys.executable, "-m", "lautex_registry", "customer", "import", str(csv)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=errors.open("w"),
    )
    try:
        # The fork server and its workers (and the resource tracker): 4 processes or more.
        deadline = time.monotonic() + 60
        while len(_descendants(importer.pid)) < 4 and importer.poll() is None:
            assert time.monotonic() < deadline, "the pool never started"
            time.sleep(0.05)
        helpers = _descendants(importer.pid)
        assert importer.poll() is None, errors.read_text()
        assert list(temp.iterdir()), "the pool keeps its socket in a folder under TMPDIR"
    finally:
        importer.send_signal(signal.SIGKILL)
        importer.wait(timeout=60)
    deadline = time.monotonic() + 10
    while helpers & set(_living_processes()) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = helpers & set(_living_processes())
    for pid in left:  # a failing run leaves no process behind either
        os.kill(pid, signal.SIGKILL)
    assert not left, "workers outlived the killed import"
    assert list(temp.iterdir()) == []
    conn = sqlite3.connect(cli.db)
    try:  # the killed transaction never committed: nothing was half-written
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 0
    finally:
        conn.close()


def test_a_large_import_works_under_a_deep_tmpdir(cli: Cli, tmp_path: Path) -> None:
    # The pool's Unix socket would not fit under it (107 bytes at most): validated in-process.
    deep = tmp_path / ("t" * 60) / ("mp" * 30)
    deep.mkdir(parents=True)
    rows = "".join(f"Väinö{i};Öhman;v{i}@example.fi;partner\n" for i in range(90_000))
    csv = tmp_path / "big.csv"
    csv.write_text("first_name;last_name;email;source\n" + rows, encoding="utf-8")
    assert csv.stat().st_size > PARALLEL_MIN_BYTES  # the size that starts the pool
    env = dict(os.environ, LAUTEX_DB=str(cli.db), LAUTEX_TOKEN=cli.tokens["clerk"],
               TMPDIR=str(deep))  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "lautex_registry", "customer", "import", str(csv)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    with cli.connect() as conn:
        assert conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 90_000
    conn.close()
