"""`customer search` through its trigram index: the same rows as the LIKE scan it
replaced, an index built for registers that had none, and no token left after erasure."""

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lautex_registry.erasure.cleanup import MERGE_PENDING
from lautex_registry.platform import audit, migrations, search_order
from lautex_registry.platform.db import connect, transaction
from lautex_registry.platform.migrations import (
    m0014_customer_search,
    m0016_customer_email_key,
    m0018_customer_search_digits,
)
from lautex_registry.platform.migrations.m0016_customer_email_key import email_search_key
from lautex_registry.platform.schema_upgrade import migrate
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records import customers
from tests.conftest import Cli, roll_back_migrations
from tests.helpers import (
    EMAIL,
    PHONE,
    PHONE_TYPED,
    SURNAME,
    add_aino,
    add_customer,
    add_quinta,
    insert_org,
)

# --- the same rows as the scan -------------------------------------------------------------


def like_scan(conn: sqlite3.Connection, text: str, limit: int = 100) -> list[dict[str, Any]]:
    """What `customer search` did before the index: LIKE over every row (the oracle)."""
    words = customers.fold_for_search(text).split()
    escaped = [w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for w in words]
    conditions = ["c.search_text LIKE ? ESCAPE '\\'" for _ in words]
    params: list[Any] = [f"%{word}%" for word in escaped]
    phone = customers._as_phone(text)
    if phone is not None:
        digits = "".join(ch for ch in text if ch.isdigit())
        conditions = ["(c.search_text LIKE ? OR c.search_text LIKE ?)"]
        params = [f"%{digits}%", f"%{phone}%"]
    # The same fields as every customer list (customers.LIST_FIELDS, `--fields all`).
    rows = conn.execute(
        f"{customers._LIST_SELECT} "
        f"WHERE {' AND '.join(conditions)} "
        "ORDER BY finnish(c.last_name), finnish(c.first_name), c.id LIMIT ?",
        (*params, limit),
    )
    return [dict(row) for row in rows]


@pytest.fixture(scope="module")
def blank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    conn = connect(tmp_path_factory.mktemp("search") / "search.db", create=True)
    with transaction(conn):
        migrations.apply_pending(conn)
        conn.execute(
            "INSERT INTO organisations (id, name, created_at) VALUES "
            "(1, 'Puutalo Oy', 'x'), (2, 'Åbo Träteknik Ab', 'x'), (3, 'Sähkö-Äijälä Oy', 'x')"
        )
    yield conn
    conn.close()


LETTERS = "aäåbcdeéfhijklmnoöprstuvwyzAÄÅBÉKLMNOÖSTZ"
# A name is any line of text: an `@` in one gives a search text with two (always read), and
# digits in one (`Yritys 123456 Oy`) give digit windows beside a phone number's.
name = st.text(alphabet=LETTERS + "-' @0123456789", min_size=1, max_size=10).filter(str.strip)
local = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.", min_size=1, max_size=10)
person = st.tuples(
    name,
    name,
    st.one_of(st.none(), st.builds(lambda a, b: f"{a}@{b}.fi", local, local)),
    st.one_of(st.none(), st.integers(0, 9_999_999).map(lambda n: f"+35840{n:07d}")),
    st.sampled_from([None, 1, 2, 3]),
)


def _changed(text: str, data: st.DataObject) -> str:
    """What a clerk types for `text`: any case, accents added or dropped."""
    accents = {"a": "ä", "o": "ö", "e": "é", "ä": "a", "ö": "o", "å": "a"}
    out = []
    for ch in text:
        choice = data.draw(st.integers(0, 3))
        out.append(ch.upper() if choice == 1 else accents.get(ch, ch) if choice == 2 else ch)
    return "".join(out)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(people=st.lists(person, min_size=1, max_size=12), data=st.data())
def test_search_by_index_gives_the_rows_of_the_like_scan(
    blank: sqlite3.Connection, people: list[tuple[Any, ...]], data: st.DataObject
) -> None:
    conn = blank
    conn.execute("BEGIN IMMEDIATE")
    try:
        stored = [
            (first, last, email and email.replace("@", f"{k}@", 1), phone, org)
            for k, (first, last, email, phone, org) in enumerate(people)
        ]  # an email address belongs to one customer
        for first, last, email, phone, org in stored:
            org_name = {1: "Puutalo Oy", 2: "Åbo Träteknik Ab", 3: "Sähkö-Äijälä Oy"}.get(org)
            text = customers.search_text_for(first, last, email, phone, org_name)
            conn.execute(
                "INSERT INTO customers (first_name, last_name, organisation_id, email, phone, "
                "country, source, language, search_text, search_email_key, state, created_at, "
                "updated_at, last_activity) VALUES (?, ?, ?, ?, ?, 'FI', 'partner', 'fi', ?, ?, "
                "'active', 'x', 'x', '2026-01-01')",
                (first, last, org, email, phone, text, email_search_key(text)),
            )  # fmt: skip
        one = data.draw(st.sampled_from(stored))
        fields = [f for f in (one[0], one[1], one[2], one[3], "oy", "ab") if f]
        source = data.draw(st.sampled_from(fields))
        start = data.draw(st.integers(0, len(source) - 1))
        part = source[start : start + data.draw(st.integers(1, 12))]
        typed = data.draw(
            st.one_of(
                st.just(_changed(part, data)),  # part of a name, email, phone or organisation
                st.builds(lambda a, b: f"{a} {b}", st.just(part), name),  # and another word
                st.text(alphabet=LETTERS + "0123456789.@ ", min_size=1, max_size=8),
                st.integers(0, 9_999_999).map(lambda n: f"040 {n:07d}"[: 6 + n % 6]),
                st.integers(0, 9_999_999).map(lambda n: f"+358 40 {n:07d}"),
                st.builds(lambda a, n: f"{a} {n}", name, st.integers(0, 99_999_999)),
            )
        )
        # Migration 18's triggers stored exactly the digit windows of every search text.
        windows = conn.execute("SELECT digits, customer_id FROM customer_search_digits")
        assert sorted(tuple(row) for row in windows) == sorted(
            (window, customer)
            for customer, text in conn.execute("SELECT id, search_text FROM customers")
            for window in customers.digit_windows(text)
        )
        if not typed.strip():
            return
        assert customers.search_customers(conn, typed, limit=5) == like_scan(conn, typed, 5)
        assert customers.search_customers(conn, typed) == like_scan(conn, typed)
        # Taken as dense, the search walks the names in order: the same first rows, and
        # whether more matched.
        matched = len(like_scan(conn, typed, 1000))
        # WALK_CHECK 1: the walk may give up at any row, and the matches are read instead.
        for check in (500, 1):
            with patch.multiple(customers, DENSE_MATCHES=0, WALK_CHECK=check):
                for limit in (1, 5, 100):
                    found = customers.find_customers(conn, typed, limit=limit)
                    assert found.rows == like_scan(conn, typed, limit)
                    assert found.more == (matched > limit)
                    assert found.total in ((None, matched) if found.more else (matched,))
    finally:
        conn.execute("ROLLBACK")


