"""Customers through the CLI: add, show, list, search and edit, bad input included."""

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import Cli
from tests.helpers import add_aino, add_customer, assert_one_line_error, dump, insert_org, show

# --- add -------------------------------------------------------------------------------------


def test_add_stores_normalised_values_and_show_finds_by_id_or_email(cli: Cli) -> None:
    insert_org(cli)
    customer_id = add_aino(cli, "--org", "puutalo oy")
    by_id = show(cli, str(customer_id))
    by_email = show(cli, "AINO.AIJALA@EXAMPLE.FI")
    assert by_id == by_email
    customer = by_id["customer"]
    assert customer["first_name"] == "Aino" and customer["last_name"] == "Äijälä"
    assert customer["phone"] == "+358401234567"
    assert customer["email"] == "Aino.Aijala@example.fi"
    assert customer["postal_code"] == "00100"
    assert customer["organisation"] == "Puutalo Oy"
    assert customer["source"] == "web-store"
    assert customer["language"] == "fi" and customer["country"] == "FI"
    assert customer["last_activity"] == "2026-11-25"
    assert by_id["orders"] == [] and by_id["invoices"] == []


def test_add_audit_row_names_fields_not_values(cli: Cli) -> None:
    customer_id = add_aino(cli)
    with cli.connect() as conn:
        row = conn.execute(
            "SELECT * FROM audit_log WHERE action = 'customer add' AND entity_id = ?",
            (str(customer_id),),
        ).fetchone()
    details = json.loads(row["details_json"])
    assert "email" in details["fields"] and "phone" in details["fields"]
    assert "Äijälä" not in row["details_json"] and "example" not in row["details_json"]


def test_add_table_output_shows_the_person(cli: Cli) -> None:
    customer_id = add_aino(cli)
    result = cli.ok("customer", "show", str(customer_id), user="auditor")
    assert "Äijälä" in result.stdout and "+358401234567" in result.stdout


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (("--last-name", "X", "--source", "web-store"), 2, "first_name: is required"),
        (("--first-name", "A", "--last-name", "X"), 2, "source: is required"),
        (("--first-name", "A", "--last-name", "X", "--source", "fax"), 2, "source: must be one"),
        (("--first-name", "A", "--last-name", "X", "--source", "partner", "--email", "a@"), 2,
         "email: "),
        (("--first-name", "A", "--last-name", "X", "--source", "partner", "--phone", "12"), 2,
         "phone: "),
        (("--first-name", "A", "--last-name", "X", "--source", "partner", "--street", "Tie 1",
          "--postal-code", "0100", "--city", "Espoo"), 2, "postal_code: "),
        (("--first-name", "A", "--last-name", "X", "--source", "partner", "--street", "Tie 1"),
         2, "postal_code: a postal address needs"),
        (("--first-name", "A", "--last-name", "X", "--source", "partner", "--language", "de"), 2,
         "language: "),
        (("--first-name", "A", "--last-name", "X", "--source", "partner", "--org", "Nobody Oy"),
         3, "org: no organisation"),
    ],
)  # fmt: skip
def test_add_bad_input_is_one_line_and_writes_nothing(
    cli: Cli, args: tuple[str, ...], code: int, fragment: str
) -> None:
    before = dump(cli)
    result = cli.run("customer", "add", *args, user="clerk")
    assert_one_line_error(result, code, fragment)
    assert dump(cli) == before


def test_second_customer_with_the_same_email_is_a_conflict_naming_the_first(cli: Cli) -> None:
    first = add_aino(cli)
    before = dump(cli)
    result = cli.run(
        "customer", "add", "--first-name", "Other", "--last-name", "Person",
        "--email", "aino.aijala@example.FI", "--source", "reseller", user="clerk",
    )  # fmt: skip
    assert_one_line_error(result, 6, f"customer {first} already has this email")
    assert dump(cli) == before


def test_auditor_may_not_add(cli: Cli) -> None:
    before = dump(cli)
    result = cli.run(
        "customer", "add", "--first-name", "A", "--last-name", "B", "--source", "partner",
        user="auditor",
    )  # fmt: skip
    assert_one_line_error(result, 5, "may not run `lautex customer add`")
    assert dump(cli) == before


# --- show ------------------------------------------------------------------------------------


