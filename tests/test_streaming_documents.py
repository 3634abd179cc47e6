"""Documents and views stream: a customer's 10,000 orders are never held (docs/rules.md §3).

The access export (letter, JSON, CSV) reads the person's rows from the register as it
writes them, and a long table is written at the widths rich measured on its first rows.
What the reader gets must stay what it was: the same bytes as the whole document made at
once (the JSON module, a row-by-row pass over the rows), and the table rich draws.
"""

import io
import json
import random
import tracemalloc
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from lautex_registry.cli import output
from lautex_registry.platform import audit
from lautex_registry.platform.db import connect, transaction
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records import person
from lautex_registry.rights import access
from tests.conftest import Cli
from tests.helpers import add_aino

# --- the access export ------------------------------------------------------------------


def _add_orders(db: Path, customer_id: int, count: int, products: list[str]) -> None:
    conn = sqlite3.connect(db)
    first = conn.execute("SELECT COALESCE(MAX(id), 0) FROM orders").fetchone()[0] + 1
    with conn:
        conn.executemany(
            "INSERT INTO orders (id, number, customer_id, order_date, reseller, created_at)"
            " VALUES (?, ?, ?, '2026-01-02', ?, '2026-01-02T10:00:00Z')",
            [
                (first + k, f"S{first + k}", customer_id, "" if k % 3 else None)
                for k in range(count)
            ],
        )
        conn.executemany(
            "INSERT INTO order_lines (order_id, product, quantity_milli, unit_price_cents)"
            " VALUES (?, ?, 1500, ?)",
            [(first + k, products[k % len(products)], k % 4) for k in range(count)],
        )
    conn.close()


def _tricky_register(demo: Path) -> None:
    """Values a letter's columns must judge as the rows do: empty text, zero, false, a
    recipient with an empty country, a request found only by the person's email."""
    _add_orders(demo, 23, 40, ["Koivulauta | 2 m", "[/c] \x1b[31m", "", "0"])
    _add_orders(demo, 1, 12, ["Mäntylauta"])  # resellers "" and None only: no column
    conn = sqlite3.connect(demo)
    with conn:
        conn.execute(
            "UPDATE recipients SET country = '' WHERE id = (SELECT min(id) FROM recipients)"
        )
        email = conn.execute("SELECT email FROM customers WHERE id = 23").fetchone()[0]
        conn.execute(
            "INSERT INTO requests (customer_id, requester_name, requester_email, kind, received_on,"
            " channel, language, signed, due_on, state, manifestly_unfounded, fee_cents,"
            " created_at) VALUES (NULL, 'Jaakko [b]', ?, 'access', '2026-11-01', 'email', 'fi',"
            " 0, '2026-12-01', 'open', 0, 0, '2026-11-01T08:00:00Z')",
            (email.upper(),),
        )
    conn.close()


def _materialised(document: Mapping[str, Any]) -> dict[str, Any]:
    """The export as one dict of lists, as it was made before it streamed."""
    data = {
        table: rows if isinstance(rows, Mapping) else list(rows)
        for table, rows in document["data"].items()
    }
    return {**document, "data": data}


def _columns_row_by_row(table: str, rows: list[dict[str, Any]]) -> list[str]:
    """The letter's columns found by reading every row: the ones holding a value in some
    row, not internal links, in the order the rows list them."""
    ids = table in access.NUMBERED_TABLES
    columns: dict[str, None] = {}
    for row in rows:
        for key, value in row.items():
            if key in columns or value in (None, "", []):
                continue
            if key.endswith(("_id", "_by")) or (key == "id" and not ids):
                continue
            if isinstance(value, list) and isinstance(value[0], Mapping):
                continue
            columns[key] = None
    return list(dict.fromkeys(key for row in rows for key in row if key in columns))


@pytest.mark.parametrize("customer_id", [23, 114, 142, 1, 59])
def test_letter_tables_have_the_columns_their_rows_fill(
    cli: Cli, demo: Path, customer_id: int
) -> None:
    _tricky_register(demo)
    conn = connect(demo)
    document = access.access_document(conn, customer_id, "en")
    whole = _materialised(document)
    tables = access.letter_context(document)["tables"]
    for entry in tables:
        name = entry["table"]
        if name == "order_lines":
            rows = [
                {"order": order["number"], **line}
                for order in whole["data"]["orders"]
                for line in order["lines"]
            ]
        else:
            rows = whole["data"][name]
        assert entry["columns"] == _columns_row_by_row(name, rows), name
        assert bool(entry["rows"]) == bool(rows), name
        assert len(list(entry["rows"])) == len(rows), name
    conn.close()


@pytest.mark.parametrize("customer_id", [23, 114, 1])
def test_json_and_csv_exports_written_in_pieces_are_the_whole_document(
    cli: Cli, demo: Path, customer_id: int
) -> None:
    _tricky_register(demo)
    conn = connect(demo)
    document = access.access_document(conn, customer_id, "fi")
    whole = _materialised(document)
    assert whole["data"]["requests"] or customer_id != 23  # the request by email is there
    assert whole["counts"] == access.counts_of(whole["data"])
    streamed = "".join(access.render_access_chunks(document, "json"))
    assert streamed == json.dumps(whole, ensure_ascii=False, indent=2, default=str) + "\n"
    assert json.loads(streamed)["data"]["orders"] == whole["data"]["orders"]
    rows = [
        {"field": path, "value": value} for path, value in access._flatten(whole, "")
    ]  # the CSV as it was made from the whole document
    assert access.access_csv(document) == access._csv_text(("field", "value"), rows)
    conn.close()


