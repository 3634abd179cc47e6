"""Orders through the CLI: money in euros, lines, last activity."""

import json

import pytest

from tests.conftest import Cli
from tests.helpers import add_aino, add_order, assert_one_line_error, dump, show


def test_order_add_show_and_list(cli: Cli) -> None:
    customer_id = add_aino(cli)
    add_order(cli, "aino.aijala@example.fi")
    shown = json.loads(cli.ok("order", "show", "T-1001", "-f", "json").stdout)
    assert shown["total"] == "129.90"
    assert shown["customer_id"] == customer_id
    assert shown["lines"] == [
        {"product": "Koivulauta 2 m", "quantity": 10, "unit_price": "12.50", "amount": "125.00"},
        {"product": "Ruuvit; 100 kpl", "quantity": 1, "unit_price": "4.90", "amount": "4.90"},
    ]
    with cli.connect() as conn:
        cents = [r[0] for r in conn.execute("SELECT unit_price_cents FROM order_lines ORDER BY id")]
    assert cents == [1250, 490]
    listed = json.loads(cli.ok("order", "list", "--customer", str(customer_id), "-f",
                               "json").stdout)  # fmt: skip
    assert [(o["number"], o["total"], o["customer"]) for o in listed] == [
        ("T-1001", "129.90", "Aino Äijälä")
    ]
    assert json.loads(cli.ok("order", "list", "--since", "2026-11-21", "-f", "json").stdout) == []
    person = show(cli, str(customer_id))
    assert person["orders"][0]["total"] == "129.90"
    assert person["orders"][0]["lines"][0]["unit_price"] == "12.50"
    assert "T-1001" in cli.ok("customer", "show", str(customer_id)).stdout


def test_order_date_updates_last_activity_only_forwards(cli: Cli) -> None:
    customer_id = add_aino(cli)
    with cli.connect() as conn:
        conn.execute("UPDATE customers SET last_activity = '2020-01-01'")
    add_order(cli, str(customer_id))
    assert show(cli, str(customer_id))["customer"]["last_activity"] == "2026-11-20"
    cli.ok("order", "add", str(customer_id), "--number", "OLD", "--date", "2024-05-05",
           "--channel", "reseller", "--reseller", "Rautakauppa Oy", "--line", "X;1;1")  # fmt: skip
    assert show(cli, str(customer_id))["customer"]["last_activity"] == "2026-11-20"


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (("--line", "Lauta;1;1.234"), 2, "line 1 unit price: "),
        (("--line", "Lauta;0;1"), 2, "line 1 quantity: "),
        (("--line", "Lauta;x;1"), 2, "line 1 quantity: "),
        (("--line", "Lauta;1;-1"), 2, "line 1 unit price: must not be negative"),
        (("--line", "Lauta"), 2, "line 1: write it as"),
        (("--line", "ok;1;1", "--line", ";1;1"), 2, "line 2 product: "),
        (("--line", "ok;1;1", "--date", "2026-11-26"), 2, "date: 2026-11-26 is in the future"),
        (("--line", "ok;1;1", "--channel", "phone"), 2, "channel: "),
        (("--line", "ok;1;1", "--channel", "reseller"), 2, "reseller: required"),
        (("--line", "ok;1;1", "--reseller", "R Oy"), 2, "reseller: only for"),
        (("--line", "ok;1;1", "--number", "T-1"), 6, "number: an order numbered 'T-1'"),
    ],
)
def test_order_add_bad_input(cli: Cli, args: tuple[str, ...], code: int, fragment: str) -> None:
    add_aino(cli)
    add_order(cli, "1", "T-1")
    before = dump(cli)
    base = {"--number": "T-2", "--date": "2026-11-01", "--channel": "web-store"}
    overrides = dict(zip(args[::2], args[1::2], strict=True))
    lines = [v for k, v in zip(args[::2], args[1::2], strict=True) if k == "--line"]
    options = [x for k, v in {**base, **overrides}.items() if k != "--line" for x in (k, v)]
    for line in lines:
        options += ["--line", line]
    result = cli.run("order", "add", "1", *options, user="clerk")
    assert_one_line_error(result, code, fragment)
    assert dump(cli) == before


def test_order_for_unknown_or_anonymised_customer(cli: Cli) -> None:
    customer_id = add_aino(cli)
    args = ("--number", "T-9", "--date", "2026-11-01", "--channel", "web-store", "--line", "X;1;1")
    assert_one_line_error(cli.run("order", "add", "99", *args), 3, "customer: ")
    with cli.connect() as conn:
        conn.execute("UPDATE customers SET state = 'anonymised' WHERE id = ?", (customer_id,))
    before = dump(cli)
    assert_one_line_error(cli.run("order", "add", str(customer_id), *args), 4, "anonymised")
    assert dump(cli) == before


def test_order_show_unknown(cli: Cli) -> None:
    assert_one_line_error(cli.run("order", "show", "NOPE"), 3, "order: no order numbered 'NOPE'")


def test_order_list_names_customers_so_it_is_audited_with_counts_only(cli: Cli) -> None:
    add_aino(cli)
    add_order(cli, "aino.aijala@example.fi")
    cli.ok("order", "list", "--since", "2026-01-01", "-f", "csv", user="auditor")
    with cli.connect() as conn:
        rows = conn.execute(
            "SELECT username, details_json FROM audit_log WHERE action = 'order list'"
        ).fetchall()
    assert [(r[0], json.loads(r[1])) for r in rows] == [
        ("auditor", {"rows": 1, "format": "csv", "filters": ["since"]})
    ]
    assert "Äijälä" not in rows[0][1]