def test_show_as_csv_is_refused_and_list_fields_all_is_the_customer_row(cli: Cli) -> None:
    """One CSV table cannot hold the orders and invoices: refused, never cut silently."""
    import csv
    import io

    customer_id = add_aino(cli)
    refused = cli.run("customer", "show", str(customer_id), "-f", "csv", user="clerk")
    assert refused.exit_code == 2 and "--format json" in refused.stderr
    result = cli.ok("customer", "list", "--fields", "all", "-f", "csv", user="clerk")
    [row] = list(csv.DictReader(io.StringIO(result.stdout)))
    assert row["id"] == str(customer_id) and row["last_name"] == "Äijälä"
    assert row["postal_code"] == "00100" and row["phone"] == "+358401234567"


def test_show_table_names_the_request_ids_a_clerk_types_next(cli: Cli) -> None:
    customer_id = add_aino(cli)
    request_id = cli.ok("request", "add", str(customer_id), "--kind", "access",
                        "--channel", "email", "--note", "soitti ensin").stdout.strip()  # fmt: skip
    table = cli.ok("customer", "show", str(customer_id), "-f", "table", user="clerk").stdout
    requests = table[table.index("requests") :]
    assert re.search(rf"^ *{request_id} +access +", requests, re.M) and "2026-12-25" in requests
    assert "soitti" not in requests  # the case's free text stays in `request show`


@pytest.mark.parametrize(("ref", "code"), [("999", 3), ("nobody@example.fi", 3), ("Äijälä", 2)])
def test_show_unknown_customer(cli: Cli, ref: str, code: int) -> None:
    add_aino(cli)
    assert_one_line_error(cli.run("customer", "show", ref, user="clerk"), code, "customer: ")


# --- list and search -------------------------------------------------------------------------


def test_search_without_accents_and_case_finds_part_of_the_surname(cli: Cli) -> None:
    insert_org(cli)
    customer_id = add_aino(cli, "--org", "Puutalo Oy")
    add_customer(cli, "--first-name", "Bertil", "--last-name", "Åström", "--source", "partner")
    for text in (
        "aijala",
        "ÄIJÄ",
        "jäl",
        "aino aijala",
        "puutalo",
        "040 123 4567",
        "+358401234567",
    ):
        result = cli.ok("customer", "search", text, "--format", "json", user="auditor")
        rows = json.loads(result.stdout)
        assert [row["id"] for row in rows] == [customer_id], text
    astrom = json.loads(cli.ok("customer", "search", "astrom", "-f", "json").stdout)
    assert [row["last_name"] for row in astrom] == ["Åström"]
    assert json.loads(cli.ok("customer", "search", "nobody", "-f", "json").stdout) == []


def test_search_treats_like_wildcards_literally(cli: Cli) -> None:
    add_aino(cli)
    assert json.loads(cli.ok("customer", "search", "%", "-f", "json").stdout) == []
    assert json.loads(cli.ok("customer", "search", "_", "-f", "json").stdout) == []


def test_search_needs_text(cli: Cli) -> None:
    assert_one_line_error(cli.run("customer", "search", "  "), 2, "text: ")


def test_list_filters_by_org_state_and_source_and_is_audited(cli: Cli) -> None:
    insert_org(cli)
    aino = add_aino(cli, "--org", "Puutalo Oy")
    other = add_customer(
        cli, "--first-name", "Bertil", "--last-name", "Åström", "--source", "partner"
    )
    every = json.loads(cli.ok("customer", "list", "-f", "json").stdout)
    assert [row["id"] for row in every] == [aino, other]
    by_org = json.loads(cli.ok("customer", "list", "--org", "puutalo oy", "-f", "json").stdout)
    assert [row["id"] for row in by_org] == [aino]
    assert by_org[0]["organisation"] == "Puutalo Oy"
    by_source = cli.ok("customer", "list", "--source", "partner", "-f", "csv").stdout
    assert by_source.splitlines()[0].startswith("id,first_name,last_name")
    assert "Åström" in by_source and "Äijälä" not in by_source
    active = json.loads(cli.ok("customer", "list", "--state", "active", "-f", "json").stdout)
    assert len(active) == 2
    with cli.connect() as conn:
        row = conn.execute(
            "SELECT details_json FROM audit_log WHERE action = 'customer list' ORDER BY id DESC"
        ).fetchone()
    assert json.loads(row[0]) == {"rows": 2, "format": "json", "filters": ["state"]}


