"""art15_information: the one source of the statement, the record and the access reply."""

import json
import tomllib
from collections.abc import Iterator
from html import escape
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lautex_registry.platform import audit
from lautex_registry.platform.db import connect, transaction
from lautex_registry.platform.settings import default_settings_text
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records.personal_data import PERSONAL_TABLES
from lautex_registry.records.recipients import add_recipient
from lautex_registry.statement.privacy_info import art15_information, is_outside_eea
from tests.conftest import Cli
from tests.helpers import markdown_sections

STABLE_KEYS = {
    "controller", "purposes", "categories", "recipients", "transfers", "retention", "rights",
    "complaint", "sources", "automated_decisions", "language", "version_date",
    "statement_date", "register_name",
}  # fmt: skip
RIGHTS = {
    "access", "rectification", "erasure", "restriction", "objection", "portability",
    "withdraw-consent",
}  # fmt: skip
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def conn(cli: Cli) -> Iterator[sqlite3.Connection]:
    connection = connect(cli.db)
    yield connection
    connection.close()


def set_retention(cli: Cli, key: str, value: int) -> None:
    with cli.connect() as db:
        db.execute(
            "UPDATE settings SET value_json = json_set(value_json, ?, ?) WHERE key = 'retention'",
            (f"$.{key}", value),
        )


def add_us_recipient(conn: sqlite3.Connection, basis: str | None) -> None:
    with transaction(conn):
        add_recipient(
            conn, audit.Actor(None, "test"), "Pilvi Inc", "processor", ["billing"], "US", basis
        )


def all_three(cli: Cli, conn: sqlite3.Connection, lang: str) -> tuple[str, str, str]:
    """The statement (Markdown), the record (JSON) and art15_information (JSON), as text."""
    statement = cli.ok("statement", "--lang", lang, user="auditor").stdout
    record = cli.ok("processing-record", "--lang", lang, "--format", "json").stdout
    info = json.dumps(art15_information(conn, lang), ensure_ascii=False)
    return statement, record, info


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_the_keys_the_access_export_relies_on_are_there(
    conn: sqlite3.Connection, lang: str
) -> None:
    info = art15_information(conn, lang)
    assert set(info) >= STABLE_KEYS
    assert {r["code"] for r in info["rights"]} == RIGHTS
    assert all(r["how"] and r["right"] for r in info["rights"])
    assert {p["article"] for p in info["purposes"]} == {"6(1)(a)", "6(1)(b)", "6(1)(c)", "6(1)(f)"}
    for purpose in info["purposes"]:
        assert purpose["purpose"] and purpose["legal_basis"]
        # GDPR Art. 13(1)(d): legitimate interest is stated where it is the basis.
        assert bool(purpose["legitimate_interest"]) == (purpose["article"] == "6(1)(f)")
    assert {"statistics", "b2b-marketing"} <= {p["code"] for p in info["purposes"]}
    assert info["automated_decisions_exist"] is False
    assert info["complaint"]["email"] == "tietosuoja@om.fi"
    assert info["recipients"]["entries"] == []
    assert info["recipients"]["policy"]
    assert info["transfers"]["outside_eea"] == []
    assert {s["code"] for s in info["sources"]} == {
        "web-store", "reseller", "registration", "customer-service", "subcontractor", "partner",
    }  # fmt: skip
    assert {r["code"] for r in info["retention"]} >= {"customer", "vouchers", "claims"}


def test_every_personal_column_of_the_schema_has_a_category_in_the_settings() -> None:
    statement = tomllib.loads(default_settings_text())["statement"]
    covered = {column for category in statement["categories"] for column in category["columns"]}
    missing = [
        f"{table.table}.{column}"
        for table in PERSONAL_TABLES
        for column in table.columns
        if f"{table.table}.{column}" not in covered
    ]
    assert missing == [], "add these to a [[statement.categories]] entry of register.toml"


