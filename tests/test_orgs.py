"""Organisations through the CLI."""

import json

import pytest

from tests.conftest import Cli
from tests.helpers import add_customer, assert_one_line_error, dump


def test_add_list_show(cli: Cli) -> None:
    org_id = int(cli.ok("org", "add", "Puutalo Oy", "--business-id", "1572860-0",
                        user="clerk").stdout)  # fmt: skip
    cli.ok("org", "add", "Ääninen Ab", user="clerk")
    customer = add_customer(cli, "--first-name", "Aino", "--last-name", "Äijälä",
                            "--source", "partner", "--org", str(org_id))  # fmt: skip
    listed = json.loads(cli.ok("org", "list", "-f", "json", user="auditor").stdout)
    assert [(o["name"], o["business_id"], o["customers"]) for o in listed] == [
        ("Puutalo Oy", "1572860-0", 1),
        ("Ääninen Ab", None, 0),
    ]
    shown = json.loads(cli.ok("org", "show", "puutalo oy", "-f", "json").stdout)
    assert shown["id"] == org_id
    assert [c["id"] for c in shown["contacts"]] == [customer]
    assert "Puutalo Oy" in cli.ok("org", "show", str(org_id)).stdout
    with cli.connect() as conn:
        row = conn.execute("SELECT * FROM audit_log WHERE action = 'org add'").fetchone()
    assert json.loads(row["details_json"]) == {"fields": ["name", "business_id"]}


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (("Other Oy", "--business-id", "1572860-1"), 2, "business_id: "),
        (("Other Oy", "--business-id", "1572860-0"), 6, "business_id: organisation 1"),
        (("PUUTALO OY",), 6, "name: organisation 1 already has this name"),
        (("  ",), 2, "name: is required"),
        (("12345",), 2, "name: "),
    ],
)
def test_add_bad_input(cli: Cli, args: tuple[str, ...], code: int, fragment: str) -> None:
    cli.ok("org", "add", "Puutalo Oy", "--business-id", "1572860-0")
    before = dump(cli)
    assert_one_line_error(cli.run("org", "add", *args, user="clerk"), code, fragment)
    assert dump(cli) == before


def test_show_unknown_and_auditor_cannot_add(cli: Cli) -> None:
    assert_one_line_error(cli.run("org", "show", "Nobody Oy"), 3, "org: no organisation")
    before = dump(cli)
    assert_one_line_error(cli.run("org", "add", "X Oy", user="auditor"), 5)
    assert dump(cli) == before


def test_showing_an_organisation_audits_how_many_contacts_it_named(cli: Cli) -> None:
    import json as _json

    cli.ok("org", "add", "Puutalo Oy", "--business-id", "1572860-0", user="clerk")
    cli.ok("customer", "add", "--first-name", "Aino", "--last-name", "Äijälä",
           "--org", "Puutalo Oy", "--source", "web-store", user="clerk")  # fmt: skip
    cli.ok("org", "show", "Puutalo Oy", "-f", "json", user="auditor")
    rows = _json.loads(cli.ok("audit", "list", "--action", "org show", "-f", "json").stdout)
    assert [(r["user"], r["details"]) for r in rows] == [("auditor", {"contacts": 1})]


def test_an_organisation_is_found_by_its_business_id(cli: Cli) -> None:
    org_id = int(cli.ok("org", "add", "Puutalo Oy", "--business-id", "1019945-5",
                        user="clerk").stdout)  # fmt: skip
    shown = json.loads(cli.ok("org", "show", "1019945-5", "-f", "json", user="auditor").stdout)
    assert (shown["id"], shown["name"]) == (org_id, "Puutalo Oy")
    add_customer(cli, "--first-name", "Aino", "--last-name", "Äijälä", "--source", "partner",
                 "--org", " 1019945-5 ")  # fmt: skip
    listed = json.loads(cli.ok("customer", "list", "--org", "1019945-5", "-f", "json").stdout)
    assert [c["organisation"] for c in listed] == ["Puutalo Oy"]
    # Not in the register: says so, and does not tell the clerk to add what exists elsewhere.
    result = cli.run("org", "show", "1572860-0")
    assert_one_line_error(result, 3, "org: no organisation with business ID 1572860-0")
    assert "add it first" not in result.stderr and "lautex org list" in result.stderr
    assert_one_line_error(cli.run("org", "show", "1019945-4"), 2, "org: '1019945-4' is not a valid")
