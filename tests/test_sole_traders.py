"""A sole trader's business (toiminimi) is the person: it goes with them."""

import json

import pytest

from tests.conftest import Cli
from tests.helpers import add_invoice, add_order_on, every_table

BUSINESS = "Matti Virtanen Tmi"
BUSINESS_ID = "0737546-2"


def sole_trader(cli: Cli, *, contacts: int = 1) -> tuple[int, list[int]]:
    """A sole trader's business and its contacts (the first is the trader himself)."""
    org = int(cli.ok("org", "add", BUSINESS, "--business-id", BUSINESS_ID, "--sole-trader",
                     user="clerk").stdout)  # fmt: skip
    people = [contact(cli, org, "Matti", f"Virtanen{n}") for n in range(contacts)]
    return org, people


def contact(cli: Cli, org: int, first: str, last: str) -> int:
    result = cli.ok(
        "customer", "add", "--first-name", first, "--last-name", last, "--org", str(org),
        "--email", f"{first}.{last}@example.fi".lower(), "--source", "web-store", user="clerk",
    )  # fmt: skip
    return int(result.stdout)


def business_traces(cli: Cli) -> list[str]:
    with cli.connect() as conn:
        return [
            table
            for table, rows in every_table(conn).items()
            if table != "audit_log"
            for row in rows
            if any(isinstance(v, str) and (BUSINESS in v or BUSINESS_ID in v) for v in row)
        ]


def test_org_add_records_a_sole_trader_and_lists_it(cli: Cli) -> None:
    org, _ = sole_trader(cli)
    cli.ok("org", "add", "Puutalo Oy", user="clerk")

    listed = json.loads(cli.ok("org", "list", "-f", "json", user="auditor").stdout)
    shown = json.loads(cli.ok("org", "show", str(org), "-f", "json").stdout)

    assert [(o["name"], o["sole_trader"]) for o in listed] == [
        (BUSINESS, True),
        ("Puutalo Oy", False),
    ]
    assert shown["sole_trader"] is True


@pytest.mark.parametrize("command", ["erase", "anonymise"])
def test_erasing_or_anonymising_the_trader_removes_the_business(cli: Cli, command: str) -> None:
    org, (matti,) = sole_trader(cli)
    legal = int(cli.ok("org", "add", "Puutalo Oy", user="clerk").stdout)
    aino = contact(cli, legal, "Aino", "Aijala")

    plan = cli.ok(command, str(matti), "--dry-run", "-f", "json", user="clerk").stdout
    assert "sole trader's business" in plan
    cli.ok(command, str(matti), "--yes", user="clerk")
    cli.ok(command, str(aino), "--yes", user="clerk")

    assert cli.run("org", "show", str(org)).exit_code == 3
    assert business_traces(cli) == []
    # A legal person is not its contact: it outlives them.
    assert json.loads(cli.ok("org", "show", str(legal), "-f", "json").stdout)["name"] == (
        "Puutalo Oy"
    )


def test_a_held_trader_keeps_the_business_name_only_on_the_held_invoice(cli: Cli) -> None:
    org, (matti,) = sole_trader(cli)
    add_order_on(cli, matti, "T-1")
    add_invoice(cli, "T-1", "2026-0001", "2026-11-20", "2026-12-04")  # open: a hold

    cli.ok("erase", str(matti), "--yes", user="clerk")

    assert cli.run("org", "show", str(org)).exit_code == 3
    assert business_traces(cli) == ["invoices"]  # the voucher, as long as its hold lasts
    with cli.connect() as conn:
        invoice = conn.execute("SELECT billing_organisation FROM invoices").fetchone()
        state = conn.execute("SELECT state FROM customers WHERE id = ?", (matti,)).fetchone()
    assert (invoice[0], state[0]) == (BUSINESS, "anonymised-with-holds")


def test_the_business_goes_with_its_last_contact(cli: Cli) -> None:
    org, (matti, assistant) = sole_trader(cli, contacts=2)

    cli.ok("erase", str(assistant), "--yes", user="clerk")
    assert cli.ok("org", "show", str(org)).exit_code == 0
    cli.ok("erase", str(matti), "--yes", user="clerk")

    assert cli.run("org", "show", str(org)).exit_code == 3


