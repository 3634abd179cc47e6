"""Restriction (GDPR Art. 18): storage and legal uses only, lifted only after telling the person."""

import json

import pytest

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
    request,
    request_row,
    show,
)


def restricted_customer(cli: Cli) -> int:
    customer_id = add_aino(cli)
    cli.ok("restrict", str(customer_id), "--reason", "the customer contests the address",
           user="clerk")  # fmt: skip
    return customer_id


def test_restrict_marks_the_customer_and_customer_show_says_so(cli: Cli) -> None:
    customer_id = restricted_customer(cli)
    person = show(cli, str(customer_id))
    assert person["customer"]["state"] == "restricted"
    [restriction] = person["restrictions"]
    assert restriction["reason"] == "the customer contests the address"
    assert (restriction["started_on"], restriction["lifted_on"]) == ("2026-11-25", None)
    table = cli.ok("customer", "show", str(customer_id)).stdout
    assert "restricted" in table


def test_a_restricted_customer_is_absent_from_a_billing_disclosure_until_lifted(cli: Cli) -> None:
    customer_id = restricted_customer(cli)
    billing_partner(cli)
    before = dump(cli)
    result = cli.run("disclose", str(customer_id), "--to", BILLING_PARTNER, "--purpose",
                     "billing", "--fields", "name,address", user="clerk")  # fmt: skip
    assert_one_line_error(result, 4, "restricted", "legal claims or obligations")
    assert dump(cli) == before
    cli.ok("unrestrict", str(customer_id), "--informed-on", "25.11.2026")
    disclose(cli, str(customer_id), "--to", BILLING_PARTNER, "--purpose", "billing",
             "--fields", "name,address")  # fmt: skip
    assert len(disclosure_rows(cli)) == 1
    person = show(cli, str(customer_id))
    assert person["customer"]["state"] == "active"
    lifted = person["restrictions"][0]
    assert (lifted["lifted_on"], lifted["informed_on"]) == ("2026-11-25", "2026-11-25")


def test_a_restricted_customer_may_still_be_disclosed_for_a_legal_claim(cli: Cli) -> None:
    customer_id = restricted_customer(cli)
    add_recipient(cli, "Perintä Oy", "collection")
    disclose(cli, str(customer_id), "--to", "Perintä Oy", "--purpose", "collection",
             "--fields", "name,address,invoices")  # fmt: skip
    assert len(disclosure_rows(cli)) == 1


def test_recipients_are_told_of_the_restriction(cli: Cli) -> None:
    customer_id = add_aino(cli)
    billing_partner(cli)
    disclose(cli, str(customer_id), "--to", BILLING_PARTNER, "--purpose", "billing",
             "--fields", "email")  # fmt: skip
    result = cli.ok("restrict", str(customer_id), "--reason", "checking", "-f", "json")
    [notice] = json.loads(result.stdout)
    assert (notice["kind"], notice["addressee"], notice["pending"]) == (
        "restriction", BILLING_PARTNER, True,
    )  # fmt: skip


def test_a_restriction_request_is_closed_when_the_restriction_is_made(cli: Cli) -> None:
    customer_id = add_aino(cli)
    request_id = request(cli, str(customer_id), "restriction")
    cli.ok("restrict", str(customer_id), "--reason", "checking", "--request", str(request_id))
    row = request_row(cli, request_id)
    assert (row["state"], row["outcome"]) == ("closed", "completed")
    with cli.connect() as conn:
        linked = conn.execute("SELECT request_id FROM restrictions").fetchone()[0]
    assert linked == request_id


def test_unrestrict_requires_the_date_the_person_was_told(cli: Cli) -> None:
    customer_id = restricted_customer(cli)
    before = dump(cli)
    result = cli.run("unrestrict", str(customer_id))
    assert result.exit_code == 2 and "--informed-on" in result.output
    assert dump(cli) == before


@pytest.mark.parametrize(
    ("informed_on", "fragment"),
    [("2026-11-26", "in the future"), ("2026-11-01", "before the restriction began"),
     ("huomenna", "informed-on: ")],
)  # fmt: skip
def test_a_bad_informed_on_date_changes_nothing(cli: Cli, informed_on: str, fragment: str) -> None:
    customer_id = restricted_customer(cli)
    before = dump(cli)
    result = cli.run("unrestrict", str(customer_id), "--informed-on", informed_on)
    assert_one_line_error(result, 2, fragment)
    assert dump(cli) == before


def test_restricting_twice_and_lifting_an_unrestricted_customer_are_refused(cli: Cli) -> None:
    customer_id = restricted_customer(cli)
    before = dump(cli)
    assert_one_line_error(cli.run("restrict", str(customer_id), "--reason", "again"), 6,
                          "already restricted")  # fmt: skip
    assert dump(cli) == before
    cli.ok("unrestrict", str(customer_id), "--informed-on", "2026-11-25")
    before = dump(cli)
    assert_one_line_error(cli.run("unrestrict", str(customer_id), "--informed-on", "2026-11-25"),
                          4, "is not restricted")  # fmt: skip
    assert dump(cli) == before


def test_the_audit_rows_hold_no_reason_text(cli: Cli) -> None:
    customer_id = restricted_customer(cli)
    cli.ok("unrestrict", str(customer_id), "--informed-on", "2026-11-25")
    with cli.connect() as conn:
        rows = [
            (r[0], r[1])
            for r in conn.execute(
                "SELECT action, details_json FROM audit_log WHERE action LIKE '%restrict'"
            )
        ]
    assert [a for a, _ in rows] == ["restrict", "unrestrict"]
    assert all("contests" not in d for _, d in rows)
