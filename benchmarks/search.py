"""`customer search` with its indexes against plain sqlite3, and erasure's cost.

    python benchmarks/search.py [CUSTOMERS] [CALLS] [REGISTER]

Builds a register of CUSTOMERS customers (default 10000; the issue's full size is
1000000) with benchmarks/generate.py, no orders, then prints for each kind of search
(a surname part, a whole name, an email in upper case, a phone number as typed, an
organisation, a common word that matches an eighth of the register, its surname, and a
first name that a tenth of the register has, spread over the alphabet) the median
in-process CPU time of:

- lautex: `records.customers.search_customers` (index, then LIKE, sorted);
- plain index: the same written by hand in plain sqlite3 (the FTS5 trigram index; for
  an email the email key's range; for a word with six digits in a row the rarest digit
  window, picked by counting, and for a phone number that of each form; then LIKE,
  ORDER BY ... LIMIT 100):
  the ratio lautex / plain index is lautex's overhead;
- plain scan: the plain `search_text LIKE '%word%'` scan lautex did before.

Every pair is checked to give the same rows. With REGISTER, a copy of that register
(benchmarks/generate.py, at the current schema) is used instead of building one.
Then one person is erased with `lautex erase` as a whole process (timed: the index
deletes their tokens in place, docs/rules.md §5; benchmarks/erase.py times it against
plain sqlite3) and the file, its -wal and a backup taken afterwards are searched for
the person's email, name, phone and the trigrams of them that were in the index.
"""

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from lautex_registry.platform.sqlite import sqlite3

sys.path.insert(0, str(Path(__file__).parent))

from generate import PASSWORD, build_register, person

from lautex_registry.platform import sessions
from lautex_registry.platform.db import connect
from lautex_registry.platform.identity import register_id
from lautex_registry.platform.search_order import ROWID_STEP
from lautex_registry.records import customers

# The columns every customer list shows (customers.LIST_FIELDS), written out plainly.
SELECT = (
    "SELECT "
    + ", ".join("o.name AS organisation" if f == "organisation" else f"c.{f}"
                for f in customers.LIST_FIELDS)
    + " FROM customers c LEFT JOIN organisations o ON o.id = c.organisation_id"
)  # fmt: skip
# Finnish alphabetical order, as every customer list (platform/collation.py's SQL function,
# registered on every connection): the same sort, so the ratio is lautex's overhead.
ORDER = " ORDER BY +c.sort_last_name, +c.sort_first_name, c.id LIMIT 100"


def grams(word: str) -> str:
    return " AND ".join(f'"{word[i : i + 3]}"' for i in range(len(word) - 2))


def plain_index(conn: sqlite3.Connection, words: list[str]) -> list[dict[str, Any]]:
    """The same search written by hand: the index narrows, LIKE decides."""
    sql = (
        f"{SELECT} WHERE c.id IN (SELECT rowid % {ROWID_STEP} FROM customer_search WHERE "
        "customer_search "
        f"MATCH ?) AND {' AND '.join('c.search_text LIKE ?' for _ in words)}{ORDER}"
    )
    query = " AND ".join(grams(w) for w in words if len(w) >= 3)
    return [dict(r) for r in conn.execute(sql, (query, *(f"%{w}%" for w in words)))]


def plain_email_key(conn: sqlite3.Connection, words: list[str]) -> list[dict[str, Any]]:
    """An email written by hand: the range of `search_email_key` that begins with the
    reversed part before `@`, the rows with two `@` (empty key), then LIKE."""
    (word,) = words
    low = word.split("@")[0][::-1]
    high = low[:-1] + chr(ord(low[-1]) + 1)
    sql = (
        f"{SELECT} WHERE c.id IN (SELECT id FROM customers WHERE search_email_key >= ?1 "
        "AND search_email_key < ?2 UNION ALL SELECT id FROM customers "
        f"WHERE search_email_key = '') AND c.search_text LIKE ?3{ORDER}"
    )
    return [dict(r) for r in conn.execute(sql, (low, high, f"%{word}%"))]


