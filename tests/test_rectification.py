"""Rectification (GDPR Art. 16): corrected in place, notices to the source and recipients."""

import json

import pytest

from tests.conftest import Cli
from tests.helpers import (
    BILLING_PARTNER,
    add_aino,
    add_reseller_customer,
    assert_one_line_error,
    billing_partner,
    disclose,
    dump,
    request,
    request_row,
    show,
)


def test_a_reseller_phone_disclosed_to_a_billing_partner_names_both_as_pending_notices(
    cli: Cli,
) -> None:
    customer_id = add_reseller_customer(cli)
    billing_partner(cli)
    disclose(cli, str(customer_id), "--to", BILLING_PARTNER, "--purpose", "billing",
             "--fields", "name,phone")  # fmt: skip
    result = cli.ok("rectify", str(customer_id), "--set", "phone=040 999 8888",
                    "--reason", "the customer's number changed", "--format", "json",
                    user="clerk")  # fmt: skip
    notices = json.loads(result.stdout)
    assert [(n["addressee_kind"], n["addressee"], n["fields"]) for n in notices] == [
        ("source", "reseller: Rautakauppa Åström Oy", ["phone"]),
        ("recipient", BILLING_PARTNER, ["phone"]),
    ]
    assert all(n["pending"] and n["kind"] == "rectification" for n in notices)
    assert "Rautakauppa Åström Oy" in result.stderr and BILLING_PARTNER in result.stderr
    pending = json.loads(cli.ok("notice", "list", "--pending", "-f", "json").stdout)
    assert [n["id"] for n in pending] == [n["id"] for n in notices]
    assert show(cli, str(customer_id))["customer"]["phone"] == "+358409998888"


def test_correcting_the_source_tells_the_one_the_data_came_from(cli: Cli) -> None:
    """The data came from the reseller: the notice goes there, not to the corrected source."""
    customer_id = add_reseller_customer(cli)
    result = cli.ok("rectify", str(customer_id), "--set", "source=partner",
                    "--set", "source_detail=Puutarhakumppani Oy",
                    "--reason", "the data came through our partner", "-f", "json")  # fmt: skip
    [notice] = json.loads(result.stdout)
    assert (notice["addressee_kind"], notice["addressee"]) == (
        "source",
        "reseller: Rautakauppa Åström Oy",
    )
    assert show(cli, str(customer_id))["customer"]["source"] == "partner"


def test_the_table_output_names_both_addressees(cli: Cli) -> None:
    customer_id = add_reseller_customer(cli)
    billing_partner(cli)
    disclose(cli, str(customer_id), "--to", BILLING_PARTNER, "--purpose", "billing",
             "--fields", "phone")  # fmt: skip
    result = cli.ok("rectify", str(customer_id), "--set", "phone=040 999 8888", "--reason", "x")
    assert "Rautakauppa" in result.stdout and "Laskutuspalvelu" in result.stdout


def test_the_old_value_is_kept_nowhere(cli: Cli) -> None:
    customer_id = add_reseller_customer(cli)
    cli.ok("rectify", str(customer_id), "--set", "phone=040 999 8888", "--set",
           "street=Uusikatu 1", "--reason", "moved")  # fmt: skip
    everything = "\n".join(dump(cli))
    assert "+358401112222" not in everything and "Koivukuja 5" not in everything
    with cli.connect() as conn:
        rows = conn.execute(
            "SELECT details_json FROM audit_log WHERE action = 'rectify'"
        ).fetchall()
    assert rows and all("Uusikatu" not in r[0] and "+358" not in r[0] for r in rows)
    assert json.loads(rows[0][0])["fields"] == ["phone", "street"]


def test_only_recipients_of_a_corrected_field_are_notified(cli: Cli) -> None:
    customer_id = add_aino(cli)  # web-store: the person gave the data themself
    billing_partner(cli)
    disclose(cli, str(customer_id), "--to", BILLING_PARTNER, "--purpose", "billing",
             "--fields", "email")  # fmt: skip
    result = cli.ok("rectify", str(customer_id), "--set", "phone=040 999 8888",
                    "--reason", "x", "-f", "json")  # fmt: skip
    assert json.loads(result.stdout) == []
    assert "no source or recipient to notify" in result.stderr


def test_a_request_is_closed_as_completed(cli: Cli) -> None:
    customer_id = add_aino(cli)
    request_id = request(cli, str(customer_id))
    cli.ok("rectify", str(customer_id), "--set", "last_name=Virtanen", "--reason",
           "name changed on marriage", "--request", str(request_id))  # fmt: skip
    row = request_row(cli, request_id)
    assert (row["state"], row["outcome"]) == ("closed", "completed")
    assert show(cli, str(customer_id))["customer"]["last_name"] == "Virtanen"


