"""Names in Finnish order wherever a list is sorted by name (docs/rules.md §2 "Formats")."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lautex_registry.platform import collation
from lautex_registry.platform.collation import SEPARATOR, finnish_key, sort_key
from lautex_registry.platform.db import connect, transaction
from lautex_registry.platform.sqlite import sqlite3
from tests.conftest import Cli, roll_back_migrations
from tests.helpers import add_customer, assert_one_line_error

NAMES = ["Öhman", "Åström", "de Wit", "Äijälä", "Zetterberg", "Aalto", "Émond", "Ylönen", "Über"]
FINNISH = ["Aalto", "de Wit", "Émond", "Über", "Ylönen", "Zetterberg", "Åström", "Äijälä", "Öhman"]


def test_finnish_key_orders_the_issues_names() -> None:
    assert sorted(NAMES, key=finnish_key) == FINNISH


@given(st.text(), st.text())
def test_finnish_order_ignores_case_and_is_total(a: str, b: str) -> None:
    ka, kb = finnish_key(a), finnish_key(b)
    assert (ka == kb) == (a == b)  # two different names never tie
    key, same_but_case = finnish_key(a.upper()), finnish_key(a.upper().lower())
    assert key.split(SEPARATOR)[0] == same_but_case.split(SEPARATOR)[0]


def test_every_list_sorted_by_name_is_in_finnish_order(cli: Cli) -> None:
    for name in NAMES:
        add_customer(cli, "--first-name", "Aino", "--last-name", name, "--source", "web-store")
    by_name = json.loads(cli.ok("customer", "list", "--sort", "name", "-f", "json").stdout)
    assert [c["last_name"] for c in by_name] == FINNISH
    by_id = json.loads(cli.ok("customer", "list", "-f", "json").stdout)
    assert [c["last_name"] for c in by_id] == NAMES
    found = json.loads(cli.ok("customer", "search", "aino", "-f", "json").stdout)
    assert [c["last_name"] for c in found] == FINNISH
    assert_one_line_error(cli.run("customer", "list", "--sort", "age"), 2, "sort: must be one of")


def test_organisations_and_their_contacts_in_finnish_order(cli: Cli) -> None:
    for name in ("Öljy Oy", "Åland Ab", "Zeta Oy", "aalto Oy", "Ääni Oy"):
        cli.ok("org", "add", name, user="clerk")
    listed = json.loads(cli.ok("org", "list", "-f", "json").stdout)
    assert [o["name"] for o in listed] == ["aalto Oy", "Zeta Oy", "Åland Ab", "Ääni Oy", "Öljy Oy"]
    for last in ("Öhman", "Aalto", "Åström"):
        add_customer(cli, "--first-name", "A", "--last-name", last, "--source", "web-store",
                     "--org", "Zeta Oy")  # fmt: skip
    shown = json.loads(cli.ok("org", "show", "Zeta Oy", "-f", "json").stdout)
    assert [c["last_name"] for c in shown["contacts"]] == ["Aalto", "Åström", "Öhman"]


# --- the stored keys (migration 19) ---------------------------------------------------------


def _stored_keys(cli: Cli) -> dict[int, tuple[str | None, str | None]]:
    with cli.connect() as conn:
        return {
            int(row[0]): (row[1], row[2])
            for row in conn.execute("SELECT id, sort_last_name, sort_first_name FROM customers")
        }


def test_a_renamed_customer_moves_in_every_list_by_name(cli: Cli) -> None:
    """The order is stored with the row: `customer edit` (and rectify, which edits the same
    way) must move it, or the list would show the old name's place."""
    aalto = add_customer(cli, "--first-name", "Aino", "--last-name", "Aalto", "--source", "partner")
    add_customer(cli, "--first-name", "Aino", "--last-name", "Mäki", "--source", "partner")
    cli.ok("customer", "edit", str(aalto), "--last-name", "Öhman", user="clerk")
    by_name = json.loads(cli.ok("customer", "list", "--sort", "name", "-f", "json").stdout)
    assert [c["last_name"] for c in by_name] == ["Mäki", "Öhman"]
    found = json.loads(cli.ok("customer", "search", "aino", "-f", "json").stdout)
    assert [c["last_name"] for c in found] == ["Mäki", "Öhman"]
    assert _stored_keys(cli)[aalto] == (sort_key("Öhman"), sort_key("Aino"))


