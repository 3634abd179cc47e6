"""`marketing list`: who is on a list and who is left out, as the law says (GDPR Art. 21,
docs/rules.md §2)."""

import csv
import io
import json
import shutil
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import Cli, RegisterTemplate
from tests.helpers import (
    add_marketing_order,
    add_org,
    add_person,
    ban,
    build_once,
    dump,
    give_consent,
    listed_ids,
    marketing_list,
    object_to,
)


@dataclass
class People:
    consenting: int  # natural person with email consent: on every list
    objector: int  # objected to direct advertising
    researched: int  # objected to market research only
    banned: int  # publication ban
    prohibited_contact: int  # contact of an organisation that prohibited marketing
    business_contact: int  # contact of an ordinary organisation, no consent
    no_consent: int  # natural person without email consent, no orders
    customer_no_consent: int  # natural person without consent, with a past order
    withdrawn: int  # withdrew email consent, with a past order
    objects_all: int  # objected to everything
    restricted: int
    anonymised: int


def build_people(cli: Cli) -> People:
    add_org(cli, "Puutalo Oy")
    add_org(cli, "Kieltäjä Oy")
    cli.ok("org", "prohibit-marketing", "Kieltäjä Oy", "--received", "2026-11-01", user="clerk")

    def person(last: str, **kw: str) -> int:
        return add_person(cli, "Aino", last, email=f"{last.lower()}@example.fi", **kw)

    p = People(
        consenting=person("Äijälä", phone="040 123 4567"),
        objector=person("Objector", phone="040 123 4568"),
        researched=person("Researched"),
        banned=person("Banned"),
        prohibited_contact=person("Prohibited", org="Kieltäjä Oy"),
        business_contact=person("Business", org="Puutalo Oy"),
        no_consent=person("Noconsent"),
        customer_no_consent=person("Customer"),
        withdrawn=person("Withdrawn"),
        objects_all=person("Everything"),
        restricted=person("Restricted"),
        anonymised=person("Anonymised"),
    )
    for customer in (p.consenting, p.objector, p.researched, p.banned, p.objects_all):
        give_consent(cli, customer)
    give_consent(cli, p.consenting, "sms")
    give_consent(cli, p.withdrawn)
    give_consent(cli, p.withdrawn, status="withdrawn")
    give_consent(cli, p.restricted)
    give_consent(cli, p.anonymised)
    object_to(cli, p.objector, "direct-advertising")
    object_to(cli, p.researched, "market-research")
    ban(cli, p.banned)
    object_to(cli, p.objects_all, "all")
    add_marketing_order(cli, p.customer_no_consent, "T-1")
    add_marketing_order(cli, p.withdrawn, "T-2")
    add_marketing_order(cli, p.consenting, "T-3")
    with closing(cli.connect()) as conn, conn:
        # Restriction and anonymisation belong to other commands; set the states directly.
        conn.execute("UPDATE customers SET state = 'restricted' WHERE id = ?", (p.restricted,))
        conn.execute(
            """UPDATE customers SET state = 'anonymised', first_name = NULL, last_name = NULL,
               email = NULL, phone = NULL, street = NULL, postal_code = NULL, city = NULL
               WHERE id = ?""",
            (p.anonymised,),
        )
    return p


@pytest.fixture(scope="module")
def people_register(
    register_template: RegisterTemplate, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, People]:
    """The people above, built once per module (it takes some 30 commands)."""
    return build_once(register_template, tmp_path_factory, build_people)


@pytest.fixture
def people(cli: Cli, people_register: tuple[Path, People]) -> People:
    path, built = people_register
    shutil.copy2(path, cli.db)
    return built


def test_direct_advertising_email_list_obeys_every_rule(cli: Cli, people: People) -> None:
    listed = listed_ids(cli, "--purpose", "direct-advertising", "--channel", "email")
    # Present where the law allows: consent given, or a business contact (917/2014 s. 202),
    # and an objection to market research alone does not stop direct advertising.
    assert listed == {people.consenting, people.researched, people.business_contact}


