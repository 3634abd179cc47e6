"""Names in Finnish order wherever a list is sorted by name (docs/rules.md §2 "Formats")."""

import json

from hypothesis import given
from hypothesis import strategies as st

from lautex_registry.platform.collation import finnish_key
from tests.conftest import Cli
from tests.helpers import add_customer, assert_one_line_error

NAMES = ["Öhman", "Åström", "de Wit", "Äijälä", "Zetterberg", "Aalto", "Émond", "Ylönen", "Über"]
FINNISH = ["Aalto", "de Wit", "Émond", "Über", "Ylönen", "Zetterberg", "Åström", "Äijälä", "Öhman"]


def test_finnish_key_orders_the_issues_names() -> None:
    assert sorted(NAMES, key=finnish_key) == FINNISH


@given(st.text(), st.text())
def test_finnish_order_ignores_case_and_is_total(a: str, b: str) -> None:
    ka, kb = finnish_key(a), finnish_key(b)
    assert (ka == kb) == (a == b)  # two different names never tie
    key, same_but_case = finnish_key(a.upper()), finnish_key(a.upper().lower())
    assert key.split("\x00")[0] == same_but_case.split("\x00")[0]


def test_every_list_sorted_by_name_is_in_finnish_order(cli: Cli) -> None:
    for name in NAMES:
        add_customer(cli, "--first-name", "Aino", "--last-name", name, "--source", "web-store")
    by_name = json.loads(cli.ok("customer", "list", "--sort", "name", "-f", "json").stdout)
    assert [c["last_name"] for c in by_name] == FINNISH
    by_id = json.loads(cli.ok("customer", "list", "-f", "json").stdout)
    assert [c["last_name"] for c in by_id] == NAMES
    found = json.loads(cli.ok("customer", "search", "aino", "-f", "json").stdout)
    assert [c["last_name"] for c in found] == FINNISH
    assert_one_line_error(cli.run("customer", "list", "--sort", "age"), 2, "sort: must be one of")


def test_organisations_and_their_contacts_in_finnish_order(cli: Cli) -> None:
    for name in ("Öljy Oy", "Åland Ab", "Zeta Oy", "aalto Oy", "Ääni Oy"):
        cli.ok("org", "add", name, user="clerk")
    listed = json.loads(cli.ok("org", "list", "-f", "json").stdout)
    assert [o["name"] for o in listed] == ["aalto Oy", "Zeta Oy", "Åland Ab", "Ääni Oy", "Öljy Oy"]
    for last in ("Öhman", "Aalto", "Åström"):
        add_customer(cli, "--first-name", "A", "--last-name", last, "--source", "web-store",
                     "--org", "Zeta Oy")  # fmt: skip
    shown = json.loads(cli.ok("org", "show", "Zeta Oy", "-f", "json").stdout)
    assert [c["last_name"] for c in shown["contacts"]] == ["Aalto", "Åström", "Öhman"]
