"""Invoices through the CLI: billing snapshot, states, lists."""

import json
from typing import Any

import pytest

from tests.conftest import Cli
from tests.helpers import assert_one_line_error, dump, invoiced, show


def invoice(cli: Cli, number: str = "2026-0457") -> dict[str, Any]:
    rows: list[dict[str, Any]] = json.loads(cli.ok("invoice", "list", "-f", "json").stdout)
    return next(r for r in rows if r["number"] == number)


def test_invoice_keeps_billing_data_as_issued(cli: Cli) -> None:
    customer_id = invoiced(cli)
    cli.ok("customer", "edit", str(customer_id), "--last-name", "Öberg", "--street", "Uusi 1",
           "--clear", "org")  # fmt: skip
    with cli.connect() as conn:
        row = conn.execute("SELECT * FROM invoices").fetchone()
    assert row["amount_cents"] == 12990
    assert row["billing_name"] == "Aino Äijälä"
    assert row["billing_organisation"] == "Puutalo Oy"
    assert (row["billing_street"], row["billing_postal_code"], row["billing_city"]) == (
        "Kuusitie 3 B 12",
        "00100",
        "Helsinki",
    )
    assert row["state"] == "open"
    listed = invoice(cli)
    assert listed["amount"] == "129.90" and listed["order"] == "T-1001"
    person = show(cli, str(customer_id))
    assert person["invoices"][0]["amount"] == "129.90"
    assert person["invoices"][0]["billing_name"] == "Aino Äijälä"


def test_pay_marks_the_invoice_paid(cli: Cli) -> None:
    invoiced(cli)
    cli.ok("invoice", "pay", "2026-0457", "--date", "2026-11-24", user="clerk")
    listed = invoice(cli)
    assert (listed["state"], listed["paid_on"]) == ("paid", "2026-11-24")
    assert json.loads(cli.ok("invoice", "list", "--open", "-f", "json").stdout) == []
    with cli.connect() as conn:
        actions = [
            r[0] for r in conn.execute("SELECT action FROM audit_log WHERE entity = 'invoice'")
        ]
    assert actions[:2] == ["invoice add", "invoice pay"]


def test_remind_collect_and_write_off(cli: Cli) -> None:
    invoiced(cli, due="2026-11-21")
    cli.ok("invoice", "remind", "2026-0457", "--date", "2026-11-22")
    assert invoice(cli)["last_reminder_on"] == "2026-11-22"
    overdue = json.loads(cli.ok("invoice", "list", "--overdue", "-f", "json").stdout)
    assert [r["number"] for r in overdue] == ["2026-0457"]
    cli.ok("recipient", "add", "Perintä Oy", "--kind", "third-party", "--purpose", "collection",
           "--country", "FI")  # fmt: skip
    cli.ok("invoice", "collect", "2026-0457", "--agency", "Perintä Oy", "--date", "2026-11-23")
    listed = invoice(cli)
    assert (listed["state"], listed["collection_agency"], listed["collection_on"]) == (
        "in-collection",
        "Perintä Oy",
        "2026-11-23",
    )
    assert len(json.loads(cli.ok("invoice", "list", "--open", "-f", "json").stdout)) == 1
    # In collection is an open claim, but no longer "overdue" for the clerk to chase.
    assert json.loads(cli.ok("invoice", "list", "--overdue", "-f", "json").stdout) == []
    cli.ok("invoice", "write-off", "2026-0457", "--yes", "--date", "2026-11-25")
    listed = invoice(cli)
    assert (listed["state"], listed["written_off_on"]) == ("written-off", "2026-11-25")


def test_overdue_excludes_invoices_not_yet_due(cli: Cli) -> None:
    invoiced(cli, due="2026-12-04")
    assert json.loads(cli.ok("invoice", "list", "--overdue", "-f", "json").stdout) == []


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (("invoice", "add", "T-1001", "--number", "X", "--issued", "2026-11-20", "--due",
          "2026-11-30"), 6, "order T-1001 already has invoice 2026-0457"),
        (("invoice", "add", "NOPE", "--number", "X", "--issued", "2026-11-20", "--due",
          "2026-11-30"), 3, "order: no order numbered 'NOPE'"),
        (("invoice", "add", "T-1001", "--number", "X", "--issued", "2026-11-20", "--due",
          "2026-11-19"), 2, "due: 2026-11-19 is before the issue date"),
        (("invoice", "add", "T-1001", "--number", "X", "--issued", "2026-13-01", "--due",
          "2026-11-19"), 2, "issued: "),
        (("invoice", "pay", "NOPE", "--date", "2026-11-24"), 3, "invoice: no invoice"),
        (("invoice", "pay", "2026-0457", "--date", "2026-11-19"), 2, "date: 2026-11-19 is before"),
        (("invoice", "pay", "2026-0457", "--date", "2026-12-01"), 2, "is in the future"),
        (("invoice", "pay", "2026-0457", "--date", "eilen"), 2, "date: "),
        (("invoice", "collect", "2026-0457", "--agency", " ", "--date", "2026-11-24"), 2,
         "agency: is required"),
    ],
)  # fmt: skip
def test_invoice_bad_input(cli: Cli, args: tuple[str, ...], code: int, fragment: str) -> None:
    invoiced(cli)
    before = dump(cli)
    assert_one_line_error(cli.run(*args, user="clerk"), code, fragment)
    assert dump(cli) == before


@pytest.mark.parametrize(
    "args",
    [
        ("invoice", "pay", "2026-0457", "--date", "2026-11-25"),
        ("invoice", "remind", "2026-0457", "--date", "2026-11-25"),
        ("invoice", "collect", "2026-0457", "--agency", "P Oy", "--date", "2026-11-25"),
        ("invoice", "write-off", "2026-0457", "--yes", "--date", "2026-11-25"),
    ],
)
def test_a_paid_invoice_cannot_change_state(cli: Cli, args: tuple[str, ...]) -> None:
    invoiced(cli)
    cli.ok("invoice", "pay", "2026-0457", "--date", "2026-11-24")
    before = dump(cli)
    assert_one_line_error(cli.run(*args), 4, "invoice 2026-0457 is paid")
    assert dump(cli) == before


def test_auditor_may_list_but_not_pay(cli: Cli) -> None:
    invoiced(cli)
    cli.ok("invoice", "list", user="auditor")
    before = dump(cli)
    assert_one_line_error(cli.run("invoice", "pay", "2026-0457", "--date", "2026-11-24",
                                  user="auditor"), 5)  # fmt: skip
    assert dump(cli) == before