def test_left_out_counts_per_reason_on_stderr(cli: Cli, people: People) -> None:
    result = cli.ok(
        "marketing", "list", "--purpose", "direct-advertising", "--channel", "email",
        user="clerk",
    )  # fmt: skip
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("listed 3 for direct-advertising by email; left out 9: ")
    for part in (
        "anonymised 1",
        "restricted 1",
        "objection 2",
        "publication-ban 1",
        "organisation-prohibited 1",
        "consent-withdrawn 1",
        "no-consent 2",
    ):
        assert part in message


def test_post_list_needs_no_consent_but_obeys_objections(cli: Cli, people: People) -> None:
    listed = listed_ids(cli, "--purpose", "direct-advertising", "--channel", "post")
    assert listed == {
        people.consenting,
        people.researched,
        people.business_contact,
        people.no_consent,
        people.customer_no_consent,
        people.withdrawn,  # withdrew email consent, not post
    }


def test_market_research_list_leaves_out_the_research_objector(cli: Cli, people: People) -> None:
    listed = listed_ids(cli, "--purpose", "market-research", "--channel", "post")
    assert people.researched not in listed
    assert people.objector in listed  # objected to advertising only
    assert people.objects_all not in listed


def test_direct_marketing_objection_covers_direct_advertising(cli: Cli, people: People) -> None:
    object_to(cli, people.consenting, "direct-marketing")
    assert people.consenting not in listed_ids(
        cli, "--purpose", "direct-advertising", "--channel", "post"
    )
    # ... and an objection to direct advertising keeps a person off direct-marketing lists.
    assert people.objector not in listed_ids(
        cli, "--purpose", "direct-marketing", "--channel", "post"
    )


def test_existing_customers_without_consent_need_a_past_order(cli: Cli, people: People) -> None:
    result = cli.ok(
        "marketing", "list", "--purpose", "direct-advertising", "--channel", "email",
        "--existing-customers", "--format", "json", user="clerk",
    )  # fmt: skip
    listed = {row["id"] for row in json.loads(result.stdout)}
    # Only customers who ordered; consent withdrawn is a refusal the rule cannot undo.
    assert listed == {people.consenting, people.customer_no_consent}
    assert "free, easy opt-out" in result.stderr
    assert "no-past-order" in result.stderr


def test_sms_needs_sms_consent_and_a_phone(cli: Cli, people: People) -> None:
    rows = marketing_list(cli, "--purpose", "direct-advertising", "--channel", "sms")
    assert [row["id"] for row in rows] == [people.consenting]
    assert rows[0]["phone"] == "+358401234567"


def test_objection_is_absolute_for_every_role_and_option(cli: Cli, people: People) -> None:
    for user in ("admin", "clerk"):
        for extra in ((), ("--existing-customers",)):
            for channel in ("email", "post", "phone", "sms"):
                listed = listed_ids(
                    cli, "--purpose", "direct-advertising", "--channel", channel, *extra,
                    user=user,
                )  # fmt: skip
                assert people.objector not in listed
                assert people.banned not in listed
                assert people.objects_all not in listed
                assert people.prohibited_contact not in listed
    help_text = cli.ok("marketing", "list", "--help").stdout
    assert "--include" not in help_text and "--override" not in help_text


def test_withdrawn_objection_puts_the_person_back(cli: Cli, people: People) -> None:
    cli.ok(
        "object", str(people.objector), "--purpose", "direct-advertising", "--withdraw",
        "--received", "2026-11-24", "--channel", "letter", user="clerk",
    )  # fmt: skip
    assert people.objector in listed_ids(
        cli, "--purpose", "direct-advertising", "--channel", "email"
    )


