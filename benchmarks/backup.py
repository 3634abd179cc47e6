"""The nightly backup, its encryption and its verification against plain `VACUUM INTO`.

    python benchmarks/backup.py [CUSTOMERS | REGISTER] [REPEATS]

Builds a register of CUSTOMERS customers (one order each; default 100000), or copies
REGISTER (a path: one generate.py built, e.g. /work/bench/r1m.db), then times,
alternating so that a busy machine slows every side alike (medians of REPEATS, default 3):

- plain: `VACUUM INTO` a new file with the sqlite3 module, nothing else (the baseline);
- backup: `make_policy_copy` with no recipients: the copy, its check (integrity_check,
  schema, the erasure journal replay planned onto it), SHA-256, record, rotation;
- encrypted: the same with an age recipient (the copy is encrypted after its check);
- verify: `verify_copy` of the encrypted copy: hash, decrypt to a private file, the checks.

Prints each wall and CPU time and its ratio to plain `VACUUM INTO` in the same run.
"""

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pyrage import x25519
from registers import register_for

from lautex_registry.erasure.backup_copies import make_policy_copy, verify_copy
from lautex_registry.platform import audit
from lautex_registry.platform.db import connect, transaction
from lautex_registry.platform.settings import section, store_settings
from lautex_registry.platform.sqlite import sqlite3

ACTOR = audit.Actor(None, "benchmark")


def timed(action: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds of one action."""
    started, started_cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - started, time.process_time() - started_cpu


def plain_vacuum(source: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    conn = sqlite3.connect(source)
    conn.execute("VACUUM INTO ?", (str(target),))
    conn.close()


def set_recipients(conn: sqlite3.Connection, recipients: list[str]) -> None:
    with transaction(conn):
        store_settings(conn, {"backup": {**section(conn, "backup"), "recipients": recipients}})


def main() -> None:
    given = sys.argv[1] if len(sys.argv) > 1 else "100000"
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    key = x25519.Identity.generate()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        source, customers = register_for(given, Path(folder), 1)
        built = time.perf_counter() - started
        conn = connect(source)
        times: dict[str, list[tuple[float, float]]] = {
            name: [] for name in ("plain", "backup", "encrypted", "verify")
        }
        sizes: dict[str, int] = {}
        target = Path(folder) / "plain-copy.db"
        sealed: list[Path] = []

        def encrypted() -> None:
            copy = make_policy_copy(conn, ACTOR).copy.path
            assert copy is not None
            sealed.append(copy)

        for _ in range(repeats):
            times["plain"].append(timed(lambda: plain_vacuum(source, target)))
            sizes["plain"] = target.stat().st_size
            target.unlink()
            set_recipients(conn, [])
            time.sleep(1.05)  # a copy's name has the second it was made in: one a second
            times["backup"].append(timed(lambda: make_policy_copy(conn, ACTOR)))
            set_recipients(conn, [str(key.to_public())])
            time.sleep(1.05)
            times["encrypted"].append(timed(encrypted))
            sizes["encrypted"] = sealed[-1].stat().st_size
            times["verify"].append(timed(lambda: verify_copy(conn, ACTOR, sealed[-1], [key])))
        conn.close()
    print(f"{customers} customers (built or copied in {built:.0f} s), medians of {repeats} runs")
    print(f"copy size: {sizes['plain'] / 2**20:.1f} MiB plain, "
          f"{sizes['encrypted'] / 2**20:.1f} MiB encrypted")  # fmt: skip
    for name, label in (
        ("plain", "plain VACUUM INTO"),
        ("backup", "lautex backup (plain, checked)"),
        ("encrypted", "lautex backup (age-encrypted)"),
        ("verify", "lautex backup verify (decrypt)"),
    ):
        wall, cpu = (statistics.median(t[k] for t in times[name]) for k in (0, 1))
        base_wall, base_cpu = (statistics.median(t[k] for t in times["plain"]) for k in (0, 1))
        print(f"{label:32} {wall:8.2f} s  {wall / base_wall:5.2f}x   "
              f"CPU {cpu:8.2f} s  {cpu / base_cpu:5.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
