"""Erasing one person: `lautex erase` against plain sqlite3 deleting the same kind of row.

    python benchmarks/erase.py CUSTOMERS|REGISTER [RUNS]

CUSTOMERS builds a register of that many customers (benchmarks/generate.py, no orders);
REGISTER (a path, e.g. a 1,000,000-customer register another run built) is copied, never
touched, with its `-wal` if it has one, and migrated in-process if its schema is older
(the time of `lautex migrate`'s pending migrations is printed: migration 17 merges the
whole search index once). Then, alternating RUNS times (default 5), each on a person
added for it with no orders (so an erasure deletes the row):

- lautex in-process: `erasure.erase.carry_out`, what `lautex erase N --yes` runs (plan
  again, suppression and notices, delete, journal, audit row, WAL truncation);
- plain in-process: the same SQLite module deleting the customer row (the triggers take
  the tokens out of the search index with FTS5 secure-delete), commit, WAL truncation;
- lautex as a whole process: `python -m lautex_registry erase N --yes`;
- plain as a whole process: `python -c` with the plain script above.

Prints medians of wall and CPU time (CPU of this process, or of the child process) and
the ratios lautex / plain. Then the byte test of docs/rules.md §5 at this size: a person
nobody resembles is added, erased with `lautex erase`, and the file, its -wal and a
backup taken afterwards are searched for their email, surname, phone, the email key's
reversed part and the trigrams of them the index had stored.
"""

import mmap
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from generate import build_register
from registers import whole_process

from lautex_registry.erasure import erase
from lautex_registry.erasure.plan import ERASE
from lautex_registry.platform import audit, migrations
from lautex_registry.platform.db import connect, transaction
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records import customers

AS_OF = date(2026, 11, 25)
ACTOR = audit.Actor(1, "bench")
PLAIN = """
import sys
from lautex_registry.platform.sqlite import sqlite3
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA foreign_keys = ON")
conn.execute("PRAGMA secure_delete = ON")
conn.execute("BEGIN IMMEDIATE")
conn.execute("DELETE FROM customers WHERE id = ?", (int(sys.argv[2]),))
conn.execute("COMMIT")
conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
conn.close()
"""
UNIQUE = ("Quinta", "Zwyrtkiewicz", "qzx.unique-erasure@example.fi", "040 765 4321")


