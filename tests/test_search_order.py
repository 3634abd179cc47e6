"""The search index in Finnish name order (migration 20, platform/search_order.py,
docs/rules.md §3 "The search index in name order")."""

import json
from pathlib import Path

import pytest

from lautex_registry.erasure.cleanup import rebuild_search_index
from lautex_registry.platform import search_order
from lautex_registry.platform.search_order import ROWID_STEP, UNPLACED
from lautex_registry.platform.sqlite import sqlite3
from tests.conftest import Cli, roll_back_migrations
from tests.helpers import add_customer, assert_one_line_error

SURNAMES = ["Öhman", "Virtanen", "Aalto", "Äijälä", "de Wit", "Korhonen", "Ylönen", "Åström"]


def _add_people(cli: Cli, count: int) -> list[int]:
    """Ainos 00, 01, ... with the surnames of SURNAMES in turn."""
    added = []
    for n in range(count):
        last = SURNAMES[n % len(SURNAMES)]
        name = ("--first-name", f"Aino{n:02d}", "--last-name", last)
        added.append(add_customer(cli, *name, "--source", "partner"))
    return added


def _buckets_in_name_order(conn: sqlite3.Connection) -> list[int | None]:
    return [
        row[0]
        for row in conn.execute(
            "SELECT name_bucket FROM customers ORDER BY sort_last_name, sort_first_name, id"
        )
    ]


def _assert_in_order(conn: sqlite3.Connection) -> None:
    """The placed buckets never go down in name order; the index is whole (FTS5's check of
    its own structure), holds a row under each customer's rowid exactly when the customer
    has a search text, and finds each by its first trigram under that rowid. (FTS5's check
    against the content, rank 1, takes a customer without search text for a missing row.)"""
    placed = [b for b in _buckets_in_name_order(conn) if b is not None and b != UNPLACED]
    assert placed == sorted(placed)
    conn.execute("INSERT INTO customer_search(customer_search, rank) VALUES('integrity-check', 0)")
    texts = dict(
        conn.execute("SELECT search_rowid, search_text FROM customers WHERE search_text NOT NULL")
    )
    assert {r[0] for r in conn.execute("SELECT id FROM customer_search_docsize")} == set(texts)
    for rowid, text in texts.items():
        found = conn.execute(
            "SELECT rowid FROM customer_search WHERE customer_search MATCH ?", (f'"{text[:3]}"',)
        )
        assert rowid in {r[0] for r in found}


def _place_all(conn: sqlite3.Connection) -> int:
    placed = 0
    with conn:
        while done := search_order.place_names(conn):
            placed += done
    return placed


def test_migrate_numbers_the_customers_in_name_order(cli: Cli) -> None:
    """A register of before migration 20: its customers get buckets in name order (TARGET
    to a bucket), the index is made anew under their rowids, and searches find the same."""
    ids = _add_people(cli, 12)
    roll_back_migrations(cli.db, to=19)
    cli.ok("migrate", user="admin")
    with cli.connect() as conn:
        buckets = _buckets_in_name_order(conn)
        assert buckets == [search_order.FIRST] * 12  # twelve names: one bucket of TARGET
        _assert_in_order(conn)
        rowids = sorted(r[0] for r in conn.execute("SELECT rowid FROM customer_search"))
        assert rowids == sorted(search_order.FIRST * ROWID_STEP + i for i in ids)
    found = json.loads(cli.ok("customer", "search", "aino", "-f", "json").stdout)
    assert [c["last_name"] for c in found][:3] == ["Aalto", "Aalto", "de Wit"]


