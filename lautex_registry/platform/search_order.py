"""The search index in Finnish name order: every customer's `name_bucket` (migration 20).

FTS5 returns an index's rows in rowid order, and `customer_search` numbers a customer's
row `name_bucket * ROWID_STEP + id` (`customers.search_rowid`). Buckets follow the names
(docs/rules.md §3, "The search index in name order"): when one customer's name sorts
before another's (migration 19's keys, then the id), its bucket is not higher. So a
search reads its matches bucket by bucket, sorts each bucket's few rows by their keys and
stops after the first `limit`, where it used to read every match to find the first ones.

A bucket is:
- NULL for a row without a last name's key (an erased or anonymised customer), which
  sorts first, as SQLite sorts NULL keys first;
- UNPLACED for a customer added or renamed since names were last placed: last in rowid
  order, and a search reads every unplaced match (they are the day's new names, until
  the nightly retention run calls `place_names`);
- otherwise a number from FIRST up, written only here.

Only this module writes a bucket other than UNPLACED or NULL: writers of names set
UNPLACED in the statement that renames (a trigger refuses a rename that does not), since
a bucket that moved under the index's feet would take the row's tokens with it.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from lautex_registry.platform.db import rowid_batches
from lautex_registry.platform.errors import SchemaError, t
from lautex_registry.platform.sqlite import sqlite3

UNPLACED = 2**31 - 1
ROWID_STEP = 2**32  # customer ids stay below it (migration 20's trigger refuses others)
FIRST = 1
# A bucket holds about TARGET customers after numbering or a split, and is split once it
# holds more than LARGEST: a search then reads at most about LARGEST rows past its
# first `limit` matches. SPACING numbers are left between buckets, so a split has free
# numbers to give its new buckets without moving its neighbours.
TARGET = 64
LARGEST = 2 * TARGET
SPACING = 1024
BATCH = 20_000

_ORDER = "sort_last_name, sort_first_name, id"
# The rows that can be placed: a last and a first name's key (a row whose first name has
# no key cannot be compared with a row value: it stays unplaced and is always read).
_PLACEABLE = "sort_last_name IS NOT NULL AND sort_first_name IS NOT NULL"
_SEARCH_TRIGGER = "customers_search_moved"  # migration 20: moves a row's tokens with it


def number_all(conn: sqlite3.Connection, progress: Callable[[int, int], None] | None) -> None:
    """Give every customer its bucket afresh, TARGET customers a bucket in name order,
    inside the caller's transaction; `progress` hears (done, total).

    The places are worked out first in a temporary table (in memory: `temp_store`), then
    written in id order, the table's own: in name order every write would land on another
    page of a large register. The index's rows are not moved: a caller with an index
    (`cleanup.rebuild_search_index`) sets its trigger aside (`index_trigger_aside`) and
    builds the index afterwards.
    """
    refuse_unnumbered_ids(conn)
    conn.execute(
        "UPDATE customers SET name_bucket = NULL "
        "WHERE sort_last_name IS NULL AND name_bucket IS NOT NULL"
    )
    conn.execute(
        f"UPDATE customers SET name_bucket = {UNPLACED} "
        f"WHERE sort_last_name IS NOT NULL AND sort_first_name IS NULL "
        f"AND name_bucket IS NOT {UNPLACED}"
    )
    total = int(conn.execute(f"SELECT count(*) FROM customers WHERE {_PLACEABLE}").fetchone()[0])
    conn.execute("DROP TABLE IF EXISTS temp.name_places")
    conn.execute(
        "CREATE TEMP TABLE name_places AS SELECT id, "
        f"{FIRST} + ((row_number() OVER (ORDER BY {_ORDER}) - 1) / {TARGET}) * ? AS bucket "
        f"FROM customers INDEXED BY customers_by_name WHERE {_PLACEABLE} ORDER BY id",
        (_spacing(total),),
    )
    try:
        done = 0
        for after, up_to, rows in rowid_batches(conn, "temp.name_places", BATCH):
            conn.execute(
                "UPDATE customers SET name_bucket = p.bucket FROM temp.name_places p "
                "WHERE p.rowid > ? AND p.rowid <= ? AND customers.id = p.id "
                "AND customers.name_bucket IS NOT p.bucket",
                (after, up_to),
            )
            done += rows
            if progress is not None:
                progress(done, total)
    finally:
        conn.execute("DROP TABLE temp.name_places")


def refuse_unnumbered_ids(conn: sqlite3.Connection) -> None:
    """A register (an older one being migrated, a copy being restored) holding a customer
    id the index's rowid cannot carry: below 0 or from ROWID_STEP up. Migration 20's
    triggers refuse such ids from then on; one already there is refused here, with the
    migration or the restore, rather than left out of every search."""
    found = conn.execute(
        "SELECT id FROM customers WHERE id < 0 OR id >= ? LIMIT 1", (ROWID_STEP,)
    ).fetchone()
    if found is not None:
        raise SchemaError(
            t(
                "customer {id}: an id outside 0-{highest} cannot be numbered in the search "
                'index (docs/rules.md §3, "The search index in name order")',
                id=found[0],
                highest=ROWID_STEP - 1,
            )
        )


def _spacing(customers: int) -> int:
    """SPACING, or less when the register has so many customers that the numbers would
    not reach (at SPACING 1024: more than 130 million)."""
    buckets = customers // TARGET + 1
    return max(1, min(SPACING, (UNPLACED - FIRST - 1) // buckets))


@contextmanager
def index_trigger_aside(conn: sqlite3.Connection) -> Iterator[None]:
    """Inside a transaction: the trigger that moves a row's tokens when its bucket changes
    is dropped, and made again from its own SQL at the end (rolled back with the rest if
    the block fails). For numbering a register whose index is built afterwards."""
    saved = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (_SEARCH_TRIGGER,)
    ).fetchone()
    if saved is not None:
        conn.execute(f"DROP TRIGGER {_SEARCH_TRIGGER}")
    yield
    if saved is not None:
        conn.execute(saved[0])


def unplaced(conn: sqlite3.Connection) -> int:
    """How many customers wait to be placed (a range of `customers_by_bucket`)."""
    return int(
        conn.execute(f"SELECT count(*) FROM customers WHERE name_bucket = {UNPLACED}").fetchone()[0]
    )


def any_unplaced(conn: sqlite3.Connection) -> bool:
    """Whether a customer is unplaced (one probe of `customers_by_bucket`)."""
    found = conn.execute(f"SELECT 1 FROM customers WHERE name_bucket = {UNPLACED} LIMIT 1")
    return found.fetchone() is not None


def place_names(conn: sqlite3.Connection, most: int = BATCH) -> int:
    """Place up to `most` unplaced customers in name order, inside the caller's
    transaction; the number placed (0: none was left).

    Each goes into the bucket of the placed customer just before it in name order (or,
    first of all, the lowest bucket), which keeps the buckets in name order. A bucket
    grown past LARGEST is then split (`_spread`).
    """
    rows = conn.execute(
        f"SELECT sort_last_name, sort_first_name, id FROM customers "
        f"WHERE name_bucket = {UNPLACED} AND {_PLACEABLE} LIMIT ?",
        (most,),
    ).fetchall()
    # In name order, so the customer just before each one is placed already.
    rows.sort(key=lambda row: (row[0], row[1], row[2]))
    grown: set[int] = set()
    for key in rows:
        bucket = _bucket_before(conn, key)
        conn.execute("UPDATE customers SET name_bucket = ? WHERE id = ?", (bucket, key[2]))
        grown.add(bucket)
    for bucket in sorted(grown):
        if _held_in(conn, bucket, bucket) > LARGEST:
            _spread(conn, bucket)
    return len(rows)


def _bucket_before(conn: sqlite3.Connection, key: tuple[str, str, int]) -> int:
    before = conn.execute(
        f"SELECT name_bucket FROM customers INDEXED BY customers_by_name "
        f"WHERE (sort_last_name, sort_first_name, id) < (?, ?, ?) AND {_PLACEABLE} "
        f"AND name_bucket <> {UNPLACED} "
        "ORDER BY sort_last_name DESC, sort_first_name DESC, id DESC LIMIT 1",
        key,
    ).fetchone()
    if before is not None and before[0] is not None:
        return int(before[0])
    # Nothing placed before it: the lowest bucket is not above any placed customer's.
    lowest = _next_bucket(conn, FIRST - 1, "above")
    return FIRST if lowest == UNPLACED else lowest


def _held_in(conn: sqlite3.Connection, low: int, high: int) -> int:
    held = conn.execute(
        "SELECT count(*) FROM customers WHERE name_bucket BETWEEN ? AND ?", (low, high)
    )
    return int(held.fetchone()[0])


_ABOVE = (
    f"SELECT min(name_bucket) FROM customers WHERE name_bucket > ? AND name_bucket < {UNPLACED}"
)
_BELOW = f"SELECT max(name_bucket) FROM customers WHERE name_bucket < ? AND name_bucket >= {FIRST}"


def bucket_after(conn: sqlite3.Connection, bucket: int) -> int:
    """The placed bucket next above `bucket` (UNPLACED when none): where its names end."""
    return _next_bucket(conn, bucket, "above")


def _next_bucket(conn: sqlite3.Connection, bucket: int, way: str) -> int:
    """The placed bucket next above (or below) `bucket`: UNPLACED (FIRST - 1) when none."""
    above = way == "above"
    found = conn.execute(_ABOVE if above else _BELOW, (bucket,)).fetchone()[0]
    if found is None:
        return UNPLACED if above else FIRST - 1
    return int(found)


def _spread(conn: sqlite3.Connection, bucket: int) -> None:
    """Spread the customers of `bucket`, and of as few buckets beside it as it takes, over
    buckets of TARGET customers evenly numbered between the buckets around them.

    The numbers between a bucket and its neighbours (SPACING when numbered) are what a
    split takes; when they are too few the window widens a bucket each way, so one place
    in the alphabet that keeps growing moves only the names around it, in one small
    transaction, however large the register."""
    low = high = bucket
    while True:
        below = _next_bucket(conn, low, "below")
        above = _next_bucket(conn, high, "above")
        parts = -(-_held_in(conn, low, high) // TARGET)
        room = above - below - 1
        if room >= parts or (below < FIRST and above == UNPLACED):
            break
        low = below if below >= FIRST else low
        high = above if above < UNPLACED else high
    step = max(1, room // parts)
    ids = conn.execute(
        f"SELECT id FROM customers WHERE name_bucket BETWEEN ? AND ? ORDER BY {_ORDER}",
        (low, high),
    ).fetchall()
    conn.executemany(
        "UPDATE customers SET name_bucket = ? WHERE id = ? AND name_bucket IS NOT ?",
        [
            (new, customer_id, new)
            for position, (customer_id,) in enumerate(ids)
            for new in (below + 1 + (position // TARGET) * step,)
        ],
    )