def test_every_kind_of_search_narrows_by_the_index(blank: sqlite3.Connection) -> None:
    """The plan reads an index and then customers by id, not every row, for each kind of
    text the clerk types: a word with `@` and something before it the email key's B-tree,
    a phone number or a word with six digits in a row the digit windows' B-tree, any other
    the trigram index; text of one or two letters has no trigram and is scanned."""
    for typed, how in (
        ("aijala", "trigrams"), ("aino aijala", "trigrams"), ("040 123 4567", "digits"),
        ("+358 (0)40 123 4567", "digits"), ("yritys 123456", "digits"), ("12345", "trigrams"),
        ("puutalo oy", "trigrams"), ("@example.fi", "trigrams"), ("ai", "scan"),
        ("AINO.AIJALA@EXAMPLE.FI", "email key"), ("aino a@", "email key"),
    ):  # fmt: skip
        seen: list[str] = []
        blank.set_trace_callback(seen.append)
        try:
            customers.search_customers(blank, typed)
        finally:
            blank.set_trace_callback(None)
        # The trigram index is read in its own order, name order (its placed rows).
        streams = [s for s in seen if s.lstrip().startswith("SELECT f.rowid")]
        assert len(streams) == (1 if how == "trigrams" else 0), typed
        (statement,) = [s for s in seen if s.lstrip().startswith("WITH first")] or streams[:1]
        steps = [str(r[3]) for r in blank.execute(f"EXPLAIN QUERY PLAN {statement}")]
        plan = " ".join(steps)
        assert ("USE TEMP B-TREE FOR ORDER BY" in plan) is (how != "trigrams"), (typed, plan)
        assert ("VIRTUAL TABLE" in plan) is (how == "trigrams"), (typed, plan)
        keyed = re.findall(r"USING (?:COVERING )?INDEX customers_search_email_key", plan)
        assert len(keyed) == (2 if how == "email key" else 0), (typed, plan)  # range, and odd
        windows = "SEARCH customer_search_digits USING PRIMARY KEY (digits=?)" in plan
        assert windows is (how == "digits"), (typed, plan)
        # Only the matches' first rows are read whole, by id, whatever found them.
        assert ("SCAN c" in steps) is (how == "scan"), (typed, plan)
        assert "SEARCH c USING INTEGER PRIMARY KEY (rowid=?)" in steps, (typed, plan)


def test_the_email_key_finds_the_middle_of_an_address_and_a_second_at(
    blank: sqlite3.Connection,
) -> None:
    """The key's range finds a word that starts inside the part before `@`, and a row
    whose search text has two `@` (one in a name) is read by every search with `@`."""
    blank.execute("BEGIN IMMEDIATE")
    try:
        for first, email in (("Matti", "matti.virtanen@example.fi"), ("Ti@na", "tina@example.fi")):
            text = customers.search_text_for(first, "Virtanen", email, None, None)
            blank.execute(
                "INSERT INTO customers (first_name, last_name, email, country, source, "
                "language, search_text, search_email_key, state, created_at, updated_at, "
                "last_activity) VALUES (?, 'Virtanen', ?, 'FI', 'partner', 'fi', ?, ?, "
                "'active', 'x', 'x', '2026-01-01')",
                (first, email, text, email_search_key(text)),
            )
        found = [r["email"] for r in customers.search_customers(blank, "VIRTANEN@Example")]
        assert found == ["matti.virtanen@example.fi"]
        # `ti@` is only in Ti@na's name; her key is the empty one of two `@`.
        assert [r["email"] for r in customers.search_customers(blank, "ti@")] == ["tina@example.fi"]
        assert (
            blank.execute(
                "SELECT search_email_key FROM customers WHERE email = 'tina@example.fi'"
            ).fetchone()[0]
            == ""
        )
    finally:
        blank.execute("ROLLBACK")


@pytest.mark.parametrize("before", ["\U0010ffffab", "\ud7ffab", "ab\ud7ff"])
def test_an_email_word_at_the_ends_of_unicode_gives_the_rows_of_the_scan(
    blank: sqlite3.Connection, before: str
) -> None:
    """The key's range ends at the next code point after the word's first letter: none
    after U+10FFFF (the trigrams answer instead), and U+E000 after U+D7FF (the
    surrogates between cannot be stored), with the same rows as the scan."""
    blank.execute("BEGIN IMMEDIATE")
    try:
        email = f"{before}@example.fi"
        text = customers.search_text_for("Ulla", "Reuna", email, None, None)
        blank.execute(
            "INSERT INTO customers (first_name, last_name, email, country, source, language, "
            "search_text, search_email_key, state, created_at, updated_at, last_activity) "
            "VALUES ('Ulla', 'Reuna', ?, 'FI', 'partner', 'fi', ?, ?, 'active', 'x', 'x', "
            "'2026-01-01')",
            (email, text, email_search_key(text)),
        )
        for typed in (email, f"{before}@", f"{before[-1]}@exa"):
            found = customers.search_customers(blank, typed)
            assert found == like_scan(blank, typed), typed
            assert [r["last_name"] for r in found] == ["Reuna"], typed
    finally:
        blank.execute("ROLLBACK")


# --- migration 14 --------------------------------------------------------------------------


def migrate_watching(db: Path) -> tuple[sqlite3.Connection, list[int], list[tuple[int, int]]]:
    """`lautex migrate` in-process: the open connection, the migrations applied, and the
    (done, total) of every step its progress bar was shown."""
    seen: list[tuple[int, int]] = []
    conn = connect(db)
    _backup, applied = migrate(conn, db, audit.Actor(1, "admin"),
                               progress=lambda done, total: seen.append((done, total)))  # fmt: skip
    return conn, applied, seen


