"""Generate a register with N customers and their orders, for the other benchmarks.

    python benchmarks/generate.py PATH [CUSTOMERS] [ORDERS_PER_CUSTOMER]

Defaults: 100000 customers, 3 orders each (one line per order). The issue's
full size is 1000000 customers and 3000000 orders. Rows are written with
`executemany` in batches; the register is a real one (schema, settings, an admin
`bench` whose session is saved under $LAUTEX_HOME), so `lautex --db PATH ...`
works on it. Also writes CSV files for the import benchmark (`write_csv`).
"""

import csv
import random
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from lautex_registry.erasure.cleanup import rebuild_search_index
from lautex_registry.platform import sessions
from lautex_registry.platform.collation import sort_key
from lautex_registry.platform.db import connect, transaction
from lautex_registry.platform.identity import register_id
from lautex_registry.platform.migrations.m0016_customer_email_key import email_search_key
from lautex_registry.platform.settings import load_settings_file
from lautex_registry.records.customers import INSERT_COLUMNS, INSERT_SQL, search_text_for
from lautex_registry.setup.new_register import create_register

PASSWORD = "benchmark password 1"
BATCH = 50_000
FIRST = ("Aino", "Eino", "Väinö", "Helmi", "Jörn", "Åsa", "Matti", "Liisa", "Märta", "Päivi")
LAST = ("Äijälä", "Öhman", "Åström", "Mäkinen", "Määttä", "Virtanen", "Löfgren", "Ylönen")
ASCII = {"Ä": "A", "Ö": "O", "Å": "A", "ä": "a", "ö": "o", "å": "a"}
SOURCES = ("web-store", "reseller", "registration", "customer-service", "subcontractor", "partner")
ORGS_PER_CUSTOMER = 1 / 50


def plain(text: str) -> str:
    return "".join(ASCII.get(ch, ch) for ch in text).lower()


def person(i: int) -> dict[str, str]:
    """The i-th made-up person: unique email and phone, a Finnish address."""
    first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
    return {
        "first_name": first,
        "last_name": f"{last}{i}",
        "email": f"{plain(first)}.{plain(last)}.{i}@example.fi",
        "phone": f"+35840{i % 10_000_000:07d}",
        "street": f"Koivukuja {i % 97 + 1}",
        "postal_code": f"{i % 99_999:05d}",
        "city": "Helsinki",
        "source": SOURCES[i % len(SOURCES)],
    }


def customer_rows(n: int, organisations: int, stamp: str, day: str) -> Iterator[tuple[Any, ...]]:
    for i in range(n):
        p = person(i)
        org_id = (i % organisations) + 1 if organisations and i % 3 == 0 else None
        org_name = f"Yritys {org_id} Oy" if org_id else None
        row: dict[str, Any] = {
            **p, "organisation_id": org_id, "country": "FI", "source_detail": None,
            "language": "fi", "notes": None, "created_at": stamp, "updated_at": stamp,
            "last_activity": day,
            "search_text": search_text_for(p["first_name"], p["last_name"], p["email"],
                                           p["phone"], org_name),
        }  # fmt: skip
        row["search_email_key"] = email_search_key(row["search_text"])
        row["sort_last_name"] = sort_key(p["last_name"])
        row["sort_first_name"] = sort_key(p["first_name"])
        yield tuple(row[column] for column in INSERT_COLUMNS)


def batched(rows: Iterator[tuple[Any, ...]], size: int = BATCH) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def build_register(path: Path, customers: int, orders_per_customer: int = 3) -> None:
    """A register at `path` with the admin `bench` logged in and the rows generated."""
    settings, _origin = load_settings_file(None)
    create_register(path, admin_username="bench", admin_full_name="Bench Mark",
                    admin_password=PASSWORD, settings=settings)  # fmt: skip
    conn = connect(path)
    _user, token = sessions.login(conn, "bench", PASSWORD)
    sessions.save_session_token(register_id(conn), token)
    stamp, today = "2026-11-25T00:00:00Z", date(2026, 11, 25)
    organisations = max(1, int(customers * ORGS_PER_CUSTOMER))
    with transaction(conn):
        conn.executemany(
            "INSERT INTO organisations (name, business_id, created_at) VALUES (?, NULL, ?)",
            [(f"Yritys {k} Oy", stamp) for k in range(1, organisations + 1)],
        )
    for batch in batched(customer_rows(customers, organisations, stamp, today.isoformat())):
        with transaction(conn):
            conn.executemany(INSERT_SQL, batch)
    rng = random.Random(1)
    order_id = 0
    for start in range(0, customers, BATCH // max(1, orders_per_customer)):
        stop = min(customers, start + BATCH // max(1, orders_per_customer))
        orders, lines = [], []
        for customer_id in range(start + 1, stop + 1):
            for k in range(orders_per_customer):
                order_id += 1
                day = (today - timedelta(days=rng.randrange(1500))).isoformat()
                orders.append(
                    (order_id, f"O{customer_id}-{k}", customer_id, day, "web-store", stamp)
                )
                lines.append((order_id, "Koivulauta 2 m", rng.randrange(1, 20) * 1000, 1250))
        with transaction(conn):
            conn.executemany(
                """INSERT INTO orders (id, number, customer_id, order_date, channel, created_at)
                   VALUES (?, ?, ?, ?, ?, ?)""",
                orders,
            )
            conn.executemany(
                """INSERT INTO order_lines (order_id, product, quantity_milli, unit_price_cents)
                   VALUES (?, ?, ?, ?)""",
                lines,
            )
    # The names placed in Finnish order as the nightly run leaves them (docs/rules.md §3,
    # "The search index in name order"): numbered, and the index made under its rowids.
    rebuild_search_index(conn)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("ANALYZE")
    conn.close()


def write_csv(path: Path, rows: int, *, start: int = 0, delimiter: str = ",") -> None:
    """An import file of `rows` people, numbered from `start` (so emails are new)."""
    columns = ("first_name", "last_name", "email", "phone", "street", "postal_code", "city",
               "source")  # fmt: skip
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(columns)
        for i in range(start, start + rows):
            p = person(i)
            p["phone"] = f"040 {i % 10_000_000:07d}"  # as people type it, not E.164
            writer.writerow([p[c] for c in columns])


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    path = Path(sys.argv[1])
    customers = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    per_customer = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    started = time.perf_counter()
    build_register(path, customers, per_customer)
    seconds = time.perf_counter() - started
    print(f"{path}: {customers} customers, {customers * per_customer} orders in {seconds:.1f} s")


if __name__ == "__main__":
    main()
