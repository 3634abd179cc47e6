"""Recipients: registered purposes and countries, transfers outside the EU/EEA refused."""

import json
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lautex_registry.platform.errors import InvalidInput
from lautex_registry.records import recipients
from lautex_registry.statement import privacy_info
from tests.conftest import Cli
from tests.helpers import add_recipient, assert_one_line_error, dump


def listed(cli: Cli) -> list[dict]:  # type: ignore[type-arg]
    return json.loads(cli.ok("recipient", "list", "-f", "json", user="clerk").stdout)  # type: ignore[no-any-return]


def test_add_and_list_a_recipient(cli: Cli) -> None:
    recipient_id = add_recipient(cli, "Laskutuspalvelu Oy", "billing,credit-decision", "fi")
    cli.ok("recipient", "add", "Perintä Oy", "--kind", "third-party", "--purpose", "collection",
           "--purpose", "legal-obligation", "--country", "SE")  # fmt: skip
    rows = listed(cli)
    assert [r["name"] for r in rows] == ["Laskutuspalvelu Oy", "Perintä Oy"]
    first = rows[0]
    assert first["id"] == recipient_id
    assert first["purposes"] == ["billing", "credit-decision"]
    assert (first["country"], first["eu_eea"], first["transfer_basis"]) == ("FI", True, None)
    assert rows[1]["purposes"] == ["collection", "legal-obligation"]
    with cli.connect() as conn:
        audit_row = conn.execute(
            "SELECT details_json FROM audit_log WHERE action = 'recipient add'"
        ).fetchone()
    assert json.loads(audit_row[0])["purposes"] == ["billing", "credit-decision"]


def test_a_us_recipient_without_a_transfer_basis_is_refused(cli: Cli) -> None:
    before = dump(cli)
    result = cli.run("recipient", "add", "US Cloud Inc", "--kind", "processor",
                     "--purpose", "billing", "--country", "US")  # fmt: skip
    assert_one_line_error(result, 4, "outside the EU/EEA", "--transfer-basis")
    assert dump(cli) == before


def test_a_us_recipient_with_a_recorded_basis_is_accepted(cli: Cli) -> None:
    add_recipient(cli, "US Cloud Inc", "billing", "US", "--transfer-basis",
                  "EU-US Data Privacy Framework adequacy decision 2023/1795")  # fmt: skip
    row = listed(cli)[0]
    assert row["eu_eea"] is False
    assert row["transfer_basis"].startswith("EU-US Data Privacy Framework")


def test_eea_states_outside_the_eu_need_no_basis(cli: Cli) -> None:
    add_recipient(cli, "Norsk Faktura AS", "billing", "NO")
    assert listed(cli)[0]["eu_eea"] is True


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (("--kind", "processor", "--purpose", "marketing", "--country", "FI"), 4, "marketing"),
        (("--kind", "processor", "--purpose", "lottery", "--country", "FI"), 2, "purpose: "),
        (("--kind", "friend", "--purpose", "billing", "--country", "FI"), 2, "kind: "),
        (("--kind", "processor", "--purpose", "billing", "--country", "Suomi"), 2, "country: "),
        (("--kind", "processor", "--purpose", ",", "--country", "FI"), 2, "purpose: "),
    ],
)
def test_bad_recipient_input_changes_nothing(
    cli: Cli, args: tuple[str, ...], code: int, fragment: str
) -> None:
    before = dump(cli)
    assert_one_line_error(cli.run("recipient", "add", "X Oy", *args), code, fragment)
    assert dump(cli) == before


def test_a_duplicate_name_is_a_conflict(cli: Cli) -> None:
    add_recipient(cli, "Laskutuspalvelu Oy", "billing")
    before = dump(cli)
    result = cli.run("recipient", "add", "laskutuspalvelu oy", "--kind", "processor",
                     "--purpose", "billing", "--country", "FI")  # fmt: skip
    assert_one_line_error(result, 6, "already exists")
    assert dump(cli) == before


def test_a_clerk_may_list_but_not_add(cli: Cli) -> None:
    result = cli.run("recipient", "add", "X Oy", "--kind", "processor", "--purpose", "billing",
                     "--country", "FI", user="clerk")  # fmt: skip
    assert result.exit_code == 5
    assert listed(cli) == []


@given(st.text(alphabet=string.ascii_uppercase, min_size=2, max_size=2))
def test_the_statement_and_the_disclosure_rules_agree_on_every_country_code(code: str) -> None:
    # The statement calls a country outside the EEA exactly when a disclosure there needs a
    # transfer basis (GDPR Art. 44-46); aliases such as EL (Greece) are normalised first.
    try:
        normalised = recipients.normalise_country(code)
    except InvalidInput:
        assert privacy_info.is_outside_eea(code)  # unreadable: never treated as safe
        return
    assert recipients.in_eu_eea(normalised) == (not privacy_info.is_outside_eea(code))


@given(
    st.text(alphabet=string.ascii_uppercase, min_size=2, max_size=2),
    st.one_of(st.none(), st.text(min_size=1, max_size=20)),
)
def test_a_transfer_is_refused_exactly_outside_the_eea_without_a_basis(
    code: str, basis: str | None
) -> None:
    refusal = recipients.transfer_refusal("X", code, basis)
    assert (refusal is None) == (recipients.in_eu_eea(code) or bool(basis))