def test_migrate_builds_the_index_for_the_customers_already_there(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    aino = add_aino(cli)
    bertil = add_customer(cli, "--first-name", "Bertil", "--last-name", "Åström",
                          "--source", "partner")  # fmt: skip
    roll_back_migrations(cli.db, to=13)
    assert cli.run("customer", "search", "aijala").exit_code == 4  # asks for migrate

    monkeypatch.setattr(m0014_customer_search, "BATCH", 1)
    conn, applied, seen = migrate_watching(cli.db)
    conn.close()

    # The index, import runs, email key, secure-delete, digit windows, name order.
    assert applied == [14, 15, 16, 17, 18, 19, 20]
    # What `lautex migrate` shows as its progress bar: 14 a row at a time, then 16, then
    # 17 merging the index (in leaf pages) until it is one segment, then 18 and 19, and
    # 20 numbering and indexing as the two halves of one bar.
    assert seen[:3] == [(1, 2), (2, 2), (2, 2)] and seen[-2:] == [(2, 4), (4, 4)]
    merged = seen[3:-3]
    assert merged and merged[-1][0] == merged[-1][1]
    for typed, found in (("aijala", [aino]), ("ÅSTRÖM", [bertil]), ("040 123 4567", [aino])):
        rows = cli.ok("customer", "search", typed, "-f", "json", user="clerk").stdout
        assert [row["id"] for row in __import__("json").loads(rows)] == found


# --- migration 18 --------------------------------------------------------------------------


def test_migrate_gives_the_customers_already_there_their_digit_windows(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A register written before the digit windows: migrate stores those of every search
    text in batches (with the progress bar), and a phone number is then found by them."""
    aino = add_aino(cli)
    add_customer(cli, "--first-name", "Bertil", "--last-name", "Åström", "--source", "partner")
    quinta = add_quinta(cli)
    roll_back_migrations(cli.db, to=17)
    assert cli.run("customer", "search", "040 765 4321", user="clerk").exit_code == 4

    monkeypatch.setattr(m0018_customer_search_digits, "BATCH", 2)
    conn, applied, seen = migrate_watching(cli.db)
    stored = sorted(
        tuple(row) for row in conn.execute("SELECT digits, customer_id FROM customer_search_digits")
    )
    texts = conn.execute("SELECT id, search_text FROM customers").fetchall()
    conn.close()

    assert applied == [18, 19, 20]
    # 18 in batches of two, then 19 at once, then 20 numbering and indexing, one bar.
    assert seen == [(2, 3), (3, 3), (3, 3), (3, 6), (6, 6)]
    assert stored == sorted(
        (window, customer) for customer, text in texts for window in customers.digit_windows(text)
    )
    assert ("040765", quinta) in stored and ("358401", aino) in stored
    for typed, found in (("040 765 4321", [quinta]), ("+358 40 123 4567", [aino]),
                         ("0401234567", [aino])):  # fmt: skip
        rows = cli.ok("customer", "search", typed, "-f", "json", user="clerk").stdout
        assert [row["id"] for row in json.loads(rows)] == found, typed


def test_a_search_reads_only_its_rarest_trigrams(
    blank: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A trigram in most rows (`yri` of `Yritys N Oy`) costs more to read than it rules
    out: the search reads the rare one (`qzx`) and LIKE does the rest, same rows."""
    monkeypatch.setattr(customers, "PROBE_ROWS", 10)  # guessed from 10 rows, not counted
    blank.execute("BEGIN IMMEDIATE")
    try:
        for n in range(300):
            last = "Qzxwv" if n == 150 else "Virta"
            text = customers.search_text_for("Aino", last, None, None, f"Yritys {n} Oy")
            blank.execute(
                "INSERT INTO customers (first_name, last_name, country, source, language, "
                "search_text, state, created_at, updated_at, last_activity) VALUES ('Aino', "
                "?, 'FI', 'partner', 'fi', ?, 'active', 'x', 'x', '2026-01-01')",
                (last, text),
            )
        assert customers._narrowest_trigrams(blank, ["yritys", "qzx"]) == ('"qzx"', 1)
        rare, _rows = customers._narrowest_trigrams(blank, ["yritys", "15", "qzxwv"])
        assert set(rare.split(" AND ")) <= {'"qzx"', '"zxw"', '"xwv"'}
        common, rows = customers._narrowest_trigrams(blank, ["yritys"])
        assert rows == 300  # in every row: its 10th row is the 10th of 300
        assert common.count('"') == 2  # one trigram: a second would rule out nothing
        for typed in ("yritys qzx", "Yritys 15", "virta yritys 29", "aino QZXWV"):
            assert customers.search_customers(blank, typed) == like_scan(blank, typed), typed
    finally:
        blank.execute("ROLLBACK")


def test_the_trigrams_probed_come_from_every_word() -> None:
    """A short rare word is probed beside long common ones, each word's share spread over
    it (the first and last trigram of each): `bqx` is what narrows this search."""
    probed = customers.probed_trigrams(["virtanen", "helsinki", "bqx"])
    assert len(probed) <= customers.PROBED_TRIGRAMS and "bqx" in probed
    assert {"vir", "nen", "hel", "nki"} <= set(probed)
    assert customers.probed_trigrams(["ab", "c"]) == []
    long = customers.probed_trigrams(["abcdefghijklmnopqrstuvwxyz"])
    assert len(long) == customers.PROBED_TRIGRAMS and long[0] == "abc" and long[-1] == "xyz"


@pytest.mark.parametrize("dense", [False, True], ids=["counted", "walked"])
def test_a_search_reads_rows_and_total_from_one_snapshot(
    cli: Cli, dense: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another clerk renames a match while the search runs: what it shows and the count it
    gives are both from before or both from after, never a renamed row among matches;
    also when a dense search walks the names and then reads the rows it found."""
    if dense:
        monkeypatch.setattr(customers, "DENSE_MATCHES", 0)
    first = add_customer(cli, "--first-name", "Aino", "--last-name", "Virtanen",
                         "--source", "partner")  # fmt: skip
    add_customer(cli, "--first-name", "Eino", "--last-name", "Virtanen", "--source", "partner")
    conn = connect(cli.db)
    other = cli.connect()
    reads: list[str] = []

    def rename_once(statement: str) -> None:
        if "customers c" not in statement:
            return
        reads.append(statement)
        if len(reads) == 2:  # a second statement reading customers: rename in between
            other.execute("UPDATE customers SET last_name = 'Mäki', search_text = 'aino maki' "
                          "WHERE id = ?", (first,))  # fmt: skip
            other.commit()

    try:
        conn.set_trace_callback(rename_once)
        found = customers.find_customers(conn, "virtanen")
    finally:
        conn.set_trace_callback(None)
        conn.close()
        other.close()
    assert all(row["last_name"] == "Virtanen" for row in found.rows)
    assert found.total == len(found.rows)


def test_an_edited_phone_moves_the_digit_windows(cli: Cli) -> None:
    """`customer edit --phone` takes the old number's windows out and stores the new
    one's (the triggers): the new number is found, the old one no longer is."""
    aino = add_aino(cli)
    cli.ok("customer", "edit", str(aino), "--phone", "050 999 8877", user="clerk")
    for typed, found in (("050 999 8877", [aino]), ("040 123 4567", []), ("9998877", [aino])):
        rows = cli.ok("customer", "search", typed, "-f", "json", user="clerk").stdout
        assert [row["id"] for row in json.loads(rows)] == found, typed
    with cli.connect() as conn:
        windows = {r[0] for r in conn.execute("SELECT digits FROM customer_search_digits")}
    assert "999887" in windows and "123456" not in windows


def test_a_window_in_too_many_rows_leaves_the_search_to_the_trigrams(
    blank: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A number whose every window is common is not read by the windows (their rows could
    be most of the register): the trigrams narrow instead, with the rows of the scan."""
    monkeypatch.setattr(customers, "RAREST_READ", 0)  # every window here is in a row
    blank.execute("BEGIN IMMEDIATE")
    try:
        for first, phone in (("Ulla", "+358401234567"), ("Ville", "+358401234568")):
            text = customers.search_text_for(first, "Reuna", None, phone, None)
            blank.execute(
                "INSERT INTO customers (first_name, last_name, phone, country, source, "
                "language, search_text, state, created_at, updated_at, last_activity) "
                "VALUES (?, 'Reuna', ?, 'FI', 'partner', 'fi', ?, 'active', 'x', 'x', "
                "'2026-01-01')",
                (first, phone, text),
            )
        for typed, found in (("040 123 456", ["Ulla", "Ville"]), ("040 123 4568", ["Ville"])):
            seen: list[str] = []
            blank.set_trace_callback(seen.append)
            rows = customers.search_customers(blank, typed)
            blank.set_trace_callback(None)
            assert [r["first_name"] for r in rows] == found, typed
            assert rows == like_scan(blank, typed), typed
            assert any("customer_search MATCH" in s for s in seen), typed
            assert not any("FROM customer_search_digits WHERE digits IN" in s for s in seen)
    finally:
        blank.execute("ROLLBACK")


# --- migration 16 --------------------------------------------------------------------------


def test_migrate_gives_the_customers_already_there_their_email_keys(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A register written before the email key: migrate fills it in batches (with the
    progress bar), and a search with `@` then finds by it what it found by scanning."""
    aino = add_aino(cli)
    add_customer(cli, "--first-name", "Bertil", "--last-name", "Åström", "--source", "partner")
    quinta = add_quinta(cli)
    roll_back_migrations(cli.db, to=15)
    assert cli.run("customer", "search", "aino.aijala@", user="clerk").exit_code == 4

    monkeypatch.setattr(m0016_customer_email_key, "BATCH", 2)
    conn, applied, seen = migrate_watching(cli.db)
    keys = dict(conn.execute("SELECT id, search_email_key FROM customers").fetchall())
    conn.close()

    assert applied == [16, 17, 18, 19, 20]
    # 16 in batches of 2, 17 merging the index, 18 in one batch of 3.
    assert seen[:2] == [(2, 3), (3, 3)] and seen[-1] == (6, 6)
    assert keys[aino] == "alajia.onia@example.fi"  # aino.aijala@example.fi, before `@` reversed
    assert len([key for key in keys.values() if key is None]) == 1  # Bertil has no email
    for typed, found in (("AINO.AIJALA@EXAMPLE.FI", [aino]), (EMAIL.upper(), [quinta]),
                         ("a@example", [aino])):  # fmt: skip
        rows = cli.ok("customer", "search", typed, "-f", "json", user="clerk").stdout
        assert [row["id"] for row in json.loads(rows)] == found, typed


def test_migrations_are_applied_by_name_so_a_lower_number_can_come_later(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Number 13 may be merged after 14 shipped: a register at 14 still gets it."""
    late = migrations.Migration(13, "m0013_late", "late", ("CREATE TABLE late_one (x)",))
    names = list(migrations._NAMES)
    names.insert(names.index("m0014_customer_search"), late.name)  # 13 itself shipped as well
    shipped = migrations.named
    monkeypatch.setattr(migrations, "_NAMES", tuple(names))
    monkeypatch.setattr(migrations, "named", lambda n: late if n == late.name else shipped(n))
    conn = connect(cli.db)
    assert [m.name for m in migrations.pending(conn)] == ["m0013_late"]
    with transaction(conn):
        assert [m.number for m in migrations.apply_pending(conn)] == [13]
    assert migrations.applied_names(conn)[-2:] == [names[-1], "m0013_late"]
    assert migrations.pending(conn) == []
    assert conn.execute("SELECT count(*) FROM late_one").fetchone()[0] == 0
    conn.close()


# --- erasure leaves no token (docs/rules.md §5) ---------------------------------------------


def _own_trigrams(conn: sqlite3.Connection, customer: int, before: bytes) -> list[str]:
    """The trigrams of the person's search text that the index stores whole (an FTS5 leaf
    may store a term as a suffix of the one before) and that the file did not hold before
    the person was added. Trigrams of hex digits are left out: hashes are written later."""
    mine = conn.execute("SELECT search_text FROM customers WHERE id = ?", (customer,)).fetchone()
    blocks = b"".join(r[0] for r in conn.execute("SELECT block FROM customer_search_data"))
    grams = {mine[0][i : i + 3] for i in range(len(mine[0]) - 2)}
    return sorted(
        g
        for g in grams
        if g.encode() in blocks
        and g.encode() not in before
        and not set(g) <= set("0123456789abcdef")
    )


def _needles(grams: list[str]) -> list[bytes]:
    return [w.encode() for w in (EMAIL, PHONE, SURNAME, SURNAME.lower(), *grams)]


def _found(grams: list[str], *paths: Path) -> list[tuple[str, bytes]]:
    return [
        (path.name, needle)
        for path in paths
        if path.exists()
        for needle in _needles(grams)
        if needle in path.read_bytes()
    ]


def _register_with_quinta(cli: Cli, at_least: int = 10) -> tuple[int, list[str]]:
    add_aino(cli)
    add_customer(cli, "--first-name", "Bertil", "--last-name", "Åström", "--source", "partner",
                 "--email", "bertil@example.fi")  # fmt: skip
    before = b"".join(p.read_bytes() for p in (cli.db, Path(f"{cli.db}-wal")) if p.exists())
    quinta = add_quinta(cli)
    add_customer(cli, "--first-name", "Cecilia", "--last-name", "Öhman", "--source", "partner")
    with cli.connect() as conn:
        grams = _own_trigrams(conn, quinta, before)
        (key,) = conn.execute(
            "SELECT search_email_key FROM customers WHERE id = ?", (quinta,)
        ).fetchone()
        windows = [
            str(row[0])
            for row in conn.execute(
                "SELECT digits FROM customer_search_digits WHERE customer_id = ?", (quinta,)
            )
            if str(row[0]).encode() not in before
        ]
    # Quinta's surname, email and phone give many trigrams nobody else has (a larger index
    # stores more of them as the suffix of the term before, so fewer are found whole).
    assert len(grams) >= at_least, grams
    # The email key (docs/rules.md §3) holds her address's part before `@` reversed.
    assert key.startswith(EMAIL.split("@")[0][::-1].lower() + "@"), key
    # The digit windows (migration 18) hold her phone number in six-digit pieces.
    assert {"358407", "040765", "654321"} <= set(windows), windows
    return quinta, [*grams, key.split("@")[0] + "@", *windows]


@pytest.mark.parametrize("command", ["erase", "anonymize"])
def test_no_token_of_an_erased_person_is_left_in_the_file_its_wal_or_a_backup(
    cli: Cli, command: str
) -> None:
    quinta, grams = _register_with_quinta(cli)
    wal = Path(f"{cli.db}-wal")
    assert _found(grams, cli.db, wal)  # before: the index and the row hold them

    cli.ok(command, str(quinta), "--yes", user="clerk")

    assert _found(grams, cli.db, wal) == []
    backup = cli.db.parent / "after.bak"
    cli.ok("backup", str(backup))
    assert _found(grams, backup, cli.db, wal) == []
    rows = cli.ok("customer", "search", SURNAME, "-f", "json", user="clerk").stdout
    assert rows.strip() == "[]"


SECURE_DELETE_OFF = "INSERT INTO customer_search(customer_search, rank) VALUES('secure-delete', 0)"


def _secure_delete(conn: sqlite3.Connection) -> int:
    """The search index's FTS5 `secure-delete` option as stored in its config (0: off)."""
    row = conn.execute("SELECT v FROM customer_search_config WHERE k = 'secure-delete'").fetchone()
    return int(row[0]) if row else 0


def _index_blocks(conn: sqlite3.Connection) -> bytes:
    return b"".join(r[0] for r in conn.execute("SELECT block FROM customer_search_data"))


def _segments(conn: sqlite3.Connection) -> int:
    """How many segments (b-trees) the index has: each has rows in the idx table."""
    return int(conn.execute("SELECT count(DISTINCT segid) FROM customer_search_idx").fetchone()[0])


def test_without_secure_delete_the_erased_tokens_stay_in_the_file(cli: Cli) -> None:
    """The byte test above catches an index that only marks tokens deleted: FTS5's
    `secure-delete` (migration 17) is what takes them out of the file."""
    quinta, grams = _register_with_quinta(cli)
    with cli.connect() as conn:
        conn.execute(SECURE_DELETE_OFF)
    cli.ok("erase", str(quinta), "--yes", user="clerk")
    conn = connect(cli.db)
    assert conn.execute("SELECT count(*) FROM customers WHERE id = ?", (quinta,)).fetchone()[0] == 0
    assert customers.search_customers(conn, SURNAME) == []  # the index's view is right
    conn.close()
    left = {needle for _name, needle in _found(grams, cli.db)}
    assert left and left <= {g.encode() for g in grams}  # only index tokens, no row data
    # The digit windows are a B-tree's rows: secure_delete overwrote them, no optimisation.
    assert {n for n in left if len(n) == 6 and n.isdigit()} == set()


def _add_in_transactions(cli: Cli, prefix: str, transactions: int) -> None:
    """Customers added through the service, a few per transaction: each commit writes
    the index a new segment (FTS5 merges some of them, never into one)."""
    conn = connect(cli.db)
    for n in range(transactions):
        with transaction(conn):
            for k in range(3):
                fields = {"first_name": f"{prefix}{n}x{k}", "last_name": f"Kuusela{n}",
                          "email": f"{prefix}.{n}.{k}@example.fi", "source": "partner"}  # fmt: skip
                customers.add_customer(conn, audit.Actor(2, "clerk"), fields)
    conn.close()


def test_an_erasure_takes_the_tokens_out_of_an_index_of_many_segments(cli: Cli) -> None:
    """Nothing merges the index any more after an erasure: the person's trigrams must go
    from the segment that holds them while newer segments lie over it (docs/rules.md §5)."""
    _add_in_transactions(cli, "ennen", 20)
    quinta, grams = _register_with_quinta(cli, at_least=5)
    _add_in_transactions(cli, "jalkeen", 20)
    wal = Path(f"{cli.db}-wal")
    with cli.connect() as conn:
        assert _secure_delete(conn) == 1
        segments = _segments(conn)
        assert segments >= 3, segments
        assert {g for g in grams if g.encode() in _index_blocks(conn)}  # before: all there

    cli.ok("erase", str(quinta), "--yes", user="clerk")

    conn = connect(cli.db)
    blocks = _index_blocks(conn)
    assert [g for g in grams if g.encode() in blocks] == []
    assert _segments(conn) >= 3  # nothing was merged: the tokens went in place
    found = customers.search_customers(conn, "kuusela1", limit=1000)
    assert len(found) == 3 * 2 * 11  # the others are still found (1, 10-19 of both)
    conn.close()
    assert _found(grams, cli.db, wal) == []


def test_a_register_migrated_to_17_deletes_in_place_and_loses_older_tokens(cli: Cli) -> None:
    """A new register has `secure-delete` on; one written before migration 17 gets it, and
    the migration merges the index once, so tokens that were only marked deleted before
    (here by a plain sqlite3 client at schema 16) leave the file too."""
    with cli.connect() as conn:
        assert _secure_delete(conn) == 1  # `lautex init` applied every migration
    quinta, grams = _register_with_quinta(cli)
    roll_back_migrations(cli.db, to=16)
    with cli.connect() as conn:
        assert _secure_delete(conn) == 0
        conn.execute("DELETE FROM customers WHERE id = ?", (quinta,))  # the trigger marks them
    with cli.connect() as conn:
        assert {g for g in grams if g.encode() in _index_blocks(conn)}

    cli.ok("migrate")

    conn = connect(cli.db)
    assert _secure_delete(conn) == 1
    assert [g for g in grams if g.encode() in _index_blocks(conn)] == []
    assert _segments(conn) == 1
    rows = customers.search_customers(conn, "aijala")
    assert [row["last_name"] for row in rows] == ["Äijälä"]
    conn.close()


def _merge_owed(conn: sqlite3.Connection) -> bool:
    return bool(conn.execute("SELECT 1 FROM meta WHERE key = ?", (MERGE_PENDING,)).fetchone())


def test_a_retention_run_of_many_people_marks_their_tokens_and_merges_the_index_once(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deleting in place costs milliseconds a person: a run anonymising many marks their
    tokens deleted and merges the index when it ends; none of them is left in the file."""
    from lautex_registry.erasure import cleanup

    quinta, grams = _register_with_quinta(cli)
    _add_in_transactions(cli, "jalkeen", 6)
    with cli.connect() as conn:
        conn.execute("UPDATE customers SET last_activity = '2020-01-01' WHERE id = ?", (quinta,))
    marked: list[int] = []
    monkeypatch.setattr(cleanup, "PAGES_PER_PERSON_IN_PLACE", 10**6)  # bulk at any size
    real_mark = cleanup.mark_deletions

    def spy(conn: sqlite3.Connection) -> None:
        marked.append(1)
        real_mark(conn)

    monkeypatch.setattr(cleanup, "mark_deletions", spy)  # retention imports it when it runs

    cli.ok("retention", "run", "--yes", "--as-of", "2026-11-25", user="bot")

    assert marked  # the batch was marked, not deleted in place
    conn = connect(cli.db)
    assert conn.execute("SELECT state FROM customers WHERE id = ?", (quinta,)).fetchone()[0] == (
        "anonymised"
    )
    assert _secure_delete(conn) == 1 and not _merge_owed(conn)
    assert _segments(conn) == 1  # merged once, at the end
    assert [g for g in grams if g.encode() in _index_blocks(conn)] == []
    conn.close()
    # The file: her email, phone and surname (the run's own audit rows name its policies,
    # `finished-erasures` among them, which holds one of her trigrams).
    assert _found([], cli.db, Path(f"{cli.db}-wal")) == []


def test_every_customer_can_be_erased_in_place_after_an_owed_merge(cli: Cli) -> None:
    """The owed merge needs a second segment for `optimize` to rewrite every page. It used
    to index a customer's own row again with secure-delete off, deleted and re-added in
    one transaction, after which FTS5 (3.51) corrupted the index at that customer's
    erasure in place: it uses a spare row no customer has. Each customer erased in
    turn after the merge leaves an index whose structure checks out."""
    from lautex_registry.erasure.cleanup import make_owed_merge, mark_deletions

    people = [add_aino(cli)] + [
        add_customer(cli, "--first-name", name, "--last-name", "Muu", "--source", "partner")
        for name in ("Olli", "Eino", "Matti")
    ]
    conn = connect(cli.db)
    with transaction(conn):
        mark_deletions(conn)  # owes the merge, as a bulk retention batch does
        conn.execute(
            "INSERT INTO customer_search(customer_search, rank) VALUES('secure-delete', 1)"
        )
    make_owed_merge(conn)
    conn.close()
    for customer in people:
        cli.ok("erase", str(customer), "--yes", user="clerk")
        conn = connect(cli.db)
        conn.execute(
            "INSERT INTO customer_search(customer_search, rank) VALUES('integrity-check', 0)"
        )
        conn.close()


def test_a_merge_owed_by_a_killed_run_is_made_by_the_next_erasure(cli: Cli) -> None:
    """A run killed after a marked batch committed leaves the tokens in old segments and
    the merge owed (secure-delete is on again with the commit): the next erasure merges."""
    from lautex_registry.erasure.cleanup import delete_in_place, mark_deletions

    quinta, grams = _register_with_quinta(cli)
    other = add_customer(cli, "--first-name", "Olli", "--last-name", "Muu", "--source", "partner")
    conn = connect(cli.db)
    with transaction(conn):  # the batch that committed before the kill
        mark_deletions(conn)
        conn.execute(
            "UPDATE customers SET search_text = NULL, search_email_key = NULL WHERE id = ?",
            (quinta,),
        )
        delete_in_place(conn)
    assert _secure_delete(conn) == 1 and _merge_owed(conn)
    assert {g for g in grams if g.encode() in _index_blocks(conn)}  # only marked
    conn.close()

    cli.ok("erase", str(other), "--yes", user="clerk")

    conn = connect(cli.db)
    assert not _merge_owed(conn)
    assert [g for g in grams if g.encode() in _index_blocks(conn)] == []
    conn.close()


# --- a restore builds the copy's index anew (docs/rules.md §5) ----------------------------

FOREIGN = "Xqvjöd Wkzyhp"  # words nobody in the register has


def _trigrams_in(path: Path) -> list[bytes]:
    """The terms stored in the index blocks of the register file at `path`."""
    conn = sqlite3.connect(path)
    try:
        return [
            block[i : i + 3]
            for (block,) in conn.execute("SELECT block FROM customer_search_data")
            for i in range(len(block) - 2)
        ]
    finally:
        conn.close()


def _tampered_backup(cli: Cli, quinta: int) -> Path:
    """A backup whose index says what its rows do not: a foreign text indexed under
    Aino's id, Quinta's tokens taken out, secure-delete off."""
    backup = cli.db.parent / "tampered.bak"
    cli.ok("backup", str(backup))
    conn = sqlite3.connect(backup)
    with conn:
        row = conn.execute("SELECT search_text FROM customers WHERE id = ?", (quinta,)).fetchone()
        conn.execute(
            "INSERT INTO customer_search(customer_search, rowid, search_text) "
            "VALUES ('delete', ?, ?)",
            (quinta, row[0]),
        )
        conn.execute(
            "INSERT INTO customer_search(rowid, search_text) VALUES (1, ?)",
            (customers.fold_for_search(FOREIGN),),
        )
        conn.execute(SECURE_DELETE_OFF)
    conn.close()
    return backup


def test_a_restore_builds_the_copys_index_anew_from_its_customers(cli: Cli) -> None:
    """The copy's index structure is not trusted (CVE-2026-119374): after the restore the
    search finds what the rows hold, the foreign tokens are gone from the file and the
    index deletes in place again."""
    aino = add_aino(cli)
    assert aino == 1
    quinta = add_quinta(cli)
    backup = _tampered_backup(cli, quinta)
    words = customers.fold_for_search(FOREIGN).split()
    foreign = {w[i : i + 3].encode() for w in words for i in range(len(w) - 2)}
    assert foreign & set(_trigrams_in(backup))  # the copy's index holds the foreign text

    cli.ok("restore", str(backup), "--yes")

    rows = cli.ok("customer", "search", SURNAME, "-f", "json", user="clerk").stdout
    assert [row["id"] for row in json.loads(rows)] == [quinta]
    with cli.connect() as conn:
        assert _secure_delete(conn) == 1
        # FTS5's own check of the index against its content table.
        conn.execute(
            "INSERT INTO customer_search(customer_search, rank) VALUES('integrity-check', 1)"
        )
    assert [p.name for p in (cli.db, Path(f"{cli.db}-wal")) if p.exists()
            for gram in foreign if gram in p.read_bytes()] == []  # fmt: skip


def test_a_copy_whose_index_will_not_open_is_not_restored(cli: Cli) -> None:
    """An index whose config names a format FTS5 does not know: exit 2, one line, the
    register as it was."""
    add_aino(cli)
    backup = cli.db.parent / "broken.bak"
    cli.ok("backup", str(backup))
    conn = sqlite3.connect(backup)
    with conn:
        conn.execute("UPDATE customer_search_config SET v = 99 WHERE k = 'version'")
    conn.close()
    before = cli.db.read_bytes()

    result = cli.run("restore", str(backup), "--yes")

    assert result.exit_code == 2, result.output
    last = result.stderr.splitlines()[-1]  # after the preview of what would be replayed
    assert last.startswith("error: backup: ") and "is not a lautex register" in last
    assert cli.db.read_bytes() == before
    assert not Path(f"{cli.db}.restoring").exists()


# --- a sole trader's business name leaves the other contacts' search text ------------------

BUSINESS = "Qwöxvy Zirkel Tmi"
BUSINESS_WORDS = ("Qwöxvy", "qwoxvy", "Zirkel", "zirkel")


def _business_grams(conn: sqlite3.Connection, before: bytes) -> list[str]:
    """The trigrams of the business's folded name the index stores whole and the file did
    not hold before the business was added (the words themselves are looked for too)."""
    folded = customers.fold_for_search(BUSINESS)
    blocks = b"".join(r[0] for r in conn.execute("SELECT block FROM customer_search_data"))
    return sorted(
        g
        for g in {folded[i : i + 3] for i in range(len(folded) - 2)}
        if " " not in g and g.encode() in blocks and g.encode() not in before
    )


@pytest.mark.parametrize("command", ["erase", "anonymize"])
def test_no_byte_of_an_erased_sole_traders_business_is_left_in_another_contacts_row(
    cli: Cli, command: str
) -> None:
    """The business's other contact stays a customer, unlinked: the name leaves her search
    text, the search index, the file, its WAL and a later backup (docs/rules.md §5)."""
    before = b"".join(p.read_bytes() for p in (cli.db, Path(f"{cli.db}-wal")) if p.exists())
    org = cli.ok("org", "add", BUSINESS, "--sole-trader", user="clerk").stdout.strip()
    trader = add_customer(cli, "--first-name", "Matti", "--last-name", "Virtanen", "--org", org,
                          "--source", "partner")  # fmt: skip
    assistant = add_customer(cli, "--first-name", "Aino", "--last-name", "Apulainen",
                             "--org", org, "--email", "aino.apu@example.fi",
                             "--source", "partner")  # fmt: skip
    cli.ok("org", "edit", org, "--trader", str(trader), user="clerk")
    with cli.connect() as conn:
        grams = _business_grams(conn, before)
    assert len(grams) >= 5, grams
    needles = [w.encode() for w in (*BUSINESS_WORDS, *grams)]
    wal = Path(f"{cli.db}-wal")

    cli.ok(command, str(trader), "--yes", user="clerk")

    backup = cli.db.parent / "after.bak"
    cli.ok("backup", str(backup))
    left = [(p.name, n) for p in (cli.db, wal, backup) if p.exists()
            for n in needles if n in p.read_bytes()]  # fmt: skip
    assert left == []
    for typed in ("zirkel", "qwöxvy tmi"):
        rows = cli.ok("customer", "search", typed, "-f", "json", user="clerk").stdout
        assert rows.strip() == "[]", typed
    rows = cli.ok("customer", "search", "apulainen", "-f", "json", user="clerk").stdout
    assert [row["id"] for row in json.loads(rows)] == [assistant]


def test_imported_customers_are_found_by_their_email_key(cli: Cli, tmp_path: Path) -> None:
    """`customer import` writes the key with the search text, also when the row names its
    organisation by id and the name is added to the search text afterwards: a name with
    `@` makes the key the always-read one."""
    insert_org(cli)  # organisation 1, Puutalo Oy
    insert_org(cli, "Kulma@Kahvila Oy", "0737546-2")  # organisation 2
    path = tmp_path / "people.csv"
    path.write_text(
        "first_name,last_name,org,email,source\n"
        "Aino,Äijälä,1,aino.aijala@example.fi,web-store\n"
        "Bertil,Åström,,bertil@example.fi,partner\n"
        "Cecilia,Öhman,2,cecilia@example.fi,partner\n",
        encoding="utf-8",
    )
    cli.ok("customer", "import", str(path), user="clerk")
    with cli.connect() as conn:
        rows = conn.execute("SELECT search_text, search_email_key FROM customers").fetchall()
    assert [key for _text, key in rows] == ["alajia.onia@example.fi", "litreb@example.fi", ""]
    assert all(key == email_search_key(text) for text, key in rows)
    for typed, found in (
        ("aijala@EXAMPLE puutalo", ["Äijälä"]), ("tIL@example", ["Åström"]),
        ("kulma@kahvila", ["Öhman"]), ("a@example", ["Äijälä", "Öhman"]),
    ):  # fmt: skip
        rows_found = cli.ok("customer", "search", typed, "-f", "json", user="clerk").stdout
        assert [row["last_name"] for row in json.loads(rows_found)] == found, typed


def test_an_edited_email_moves_the_key(cli: Cli) -> None:
    """`customer edit --email` writes the key again: the new address is found by it, the
    old one no longer is."""
    aino = add_aino(cli)
    cli.ok("customer", "edit", str(aino), "--email", "aino.uusi@example.fi", user="clerk")
    for typed, found in (("aino.uusi@example.fi", [aino]), ("aino.aijala@example.fi", [])):
        rows = cli.ok("customer", "search", typed, "-f", "json", user="clerk").stdout
        assert [row["id"] for row in json.loads(rows)] == found, typed


# --- the `_idx` rows that name leaf pages (docs/rules.md §5) -------------------------------


def _idx_terms(conn: sqlite3.Connection) -> set[str]:
    """The whole terms of the index's `_idx` table: one row a leaf page, naming it by its
    first term (after the column byte '0')."""
    return {
        bytes(r[0])[1:].decode("utf-8", "replace")
        for r in conn.execute("SELECT term FROM customer_search_idx")
    }


RARE = "qxzjvkwfyb"  # letters few names have: their trigrams sit close in the index
# Cherokee: Python's casefold makes it upper case and FTS5's trigram tokenizer keeps that,
# so terms made by Python's lower() would miss the index's own (review 2026-11-28).
CHEROKEE = "qxzjvkw\u13a0\u13a1\u13a2"


def _register_of_small_pages(cli: Cli, letters: str = RARE) -> tuple[int, list[str]]:
    """A register whose index has pages of 64 bytes, so its one segment has many leaves,
    and a person with a long name of rare letters: some trigrams only she holds name a
    leaf page in `_idx` (as in a register of 10,000 customers with the default pages)."""
    import random

    draw = random.Random(17)
    conn = connect(cli.db)
    conn.execute("INSERT INTO customer_search(customer_search, rank) VALUES('pgsz', 64)")
    with transaction(conn):
        for n in range(60):
            name = "".join(draw.choice(letters) for _ in range(12))
            fields = {"first_name": name, "last_name": f"Muu{n}", "source": "partner"}
            customers.add_customer(conn, audit.Actor(2, "clerk"), fields)
        others = {g for r in conn.execute("SELECT search_text FROM customers") for g in
                  (r[0][i : i + 3] for i in range(len(r[0]) - 2))}  # fmt: skip
        name = "".join(draw.choice(letters) for _ in range(50))
        fields = {"first_name": "Tuntematon", "last_name": name, "source": "partner"}
        person = customers.add_customer(conn, audit.Actor(2, "clerk"), fields).customer_id
    conn.execute("INSERT INTO customer_search(customer_search) VALUES('optimize')")
    assert _segments(conn) == 1
    assert conn.execute("SELECT count(*) FROM customer_search_idx").fetchone()[0] > 20
    own = {name[i : i + 3] for i in range(len(name) - 2)} - others
    naming = sorted(own & _idx_terms(conn))
    conn.close()
    # Some of her own trigrams name a leaf page (the test is void without one).
    assert naming, own
    return person, naming


@pytest.mark.parametrize("letters", [RARE, CHEROKEE], ids=["latin", "cherokee"])
@pytest.mark.parametrize("command", ["erase", "anonymize", "retention"])
def test_no_term_of_an_erased_person_is_left_naming_a_leaf_page(
    cli: Cli, command: str, letters: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FTS5 `secure-delete` takes her terms out of the leaf pages, but the `_idx` row that
    names a page by her term would stay: the erasure sees it and merges the index."""
    from lautex_registry.erasure import cleanup

    quinta, naming = _register_of_small_pages(cli, letters)

    if command == "retention":
        monkeypatch.setattr(cleanup, "PAGES_PER_PERSON_IN_PLACE", 0)  # in place, one by one
        with cli.connect() as conn:
            conn.execute(
                "UPDATE customers SET last_activity = '2020-01-01' WHERE id = ?", (quinta,)
            )
        cli.ok("retention", "run", "--yes", "--as-of", "2026-11-25", user="bot")
    else:
        cli.ok(command, str(quinta), "--yes", user="clerk")

    conn = connect(cli.db)
    assert sorted(set(naming) & _idx_terms(conn)) == []
    assert not _merge_owed(conn)
    conn.close()
    assert _found(naming, cli.db, Path(f"{cli.db}-wal")) == []
    backup = cli.db.parent / "after.bak"
    cli.ok("backup", str(backup))
    assert _found(naming, backup) == []


def test_an_erasure_that_exposes_no_term_merges_nothing(cli: Cli) -> None:
    """Deleting in place stays the rule: a person whose terms others hold too, or that name
    no page, is erased without a merge (the index keeps its segments)."""
    _add_in_transactions(cli, "ennen", 20)
    twin = add_customer(cli, "--first-name", "Ennen0x0", "--last-name", "Kuusela0",
                        "--source", "partner")  # fmt: skip
    _add_in_transactions(cli, "jalkeen", 20)
    with cli.connect() as conn:
        segments = _segments(conn)
        assert segments >= 3, segments

    cli.ok("erase", str(twin), "--yes", user="clerk")

    with cli.connect() as conn:
        assert _segments(conn) == segments
        assert not _merge_owed(conn)


# --- a backup holds no token a retention run only marked (docs/rules.md §5) ---------------


def _marked_by_a_killed_run(cli: Cli) -> list[str]:
    """Quinta anonymised by a bulk batch that committed before its run was killed: her
    tokens only marked deleted in the index, the merge owed."""
    from lautex_registry.erasure.cleanup import delete_in_place, mark_deletions

    quinta, grams = _register_with_quinta(cli)
    conn = connect(cli.db)
    with transaction(conn):
        mark_deletions(conn)
        conn.execute(
            "UPDATE customers SET search_text = NULL, search_email_key = NULL WHERE id = ?",
            (quinta,),
        )
        delete_in_place(conn)
    assert _merge_owed(conn)
    assert {g for g in grams if g.encode() in _index_blocks(conn)}  # only marked
    conn.close()
    return [g for g in grams if len(g) == 3]  # her trigrams (the key and windows went)


def _index_holds(path: Path, grams: list[str]) -> list[str]:
    """Which of `grams` the index of the register file at `path` stores (its rows still
    hold her name: only the search text was cleared here)."""
    conn = sqlite3.connect(path)
    try:
        stored = _index_blocks(conn) + b"".join(
            bytes(r[0]) for r in conn.execute("SELECT term FROM customer_search_idx")
        )
    finally:
        conn.close()
    return [g for g in grams if g.encode() in stored]


@pytest.mark.parametrize("policy", [False, True], ids=["backup PATH", "policy copy"])
def test_a_backup_makes_the_owed_merge_before_it_copies(cli: Cli, policy: bool) -> None:
    grams = _marked_by_a_killed_run(cli)
    if policy:
        cli.ok("backup")
        (copy,) = (cli.db.parent / "backups").glob("lautex-*.db")
    else:
        copy = cli.db.parent / "during.bak"
        cli.ok("backup", str(copy))

    assert _index_holds(copy, grams) == []
    with cli.connect() as conn:
        assert not _merge_owed(conn)
        assert [g for g in grams if g.encode() in _index_blocks(conn)] == []


def test_a_batch_marked_while_the_backup_copies_is_merged_in_the_copy(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A retention run still going may mark another batch between the merge and the copy:
    the copy that says so is merged and vacuumed itself."""
    from lautex_registry.erasure import cleanup
    from lautex_registry.platform.register_file import vacuum_into

    grams: list[str] = []

    def batch_then_copy(conn: sqlite3.Connection, copy: Path) -> None:
        grams.extend(_marked_by_a_killed_run(cli))
        vacuum_into(conn, copy)

    monkeypatch.setattr(cleanup, "vacuum_into", batch_then_copy)
    copy = cli.db.parent / "during.bak"
    cli.ok("backup", str(copy))

    assert grams and _index_holds(copy, grams) == []
    conn = sqlite3.connect(copy)
    assert conn.execute("SELECT 1 FROM meta WHERE key = ?", (MERGE_PENDING,)).fetchone() is None
    # The index itself (its content holds rows without search text, which the check
    # against the content table, rank 1, counts as missing).
    conn.execute("INSERT INTO customer_search(customer_search) VALUES('integrity-check')")
    conn.close()


def test_a_restore_makes_the_copys_digit_windows_and_email_keys_anew(cli: Cli) -> None:
    """A copy's digit windows and email keys are derived from its search text like its
    index, and no more trusted: a restore makes them again (docs/rules.md §3, §5)."""
    aino = add_aino(cli)
    quinta = add_quinta(cli)
    backup = cli.db.parent / "r1.bak"
    cli.ok("backup", str(backup))
    conn = sqlite3.connect(backup)
    with conn:
        conn.execute("INSERT INTO customer_search_digits VALUES ('987654', ?)", (aino,))
        conn.execute("DELETE FROM customer_search_digits WHERE customer_id = ?", (quinta,))
        conn.execute("UPDATE customers SET search_email_key = 'vieras@x.fi' WHERE id = ?", (aino,))
        conn.execute("UPDATE customers SET search_email_key = NULL WHERE id = ?", (quinta,))
    conn.close()

    cli.ok("restore", str(backup), "--yes")

    for word in (PHONE_TYPED, EMAIL.split("@")[0][2:] + "@ex"):
        rows = cli.ok("customer", "search", word, "-f", "json", user="clerk").stdout
        assert [row["id"] for row in json.loads(rows)] == [quinta], word
    with cli.connect() as conn:
        assert (
            conn.execute(
                "SELECT count(*) FROM customer_search_digits WHERE digits = '987654'"
            ).fetchone()[0]
            == 0
        )
        for cid, text, key in conn.execute(
            "SELECT id, search_text, search_email_key FROM customers"
        ):
            assert key == email_search_key(text), cid


# --- dense searches: the names walked in order ---------------------------------------------


def _insert_named(conn: sqlite3.Connection, names: list[tuple[str, str]]) -> None:
    for first, last in names:
        conn.execute(
            "INSERT INTO customers (first_name, last_name, country, source, language, "
            "search_text, state, created_at, updated_at, last_activity) VALUES (?, ?, 'FI', "
            "'partner', 'fi', ?, 'active', 'x', 'x', '2026-01-01')",
            (first, last, customers.search_text_for(first, last, None, None, None)),
        )


def _statements(conn: sqlite3.Connection, typed: str, limit: int) -> tuple[Any, list[str]]:
    ran: list[str] = []
    conn.set_trace_callback(ran.append)
    try:
        return customers.find_customers(conn, typed, limit=limit), ran
    finally:
        conn.set_trace_callback(None)


def _spy_on_placed_matches(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, bool]]:
    """(placed matches read, whether that was all of them) of every search from now on."""
    seen: list[tuple[int, bool]] = []
    real = customers._placed_matches

    def spy(*args: Any) -> tuple[list[Any], int | None]:
        matches, rest = real(*args)
        seen.append((len(matches), rest is None))
        return matches, rest

    monkeypatch.setattr(customers, "_placed_matches", spy)
    return seen


def _place(conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch, target: int) -> None:
    """The nightly run's placing of names, with buckets of `target` customers."""
    monkeypatch.setattr(search_order, "TARGET", target)
    monkeypatch.setattr(search_order, "LARGEST", 2 * target)
    while search_order.place_names(conn):
        pass


def test_a_search_reads_its_matches_in_name_order_and_stops(
    blank: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Matches spread over the alphabet, their names placed in order: the search reads the
    buckets up to the first `limit` matches and one more, not every match, and gives the
    first `limit` in Finnish order, counted while they are few."""
    read = _spy_on_placed_matches(monkeypatch)
    blank.execute("BEGIN IMMEDIATE")
    try:
        _insert_named(blank, [(("Matti", "Aino")[n % 2], f"Sukunimi{n:04d}") for n in range(400)])
        _place(blank, monkeypatch, target=8)
        found, ran = _statements(blank, "matti", 10)
        assert found.rows == like_scan(blank, "matti", 10)
        assert (found.total, found.more) == (200, True)  # at most COUNTED_UP_TO: counted
        ((matches, read_all),) = read
        assert not read_all and 10 < matches <= 10 + 2 * 8  # the buckets up to the 11th match
        assert not any("INDEXED BY customers_by_name" in s or "WITH first" in s for s in ran)
        # More than COUNTED_UP_TO: the clerk is told there are more, not how many.
        monkeypatch.setattr(customers, "COUNTED_UP_TO", 199)
        uncounted = customers.find_customers(blank, "matti", limit=10)
        assert (uncounted.rows, uncounted.total, uncounted.more) == (found.rows, None, True)
    finally:
        blank.execute("ROLLBACK")


def test_a_surname_late_in_the_alphabet_is_read_from_its_own_place(
    blank: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Matches that cluster in name order (a surname sorting late): the index gives them in
    that order, so the search reads the surname's first buckets, none of the 300 names
    before it, and no customer unplaced since is missed."""
    read = _spy_on_placed_matches(monkeypatch)
    blank.execute("BEGIN IMMEDIATE")
    try:
        _insert_named(blank, [("Aino", f"Aalto{n:04d}") for n in range(300)])
        _insert_named(blank, [(f"Eino{n:02d}", "Virtanen") for n in range(1, 41)])
        _place(blank, monkeypatch, target=4)
        _insert_named(blank, [("Eino00", "Virtanen"), ("Ö", "Virtanen")])  # unplaced: read too
        found = customers.find_customers(blank, "virtanen", limit=10)
        assert found.rows == like_scan(blank, "virtanen", 10)
        assert [row["first_name"] for row in found.rows][:2] == ["Eino00", "Eino01"]
        assert (found.total, found.more) == (42, True)
        ((matches, read_all),) = read
        assert not read_all and matches <= 10 + 2 * 4
    finally:
        blank.execute("ROLLBACK")


def test_the_clerk_is_told_more_matched_without_a_count(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`customer search` that stopped before the end with more matches than it counts: the
    rows, and on stderr that more matched; the pipe gets the rows only, and `-q` drops the
    notice."""
    for first in ("Aino", "Eino", "Matti", "Väinö"):
        add_customer(cli, "--first-name", first, "--last-name", "Virtanen",
                     "--source", "partner")  # fmt: skip
    conn = connect(cli.db)
    with transaction(conn):
        _place(conn, monkeypatch, target=1)
    conn.close()
    monkeypatch.setattr(customers, "COUNTED_UP_TO", 2)
    result = cli.ok("customer", "search", "virtanen", "--limit", "2", "-f", "json")
    assert [row["first_name"] for row in json.loads(result.stdout)] == ["Aino", "Eino"]
    assert result.stderr == "2 shown; more match: narrow the search or use --limit\n"
    quiet = cli.ok("-q", "customer", "search", "virtanen", "--limit", "2", "-f", "json")
    assert quiet.stdout == result.stdout and quiet.stderr == ""
    # All of them fit: the search read to the end, so nothing is cut and nothing is said.
    whole = cli.ok("customer", "search", "virtanen", "--limit", "4", "-f", "json")
    assert len(json.loads(whole.stdout)) == 4 and whole.stderr == ""
    monkeypatch.setenv("LAUTEX_LANG", "fi")
    fi = cli.ok("customer", "search", "virtanen", "--limit", "2", "-f", "json")
    assert fi.stdout == result.stdout  # machine output does not change with the language
    assert fi.stderr == (
        "näytetään 2; osumia on enemmän: tarkenna hakua tai käytä valintaa --limit\n"
    )
    # Counted when few enough match.
    monkeypatch.setattr(customers, "COUNTED_UP_TO", 1000)
    monkeypatch.setenv("LAUTEX_LANG", "en")
    counted = cli.ok("customer", "search", "virtanen", "--limit", "2", "-f", "json")
    assert counted.stdout == result.stdout and counted.stderr == "2 of 4 shown; use --limit\n"


def test_each_words_rarest_trigram_is_weighed_before_a_words_second(
    blank: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`helmi virtanen`: Helmi's three trigrams go together, so weighed one after another
    as independent they looked as if they left a tenth of a tenth of the Helmis, and no
    trigram of Virtanen was read: the search went through every Helmi for the few
    Virtanens among them. The rarest trigram of each word is weighed first."""
    monkeypatch.setattr(customers, "PROBE_ROWS", 10)
    blank.execute("BEGIN IMMEDIATE")
    try:
        names = [("Helmi", f"Aalto{n:03d}") for n in range(120)]
        names += [("Eino", f"Virtanen{n:03d}") for n in range(100)]
        names += [("Helmi", f"Virtanen{n:03d}") for n in range(20)]
        names += [("Aino", f"Korhonen{n:03d}") for n in range(100)]
        _insert_named(blank, names)
        query, _rows = customers._narrowest_trigrams(blank, ["helmi", "virtanen"])
        grams = {gram.strip('"') for gram in query.split(" AND ")}
        assert grams & {"hel", "elm", "lmi"} and grams & {"vir", "irt", "rta", "tan", "ane"}
        found = customers.find_customers(blank, "helmi virtanen", limit=5)
        assert found.rows == like_scan(blank, "helmi virtanen", 5) and found.total == 20
    finally:
        blank.execute("ROLLBACK")


def test_a_search_expects_each_word_in_its_rarest_trigrams_rows() -> None:
    """The guess that makes a search dense: the trigrams of one word go together (a word is
    in about as many rows as its rarest trigram), different words are independent."""
    holding = {"mat": 100.0, "att": 120.0, "tti": 110.0, "vir": 130.0, "ane": 400.0}
    assert customers._expected_matches(["matti"], holding, 1000) == 100
    assert customers._expected_matches(["matti", "virtanen"], holding, 1000) == pytest.approx(13)
    assert customers._expected_matches(["matti", "xy"], holding, 1000) == 100  # no trigram


def test_a_trigram_whose_rows_cluster_in_name_order_is_guessed_from_both_ends(
    blank: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index is in name order, where a surname's trigram clusters: 40 Kuuselas and 30
    Kuuvaaras together among 300 names. The rows of the trigram's two ends are spread
    over the places between them (about 40 and 30), not the first rows over the whole
    index (`sel`'s first ten reach a tenth of the way: 100 would be guessed); when the
    two ends meet, the rows are counted."""
    monkeypatch.setattr(customers, "PROBE_ROWS", 10)
    blank.execute("BEGIN IMMEDIATE")
    try:
        _insert_named(blank, [("Aino", "Kuusela")] * 40)
        _insert_named(
            blank, [("Eino", f"Virta{n:03d}" if n % 10 else "Kuuvaara") for n in range(300)]
        )
        _place(blank, monkeypatch, target=4)
        assert customers._rows_holding(blank, "sel", 340) == pytest.approx(40, rel=0.25)
        assert customers._rows_holding(blank, "vaa", 340) == pytest.approx(30, rel=0.25)
        assert customers._rows_holding(blank, "irt", 340) == pytest.approx(270, rel=0.25)
        monkeypatch.setattr(customers, "PROBE_ROWS", 20)
        assert customers._rows_holding(blank, "vaa", 340) == 30  # the ends meet: counted
        found = customers.find_customers(blank, "kuusela", limit=10)
        assert (len(found.rows), found.total, found.more) == (10, 40, True)
    finally:
        blank.execute("ROLLBACK")


def test_a_limit_that_asks_for_everything_is_counted(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--limit` at its largest (scripts' "all of them") on a dense search: every row,
    no notice, exit 0 (a limit beyond the expected matches is not walked)."""
    for first in ("Aino", "Eino", "Matti"):
        add_customer(cli, "--first-name", first, "--last-name", "Virtanen",
                     "--source", "partner")  # fmt: skip
    monkeypatch.setattr(customers, "DENSE_MATCHES", 0)
    result = cli.ok("customer", "search", "virtanen", "--limit", str(2**63 - 1), "-f", "csv")
    assert len(result.stdout.splitlines()) == 1 + 3 and result.stderr == ""