def test_a_copy_of_a_name_is_listed_with_the_name_when_older_settings_miss_it() -> None:
    """A register's settings are stored when it is made: one made before migration 19 has
    no category naming the sort keys, which copy the names. The statement lists them
    with the names rather than as a category called by its column (code in a letter)."""
    from lautex_registry.statement.privacy_info import _categories

    statement = tomllib.loads(default_settings_text())["statement"]
    for category in statement["categories"]:
        category["columns"] = [c for c in category["columns"] if ".sort_" not in c]
    categories = _categories(statement, "en")
    identity = next(c for c in categories if c["code"] == "identity")
    assert {"customers.sort_first_name", "customers.sort_last_name"} <= set(identity["columns"])
    assert not any(".sort_" in c["category"] for c in categories)


def test_data_register_toml_is_the_built_in_settings() -> None:
    assert (REPO / "data" / "register.toml").read_text("utf-8") == default_settings_text()


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_changing_a_retention_period_changes_statement_record_and_access_info_alike(
    cli: Cli, conn: sqlite3.Connection, lang: str
) -> None:
    phrase = {"fi": "{} vuotta viimeisestä tilauksesta", "en": "for {} years after the last order"}
    for document in all_three(cli, conn, lang):
        assert phrase[lang].format(3) in document
    set_retention(cli, "customer_inactive_years", 5)
    set_retention(cli, "voucher_years", 7)
    for document in all_three(cli, conn, lang):
        assert phrase[lang].format(5) in document
        assert phrase[lang].format(3) not in document
        assert ("7 vuotta" if lang == "fi" else "7 years") in document
    assert art15_information(conn, lang)["retention_settings"]["customer_inactive_years"] == 5


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_a_recipient_outside_the_eu_shows_with_its_basis_in_all_three(
    cli: Cli, conn: sqlite3.Connection, lang: str
) -> None:
    basis = "EU:n vakiosopimuslausekkeet, GDPR 46(2)(c)"
    add_us_recipient(conn, basis)
    for document in all_three(cli, conn, lang):
        assert "Pilvi Inc" in document
        assert basis in document
    info = art15_information(conn, lang)
    (entry,) = info["transfers"]["outside_eea"]
    assert entry["name"] == "Pilvi Inc"
    assert entry["country"] == "US"
    assert entry["transfer_basis"] == basis
    statement = dict(markdown_sections(cli.ok("statement", "--lang", lang).stdout))
    transfers = next(body for heading, body in statement.items() if "EU" in heading)
    # The country as the reader's language names it (CLDR), not its ISO code.
    country = {"fi": "Yhdysvallat", "en": "United States"}[lang]
    assert f"Pilvi Inc ({country}): {basis}" in transfers


def test_a_recipient_inside_the_eea_is_no_transfer(cli: Cli, conn: sqlite3.Connection) -> None:
    with transaction(conn):
        add_recipient(
            conn, audit.Actor(None, "test"), "Perintä Oy", "third-party", ["collection"], "FI"
        )
    info = art15_information(conn, "fi")
    assert [r["name"] for r in info["recipients"]["entries"]] == ["Perintä Oy"]
    assert info["recipients"]["entries"][0]["purposes_text"] == ["perintä"]
    assert info["transfers"]["outside_eea"] == []
    assert "ei siirretä EU:n tai ETA:n ulkopuolelle" in info["transfers"]["summary"]


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_statement_record_and_access_info_say_the_same(
    cli: Cli, conn: sqlite3.Connection, lang: str
) -> None:
    add_us_recipient(conn, "adequacy decision (EU) 2023/1795")
    statement, record_text, _ = all_three(cli, conn, lang)
    record = json.loads(record_text)
    info = art15_information(conn, lang)
    for key in ("purposes", "categories", "recipients", "transfers", "retention", "sources"):
        assert record[key] == info[key], key
    for text in (
        [p["purpose"] for p in info["purposes"]]
        + [p["legal_basis"] for p in info["purposes"]]
        + [r["text"] for r in info["retention"]]
        + [r["how"] for r in info["rights"] if r["code"] != "erasure"]
        + [s["source"] for s in info["sources"]]
        + [c["category"] for c in info["categories"]]
        + [info["complaint"]["text"], info["automated_decisions"], info["transfers"]["policy"]]
    ):
        assert text in statement


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(years=st.integers(min_value=0, max_value=60))
def test_the_retention_text_follows_any_number_of_years(
    cli: Cli, conn: sqlite3.Connection, years: int
) -> None:
    set_retention(cli, "closed_requests_years", years)
    (requests_en,) = [
        r for r in art15_information(conn, "en")["retention"] if r["code"] == "requests"
    ]
    (requests_fi,) = [
        r for r in art15_information(conn, "fi")["retention"] if r["code"] == "requests"
    ]
    assert (f"kept for {years} year" + ("" if years == 1 else "s")) in requests_en["text"]
    assert (f"{years} vuoden" if years == 1 else f"{years} vuotta") in requests_fi["text"]