def test_organisation_prohibition_lifted_keeps_contact_objections(cli: Cli, people: People) -> None:
    object_to(cli, people.prohibited_contact, "distance-selling")
    cli.ok("org", "prohibit-marketing", "Kieltäjä Oy", "--withdraw", user="clerk")
    assert people.prohibited_contact in listed_ids(
        cli, "--purpose", "direct-advertising", "--channel", "email"
    )
    assert people.prohibited_contact not in listed_ids(
        cli, "--purpose", "distance-selling", "--channel", "email"
    )


def test_people_without_the_contact_field_are_left_out(cli: Cli) -> None:
    no_address = add_person(cli, "Ville", "Osoitteeton", email="v@example.fi", street=None,
                            postal_code=None, city=None)  # fmt: skip
    no_email = add_person(cli, "Ville", "Postiton")
    give_consent(cli, no_address)
    assert listed_ids(cli, "--purpose", "direct-advertising", "--channel", "post") == {no_email}
    assert listed_ids(cli, "--purpose", "direct-advertising", "--channel", "email") == {no_address}
    result = cli.ok("marketing", "list", "--purpose", "direct-advertising", "--channel", "phone",
                    user="clerk")  # fmt: skip
    assert "no-phone 2" in result.stderr


def test_formats_csv_jsonl_json_with_stable_columns(cli: Cli, people: People) -> None:
    args = ("marketing", "list", "--purpose", "direct-advertising", "--channel", "post")
    text = cli.ok(*args, user="clerk").stdout  # csv is the default
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == [
        "id", "first_name", "last_name", "organisation", "language",
        "street", "postal_code", "city", "country",
    ]  # fmt: skip
    first = next(row for row in rows if row["last_name"] == "Äijälä")
    assert first["postal_code"] == "00100"
    lines = cli.ok(*args, "--format", "jsonl", user="clerk").stdout.splitlines()
    assert len(lines) == len(rows)
    assert json.loads(lines[0])["id"] == int(rows[0]["id"])
    email_rows = marketing_list(cli, "--purpose", "direct-advertising", "--channel", "email")
    assert set(email_rows[0]) == {
        "id", "first_name", "last_name", "organisation", "language", "email",
    }  # fmt: skip


def test_list_is_audited_with_counts_only(cli: Cli, people: People) -> None:
    marketing_list(cli, "--purpose", "direct-advertising", "--channel", "email")
    with closing(cli.connect()) as conn:
        row = conn.execute(
            "SELECT username, details_json FROM audit_log WHERE action = 'marketing list'"
        ).fetchone()
    assert row["username"] == "clerk"
    details = json.loads(row["details_json"])
    assert details["rows"] == 3
    assert details["left_out"]["objection"] == 2
    assert details["purpose"] == "direct-advertising" and details["channel"] == "email"
    assert "example.fi" not in row["details_json"] and "Äijälä" not in row["details_json"]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("--purpose", "all", "--channel", "email"), "purpose"),
        (("--purpose", "spam", "--channel", "email"), "purpose"),
        (("--purpose", "direct-advertising", "--channel", "fax"), "channel"),
    ],
)
def test_bad_list_options_exit_2_with_one_line(
    cli: Cli, people: People, args: tuple[str, ...], field: str
) -> None:
    before = dump(cli)
    result = cli.run("marketing", "list", *args, user="clerk")
    assert result.exit_code == 2
    assert result.stderr.strip().startswith(f"error: {field}:")
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""
    assert dump(cli) == before


def test_auditor_may_not_export_a_marketing_list(cli: Cli, people: People) -> None:
    result = cli.run(
        "marketing", "list", "--purpose", "direct-advertising", "--channel", "post",
        user="auditor",
    )  # fmt: skip
    assert result.exit_code == 5
    assert result.stdout == ""


def test_a_ban_never_blocks_invoices(cli: Cli, people: People) -> None:
    # Invoices and reminders are contract communication, not marketing.
    add_marketing_order(cli, people.banned, "T-100", "2026-11-02")
    object_to(cli, people.banned, "all")
    cli.ok("invoice", "add", "T-100", "--number", "2026-0100", "--issued", "2026-11-02",
           "--due", "2026-11-16", user="clerk")  # fmt: skip
    cli.ok("invoice", "remind", "2026-0100", "--date", "2026-11-24", user="clerk")
    with closing(cli.connect()) as conn:
        row = conn.execute(
            "SELECT billing_name, last_reminder_on FROM invoices WHERE number = '2026-0100'"
        ).fetchone()
    assert row["billing_name"] == "Aino Banned"
    assert row["last_reminder_on"] == "2026-11-24"