def rarest_window(conn: sqlite3.Connection, words: list[str]) -> str:
    """Of every six digits in a row of these words, those in the fewest rows (counted up
    to 1001)."""
    runs = [run for word in words for run in re.findall("[0-9]{6,}", word)]
    windows = {run[i : i + 6] for run in runs for i in range(len(run) - 5)}
    counted = [
        (conn.execute("SELECT count(*) FROM (SELECT 1 FROM customer_search_digits "
                      "WHERE digits = ? LIMIT 1001)", (w,)).fetchone()[0], w)
        for w in windows
    ]  # fmt: skip
    return str(min(counted)[1])


def plain_digits(conn: sqlite3.Connection, words: list[str]) -> list[dict[str, Any]]:
    """A word with six digits in a row by hand: the rows of the rarest window, then LIKE.
    A phone number: the rarest window of its digits and of its E.164 form, then LIKE for
    either form."""
    if words[-1].startswith("+"):
        digits, e164 = words
        sql = (
            f"{SELECT} WHERE c.id IN (SELECT customer_id FROM customer_search_digits "
            "WHERE digits IN (?, ?)) AND (c.search_text LIKE ? OR c.search_text LIKE ?)"
            f"{ORDER}"
        )
        windows = (rarest_window(conn, [digits]), rarest_window(conn, [e164]))
        return [dict(r) for r in conn.execute(sql, (*windows, f"%{digits}%", f"%{e164}%"))]
    sql = (
        f"{SELECT} WHERE c.id IN (SELECT customer_id FROM customer_search_digits "
        f"WHERE digits = ?) AND {' AND '.join('c.search_text LIKE ?' for _ in words)}{ORDER}"
    )
    window = rarest_window(conn, words)
    return [dict(r) for r in conn.execute(sql, (window, *(f"%{w}%" for w in words)))]


def plain_scan(conn: sqlite3.Connection, words: list[str]) -> list[dict[str, Any]]:
    if words[-1].startswith("+"):  # a phone number: its digits or its E.164 form
        sql = f"{SELECT} WHERE (c.search_text LIKE ? OR c.search_text LIKE ?){ORDER}"
    else:
        sql = f"{SELECT} WHERE {' AND '.join('c.search_text LIKE ?' for _ in words)}{ORDER}"
    return [dict(r) for r in conn.execute(sql, [f"%{w}%" for w in words])]


def median(action: Callable[[], object], calls: int) -> float:
    """The median CPU time of the process (steadier than wall time on a loaded machine)."""
    timings = []
    for _ in range(calls):
        start = time.process_time()
        action()
        timings.append(time.process_time() - start)
    return statistics.median(timings)


