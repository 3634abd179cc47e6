"""Everything the register holds about one person, gathered from the personal-data map.

`customer show` and the access export (GDPR Art. 15) both use `person_record`. It
walks `personal_data.PERSONAL_TABLES` generically, so a table another part of the
register adds (and lists there) appears in both without further code.
"""

import functools
import operator
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from lautex_registry.platform.errors import NotFound, t
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.platform.validation import format_money, format_quantity, line_amount_cents
from lautex_registry.records.personal_data import PERSONAL_TABLES

# Derived columns that repeat other columns of the same row: not shown separately.
DERIVED_COLUMNS = frozenset(
    {
        "search_text",
        "search_email_key",
        "sort_first_name",
        "sort_last_name",
        "name_bucket",
        "search_rowid",  # migration 20: the id and the name's place, read-only
    }
)
# Rows that belong to a linked row rather than to the person directly:
# table -> (child table, foreign key in the child, key in the output).
CHILD_TABLES: dict[str, tuple[str, str, str]] = {
    "orders": ("order_lines", "order_id", "lines"),
}
CENTS_SUFFIX = "_cents"
# Columns SQLite stores as 0/1 that mean yes/no: JSON says true/false (docs/rules.md §6).
BOOLEAN_COLUMNS = frozenset({"signed", "manifestly_unfounded", "sole_trader", "dry_run"})


def row_to_dict(row: sqlite3.Row) -> dict[str, Any]:
    """A row as a dict, with `*_cents` columns as euro strings under the name without `_cents`."""
    return _shape(tuple(row.keys()))(row)


class _Shape:
    """How rows with these columns become dicts (`row_to_dict`), worked out once for a
    statement rather than for every row: a person may have 10,000 orders. `skip` columns
    at the start are not the row's own (an order line's order number)."""

    def __init__(self, keys: Sequence[str], *, quantities: bool = False, skip: int = 0) -> None:
        names: list[str] = []
        places: list[int] = []
        self.money: list[str] = []
        self.flags: list[str] = []
        self.quantities: list[str] = []
        for place, key in enumerate(keys[skip:], start=skip):
            if key in DERIVED_COLUMNS:
                continue
            if key.endswith(CENTS_SUFFIX):
                key = key[: -len(CENTS_SUFFIX)]
                self.money.append(key)
            elif key in BOOLEAN_COLUMNS:
                self.flags.append(key)
            elif quantities and key == "quantity_milli":
                key = "quantity"  # an exact decimal (`1.5`), not the stored thousandths
                self.quantities.append(key)
            names.append(key)
            places.append(place)
        self.names = names
        self.places = places
        self.pick = (lambda row: row) if places == list(range(len(keys))) else _picker(places)

    def __call__(self, row: Sequence[Any]) -> dict[str, Any]:
        record = dict(zip(self.names, self.pick(row), strict=True))
        for name in self.money:
            if record[name] is not None:
                record[name] = format_money(record[name])
        for name in self.flags:
            if record[name] is not None:
                record[name] = bool(record[name])
        for name in self.quantities:
            if record[name] is not None:
                record[name] = format_quantity(record[name])
        return record


def _picker(places: list[int]) -> Callable[[Sequence[Any]], Sequence[Any]]:
    if len(places) == 1:
        return lambda row: (row[places[0]],)
    return operator.itemgetter(*places)


@functools.cache
def _shape(keys: tuple[str, ...], *, quantities: bool = False, skip: int = 0) -> _Shape:
    return _Shape(keys, quantities=quantities, skip=skip)


def _shape_of(cursor: sqlite3.Cursor, *, quantities: bool = False, skip: int = 0) -> _Shape:
    return _shape(tuple(d[0] for d in cursor.description), quantities=quantities, skip=skip)


def _customer(conn: sqlite3.Connection, customer_id: int) -> dict[str, Any]:
    row = conn.execute(
        """SELECT c.*, o.name AS organisation, o.business_id AS organisation_business_id,
                  o.sole_trader AS organisation_sole_trader
           FROM customers c LEFT JOIN organisations o ON o.id = c.organisation_id
           WHERE c.id = ?""",
        (customer_id,),
    ).fetchone()
    if row is None:
        raise NotFound(t("customer: no customer with id {id}", id=customer_id))
    record = row_to_dict(row)
    # A sole trader's business name and business ID are the person's own data.
    sole = record.pop("organisation_sole_trader")
    record["organisation_sole_trader"] = None if sole is None else bool(sole)
    return record