def test_a_list_cut_short_closes_its_read_so_its_audit_waits_out_another_writer(
    cli: Cli, people: People
) -> None:
    """The count's audit row is written after the rows: a read left open (the reader of a
    pipe stopped) would make BEGIN IMMEDIATE fail at once with a stale snapshot instead of
    waiting out a writer for the busy timeout."""
    import threading
    import time

    from lautex_registry.marketing.lists import MarketingList
    from lautex_registry.platform.db import connect, transaction
    from lautex_registry.platform.sqlite import sqlite3

    conn = connect(cli.db)
    run = MarketingList(conn, "direct-advertising", "post")
    rows = run.rows()
    next(rows)  # the reader takes one row and stops
    run.end_read()

    holding = threading.Event()

    def another_writer() -> None:
        other = sqlite3.connect(cli.db, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        # A write that commits: every older read snapshot goes stale.
        other.execute("UPDATE settings SET value_json = value_json")
        holding.set()
        time.sleep(0.5)
        other.execute("COMMIT")
        other.close()

    writer = threading.Thread(target=another_writer)
    writer.start()
    assert holding.wait(timeout=10)
    with transaction(conn):  # waits for the writer instead of failing at once
        conn.execute("SELECT 1")
    writer.join()
    conn.close()


def test_an_objection_and_a_ban_count_once_under_the_objection(cli: Cli, people: People) -> None:
    """One probe of the objections finds both kinds: a person with an objection in force and
    a ban is counted under the objection (checked first), one with a ban and an objection
    that does not block this purpose under the ban."""
    ban(cli, people.objector)  # also objected to direct advertising
    ban(cli, people.researched)  # objected to market research only: was listed
    result = cli.ok(
        "marketing", "list", "--purpose", "direct-advertising", "--channel", "email",
        "--format", "json", user="clerk",
    )  # fmt: skip
    assert {row["id"] for row in json.loads(result.stdout)} == {
        people.consenting,
        people.business_contact,
    }
    message = result.stderr.strip().splitlines()[-1]
    assert "objection 2" in message
    assert "publication-ban 2" in message


def test_left_out_counts_read_twice_or_mid_list_stay_true(cli: Cli, people: People) -> None:
    """The reasons are counted by their codes while the rows stream: the counts asked for
    while the list is still being read, and again after it, are those of the rows read."""
    from lautex_registry.marketing.lists import MarketingList
    from lautex_registry.platform.db import connect

    conn = connect(cli.db)
    try:
        run = MarketingList(conn, "direct-advertising", "email")
        rows = run.rows()
        first = next(rows)
        early = run.left_out_counts()
        rest = list(rows)
        run.end_read()
        counts = run.left_out_counts()
        assert run.left_out_counts() == counts
    finally:
        conn.close()
    assert set(first) == {"id", "first_name", "last_name", "organisation", "language", "email"}
    assert first["id"] == people.consenting and first["email"] == "äijälä@example.fi"
    assert 1 + len(rest) == run.listed == 3
    assert all(early[reason] <= counts[reason] for reason in early)
    assert counts["objection"] == 2 and counts["no-consent"] == 2
    assert sum(counts.values()) + run.listed == 12


def test_a_list_row_is_made_only_of_column_names() -> None:
    from lautex_registry.marketing.lists import row_maker

    make = row_maker(("id", "email"))
    assert make((7, "a@example.fi", None)) == {"id": 7, "email": "a@example.fi"}
    with pytest.raises(ValueError, match="not column names"):
        row_maker(("id", "email'] or __import__('os')"))