def test_migrate_gives_the_customers_already_there_their_name_order(cli: Cli) -> None:
    for name in NAMES:
        add_customer(cli, "--first-name", "Aino", "--last-name", name, "--source", "web-store")
    roll_back_migrations(cli.db, to=18)
    with cli.connect() as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(customers)")}
    assert "sort_last_name" not in columns
    cli.ok("migrate")
    by_name = json.loads(cli.ok("customer", "list", "--sort", "name", "-f", "json").stdout)
    assert [c["last_name"] for c in by_name] == FINNISH
    assert {key for key in _stored_keys(cli).values()} == {
        (sort_key(name), sort_key("Aino")) for name in NAMES
    }


def test_a_writer_that_gives_no_keys_gets_them_from_the_triggers(cli: Cli) -> None:
    """Code that inserts a customer without the keys (or with wrong ones) still lists in
    order: the triggers compute them with the register's finnish() function."""
    conn = connect(cli.db)  # the register's own connection: finnish() is there
    with transaction(conn):
        conn.execute(
            "INSERT INTO customers (first_name, last_name, country, source, language, state, "
            "sort_last_name, created_at, updated_at, last_activity) VALUES ('Eino', 'Ärjä', "
            "'FI', 'partner', 'fi', 'active', 'aaaa', 'x', 'x', '2026-01-01')"
        )
        conn.execute("UPDATE customers SET sort_first_name = 'zzz'")
    conn.close()
    assert set(_stored_keys(cli).values()) == {(sort_key("Ärjä"), sort_key("Eino"))}


def test_a_client_without_finnish_can_read_but_not_write_a_name(cli: Cli) -> None:
    """docs/rules.md §3: the sqlite3 shell (no finnish()) reads the register and changes
    other columns, but a name it cannot put in order is refused, not stored unordered."""
    customer = add_customer(
        cli, "--first-name", "Aino", "--last-name", "Aalto", "--source", "partner"
    )
    plain = sqlite3.connect(cli.db)
    try:
        assert plain.execute("SELECT last_name FROM customers").fetchall() == [("Aalto",)]
        plain.execute("UPDATE customers SET city = 'Espoo' WHERE id = ?", (customer,))
        with pytest.raises(sqlite3.OperationalError, match="no such function: finnish"):
            plain.execute("UPDATE customers SET last_name = 'Öhman' WHERE id = ?", (customer,))
        plain.commit()
        assert plain.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        plain.close()
    assert _stored_keys(cli)[customer] == (sort_key("Aalto"), sort_key("Aino"))


def test_names_are_written_where_sqlite_trusts_no_function_in_a_schema(cli: Cli) -> None:
    """An SQLite built with trusted_schema off refuses an application function in a
    trigger unless it is marked innocuous, which Python cannot mark: the register's own
    connection turns the pragma on with finnish(), or no name could be written."""
    customer = add_customer(
        cli, "--first-name", "Aino", "--last-name", "Aalto", "--source", "partner"
    )
    conn = sqlite3.connect(cli.db)
    try:
        conn.execute("PRAGMA trusted_schema = OFF")  # as such a build starts
        collation.register(conn)
        conn.execute("UPDATE customers SET last_name = 'Öhman' WHERE id = ?", (customer,))
        conn.commit()
        conn.execute("PRAGMA trusted_schema = OFF")  # what register() is there to undo
        with pytest.raises(sqlite3.OperationalError, match="unsafe use of finnish"):
            conn.execute("UPDATE customers SET last_name = 'Mäki' WHERE id = ?", (customer,))
    finally:
        conn.close()
    assert _stored_keys(cli)[customer] == (sort_key("Öhman"), sort_key("Aino"))