def _order_totals(record: dict[str, Any], lines: list[sqlite3.Row]) -> None:
    # The sum of the lines' rounded amounts, as on the order (docs/rules.md §2 "Formats").
    total = sum(line_amount_cents(x["quantity_milli"], x["unit_price_cents"]) for x in lines)
    record["total"] = format_money(total)


class PersonRows:
    """One table's rows about one person, read from the register each time they are
    iterated, in the order `person_record` lists them; `len` counts them in SQL.

    A person may have 10,000 orders: the access letter and its JSON copy are written as
    these rows are read, so none of them is held (docs/rules.md §3). An order comes with
    its lines, read beside it by a second statement in the same order (not a query per
    order). `requests` ends with the requests found by the person's email
    (`_REQUESTS_BY_EMAIL`)."""

    def __init__(
        self, conn: sqlite3.Connection, table: str, link: str, customer_id: int, email: str | None
    ) -> None:
        self.conn, self.table, self.link = conn, table, link
        self.customer_id, self.email = customer_id, email

    def _parts(self) -> list[tuple[str, tuple[Any, ...], str]]:
        """(WHERE, its parameters, ORDER BY) of each statement that reads the rows."""
        table, link = self.table, self.link
        parts: list[tuple[str, tuple[Any, ...], str]] = [
            (f'WHERE "{table}"."{link}" = ?', (self.customer_id,), "ORDER BY rowid")
        ]
        if table == "requests" and self.email:
            parts.append((_REQUESTS_BY_EMAIL, (self.email,), "ORDER BY id"))
        return parts

    def __iter__(self) -> Iterator[dict[str, Any]]:
        table = self.table
        child = CHILD_TABLES.get(table)
        for where, parameters, order in self._parts():
            rows = self.conn.execute(f'SELECT * FROM "{table}" {where} {order}', parameters)
            if child is None:
                yield from map(_shape_of(rows), rows)
            else:  # the person's own rows: the requests by email are not parents
                yield from self._with_children(rows, child)

    def _with_children(
        self, rows: sqlite3.Cursor, child: tuple[str, str, str]
    ) -> Iterator[dict[str, Any]]:
        """Each row with its children: the children of all the rows in one statement, in the
        rows' order, each row taking those that name it (as one query per row would)."""
        child_table, child_link, key = child
        children = self._children("c.*")
        shown = _shape_of(children, quantities=child_table == "order_lines")
        shape = _shape_of(rows)
        waiting = next(children, None)
        for row in rows:
            record = shape(row)
            mine = []
            while waiting is not None and waiting[child_link] == row["id"]:
                mine.append(waiting)
                waiting = next(children, None)
            record[key] = [shown(c) for c in mine]
            if self.table == "orders":
                _order_totals(record, mine)
            yield record

    def _children(self, columns: str) -> sqlite3.Cursor:
        """The children of all the rows (an order's lines), in the rows' order."""
        child_table, child_link, _key = CHILD_TABLES[self.table]
        return self.conn.execute(
            f'SELECT {columns} FROM "{child_table}" c JOIN "{self.table}" p'
            f' ON p.id = c."{child_link}" WHERE p."{self.link}" = ? ORDER BY p.rowid, c.id',
            (self.customer_id,),
        )

    def child_rows(self, label: str, column: str) -> "ChildRows":
        """Every child of every row (every line of every order), each with its row's `column`
        first under `label`, as `{label: row[column], **child}` would give them."""
        return ChildRows(self, label, column)

    def __len__(self) -> int:
        return _any_filled(self.conn, f'"{self.table}"', [], self._parts())[0]

    def filled(self, joined: str = "", values: Sequence[str] = ()) -> "Filled":
        """What a table of these rows needs before it is written, from SQL rather than a
        pass over the rows (a letter lists 10,000 orders: docs/rules.md §3).

        With `joined` (a JOIN clause) and its `values` (expressions), only whether each of
        those holds a value in some row that has the join: the columns a reader adds."""
        if joined:
            count, flags = _any_filled(self.conn, f'"{self.table}" {joined}', values, self._parts())
            return Filled(list(values), {v for v, f in zip(values, flags, strict=True) if f}, count)
        columns = _columns(self.conn, self.table)
        shape = _shape(tuple(columns))
        expressions = [f'"{self.table}"."{column}"' for column in columns]
        count, flags = _any_filled(self.conn, f'"{self.table}"', expressions, self._parts())
        keys = list(shape.names)
        filled = {name for name, place in zip(keys, shape.places, strict=True) if flags[place]}
        child = CHILD_TABLES.get(self.table)
        if child is not None:
            keys.append(child[2])  # rows, never a value of the row's own table
            if self.table == "orders":
                keys.append("total")
                if count:
                    filled.add("total")  # an amount, 0.00 for an order without lines
        return Filled(keys, filled, count)