def plain_delete(path: Path, customer_id: int) -> None:
    """The plain script in-process (the same statements as PLAIN)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA secure_delete = ON")
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("DELETE FROM customers WHERE id = ?", (customer_id,))
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def lautex_erase(path: Path, customer_id: int) -> None:
    conn = connect(path)
    try:
        erase.carry_out(conn, ACTOR, customer_id, ERASE, AS_OF)
    finally:
        conn.close()


def add_person(path: Path, n: int, first: str = "Bench", last: str = "Poistettava") -> int:
    conn = connect(path)
    try:
        with transaction(conn):
            fields = {"first_name": first, "last_name": f"{last}{n}", "source": "partner",
                      "email": f"bench.erase.{n}@example.fi",
                      "phone": f"040 99{n:05d}"}  # fmt: skip
            return customers.add_customer(conn, ACTOR, fields).customer_id
    finally:
        conn.close()


def in_process(action: Callable[[], None]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def prepare(source: str, folder: Path) -> tuple[Path, Path]:
    """The register to work on and its LAUTEX_HOME (with the `bench` session)."""
    db, home = folder / "bench.db", folder / "home"
    if source.isdigit():
        os.environ["LAUTEX_HOME"] = str(home)
        started = time.perf_counter()
        build_register(db, int(source), 0)
        print(f"register: {int(source)} customers built in {time.perf_counter() - started:.0f} s")
        return db, home
    original = Path(source)
    shutil.copyfile(original, db)
    if Path(f"{original}-wal").exists():
        shutil.copyfile(f"{original}-wal", f"{db}-wal")
    given_home = os.environ.get("LAUTEX_HOME")
    if given_home:  # its session for the copied register's id (the copy has the same id)
        shutil.copytree(given_home, home)
    os.environ["LAUTEX_HOME"] = str(home)
    conn = connect(db)
    count = conn.execute("SELECT count(*) FROM customers").fetchone()[0]
    print(f"register: copy of {original} ({count} customers, {db.stat().st_size / 1e6:.0f} MB)")
    pending = [m.number for m in migrations.pending(conn)]
    if pending:  # without `lautex migrate`'s safety copy: this copy is thrown away
        before = segments(conn)
        wall, cpu = in_process(lambda: apply_migrations(conn))
        print(f"migrations {pending} in-process: {wall:.1f} s wall, {cpu:.1f} s CPU "
              f"(index segments: {before} before, {segments(conn)} after)")  # fmt: skip
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return db, home


def segments(conn: sqlite3.Connection) -> int:
    """How many segments the search index has (each has rows in its idx table)."""
    return int(conn.execute("SELECT count(DISTINCT segid) FROM customer_search_idx").fetchone()[0])


def apply_migrations(conn: sqlite3.Connection) -> None:
    with transaction(conn):
        migrations.apply_pending(conn)


def report(label: str, ours: list[tuple[float, float]], plain: list[tuple[float, float]]) -> None:
    ours_wall, ours_cpu = (statistics.median(x) for x in zip(*ours, strict=True))
    plain_wall, plain_cpu = (statistics.median(x) for x in zip(*plain, strict=True))
    print(f"{label:<14} lautex {ours_wall * 1000:8.1f} ms wall {ours_cpu * 1000:8.1f} ms CPU | "
          f"plain {plain_wall * 1000:7.1f} ms wall {plain_cpu * 1000:7.1f} ms CPU | ratio "
          f"{ours_wall / plain_wall:5.2f}x wall {ours_cpu / plain_cpu:5.2f}x CPU")  # fmt: skip


def look_for(paths: list[Path], needles: list[bytes]) -> list[tuple[str, bytes]]:
    """Which needles occur in which file (mapped, so a large register is not read whole)."""
    found = []
    for path in paths:
        if not path.exists() or path.stat().st_size == 0:
            continue
        with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as m:
            found += [(path.name, n) for n in needles if m.find(n) != -1]
    return found


def byte_test(db: Path, env: dict[str, str], folder: Path) -> None:
    """docs/rules.md §5 at this size (as benchmarks/search.py does it)."""
    first, last, email, phone = UNIQUE
    wal = Path(f"{db}-wal")
    before = folder / "before.db"
    conn = connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM INTO ?", (str(before),))  # the file's bytes before the person came
    with transaction(conn):
        fields = {"first_name": first, "last_name": last, "email": email, "phone": phone,
                  "source": "web-store"}  # fmt: skip
        customer = customers.add_customer(conn, ACTOR, fields).customer_id
    text, stored_phone, key = conn.execute(
        "SELECT search_text, phone, search_email_key FROM customers WHERE id = ?", (customer,)
    ).fetchone()
    mine = {text[i : i + 3] for i in range(len(text) - 2)}
    # The trigrams only this person has: the index itself says which rows hold one.
    only = {
        g
        for g in mine
        if conn.execute(
            "SELECT count(*) FROM customer_search WHERE customer_search MATCH ?",
            ('"' + g.replace('"', '""') + '"',),
        ).fetchone()[0]
        == 1
    }
    blocks = b"".join(r[0] for r in conn.execute("SELECT block FROM customer_search_data"))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    candidates = [
        g.encode() for g in only
        if " " not in g and g.encode() in blocks and not set(g) <= set("0123456789abcdef")
    ]  # fmt: skip
    # Left out: those the file held before the person came (the settings' texts hold
    # `que`, `kie`, ...; the file's bytes before it are the copy before the add).
    elsewhere = {n for _name, n in look_for([before], candidates)}
    grams = sorted(g.decode() for g in candidates if g not in elsewhere)
    needles = [w.encode() for w in (email, last, stored_phone, key.split("@")[0] + "@", *grams)]
    assert look_for([db, wal], needles), "the person is in the file before the erasure"
    subprocess.run([sys.executable, "-m", "lautex_registry", "erase", str(customer), "--yes"],
                   env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)  # fmt: skip
    backup = folder / "after.bak"
    subprocess.run([sys.executable, "-m", "lautex_registry", "backup", str(backup)], env=env,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    found = look_for([db, wal, backup], needles)
    print(f"byte test: {len(needles)} needles (email, surname, phone, the email key's reversed "
          f"part and {len(grams)} trigrams only this person had, stored whole in the index) "
          f"in the file, -wal and a backup after `lautex erase`: "
          f"{found or 'none found'}")  # fmt: skip


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as name:
        folder = Path(name)
        db, home = prepare(sys.argv[1], folder)
        env = dict(os.environ, LAUTEX_DB=str(db), LAUTEX_HOME=str(home))
        env.pop("LAUTEX_TOKEN", None)
        lautex_erase(db, add_person(db, 0))  # warm: the modules erase imports lazily
        python = sys.executable
        timings: dict[str, list[tuple[float, float]]] = {k: [] for k in ("li", "pi", "lp", "pp")}
        for run in range(runs):  # alternating, so a busy machine slows both alike
            n = 10 * (run + 1)
            person = add_person(db, n)
            timings["li"].append(in_process(partial(lautex_erase, db, person)))
            person = add_person(db, n + 1)
            timings["pi"].append(in_process(partial(plain_delete, db, person)))
            person = add_person(db, n + 2)
            command = [python, "-m", "lautex_registry", "erase", str(person), "--yes"]
            timings["lp"].append(whole_process(command, env))
            person = add_person(db, n + 3)
            timings["pp"].append(whole_process([python, "-c", PLAIN, str(db), str(person)], env))
        print(f"erasing one person, medians of {runs} (each a new person with no orders):")
        report("in-process", timings["li"], timings["pi"])
        report("whole process", timings["lp"], timings["pp"])
        byte_test(db, env, folder)


if __name__ == "__main__":
    main()
