"""Art. 19 notices: listed while pending, marked sent once, built for erasure too."""

import json

import pytest

from lautex_registry.rights.notices import create_notices
from tests.conftest import Cli
from tests.helpers import (
    BILLING_PARTNER,
    add_recipient,
    add_reseller_customer,
    assert_one_line_error,
    billing_partner,
    disclose,
    dump,
)


def two_notices(cli: Cli) -> int:
    customer_id = add_reseller_customer(cli)
    billing_partner(cli)
    disclose(cli, str(customer_id), "--to", BILLING_PARTNER, "--purpose", "billing",
             "--fields", "phone")  # fmt: skip
    cli.ok("rectify", str(customer_id), "--set", "phone=040 999 8888", "--reason", "x")
    return customer_id


def notices(cli: Cli, *args: str) -> list[dict]:  # type: ignore[type-arg]
    return json.loads(cli.ok("notice", "list", *args, "-f", "json", user="auditor").stdout)  # type: ignore[no-any-return]


def test_notice_sent_takes_it_off_the_pending_list(cli: Cli) -> None:
    two_notices(cli)
    assert [n["id"] for n in notices(cli, "--pending")] == [1, 2]
    result = cli.ok("notice", "sent", "2", "--date", "2026-11-25", "--method", "email",
                    "-f", "json", user="clerk")  # fmt: skip
    sent = json.loads(result.stdout)
    assert (sent["sent_on"], sent["method"], sent["pending"]) == ("2026-11-25", "email", False)
    assert [n["id"] for n in notices(cli, "--pending")] == [1]
    assert [n["sent_on"] for n in notices(cli)] == [None, "2026-11-25"]
    csv_text = cli.ok("notice", "list", "-f", "csv").stdout
    assert csv_text.splitlines()[0].startswith("id,customer_id,request_id,kind,addressee_kind")
    with cli.connect() as conn:
        details = conn.execute(
            "SELECT details_json FROM audit_log WHERE action = 'notice sent'"
        ).fetchone()[0]
    assert json.loads(details)["method"] == "email"


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (("1", "--method", "pigeon"), 2, "method: "),
        (("1", "--method", "letter", "--date", "2026-11-24"), 2, "before the notice was created"),
        (("1", "--method", "letter", "--date", "2026-12-24"), 2, "in the future"),
        (("99", "--method", "letter"), 3, "no notice with id 99"),
    ],
)
def test_bad_notice_sent_input_changes_nothing(
    cli: Cli, args: tuple[str, ...], code: int, fragment: str
) -> None:
    two_notices(cli)
    before = dump(cli)
    assert_one_line_error(cli.run("notice", "sent", *args, user="clerk"), code, fragment)
    assert dump(cli) == before


def test_a_notice_is_marked_sent_only_once(cli: Cli) -> None:
    two_notices(cli)
    cli.ok("notice", "sent", "1", "--method", "letter")
    before = dump(cli)
    assert_one_line_error(cli.run("notice", "sent", "1", "--method", "letter"), 6, "already")
    assert dump(cli) == before


def test_erasure_notices_cover_the_source_and_every_recipient(cli: Cli) -> None:
    # Erasure (another domain) calls create_notices with fields=None: every disclosure counts.
    customer_id = add_reseller_customer(cli)
    billing_partner(cli)
    add_recipient(cli, "Luottotieto Oy", "credit-decision")
    disclose(cli, str(customer_id), "--to", BILLING_PARTNER, "--purpose", "billing",
             "--fields", "email")  # fmt: skip
    disclose(cli, str(customer_id), "--to", "Luottotieto Oy", "--purpose", "credit-decision",
             "--fields", "name,address")  # fmt: skip
    disclose(cli, str(customer_id), "--to", BILLING_PARTNER, "--purpose", "billing",
             "--fields", "phone")  # fmt: skip
    with cli.connect() as conn:
        ids = create_notices(conn, customer_id, "erasure", None)
        conn.commit()
    rows = notices(cli)
    assert [n["id"] for n in rows] == ids
    assert [(n["addressee"], n["fields"]) for n in rows] == [
        ("reseller: Rautakauppa Åström Oy", []),
        (BILLING_PARTNER, ["email", "phone"]),
        ("Luottotieto Oy", ["first_name", "last_name", "street", "postal_code", "city",
                            "country"]),
    ]  # fmt: skip
    assert {n["kind"] for n in rows} == {"erasure"}