def test_a_negative_retention_period_is_a_settings_error(cli: Cli) -> None:
    set_retention(cli, "documents_years", -1)
    result = cli.run("processing-record")
    assert result.exit_code == 2
    assert "[retention] documents_years must be a whole number of years" in result.stderr


@pytest.mark.parametrize(
    ("country", "outside"),
    [("FI", False), ("se", False), ("NO", False), ("IS", False), ("EL", False),
     ("US", True), ("GB", True), ("CH", True), ("??", True)],
)  # fmt: skip
def test_which_countries_are_outside_the_eea(country: str, outside: bool) -> None:
    assert is_outside_eea(country) is outside


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_the_rendered_access_export_agrees_with_the_statement(
    cli: Cli, conn: sqlite3.Connection, lang: str
) -> None:
    """Not only the information: the reply the person gets says it in their language."""
    with transaction(conn):
        add_recipient(
            conn, audit.Actor(None, "test"), "Pilvi Inc", "processor",
            ["billing", "collection"], "US", "EU:n vakiosopimuslausekkeet",
        )  # fmt: skip
    set_retention(cli, "customer_inactive_years", 5)
    customer = cli.ok(
        "customer", "add", "--first-name", "Aino", "--last-name", "Äijälä", "--email",
        "aino@example.fi", "--source", "web-store", user="clerk",
    ).stdout.strip()  # fmt: skip
    export = cli.ok("export", customer, "--format", "md", "--lang", lang, user="clerk").stdout
    statement = cli.ok("statement", "--lang", lang, user="clerk").stdout
    (entry,) = art15_information(conn, lang)["recipients"]["entries"]
    purposes = ", ".join(entry["purposes_text"])
    assert purposes == ("laskutus, perintä" if lang == "fi" else "billing, debt collection")
    for document in (export, statement):
        assert purposes in document
        country = "Yhdysvallat" if lang == "fi" else "United States"
        assert f"Pilvi Inc ({country}): EU:n vakiosopimuslausekkeet" in document
        assert ("5 vuotta viimeisestä" if lang == "fi" else "5 years after the last") in document
    # The transfer policy is a paragraph of its own, not part of the last recipient's item.
    html = cli.ok("export", customer, "--format", "html", "--lang", lang, user="clerk").stdout
    policy = art15_information(conn, lang)["transfers"]["policy"]
    assert f"<p>{escape(policy, quote=False)}</p>" in html


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_the_backup_retention_period_is_stated_in_statement_record_access_export_alike(
    cli: Cli, conn: sqlite3.Connection, lang: str
) -> None:
    kept = {"fi": "Varmuuskopiot säilytetään enintään {} päivää", "en": "kept at most {} days"}
    again = {"fi": "poistetaan tai anonymisoidaan uudelleen", "en": "erased or anonymised again"}
    customer = cli.ok(
        "customer", "add", "--first-name", "Aino", "--last-name", "Äijälä",
        "--email", "aino@example.fi", "--source", "web-store", user="clerk",
    )  # fmt: skip
    set_retention(cli, "backup_days", 120)
    export = cli.ok("export", customer.stdout.strip(), "--lang", lang, user="clerk").stdout
    for document in (*all_three(cli, conn, lang), export):
        assert kept[lang].format(120) in document
        assert again[lang] in document
        assert kept[lang].format(100) not in document
        assert "salataan" not in document and "encrypted" not in document
    with cli.connect() as db:
        db.execute(
            "UPDATE settings SET value_json = json_set(value_json, '$.recipients', "
            "json_array('age1example')) WHERE key = 'backup'"
        )
    assert ("salataan" if lang == "fi" else "nightly backups are encrypted") in all_three(
        cli, conn, lang
    )[0]
    assert art15_information(conn, lang)["retention_settings"]["backup_days"] == 120