def searches(size: int) -> list[tuple[str, str, list[str]]]:
    """(label, what the clerk types, the folded words a plain query looks for)."""
    p = person(size // 2)
    q = person(size // 3)
    org = f"Yritys {size // 150 + 1} Oy"  # generate.py: every third customer has one
    digits = p["phone"].replace("+358", "0")
    typed_phone = f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    fold = customers.fold_for_search
    return [
        ("surname part", fold(p["last_name"]), [fold(p["last_name"])]),
        ("first and last name", f"{q['first_name']} {q['last_name']}",
         fold(f"{q['first_name']} {q['last_name']}").split()),
        ("email (upper case)", p["email"].upper(), [p["email"]]),
        ("phone as typed", typed_phone, [digits, p["phone"]]),
        ("organisation", org, fold(org).split()),
        ("common word (1/8 match)", "Virtanen", ["virtanen"]),
        ("first name (1/10, spread)", "Matti", ["matti"]),
    ]  # fmt: skip


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    calls = int(sys.argv[2]) if len(sys.argv) > 2 else 21
    given = Path(sys.argv[3]) if len(sys.argv) > 3 else None
    with tempfile.TemporaryDirectory(dir=given and given.parent) as folder:
        db = Path(folder) / "bench.db"
        env = dict(os.environ, LAUTEX_HOME=f"{folder}/home", LAUTEX_DB=str(db))
        env.pop("LAUTEX_TOKEN", None)
        os.environ.update(LAUTEX_HOME=env["LAUTEX_HOME"])
        started = time.perf_counter()
        if given is None:
            build_register(db, size, 0)
        else:
            shutil.copyfile(given, db)
            with connect(db) as conn:  # the copy's own session for `lautex erase` below
                _user, token = sessions.login(conn, "bench", PASSWORD)
                sessions.save_session_token(register_id(conn), token)
        print(f"register: {size} customers (ready in {time.perf_counter() - started:.1f} s, "
              f"file {db.stat().st_size / 1e6:.0f} MB)")  # fmt: skip
        conn = connect(db)
        for label, typed, words in searches(size):
            by_hand = (
                plain_email_key if "@" in typed
                else plain_digits if any(re.search("[0-9]{6}", w) for w in words)
                else plain_index
            )  # fmt: skip
            ours = customers.search_customers(conn, typed)
            by_index, by_scan = by_hand(conn, words), plain_scan(conn, words)
            assert ours == by_index == by_scan, label
            ours_s = median(partial(customers.search_customers, conn, typed), calls)
            index_s = median(partial(by_hand, conn, words), calls)
            scan_s = median(partial(plain_scan, conn, words), max(3, calls // 5))
            print(f"{label:<24} {typed!r:<31} rows {len(ours):3d} CPU lautex {ours_s * 1e3:6.2f} ms"
                  f"  plain index {index_s * 1000:7.2f} ms ({ours_s / index_s:4.2f}x)"
                  f"  plain scan {scan_s * 1000:8.2f} ms ({ours_s / scan_s:5.3f}x)")  # fmt: skip
        conn.close()
        erase_and_look(db, env, folder)


UNIQUE = ("Quinta", "Zwyrtkiewicz", "qzx.unique-erasure@example.fi", "040 765 4321")


def file_bytes(*paths: Path) -> bytes:
    return b"".join(path.read_bytes() for path in paths if path.exists())


def erase_and_look(db: Path, env: dict[str, str], folder: str) -> None:
    """Add a person nobody else resembles, erase them with `lautex erase`, then look for
    their bytes, and for the trigrams of them the index stored, in the file, -wal, backup."""
    lautex = [sys.executable, "-m", "lautex_registry"]
    wal = Path(f"{db}-wal")
    before = file_bytes(db, wal)
    first, last, email, phone = UNIQUE
    added = subprocess.run(
        [*lautex, "customer", "add", "--first-name", first, "--last-name", last, "--email",
         email, "--phone", phone, "--source", "web-store"],
        env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    customer = int(added.stdout.strip())
    with connect(db) as conn:
        text = conn.execute(
            "SELECT search_text FROM customers WHERE id = ?", (customer,)
        ).fetchone()[0]
        blocks = b"".join(r[0] for r in conn.execute("SELECT block FROM customer_search_data"))
        stored_phone, key = conn.execute(
            "SELECT phone, search_email_key FROM customers WHERE id = ?", (customer,)
        ).fetchone()
        windows = [
            str(row[0])
            for row in conn.execute(
                "SELECT digits FROM customer_search_digits WHERE customer_id = ?", (customer,)
            )
            if str(row[0]).encode() not in before
        ]
    grams = sorted(
        g
        for g in {text[i : i + 3] for i in range(len(text) - 2)}
        if g.encode() in blocks
        and g.encode() not in before
        and not set(g) <= set("0123456789abcdef")  # hashes are written later
    )
    start = time.perf_counter()
    subprocess.run([*lautex, "erase", str(customer), "--yes"], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    print(f"erase one customer (whole process, secure-delete): "
          f"{time.perf_counter() - start:.2f} s")  # fmt: skip
    backup = Path(folder) / "after.bak"
    subprocess.run([*lautex, "backup", str(backup)], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    needles = [email, last, stored_phone, key.split("@")[0] + "@", *grams, *windows]
    found = [
        (path.name, needle)
        for path in (db, wal, backup)
        if path.exists()
        for needle in needles
        if needle.encode() in path.read_bytes()
    ]
    verdict = found or "none found"
    print(f"byte test: {len(needles)} needles (email, surname, phone, the email key's "
          f"reversed part, {len(grams)} trigrams and {len(windows)} digit windows "
          f"the indexes stored that the file did not hold before) in the file, -wal and a "
          f"backup: {verdict}")  # fmt: skip


if __name__ == "__main__":
    main()
