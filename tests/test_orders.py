"""Orders through the CLI: money in euros, lines, last activity."""

import json

import pytest

from tests.conftest import Cli, roll_back_migrations
from tests.helpers import add_aino, add_order, assert_one_line_error, dump, show


def test_order_add_show_and_list(cli: Cli) -> None:
    customer_id = add_aino(cli)
    add_order(cli, "aino.aijala@example.fi")
    shown = json.loads(cli.ok("order", "show", "T-1001", "-f", "json").stdout)
    assert shown["total"] == "129.90"
    assert shown["customer_id"] == customer_id
    assert shown["lines"] == [
        {
            "product": "Koivulauta 2 m",
            "quantity": "10",
            "unit": "kpl",
            "unit_price": "12.50",
            "amount": "125.00",
        },
        {
            "product": "Ruuvit; 100 kpl",
            "quantity": "1",
            "unit": "kpl",
            "unit_price": "4.90",
            "amount": "4.90",
        },
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
        (("--line", "ok;1;1", "--channel", "fax"), 2, "channel: must be one of counter, phone"),
        (("--line", "Lauta;1,2345 jm;1"), 2, "line 1 quantity: "),
        (("--line", "Lauta;1,5 yards;1"), 2, "line 1 unit: must be one of kpl, jm"),
        (("--line", "Lauta;1000000,001;1"), 2, "line 1 quantity: must be more than 0"),
        (("--line", "Lauta;0,000;1"), 2, "line 1 quantity: must be more than 0"),
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


def test_decimal_quantities_units_and_rounding(cli: Cli) -> None:
    """1,5 and 1.5 are the same quantity, kept exactly; a line's amount is rounded to the
    cent half up and the order's total is the sum of its rounded lines."""
    customer_id = add_aino(cli)
    cli.ok("order", "add", str(customer_id), "--number", "L-1", "--date", "2026-11-20",
           "--channel", "counter",
           "--line", "Terassilauta 28x120;12,5 jm;3.85",  # 48.125 -> 48.13
           "--line", "Liimapuu;1.5 m3;0.01",  # 0.015 -> 0.02 (half up)
           "--line", "Ruuvit;0,333 kg;0.01",  # 0.00333 -> 0.00
           "--line", "Lauta;2;1.10",  # no unit: pieces
           user="clerk")  # fmt: skip
    shown = json.loads(cli.ok("order", "show", "L-1", "-f", "json").stdout)
    assert [(x["quantity"], x["unit"], x["amount"]) for x in shown["lines"]] == [
        ("12.5", "jm", "48.13"), ("1.5", "m³", "0.02"), ("0.333", "kg", "0.00"),
        ("2", "kpl", "2.20"),
    ]  # fmt: skip
    assert shown["total"] == "50.35" and shown["channel"] == "counter"
    with cli.connect() as conn:
        stored = conn.execute("SELECT quantity_milli, unit FROM order_lines ORDER BY id").fetchall()
    assert [tuple(r) for r in stored] == [(12500, "jm"), (1500, "m³"), (333, "kg"), (2000, "kpl")]
    listed = json.loads(cli.ok("order", "list", "-f", "json").stdout)
    assert listed[0]["total"] == "50.35"
    person = show(cli, str(customer_id))
    assert person["orders"][0]["total"] == "50.35"
    assert person["orders"][0]["lines"][0]["quantity"] == "12.5"
    assert person["orders"][0]["lines"][0]["unit"] == "jm"
    table = cli.ok("customer", "show", str(customer_id)).stdout
    assert "12.5 jm x" in " ".join(table.split())
    # An invoice bills exactly the order's total.
    cli.ok("invoice", "add", "L-1", "--number", "I-1", "--issued", "2026-11-20",
           "--due", "2026-12-04", user="clerk")  # fmt: skip
    with cli.connect() as conn:
        assert conn.execute("SELECT amount_cents FROM invoices").fetchone()[0] == 5035


@pytest.mark.parametrize("channel", ["counter", "phone", "email", "web-store"])
def test_orders_come_from_every_channel(cli: Cli, channel: str) -> None:
    add_aino(cli)
    cli.ok("order", "add", "1", "--number", "C-1", "--date", "2026-11-20", "--channel", channel,
           "--line", "X;1;1", user="clerk")  # fmt: skip
    assert json.loads(cli.ok("order", "show", "C-1", "-f", "json").stdout)["channel"] == channel


def test_order_add_help_lists_channels_and_units(cli: Cli) -> None:
    text = " ".join(cli.ok("order", "add", "-h", user=None).stdout.replace("│", " ").split())
    assert "counter, phone, email, web-store or reseller" in text
    assert "kpl (the default), jm, m, m², m³, kg" in text


def test_migration_13_keeps_existing_lines_as_pieces(cli: Cli) -> None:
    add_aino(cli)
    add_order(cli, "1")
    cli.ok("order", "add", "1", "--number", "R-1", "--date", "2026-11-20", "--channel",
           "reseller", "--reseller", "Puuilo", "--line", "X;3;2.00", user="clerk")  # fmt: skip
    roll_back_migrations(cli.db, to=11)
    with cli.connect() as conn:
        old = conn.execute("SELECT quantity FROM order_lines ORDER BY id").fetchall()
        assert [r[0] for r in old] == [10, 1, 3]  # the release before: whole pieces
    assert cli.run("whoami").exit_code == 4
    cli.ok("migrate")
    shown = json.loads(cli.ok("order", "show", "T-1001", "-f", "json").stdout)
    assert [(x["quantity"], x["unit"]) for x in shown["lines"]] == [("10", "kpl"), ("1", "kpl")]
    assert shown["total"] == "129.90" and shown["channel"] == "web-store"
    reseller = json.loads(cli.ok("order", "show", "R-1", "-f", "json").stdout)
    assert (reseller["channel"], reseller["total"]) == ("reseller", "6.00")
    with cli.connect() as conn:
        bad = (
            "INSERT INTO orders (number, order_date, channel, created_at) "
            "VALUES ('Z', 'd', 'fax', 'x')"
        )
        with pytest.raises(Exception, match="CHECK constraint failed"):
            conn.execute(bad)