def test_a_supplementary_statement_is_recorded_and_shown(cli: Cli) -> None:
    customer_id = add_aino(cli)
    result = cli.ok("rectify", str(customer_id), "--supplement",
                    "Asiakas ilmoittaa, ettei ole tilannut tuotetta T-9.",
                    "--reason", "the customer's own statement")  # fmt: skip
    assert "supplementary statement" in result.stderr
    assert "corrected:" not in result.stderr  # nothing was to be corrected, nothing is claimed
    person = show(cli, str(customer_id))
    assert person["supplements"][0]["text"].startswith("Asiakas ilmoittaa")


def test_a_billed_address_on_an_issued_invoice_is_kept_and_the_refusal_recorded(
    cli: Cli,
) -> None:
    customer_id = add_aino(cli)
    cli.ok("order", "add", str(customer_id), "--number", "T-1", "--date", "2026-10-01",
           "--channel", "web-store", "--line", "Lauta;2;10.00")  # fmt: skip
    cli.ok("invoice", "add", "T-1", "--number", "2026-0001", "--issued", "2026-10-01",
           "--due", "2026-10-15")  # fmt: skip
    request_id = request(cli, str(customer_id), "rectification", "--language", "en")
    result = cli.ok("rectify", str(customer_id), "--set", "street=Uusikatu 1",
                    "--reason", "the customer moved", "--request", str(request_id))  # fmt: skip
    assert "NOT changed on issued invoices 2026-0001 (billing_street)" in result.stderr
    assert "partial refusal" in result.stderr
    with cli.connect() as conn:
        invoice = conn.execute("SELECT billing_street FROM invoices").fetchone()
        street = conn.execute("SELECT street FROM customers").fetchone()[0]
        details = conn.execute(
            "SELECT details_json FROM audit_log WHERE action = 'rectify' ORDER BY id DESC"
        ).fetchone()[0]
    assert invoice["billing_street"] == "Kuusitie 3 B 12"
    assert street == "Uusikatu 1"
    assert json.loads(details)["kept_fields"] == ["billing_street"]
    row = request_row(cli, request_id)
    assert (row["state"], row["outcome"]) == ("closed", "partially-refused")
    assert "Accounting Act 1336/1997" in row["reasons"] and "2026-0001" in row["reasons"]
    certificate = cli.ok("request", "certificate", str(request_id)).stdout
    assert "granted in part" in certificate and "Accounting Act" in certificate


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (("--set", "phone=12"), 2, "phone: "),
        (("--set", "phone"), 2, "set: 'phone' must be FIELD=VALUE"),
        (("--set", "last_name="), 2, "last_name: is required"),
        (("--set", "shoe_size=44"), 2, "shoe_size: not a customer field"),
        (("--set", "billing_street=Uusikatu 1"), 4, "accounting voucher"),
        (("--set", "amount=0"), 4, "accounting voucher"),
        (("--set", "phone=040 999 8888", "--reason", " "), 2, "reason: "),
        (("--set", "phone=040 999 8888", "--request", "99"), 3, "request: no request with id 99"),
        (("--set", "phone=040 999 8888", "--request", "1"), 2, "not a rectification"),
        (("--reason", "nothing to do"), 2, "--set FIELD=VALUE or a --supplement"),
        (("--refuse", "--reason", "no"), 2, "add --request ID"),
        (("--refuse", "--set", "phone=040 999 8888", "--request", "1"), 2, "cannot be combined"),
    ],
)  # fmt: skip
def test_bad_rectification_input_changes_nothing(
    cli: Cli, args: tuple[str, ...], code: int, fragment: str
) -> None:
    customer_id = add_aino(cli)
    request(cli, str(customer_id), "access")
    before = dump(cli)
    if "--reason" not in args:
        args = (*args, "--reason", "because")
    result = cli.run("rectify", str(customer_id), *args, user="clerk")
    assert_one_line_error(result, code, fragment)
    assert dump(cli) == before


def test_a_request_of_another_customer_is_not_used(cli: Cli) -> None:
    add_aino(cli)
    other = add_reseller_customer(cli)
    request_id = request(cli, str(other))
    before = dump(cli)
    result = cli.run("rectify", "1", "--set", "phone=040 999 8888", "--reason", "x",
                     "--request", str(request_id))  # fmt: skip
    assert_one_line_error(result, 2, "request: 1 is about customer 2, not 1")
    assert dump(cli) == before


def test_an_auditor_may_not_rectify(cli: Cli) -> None:
    add_aino(cli)
    before = dump(cli)
    result = cli.run("rectify", "1", "--set", "phone=040 999 8888", "--reason", "x",
                     user="auditor")  # fmt: skip
    assert result.exit_code == 5
    assert dump(cli) == before
