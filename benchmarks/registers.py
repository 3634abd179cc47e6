"""The register a benchmark runs on, and the CPU time it spends, shared by the scripts.

A benchmark takes either a number of customers (it builds a register of that size with
generate.py, as before) or the path of a register generate.py built earlier, e.g. the
shared /work/bench/r1m.db, which takes 20-40 minutes to build on a loaded machine. A
given register is never written: the benchmark works on a private copy, and the admin
`bench`'s session is carried over from $LAUTEX_HOME (where generate.py saved it) to
the copy's own home, so `lautex` processes run on the copy as they would on a fresh one.
"""

import os
import resource
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from generate import build_register

from lautex_registry.platform import sessions
from lautex_registry.platform.db import connect
from lautex_registry.platform.identity import register_id

T = TypeVar("T")


def register_for(given: str, folder: Path, orders_per_customer: int = 3) -> tuple[Path, int]:
    """A register in `folder` and its number of customers; LAUTEX_HOME is set to its home.

    `given` is a number of customers (a register is built) or a register's path (copied).
    """
    db, home = folder / "bench.db", folder / "home"
    if given.isdigit():
        os.environ["LAUTEX_HOME"] = str(home)
        build_register(db, int(given), orders_per_customer)
    else:
        copy_register(Path(given), db, home)
    conn = connect(db)
    try:
        customers = int(conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0])
    finally:
        conn.close()
    return db, customers


def copy_register(source: Path, db: Path, home: Path) -> None:
    """A writable copy of `source` at `db`, logged in as `source` is, with its home `home`."""
    if not source.is_file():
        raise SystemExit(f"{source}: no such register (build one with benchmarks/generate.py)")
    shutil.copyfile(source, db)  # the bytes, not the mode: the shared register is read-only
    wal = source.with_name(source.name + "-wal")
    if wal.is_file() and wal.stat().st_size:
        shutil.copyfile(wal, db.with_name(db.name + "-wal"))
    db.chmod(0o600)
    conn = connect(db)
    try:
        rid = register_id(conn)
    finally:
        conn.close()
    token = sessions.session_file(rid).read_text(encoding="utf-8").strip()
    os.environ["LAUTEX_HOME"] = str(home)
    sessions.save_session_token(rid, token)


def children_cpu() -> float:
    """User and system CPU seconds of every child process waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def whole_process(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (the child's own, user + system) of one process, output dropped."""
    wall, cpu = time.perf_counter(), children_cpu()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - wall, children_cpu() - cpu


def timed(action: Callable[[], T]) -> tuple[T, float, float]:
    """The result, the wall seconds and the CPU seconds (this process and its children)."""
    started, cpu = time.perf_counter(), time.process_time() + children_cpu()
    result = action()
    return result, time.perf_counter() - started, time.process_time() + children_cpu() - cpu