def test_a_new_or_renamed_customer_is_unplaced_until_the_nightly_run(cli: Cli) -> None:
    """Added or renamed: last in the index (UNPLACED), still found, in its place in the
    list; the retention run places it and says how many it placed."""
    ids = _add_people(cli, 5)
    with cli.connect() as conn:
        assert {r[0] for r in conn.execute("SELECT name_bucket FROM customers")} == {UNPLACED}
    summary = json.loads(cli.ok("retention", "run", "--yes", "-f", "json", user="bot").stdout)
    assert summary["names_placed"] == 5
    cli.ok("customer", "edit", str(ids[0]), "--last-name", "Aaltonen", user="clerk")
    with cli.connect() as conn:
        bucket = conn.execute("SELECT name_bucket FROM customers WHERE id = ?", (ids[0],))
        assert bucket.fetchone()[0] == UNPLACED
        _assert_in_order(conn)
    found = json.loads(cli.ok("customer", "search", "aino", "-f", "json").stdout)
    assert [c["last_name"] for c in found][:3] == ["Aalto", "Aaltonen", "de Wit"]
    again = json.loads(cli.ok("retention", "run", "--yes", "-f", "json", user="bot").stdout)
    assert again["names_placed"] == 1
    with cli.connect() as conn:
        _assert_in_order(conn)
        assert UNPLACED not in _buckets_in_name_order(conn)


def test_placing_names_does_not_count_as_a_change_of_an_imported_customer(
    cli: Cli, tmp_path: Path
) -> None:
    """`customer import --undo` refuses to remove a customer a clerk changed since; the
    nightly placing is no clerk's change, so the run can still be undone whole."""
    source = tmp_path / "c.csv"
    source.write_text(
        "first_name;last_name;source\n" + "".join(f"Eino{n};Virtanen;partner\n" for n in range(4)),
        encoding="utf-8",
    )
    cli.ok("customer", "import", str(source), user="clerk")
    summary = json.loads(cli.ok("retention", "run", "--yes", "-f", "json", user="bot").stdout)
    assert summary["names_placed"] == 4
    done = cli.ok("customer", "import", "--undo", "1", "--yes", user="clerk")
    assert "4 customers" in done.stderr


def test_a_rename_that_leaves_the_place_is_refused(cli: Cli) -> None:
    """A plain sqlite3 client renaming a placed customer without unplacing it would leave
    its index row where the old name sorted: the register's triggers refuse it, and refuse
    a new customer given a place, or an id the index's rowid cannot hold."""
    (aino,) = _add_people(cli, 1)
    cli.ok("retention", "run", "--yes", user="bot")
    with cli.connect() as conn:
        for statement, params in (
            ("UPDATE customers SET last_name = 'Zeta' WHERE id = ?", (aino,)),
            ("UPDATE customers SET name_bucket = name_bucket, sort_last_name = 'x' WHERE id = ?",
             (aino,)),
            ("INSERT INTO customers (first_name, last_name, country, source, language, state, "
             "created_at, updated_at, last_activity, name_bucket) VALUES ('A', 'B', 'FI', "
             "'partner', 'fi', 'active', 'x', 'x', 'x', ?)", (5,)),
            ("INSERT INTO customers (id, first_name, last_name, country, source, language, "
             "state, created_at, updated_at, last_activity) VALUES (?, 'A', 'B', 'FI', "
             "'partner', 'fi', 'active', 'x', 'x', 'x')", (ROWID_STEP,)),
            # A named customer given the place of the nameless: first in every search.
            ("UPDATE customers SET name_bucket = NULL WHERE id = ?", (aino,)),
            ("UPDATE customers SET last_name = 'Zeta', name_bucket = NULL WHERE id = ?",
             (aino,)),
        ):  # fmt: skip
            with pytest.raises(sqlite3.IntegrityError):
                conn.execute(statement, params)
        conn.execute(
            f"UPDATE customers SET last_name = 'Zeta', name_bucket = {UNPLACED} WHERE id = ?",
            (aino,),
        )
        _assert_in_order(conn)