@dataclass(frozen=True)
class Filled:
    """`PersonRows.filled`: the rows' keys in the order iterating them gives them, the keys
    that hold a value (not None, "" or []) in some row, and how many rows there are."""

    keys: list[str]
    filled: set[str]
    count: int


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]


def _any_filled(
    conn: sqlite3.Connection,
    source: str,
    expressions: Sequence[str],
    parts: Sequence[tuple[str, tuple[Any, ...], str]],
) -> tuple[int, list[bool]]:
    """How many rows the statements' WHEREs select from `source`, and for each expression
    whether it holds a value in one of them: not NULL and not '' (a number, a date, any
    text; `row_to_dict` makes no value empty that was not)."""
    checks = "".join(f", max({e} IS NOT NULL AND {e} <> '')" for e in expressions)
    count, flags = 0, [False] * len(expressions)
    for where, parameters, _order in parts:
        row = conn.execute(f"SELECT count(*){checks} FROM {source} {where}", parameters).fetchone()
        count += row[0]
        flags = [flag or bool(value) for flag, value in zip(flags, row[1:], strict=True)]
    return int(count), flags


class ChildRows:
    """`PersonRows.child_rows`: read afresh each time they are iterated."""

    def __init__(self, rows: PersonRows, label: str, column: str) -> None:
        self.rows, self.label, self.column = rows, label, column

    def filled(self) -> Filled:
        """`PersonRows.filled` of these rows."""
        rows = self.rows
        child_table, child_link, _key = CHILD_TABLES[rows.table]
        columns = _columns(rows.conn, child_table)
        shape = _shape(tuple(columns), quantities=child_table == "order_lines")
        expressions = [f'p."{self.column}"'] + [f'c."{column}"' for column in columns]
        source = f'"{child_table}" c JOIN "{rows.table}" p ON p.id = c."{child_link}"'
        where = (f'WHERE p."{rows.link}" = ?', (rows.customer_id,), "")
        count, flags = _any_filled(rows.conn, source, expressions, [where])
        names = [self.label, *shape.names]
        places = [0] + [place + 1 for place in shape.places]
        filled = {name for name, place in zip(names, places, strict=True) if flags[place]}
        return Filled(names, filled, count)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        rows, label = self.rows, self.label
        children = rows._children(f'p."{self.column}", c.*')
        child_table = CHILD_TABLES[rows.table][0]
        shape = _shape_of(children, quantities=child_table == "order_lines", skip=1)
        for child in children:
            yield {label: child[0], **shape(child)}


def person_tables(conn: sqlite3.Connection, customer_id: int) -> dict[str, Any]:
    """`person_record` whose lists are `PersonRows`, read as they are used: `{"customer":
    {...}, "orders": PersonRows, ...}`, the same tables in the same order."""
    customer = _customer(conn, customer_id)
    tables: dict[str, Any] = {"customer": customer}
    for entry in PERSONAL_TABLES:
        if entry.customer_link is None:
            continue
        link = entry.customer_link
        tables[entry.table] = PersonRows(
            conn, entry.table, link, customer_id, customer.get("email")
        )
    return tables


def person_record(conn: sqlite3.Connection, customer_id: int) -> dict[str, Any]:
    """`{"customer": {...}, "orders": [...], "invoices": [...], ...}` for one customer.

    Every table in PERSONAL_TABLES with a customer link contributes a list (empty
    when the person has no rows there); money is in euros with two decimals.
    """
    return {
        table: rows if table == "customer" else list(rows)
        for table, rows in person_tables(conn, customer_id).items()
    }


# Requests the person made before they were in the register, found by their email
# (erasure clears the same ones): their name and address are the person's too.
_REQUESTS_BY_EMAIL = (
    "WHERE requests.customer_id IS NULL AND lower(requests.requester_email) = lower(?)"
)
