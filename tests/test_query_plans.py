"""Lookups by id, email, organisation and customer use indexes (EXPLAIN QUERY PLAN).

The statements are the ones the services really run, captured with a trace
callback, so a change to a query that loses its index fails here.
"""

import re
from collections.abc import Callable
from typing import Any

import pytest

from lautex_registry.platform.db import connect
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records import customers, invoices, lookup, orders, person
from lautex_registry.rights import access
from tests.conftest import Cli
from tests.helpers import invoiced

FULL_SCAN = re.compile(r"^SCAN (\w+)$")


def plans_of(conn: sqlite3.Connection, action: Callable[[], Any]) -> list[tuple[str, list[str]]]:
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        action()
    finally:
        conn.set_trace_callback(None)
    plans = []
    for sql in statements:
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        details = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
        plans.append((sql, details))
    return plans


LOOKUPS: dict[str, tuple[Callable[[sqlite3.Connection], Any], str]] = {
    "customer by id": (lambda c: lookup.resolve_customer(c, "1"), "INTEGER PRIMARY KEY"),
    "customer by email": (
        lambda c: lookup.resolve_customer(c, "AINO.AIJALA@example.fi"), "customers_email",
    ),
    "customers of an organisation": (
        lambda c: list(customers.list_customers(c, org="Puutalo Oy")), "customers_organisation",
    ),
    "orders of a customer": (
        lambda c: list(orders.list_orders(c, customer="1")), "orders_customer",
    ),
    "everything about a customer": (lambda c: person.person_record(c, 1), "invoices_customer"),
    "invoice by number": (
        lambda c: invoices.invoice_row(c, "2026-0457"), "sqlite_autoindex_invoices",
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(LOOKUPS))
def test_lookup_uses_indexes(cli: Cli, name: str) -> None:
    invoiced(cli)
    action, expected_index = LOOKUPS[name]
    conn = connect(cli.db)
    plans = plans_of(conn, lambda: action(conn))
    conn.close()
    assert plans, "no statement was traced"
    every_line = [line for _sql, details in plans for line in details]
    assert any(expected_index in line for line in every_line), every_line
    for sql, details in plans:
        for line in details:
            assert not FULL_SCAN.match(line), f"full table scan ({line}) in: {sql}"


# The register's own few rows that a letter reads whole: its settings and recipients.
REGISTER_TABLES = frozenset({"recipients", "settings"})


def test_the_access_letter_reads_the_persons_rows_through_indexes_in_order(cli: Cli) -> None:
    """The letter reads the person's rows as it writes them (docs/rules.md §3): by index,
    and in the order of the index, so SQLite sorts nothing either."""
    invoiced(cli)
    conn = connect(cli.db)
    document = access.access_document(conn, 1, "en")
    plans = plans_of(conn, lambda: "".join(access.render_access_chunks(document, "md")))
    conn.close()
    every_line = [line for _sql, details in plans for line in details]
    assert any("order_lines_order" in line for line in every_line), every_line
    assert any("orders_customer" in line for line in every_line), every_line
    for sql, details in plans:
        for line in details:
            scan = FULL_SCAN.match(line)
            assert scan is None or scan.group(1) in REGISTER_TABLES, f"{line} in: {sql}"
            assert "TEMP B-TREE" not in line or "recipients" in sql, f"{line} in: {sql}"


def test_every_foreign_key_has_an_index_on_its_child_column(cli: Cli) -> None:
    """Deleting a parent row (a purged request, a stripped invoice) checks its children:
    without an index on the child column that is a scan of the child table per row."""
    with cli.connect() as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        unindexed = []
        for table in tables:
            leading = {
                conn.execute(f"PRAGMA index_info('{index[1]}')").fetchone()[2]
                for index in conn.execute(f"PRAGMA index_list('{table}')")
            }
            primary = {r[1] for r in conn.execute(f"PRAGMA table_info('{table}')") if r[5] == 1}
            for key in conn.execute(f"PRAGMA foreign_key_list('{table}')"):
                if key[3] not in leading | primary:
                    unindexed.append(f"{table}.{key[3]} -> {key[2]}")
    assert unindexed == []