def test_a_bucket_grown_too_large_is_split_and_its_neighbours_make_room(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Names placed into one bucket split it in TARGET-sized buckets in the free numbers
    between its neighbours; when there are too few (SPACING 1), the buckets beside it are
    spread with it, as few as it takes. Either way the buckets stay in name order, none
    holds more than LARGEST, and the index follows."""
    monkeypatch.setattr(search_order, "TARGET", 2)
    monkeypatch.setattr(search_order, "LARGEST", 4)
    _add_people(cli, 10)
    with cli.connect() as conn:
        assert _place_all(conn) == 10
        buckets = _buckets_in_name_order(conn)
        assert len(set(buckets)) == 5 and buckets == sorted(buckets)  # type: ignore[type-var]
        _assert_in_order(conn)
    monkeypatch.setattr(search_order, "SPACING", 1)
    with cli.connect() as conn, conn:
        search_order.number_all(conn, None)
        assert _buckets_in_name_order(conn) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
        # Room above the last bucket only: a bucket at the end splits alone.
        conn.execute("UPDATE customers SET name_bucket = 9 WHERE name_bucket = 5")
    for n in range(3):  # Öhman sorts last: into bucket 9, which has room above it
        add_customer(cli, "--first-name", f"Ö{n}", "--last-name", "Öhman", "--source", "partner")
    with cli.connect() as conn:
        assert _place_all(conn) == 3
        buckets = _buckets_in_name_order(conn)
        assert buckets[:8] == [1, 1, 2, 2, 3, 3, 4, 4]  # the others did not move
        _assert_in_order(conn)
    for n in range(6):  # into the first bucket, with no free number beside it
        add_customer(cli, "--first-name", f"Eino{n}", "--last-name", "Aalto", "--source", "partner")
    with cli.connect() as conn:
        assert _place_all(conn) == 6
        buckets = _buckets_in_name_order(conn)
        assert buckets == sorted(buckets)  # type: ignore[type-var]
        held = [buckets.count(bucket) for bucket in set(buckets)]
        assert max(held) <= 4 and len(buckets) == 19
        _assert_in_order(conn)


def test_an_erased_customer_leaves_its_place(cli: Cli) -> None:
    """Anonymised: no name, no place (NULL), no row in the index."""
    ids = _add_people(cli, 3)
    cli.ok("retention", "run", "--yes", user="bot")
    cli.ok("anonymise", str(ids[1]), "--yes", user="clerk")
    with cli.connect() as conn:
        row = conn.execute(
            "SELECT name_bucket, search_rowid FROM customers WHERE id = ?", (ids[1],)
        ).fetchone()
        assert row is None or row[0] is None
        _assert_in_order(conn)


def test_a_restored_copys_places_are_numbered_afresh(cli: Cli) -> None:
    """A copy's buckets are not trusted: out of order, they would hide a match from the
    first rows; `rebuild_search_index` (restore) numbers them anew."""
    _add_people(cli, 8)
    cli.ok("retention", "run", "--yes", user="bot")
    with cli.connect() as conn:
        with conn:
            # Reversed, the way a crafted copy could be (the index rebuilt to match it).
            conn.execute("DROP TRIGGER customers_search_moved")
            conn.execute("UPDATE customers SET name_bucket = 1000 - id")
        rebuild_search_index(conn)
        _assert_in_order(conn)
        trigger = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'customers_search_moved'"
        ).fetchone()
        assert trigger is None  # set aside and put back as the copy had it: absent
    found = json.loads(cli.ok("customer", "search", "aino", "-f", "json").stdout)
    assert [c["last_name"] for c in found][:2] == ["Aalto", "de Wit"]


def test_a_bad_search_is_still_one_line(cli: Cli) -> None:
    _add_people(cli, 2)
    assert_one_line_error(cli.run("customer", "search", "  "), 2, "text")


@pytest.mark.parametrize("bulk", [True, False])
def test_the_nightly_run_moves_the_index_rows_and_leaves_no_old_one(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, bulk: bool
) -> None:
    """Placing a name moves its row of the index. Many names: the old rows are only marked
    deleted (FTS5 secure-delete off in each batch) and the index is merged once when the
    run ends; a few: deleted in place. Either way no merge is left owed and the index
    holds each customer once, under its new rowid."""
    from lautex_registry.erasure import cleanup

    monkeypatch.setattr(cleanup, "PAGES_PER_PERSON_IN_PLACE", 10**6 if bulk else 0)
    marked: list[bool] = []
    real = cleanup.mark_deletions

    def mark(conn: sqlite3.Connection) -> None:
        marked.append(True)
        real(conn)

    monkeypatch.setattr(cleanup, "mark_deletions", mark)
    _add_people(cli, 6)
    summary = json.loads(cli.ok("retention", "run", "--yes", "-f", "json", user="bot").stdout)
    assert summary["names_placed"] == 6
    assert bool(marked) is bulk
    with cli.connect() as conn:
        assert not cleanup.merge_owed(conn)
        assert UNPLACED not in _buckets_in_name_order(conn)
        _assert_in_order(conn)


def test_a_bucket_is_read_whole_since_its_rows_come_in_id_order(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Within a bucket the index gives its rows by id, not by name: customers added in
    reverse alphabetical order share one bucket, and the first two by name are the last
    two added. The search reads the bucket to its end before it stops."""
    surnames = ["Öhman", "Virtanen", "Korhonen", "de Wit", "Aalto"]
    for last in surnames:
        add_customer(cli, "--first-name", "Aino", "--last-name", last, "--source", "partner")
    with cli.connect() as conn:
        assert _place_all(conn) == 5
        assert len(set(_buckets_in_name_order(conn))) == 1
    found = json.loads(cli.ok("customer", "search", "aino", "--limit", "2", "-f", "json").stdout)
    assert [c["last_name"] for c in found] == ["Aalto", "de Wit"]


def _at_19_with_id(cli: Cli, customer_id: int) -> None:
    """The register taken back to migration 19, and a customer Zeta Öhman given this id
    by a plain client."""
    roll_back_migrations(cli.db, to=19)
    with cli.connect() as conn:
        conn.execute(
            "INSERT INTO customers (id, first_name, last_name, country, source, language, "
            "state, created_at, updated_at, last_activity) VALUES (?, 'Zeta', 'Öhman', 'FI', "
            "'partner', 'fi', 'active', 'x', 'x', 'x')",
            (customer_id,),
        )


@pytest.mark.parametrize("customer_id", [ROWID_STEP + 1, -5])
def test_migrate_refuses_an_id_the_index_cannot_number(cli: Cli, customer_id: int) -> None:
    """An older register holding an id outside 0..2**32 - 1 (written by a plain client):
    its index row would carry another customer's id, so migrate refuses it in one line
    and leaves the register at 19, where the clerk can renumber the customer."""
    _add_people(cli, 2)
    _at_19_with_id(cli, customer_id)
    refused = cli.run("migrate", user="admin")
    assert_one_line_error(refused, 4, f"customer {customer_id}: an id outside 0-4294967295")
    with cli.connect() as conn:
        columns = {r[1] for r in conn.execute("PRAGMA table_xinfo(customers)")}
        assert "name_bucket" not in columns  # still at 19, nothing half done


def test_many_unplaced_matches_are_counted_only_so_far(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a large import (every customer unplaced until the night) a common word is
    read like any other: its first rows in order, counted up to COUNTED_UP_TO."""
    from lautex_registry.records import customers

    for first in ("Aino", "Eino", "Matti", "Väinö", "Jörn", "Helmi"):
        add_customer(cli, "--first-name", first, "--last-name", "Virtanen", "--source", "partner")
    monkeypatch.setattr(customers, "COUNTED_UP_TO", 3)
    few = cli.ok("customer", "search", "virtanen", "--limit", "2", "-f", "json")
    assert [c["first_name"] for c in json.loads(few.stdout)] == ["Aino", "Eino"]
    assert few.stderr == "2 shown; more match: narrow the search or use --limit\n"
    every = cli.ok("customer", "search", "virtanen", "--limit", "10", "-f", "json")
    assert len(json.loads(every.stdout)) == 6 and every.stderr == ""


def test_trigram_guesses_take_the_unplaced_rows_apart(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The unplaced rows lie past every placed one: the rows of a trigram guessed over the
    placed and the unplaced rows each on their own, not over the gap between them."""
    from lautex_registry.records import customers

    monkeypatch.setattr(customers, "PROBE_ROWS", 4)
    for n in range(30):
        add_customer(cli, "--first-name", "Aino", "--last-name", f"Kuusela{n:02d}",
                     "--source", "partner")  # fmt: skip
    with cli.connect() as conn:
        _place_all(conn)
    for n in range(10):
        add_customer(cli, "--first-name", "Eino", "--last-name", f"Kuusela{n:02d}x",
                     "--source", "partner")  # fmt: skip
    with cli.connect() as conn:
        guessed = customers._rows_holding(conn, "sel", 1000)
    assert guessed == pytest.approx(40, rel=0.3)


def test_the_place_in_order_is_not_shown_to_the_person_or_the_clerk(cli: Cli) -> None:
    """The bucket and the index's rowid are the register's own bookkeeping, derived from
    the name: `customer show` and the access export leave them out, as the sort keys."""
    (aino,) = _add_people(cli, 1)
    for command in (("customer", "show", str(aino)), ("export", str(aino))):
        shown = json.loads(cli.ok(*command, "-f", "json", user="clerk").stdout)
        customer = shown["customer"] if "customer" in shown else shown["data"]["customer"]
        assert customer["last_name"] == "Öhman"
        assert {"name_bucket", "search_rowid", "sort_last_name"}.isdisjoint(customer)


def test_a_trigram_guess_goes_by_buckets_not_rowids(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From one bucket to the next the rowids jump by SPACING * 2**32, within one by the
    ids: a surname whose first and last buckets grew (a day's new names placed beside
    the old) had both ends' rows in a span of a few ids, and was guessed to be in every
    row of the register. The ends are spread over the buckets between them."""
    from lautex_registry.erasure.cleanup import rebuild_search_index
    from lautex_registry.records import customers

    monkeypatch.setattr(customers, "PROBE_ROWS", 8)
    monkeypatch.setattr(search_order, "TARGET", 8)
    monkeypatch.setattr(search_order, "LARGEST", 16)
    conn = cli.connect()
    with conn:
        for last, count in (("Aalto", 8), ("Kivi", 64), ("Virtanen", 400)):
            conn.executemany(
                "INSERT INTO customers (first_name, last_name, country, source, language, "
                "search_text, state, created_at, updated_at, last_activity) VALUES (?, ?, "
                "'FI', 'partner', 'fi', ?, 'active', 'x', 'x', '2026-01-01')",
                [(f"Aino{n:03d}", last, f"aino{n:03d} {last.lower()}") for n in range(count)],
            )
    rebuild_search_index(conn)  # numbered: eight to a bucket
    with conn:  # a day's new Kivis beside the first and the last of them: 16 in each
        conn.executemany(
            "INSERT INTO customers (first_name, last_name, country, source, language, "
            "search_text, state, created_at, updated_at, last_activity) VALUES (?, 'Kivi', "
            "'FI', 'partner', 'fi', ?, 'active', 'x', 'x', '2026-01-01')",
            [(f"Aino{n:03d}x", f"aino{n:03d}x kivi") for n in (*range(8), *range(56, 64))],
        )
    _place_all(conn)
    guessed = customers._rows_holding(conn, "kiv", 488)
    conn.close()
    assert guessed == pytest.approx(80, rel=0.5)  # 80 Kivis; it was 488, the register


def test_a_copy_holding_an_id_the_index_cannot_number_is_refused_naming_it(
    cli: Cli, tmp_path: Path
) -> None:
    """A backup taken at 19 of a register holding such an id: `restore` and `backup verify`
    both refuse it in one line that names the copy, and leave the register as it was."""
    from lautex_registry.erasure.backups import make_backup
    from lautex_registry.platform import audit
    from lautex_registry.platform.db import connect

    add_customer(cli, "--first-name", "Aino", "--last-name", "Aalto", "--source", "partner")
    _at_19_with_id(cli, ROWID_STEP + 1)
    copy = tmp_path / "copy.db"
    conn = connect(cli.db)
    try:
        make_backup(conn, audit.Actor(None, "admin"), copy)
    finally:
        conn.close()
    with cli.connect() as conn:
        conn.execute("DELETE FROM customers WHERE id = ?", (ROWID_STEP + 1,))
    cli.ok("migrate", user="admin")
    with cli.connect() as conn:
        before = [tuple(row) for row in conn.execute("SELECT * FROM customers ORDER BY id")]
    for command in (("restore", str(copy), "--yes"), ("backup", "verify", str(copy))):
        refused = cli.run(*command, user="admin")
        assert_one_line_error(refused, 4, str(copy), "an id outside 0-4294967295")
    with cli.connect() as conn:
        assert [tuple(row) for row in conn.execute("SELECT * FROM customers ORDER BY id")] == before