@pytest.mark.parametrize(
    ("args", "code"), [(("--state", "gone"), 2), (("--source", "fax"), 2), (("--org", "X Oy"), 3)]
)
def test_list_bad_filters(cli: Cli, args: tuple[str, ...], code: int) -> None:
    before = dump(cli)
    assert_one_line_error(cli.run("customer", "list", *args), code)
    assert dump(cli) == before


# --- edit ------------------------------------------------------------------------------------


def test_edit_changes_fields_keeps_search_right_and_audits_names_only(cli: Cli) -> None:
    insert_org(cli)
    customer_id = add_aino(cli, "--org", "Puutalo Oy")
    result = cli.ok(
        "customer", "edit", "aino.aijala@example.fi", "--last-name", "Öberg",
        "--phone", "+358 (0)50 765 4321", user="clerk",
    )  # fmt: skip
    assert "changed last_name, phone" in result.stderr
    customer = show(cli, str(customer_id))["customer"]
    assert customer["last_name"] == "Öberg" and customer["phone"] == "+358507654321"
    found = json.loads(cli.ok("customer", "search", "oberg", "-f", "json").stdout)
    assert [row["id"] for row in found] == [customer_id]
    assert json.loads(cli.ok("customer", "search", "040 123 4567", "-f", "json").stdout) == []
    with cli.connect() as conn:
        row = conn.execute(
            "SELECT * FROM audit_log WHERE action = 'customer edit' ORDER BY id DESC"
        ).fetchone()
    assert json.loads(row["details_json"]) == {"fields": ["last_name", "phone"]}
    assert "Öberg" not in row["details_json"] and "765" not in row["details_json"]


def test_edit_clears_the_organisation_with_clear_or_an_empty_value(cli: Cli) -> None:
    insert_org(cli)
    first = add_aino(cli, "--org", "Puutalo Oy")
    second = add_customer(cli, "--first-name", "B", "--last-name", "C", "--source", "partner",
                 "--org", "Puutalo Oy")  # fmt: skip
    cli.ok("customer", "edit", str(first), "--clear", "org", user="clerk")
    cli.ok("customer", "edit", str(second), "--org", "", user="clerk")
    assert show(cli, str(first))["customer"]["organisation_id"] is None
    assert show(cli, str(second))["customer"]["organisation_id"] is None
    assert json.loads(cli.ok("customer", "search", "puutalo", "-f", "json").stdout) == []


def test_edit_clearing_the_whole_address_is_allowed(cli: Cli) -> None:
    customer_id = add_aino(cli)
    cli.ok("customer", "edit", str(customer_id), "--clear", "street", "--clear", "postal-code",
           "--clear", "city")  # fmt: skip
    customer = show(cli, str(customer_id))["customer"]
    assert customer["street"] is None and customer["postal_code"] is None


def test_edit_with_the_same_value_changes_nothing(cli: Cli) -> None:
    customer_id = add_aino(cli)
    before = dump(cli)
    result = cli.ok("customer", "edit", str(customer_id), "--phone", "0401234567")
    assert "nothing changed" in result.stderr
    assert dump(cli) == before


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (("--clear", "last_name"), 2, "last_name: is required and cannot be cleared"),
        (("--first-name", ""), 2, "first_name: is required"),
        (("--email", "not-an-email"), 2, "email: "),
        (("--postal-code", "123"), 2, "postal_code: "),
        (("--clear", "city"), 2, "city: a postal address needs"),
        (("--clear", "shoe_size"), 2, "shoe_size: not a customer field"),
        (("--org", "Nobody Oy"), 3, "org: no organisation"),
        (("--phone", "1", "--clear", "phone"), 2, "phone: both"),
        ((), 2, "give at least one field"),
        (("--email", "taken@example.fi"), 6, "already has this email"),
    ],
)
def test_edit_bad_input_is_one_line_and_writes_nothing(
    cli: Cli, args: tuple[str, ...], code: int, fragment: str
) -> None:
    customer_id = add_aino(cli)
    add_customer(cli, "--first-name", "T", "--last-name", "T", "--email", "taken@example.fi",
        "--source", "partner")  # fmt: skip
    before = dump(cli)
    result = cli.run("customer", "edit", str(customer_id), *args, user="clerk")
    assert_one_line_error(result, code, fragment)
    assert dump(cli) == before