def test_json_export_of_a_person_without_rows_keeps_its_empty_lists(cli: Cli) -> None:
    customer = str(add_aino(cli))
    document = json.loads(cli.ok("export", customer, "--format", "json").stdout)
    assert document["data"]["orders"] == [] and document["counts"]["orders"] == 0
    assert "data.orders," in cli.ok("export", customer, "--format", "csv").stdout


def _peak_of_export(db: Path, fmt: str, target: Path) -> int:
    conn = connect(db)
    try:
        tracemalloc.start()
        with transaction(conn):
            result = access.export_customer(
                conn, audit.Actor(None, "test"), "1", fmt=fmt, lang="en", output=target
            )
            access.write_export(result, db, force=True)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        conn.close()


def test_an_export_to_a_file_holds_none_of_the_persons_rows(cli: Cli, tmp_path: Path) -> None:
    """Ten times the orders, the same memory: the rows are read as they are written."""
    add_aino(cli)
    _add_orders(cli.db, 1, 300, ["Koivulauta 2 m", "Mäntylauta"])
    peaks = {}
    for fmt in ("md", "html", "json", "csv"):
        _peak_of_export(cli.db, fmt, tmp_path / f"warm.{fmt}")  # caches, templates
        peaks[fmt] = _peak_of_export(cli.db, fmt, tmp_path / f"small.{fmt}")
    _add_orders(cli.db, 1, 2700, ["Koivulauta 2 m", "Mäntylauta"])
    for fmt in ("md", "html", "json", "csv"):
        large = _peak_of_export(cli.db, fmt, tmp_path / f"large.{fmt}")
        size = (tmp_path / f"large.{fmt}").stat().st_size
        assert size > 5 * (tmp_path / f"small.{fmt}").stat().st_size
        # A held copy of 3,000 orders would take megabytes.
        assert large < peaks[fmt] * 1.5 + 256 * 1024, (fmt, peaks[fmt], large)


# --- long tables ------------------------------------------------------------------------

CELLS = [
    "[/c] [link=http://x]y[/link] :thumbs_up:",
    "\x1b[31mred\x1b]8;;http://evil.example/\x07z",
    "abc\u202edef",
    "漢字の板 wide",
    "e\u0301 combining",
    "tab\there",
    "line\nbreak",
    "a" * 90,
    "word " * 12,
    "  lead and trail  ",
    "ääkköset €",
    "\u200bzero",
    "\xad soft",
    "a\xa0b",
    "emoji 👍",
    None,
    True,
    False,
    0,
    3.5,
    "",
    ["l1", "l2"],
    {"k": 1},
]


def _rows(seed: int, columns: int, count: int) -> Iterator[dict[str, Any]]:
    chance = random.Random(seed)
    for number in range(count):
        yield {
            f"col_{c}": chance.choice(CELLS)
            if chance.random() < 0.2
            else "v" * chance.randint(0, 9) + str(number)
            for c in range(columns)
        }


def _drawn_by_rich(rows: list[dict[str, Any]], title: str, out: Any) -> None:
    """The table as rich draws it in chunks at the first chunk's widths (what a long table
    looked like before it had a row writer)."""
    con = output.console(file=out, force_terminal=True, width=out.width)
    names = list(rows[0])
    widths = None
    for start in range(0, len(rows), output.TABLE_CHUNK):
        first = widths is None
        table = output._table(names, title if first else None, first, widths)
        for row in rows[start : start + output.TABLE_CHUNK]:
            table.add_row(*(output.shown(output.value_label(n, row.get(n))) for n in names))
        if first:
            widths = table._calculate_column_widths(con, con.options)
        con.print(table)


def _held(width: int) -> Any:
    return output._Pager("cat", 10**9, width)  # holds what a terminal would get


@pytest.mark.parametrize("width", [12, 30, 80, 200])
@pytest.mark.parametrize("columns", [1, 3, 6])
@pytest.mark.parametrize("lang", ["en", "fi"])
def test_a_long_table_at_a_terminal_is_what_rich_draws(
    monkeypatch: pytest.MonkeyPatch, width: int, columns: int, lang: str
) -> None:
    monkeypatch.setenv("LAUTEX_LANG", lang)
    monkeypatch.setattr(output, "TABLE_CHUNK", 9)
    for seed in range(3):
        rows = list(_rows(seed + width + columns, columns, 40 + seed))
        expected, written = _held(width), _held(width)
        _drawn_by_rich(rows, "orders [b]", expected)
        output._emit_table(iter(rows), None, "orders [b]", written)
        assert "".join(written.held) == "".join(expected.held)


def test_a_long_table_in_a_file_is_what_rich_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output, "TABLE_CHUNK", 7)
    rows = list(_rows(5, 4, 30))
    written = io.StringIO()
    output._emit_table(iter(rows), ["col_2", "col_0"], None, written)
    con = output.console(file=io.StringIO(), width=output.UNBOUNDED_WIDTH)
    expected = io.StringIO()
    con.file = expected
    widths = None
    for start in range(0, len(rows), 7):
        table = output._table(["col_2", "col_0"], None, widths is None, widths)
        for row in rows[start : start + 7]:
            table.add_row(output.shown(row["col_2"]), output.shown(row["col_0"]))
        if widths is None:
            widths = table._calculate_column_widths(con, con.options)
        con.print(table)
    assert written.getvalue() == expected.getvalue()


def test_a_row_shows_money_in_euros_and_leaves_out_derived_columns() -> None:
    conn = sqlite3.connect(":memory:")
    conn.row_factory = sqlite3.Row
    row = conn.execute("SELECT 1250 AS amount_cents, 'x y' AS search_text").fetchone()
    assert person.row_to_dict(row) == {"amount": "12.50"}
    row = conn.execute("SELECT 0 AS signed, NULL AS fee_cents, 'a' AS note").fetchone()
    assert person.row_to_dict(row) == {"signed": False, "fee": None, "note": "a"}