def test_the_retention_job_anonymises_the_business_with_its_trader(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAUTEX_TODAY", "2020-01-10")
    org, _ = sole_trader(cli)
    monkeypatch.setenv("LAUTEX_TODAY", "2026-11-25")

    cli.ok("retention", "run", "--yes", "--as-of", "2026-11-25", user="bot")

    assert cli.run("org", "show", str(org)).exit_code == 3
    assert business_traces(cli) == []


def test_the_access_export_and_the_statement_treat_the_business_as_personal_data(
    cli: Cli,
) -> None:
    _, (matti,) = sole_trader(cli)

    export = json.loads(cli.ok("export", str(matti), "--format", "json", user="clerk").stdout)
    letter = cli.ok("export", str(matti), "--format", "md", "--lang", "en", user="clerk").stdout
    fi = " ".join(cli.ok("statement").stdout.split())
    en = " ".join(cli.ok("statement", "--lang", "en").stdout.split())

    customer = export["data"]["customer"]
    assert (customer["organisation"], customer["organisation_business_id"]) == (
        BUSINESS,
        BUSINESS_ID,
    )
    assert customer["organisation_sole_trader"] is True
    assert "sole trader's business (your own data) | yes |" in letter  # in words
    assert "Toiminimen (yksityisen elinkeinonharjoittajan) nimi ja Y-tunnus" in fi
    assert "A sole trader's business name and business ID (toiminimi)" in en


@pytest.mark.parametrize(("lang", "label"), [("en", "business id"), ("fi", "Y-tunnus")])
def test_the_readable_access_reply_shows_the_sole_traders_business_id(
    cli: Cli, lang: str, label: str
) -> None:
    _, (matti,) = sole_trader(cli)

    letter = cli.ok("export", str(matti), "--format", "md", "--lang", lang, user="clerk").stdout

    assert f"| {label} | {BUSINESS_ID} |" in letter


def test_org_list_is_audited_like_the_other_lists(cli: Cli) -> None:
    sole_trader(cli)
    cli.ok("org", "add", "Puutalo Oy", user="clerk")

    cli.ok("org", "list", "-f", "csv", user="auditor")

    with cli.connect() as conn:
        rows = conn.execute(
            "SELECT action, details_json FROM audit_log WHERE action LIKE 'org list%' ORDER BY id"
        ).fetchall()
    assert [(action, json.loads(details).get("rows")) for action, details in rows] == [
        ("org list started", None),
        ("org list", 2),
    ]


def trader_and_assistant(cli: Cli) -> tuple[int, int, int]:
    """A sole trader's business with its trader and an assistant linked to it."""
    org, (matti, assistant) = sole_trader(cli, contacts=2)
    cli.ok("org", "edit", BUSINESS, "--trader", str(matti), user="clerk")
    return org, matti, assistant


@pytest.mark.parametrize("command", ["erase", "anonymise"])
def test_the_business_goes_with_its_trader_whoever_else_is_linked(cli: Cli, command: str) -> None:
    org, matti, assistant = trader_and_assistant(cli)

    plan = json.loads(cli.ok(command, str(matti), "--dry-run", "-f", "json", user="clerk").stdout)
    cli.ok(command, str(matti), "--yes", user="clerk")

    assert "sole trader's business: name and business ID" in json.dumps(plan)
    assert "link to the sole trader's business" in json.dumps(plan)
    assert cli.run("org", "show", str(org)).exit_code == 3
    assert BUSINESS not in cli.ok("org", "list", "-f", "csv").stdout
    kept = json.loads(cli.ok("customer", "show", str(assistant), "-f", "json").stdout)
    assert (kept["customer"]["state"], kept["customer"]["organisation"]) == ("active", None)


def test_erasing_the_assistant_leaves_the_traders_business(cli: Cli) -> None:
    org, matti, assistant = trader_and_assistant(cli)

    plan = cli.ok("erase", str(assistant), "--dry-run", "-f", "json", user="clerk").stdout
    cli.ok("erase", str(assistant), "--yes", user="clerk")

    assert "sole trader's business" not in plan
    shown = json.loads(cli.ok("org", "show", str(org), "-f", "json").stdout)
    assert (shown["name"], shown["trader_id"]) == (BUSINESS, matti)


def test_org_add_names_the_trader(cli: Cli) -> None:
    matti = contact_without_org(cli)
    org = cli.ok("org", "add", BUSINESS, "--business-id", BUSINESS_ID, "--sole-trader",
                 "--trader", "matti.trader@example.fi", user="clerk").stdout  # fmt: skip

    export = json.loads(cli.ok("export", str(matti), "--format", "json", user="clerk").stdout)
    cli.ok("erase", str(matti), "--yes", user="clerk")

    # The trader is linked to their own business: their access export names it.
    customer = export["data"]["customer"]
    assert (customer["organisation"], customer["organisation_business_id"]) == (
        BUSINESS,
        BUSINESS_ID,
    )
    assert cli.run("org", "show", org.strip()).exit_code == 3


def test_a_trader_who_represents_another_organisation_is_refused(cli: Cli) -> None:
    legal = int(cli.ok("org", "add", "Puutalo Oy", user="clerk").stdout)
    aino = contact(cli, legal, "Aino", "Aijala")

    result = cli.run("org", "add", BUSINESS, "--sole-trader", "--trader", str(aino), user="clerk")

    assert (result.exit_code, result.stderr.count("\n")) == (4, 1)
    assert "trader: customer" in result.stderr
    assert BUSINESS not in cli.ok("org", "list", "-f", "csv").stdout


def contact_without_org(cli: Cli) -> int:
    return int(cli.ok("customer", "add", "--first-name", "Matti", "--last-name", "Trader",
                      "--email", "matti.trader@example.fi", "--source", "web-store",
                      user="clerk").stdout)  # fmt: skip


def test_org_edit_marks_an_existing_organisation_as_a_sole_trader(cli: Cli) -> None:
    org = int(cli.ok("org", "add", BUSINESS, "--business-id", BUSINESS_ID, user="clerk").stdout)
    matti = contact(cli, org, "Matti", "Virtanen")

    cli.ok("org", "edit", BUSINESS, "--sole-trader", "--trader", str(matti), user="clerk")
    shown = json.loads(cli.ok("org", "show", str(org), "-f", "json").stdout)
    with cli.connect() as conn:
        audited = conn.execute(
            "SELECT entity_id, details_json FROM audit_log WHERE action = 'org edit'"
        ).fetchall()

    assert (shown["sole_trader"], shown["trader_id"]) == (True, matti)
    assert [(row[0], json.loads(row[1])["fields"]) for row in audited] == [
        (str(org), ["sole_trader", "trader"])
    ]
    cli.ok("org", "edit", str(org), "--no-sole-trader", user="admin")
    shown = json.loads(cli.ok("org", "show", str(org), "-f", "json").stdout)
    assert (shown["sole_trader"], shown["trader_id"]) == (False, None)


@pytest.mark.parametrize(
    ("args", "user", "code"),
    [
        (["--trader", "1"], "clerk", 2),  # a legal person has no trader
        ([], "clerk", 2),  # nothing to change
        (["--sole-trader"], "auditor", 5),
        (["--sole-trader", "--trader", "999"], "clerk", 3),
    ],
)
def test_org_edit_refuses_and_changes_nothing(
    cli: Cli, args: list[str], user: str, code: int
) -> None:
    cli.ok("org", "add", "Puutalo Oy", user="clerk")
    contact_without_org(cli)
    before = cli.ok("org", "list", "-f", "json").stdout

    result = cli.run("org", "edit", "Puutalo Oy", *args, user=user)

    assert (result.exit_code, result.stderr.count("\n")) == (code, 1)
    assert result.stderr.startswith("error: ")
    assert cli.ok("org", "list", "-f", "json").stdout == before


def test_a_held_trader_takes_the_business_along_and_the_invoice_keeps_its_name(cli: Cli) -> None:
    org, matti, assistant = trader_and_assistant(cli)
    add_order_on(cli, matti, "T-1")
    add_invoice(cli, "T-1", "2026-0001", "2026-11-20", "2026-12-04")  # open: a hold

    cli.ok("erase", str(matti), "--yes", user="clerk")

    assert cli.run("org", "show", str(org)).exit_code == 3
    assert business_traces(cli) == ["invoices"]  # the voucher, as long as its hold lasts
    with cli.connect() as conn:
        states = conn.execute("SELECT id, state FROM customers ORDER BY id").fetchall()
    assert [tuple(row) for row in states] == [
        (matti, "anonymised-with-holds"),
        (assistant, "active"),
    ]


def _found_by(cli: Cli, typed: str) -> list[int]:
    rows = cli.ok("customer", "search", typed, "-f", "json", user="clerk").stdout
    return [row["id"] for row in json.loads(rows)]


def test_a_trader_linked_to_a_business_is_found_by_its_name_and_not_by_the_old_one(
    cli: Cli,
) -> None:
    """Linking the trader to their business (`org add --trader`, `org edit --trader`)
    writes their search text again: search finds them by the business they represent
    now, and not by one they no longer represent (docs/rules.md §3)."""
    matti = contact_without_org(cli)
    cli.ok("org", "add", "Vanhatalo Tmi", "--sole-trader", "--trader", str(matti), user="clerk")
    assert _found_by(cli, "vanhatalo") == [matti]

    cli.ok("customer", "edit", str(matti), "--org", "", user="clerk")
    cli.ok("org", "add", "Uusikylä Tmi", "--sole-trader", user="clerk")
    cli.ok("org", "edit", "Uusikylä Tmi", "--trader", str(matti), user="clerk")

    assert _found_by(cli, "uusikyla tmi") == [matti]
    assert _found_by(cli, "vanhatalo") == []
    shown = json.loads(cli.ok("customer", "show", str(matti), "-f", "json").stdout)
    assert shown["customer"]["organisation"] == "Uusikylä Tmi"