def test_edit_unknown_customer_is_not_found(cli: Cli) -> None:
    assert_one_line_error(cli.run("customer", "edit", "77", "--city", "Oulu"), 3, "customer: ")


def test_edit_of_an_anonymised_customer_is_refused(cli: Cli) -> None:
    customer_id = add_aino(cli)
    with cli.connect() as conn:
        conn.execute("UPDATE customers SET state = 'anonymised' WHERE id = ?", (customer_id,))
    before = dump(cli)
    assert_one_line_error(
        cli.run("customer", "edit", str(customer_id), "--city", "Oulu"), 4, "anonymised"
    )
    assert dump(cli) == before


def test_update_customer_fields_returns_changed_names_for_other_domains(cli: Cli) -> None:
    from lautex_registry.platform import audit
    from lautex_registry.platform.db import connect, transaction
    from lautex_registry.records.customers import update_customer_fields

    customer_id = add_aino(cli)
    conn = connect(cli.db)
    with transaction(conn):
        changed = update_customer_fields(
            conn, audit.Actor(1, "admin"), customer_id,
            {"city": "Oulu", "postal_code": "90100", "email": None}, action="rectify",
        ).changed  # fmt: skip
    assert changed == ["email", "postal_code", "city"]
    row = conn.execute("SELECT * FROM audit_log ORDER BY id DESC").fetchone()
    assert row["action"] == "rectify"
    assert json.loads(row["details_json"]) == {"fields": ["email", "postal_code", "city"]}
    customer = conn.execute("SELECT * FROM customers WHERE id = ?", (customer_id,)).fetchone()
    assert customer["email"] is None and customer["updated_at"]
    assert "example" not in customer["search_text"]
    conn.close()


def test_fold_for_search() -> None:
    from lautex_registry.records.customers import fold_for_search

    assert fold_for_search("Äijälä Åström O'Brien ÉMILE") == "aijala astrom o'brien emile"


@given(st.text(max_size=40))
def test_fold_for_search_drops_every_latin_accent_and_case(text: str) -> None:
    import unicodedata

    from lautex_registry.records.customers import fold_for_search

    folded = fold_for_search(text)
    assert fold_for_search(folded) == folded
    if text.isascii():
        assert fold_for_search(text.upper()) == fold_for_search(text.lower())
    # Oracle: the textbook definition, dropping every combining mark, agrees on Latin text.
    if all(ord(ch) < 0x250 for ch in text):
        decomposed = unicodedata.normalize("NFKD", text.casefold())
        assert folded == "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def test_customer_service_notes_are_kept_shown_cleared_and_never_audited(cli: Cli) -> None:
    customer_id = add_aino(cli, "--notes", "Prefers calls after 16; spoke Swedish")
    assert show(cli, str(customer_id))["customer"]["notes"] == (
        "Prefers calls after 16; spoke Swedish"
    )
    cli.ok("customer", "edit", str(customer_id), "--clear", "notes", user="clerk")
    assert show(cli, str(customer_id))["customer"]["notes"] is None
    trail = cli.ok("audit", "list", "--format", "json").stdout
    assert "Prefers calls" not in trail and '"notes"' in trail
    assert_one_line_error(
        cli.run("customer", "edit", str(customer_id), "--notes", "x" * 1001, user="clerk"),
        2,
        "notes: at most 1000 characters",
    )


def test_looking_at_a_customer_is_audited_by_id_only(cli: Cli) -> None:
    customer_id = add_aino(cli)
    show(cli, "aino.aijala@example.fi")
    rows = json.loads(cli.ok("audit", "list", "--action", "customer show", "-f", "json").stdout)
    assert [(r["user"], r["entity_id"], r["details"]) for r in rows] == [
        ("clerk", str(customer_id), {"format": "json"})
    ]


def test_fold_for_search_is_stable_for_letters_whose_compatibility_form_is_upper_case() -> None:
    from lautex_registry.records.customers import fold_for_search

    for found in ("𝕬", "𝖠", "Ⓐ", "ǅ"):  # cases hypothesis found or that stand beside them
        assert fold_for_search(fold_for_search(found)) == fold_for_search(found)
    assert fold_for_search("𝕬ijälä") == "aijala"
