"""The disclosure log: permitted purposes only, never marketing, no transfer without a basis."""

import json
from pathlib import Path

import pytest

from lautex_registry.platform.sqlite import sqlite3
from tests.conftest import Cli
from tests.helpers import (
    BILLING_PARTNER,
    add_aino,
    add_recipient,
    assert_one_line_error,
    billing_partner,
    disclose,
    disclosure_rows,
    dump,
    show,
)


def test_a_disclosure_is_logged_with_its_fields_date_and_purpose(cli: Cli) -> None:
    customer_id = add_aino(cli)
    recipient_id = billing_partner(cli)
    disclosure_id = disclose(
        cli, "aino.aijala@example.fi", "--to", "laskutuspalvelu oy", "--purpose", "billing",
        "--fields", "name, address,email", "--date", "2026-11-20",
        "--legal-reference", "Sopimus 12/2026",
    )  # fmt: skip
    [row] = disclosure_rows(cli)
    assert row["id"] == disclosure_id
    assert (row["customer_id"], row["recipient_id"]) == (customer_id, recipient_id)
    assert row["disclosed_on"] == "2026-11-20" and row["purpose"] == "billing"
    assert row["fields"] == "first_name,last_name,street,postal_code,city,country,email"
    assert row["legal_reference"] == "Sopimus 12/2026"
    person = show(cli, str(customer_id))
    assert person["disclosures"][0]["purpose"] == "billing"


def test_the_audit_row_names_fields_not_values(cli: Cli) -> None:
    add_aino(cli)
    billing_partner(cli)
    disclose(cli, "1", "--to", BILLING_PARTNER, "--purpose", "billing", "--fields", "phone",
             "--legal-reference", "Sopimus 12/2026")  # fmt: skip
    with cli.connect() as conn:
        details = conn.execute(
            "SELECT details_json FROM audit_log WHERE action = 'disclose'"
        ).fetchone()[0]
    assert json.loads(details)["fields"] == ["phone"]
    assert "Sopimus" not in details and "+358" not in details


def test_a_disclosure_for_marketing_is_refused_and_nothing_logged(cli: Cli) -> None:
    add_aino(cli)
    add_recipient(cli, "Kaikki Oy", "billing,collection,credit-decision,value-added-service")
    before = dump(cli)
    result = cli.run("disclose", "1", "--to", "Kaikki Oy", "--purpose", "marketing",
                     "--fields", "email", user="clerk")  # fmt: skip
    assert_one_line_error(result, 4, "never permits", "marketing")
    assert dump(cli) == before
    assert disclosure_rows(cli) == []


def test_a_purpose_the_recipient_is_not_registered_for_is_refused(cli: Cli) -> None:
    add_aino(cli)
    billing_partner(cli)
    before = dump(cli)
    result = cli.run("disclose", "1", "--to", BILLING_PARTNER, "--purpose", "credit-decision",
                     "--fields", "name", user="clerk")  # fmt: skip
    assert_one_line_error(result, 4, "not one of Laskutuspalvelu Oy's permitted purposes")
    assert dump(cli) == before


def test_a_us_recipient_without_a_basis_is_refused_and_nothing_logged(cli: Cli) -> None:
    add_aino(cli)
    # `recipient add` refuses such a row; one written around it must not be usable either.
    with cli.connect() as conn:
        conn.execute(
            "INSERT INTO recipients (name, kind, purposes, country, created_at) "
            "VALUES ('US Billing Inc', 'processor', 'billing', 'US', '2026-01-01T00:00:00Z')"
        )
    before = dump(cli)
    result = cli.run("disclose", "1", "--to", "US Billing Inc", "--purpose", "billing",
                     "--fields", "email", user="clerk")  # fmt: skip
    assert_one_line_error(result, 4, "outside the EU/EEA")
    assert dump(cli) == before
    assert disclosure_rows(cli) == []


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (("1", "--to", BILLING_PARTNER, "--purpose", "billing", "--fields", "hobbies"), 2,
         "fields: 'hobbies'"),
        (("1", "--to", BILLING_PARTNER, "--purpose", "billing", "--fields", " , "), 2, "fields: "),
        (("1", "--to", BILLING_PARTNER, "--purpose", "billing", "--fields", "email", "--date",
          "2026-12-01"), 2, "in the future"),
        (("1", "--to", "Nobody Oy", "--purpose", "billing", "--fields", "email"), 3,
         "no recipient 'Nobody Oy'"),
        (("99", "--to", BILLING_PARTNER, "--purpose", "billing", "--fields", "email"), 3,
         "no customer"),
    ],
)  # fmt: skip
def test_bad_disclosure_input_changes_nothing(
    cli: Cli, args: tuple[str, ...], code: int, fragment: str
) -> None:
    add_aino(cli)
    billing_partner(cli)
    before = dump(cli)
    assert_one_line_error(cli.run("disclose", *args, user="clerk"), code, fragment)
    assert dump(cli) == before


# --- invoice collect: the hand-over to the agency goes through the same log ------------------


def _invoiced(cli: Cli) -> int:
    customer_id = add_aino(cli)
    cli.ok("order", "add", str(customer_id), "--number", "T-1", "--date", "2026-10-01",
           "--channel", "web-store", "--line", "Lauta;2;10.00")  # fmt: skip
    cli.ok("invoice", "add", "T-1", "--number", "2026-0001", "--issued", "2026-10-01",
           "--due", "2026-10-15")  # fmt: skip
    return customer_id


def test_invoice_collect_logs_the_disclosure_to_the_agency(cli: Cli) -> None:
    customer_id = _invoiced(cli)
    agency_id = int(cli.ok("recipient", "add", "Perintä Oy", "--kind", "third-party",
                           "--purpose", "collection", "--country", "FI").stdout)  # fmt: skip
    cli.ok("invoice", "collect", "2026-0001", "--agency", "perintä oy", "--date", "2026-11-20")
    [row] = disclosure_rows(cli)
    assert (row["customer_id"], row["recipient_id"]) == (customer_id, agency_id)
    assert (row["purpose"], row["disclosed_on"]) == ("collection", "2026-11-20")
    assert "invoices" in row["fields"].split(",") and "street" in row["fields"].split(",")
    with cli.connect() as conn:
        invoice = conn.execute("SELECT id, collection_agency FROM invoices").fetchone()
    assert row["invoice_id"] == invoice["id"]
    assert invoice["collection_agency"] == "Perintä Oy"


@pytest.mark.parametrize("purpose", [None, "billing"])
def test_invoice_collect_needs_a_registered_collection_agency(
    cli: Cli, purpose: str | None
) -> None:
    _invoiced(cli)
    if purpose:
        add_recipient(cli, "Perintä Oy", purpose)
    before = dump(cli)
    result = cli.run("invoice", "collect", "2026-0001", "--agency", "Perintä Oy",
                     "--date", "2026-11-20")  # fmt: skip
    assert_one_line_error(result, 4, "lautex recipient add")
    assert dump(cli) == before


def test_the_demo_has_a_billing_partner_disclosure_that_rectification_reaches(
    cli: Cli, demo: Path
) -> None:
    target = demo
    with sqlite3.connect(target) as conn:
        customer_id, fields = conn.execute(
            """SELECT d.customer_id, d.fields FROM disclosures d
               JOIN recipients r ON r.id = d.recipient_id WHERE d.purpose = 'billing'"""
        ).fetchone()
    assert "street" in fields.split(",")
    result = cli.run("--db", str(target), "rectify", str(customer_id), "--set",
                     "street=Uusikatu 1", "--reason", "moved", "-f", "json", user=None)  # fmt: skip
    assert result.exit_code == 0, result.output
    addressees = [(n["addressee_kind"], n["addressee"]) for n in json.loads(result.stdout)]
    assert ("recipient", "Laskutuspalvelu Pöllänen Oy") in addressees
    assert any(kind == "source" and name.startswith("reseller") for kind, name in addressees)
