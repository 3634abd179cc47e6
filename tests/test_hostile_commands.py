"""Every command, driven with hostile strings: a clean refusal or a value shown safely.

A hostile value is either refused at input (exit 2, one line, the register unchanged)
or stored, and then shown safely in tables, CSV, Markdown and HTML.
"""

import csv
import io
import re
import sqlite3
from collections.abc import Callable
from contextlib import closing

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lautex_registry.escaping import FORMULA_STARTS
from tests.conftest import PASSWORD, Cli

DOCUMENTED_EXITS = {0, 2, 3, 4, 5, 6}
# What a terminal acts on: C0 controls but the newline, DEL, C1, bidirectional overrides.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")

KNOWN_HOSTILE = [
    "[/c]",
    "[link=http://x]y[/link]",
    "[bold red]loud",
    ":thumbs_up:",
    "\x1b[31mred\x1b[0m",
    "\x1b]8;;http://evil.example/\x07click\x1b]8;;\x07",
    "a\rb",
    "\u202eevil",
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "@SUM(1)",
    "-2+3",
    "\tTab",
    "'quoted",
    "[Pay here](http://evil.example/pay)",
    "![x](http://evil.example/t.png)",
    "<script>alert(1)</script>",
    "# Heading\n- item",
    "٤٢",  # Arabic-Indic 42
    "４２",  # fullwidth 42
    "010101-123N",  # a henkilötunnus in free text
]
SPECIALS = [*"[]/=+-@'\"<>!()*_`#|&\\:; \t\r\n\x00\x07\x1b\x7f\x9b\u202e٤", "a", "Ä", "1"]
HOSTILE = st.one_of(
    st.sampled_from(KNOWN_HOSTILE),
    st.text(alphabet=st.sampled_from(SPECIALS), min_size=1, max_size=30),
    st.text(min_size=1, max_size=20),
    st.integers(min_value=1001, max_value=20000).map(lambda n: "Å" * n),  # very long
)

Command = Callable[[str], list[str]]
COMMANDS: dict[str, Command] = {
    "customer add names": lambda v: ["customer", "add", "--first-name", v, "--last-name", v,
                                     "--source", "web-store"],
    "customer add address": lambda v: ["customer", "add", "--first-name", "A", "--last-name", "B",
                                       "--street", v, "--postal-code", "00100", "--city", v,
                                       "--source", "web-store"],
    "customer add phone": lambda v: ["customer", "add", "--first-name", "A", "--last-name", "B",
                                     "--phone", v, "--source", "web-store"],
    "customer add postal code": lambda v: ["customer", "add", "--first-name", "A",
                                           "--last-name", "B", "--street", "Tie 1",
                                           "--postal-code", v, "--city", "Espoo",
                                           "--source", "web-store"],
    "customer edit notes": lambda v: ["customer", "edit", "1", "--notes", v],
    "customer edit org": lambda v: ["customer", "edit", "1", "--org", v],
    "customer show": lambda v: ["customer", "show", v],
    "customer search": lambda v: ["customer", "search", v],
    "customer list org": lambda v: ["customer", "list", "--org", v],
    "org add": lambda v: ["org", "add", v],
    "org show": lambda v: ["org", "show", v],
    "order add": lambda v: ["order", "add", "1", "--number", v, "--date", "2026-11-20",
                            "--channel", "web-store", "--line", f"{v};1;1.00"],
    "order show": lambda v: ["order", "show", v],
    "invoice pay": lambda v: ["invoice", "pay", v, "--date", "2026-11-24"],
    "request add": lambda v: ["request", "add", "1", "--kind", "access", "--channel", "email",
                              "--note", v],
    "request add requester": lambda v: ["request", "add", "--requester", f"{v} <v@example.org>",
                                        "--kind", "access", "--channel", "email"],
    "request close": lambda v: ["request", "close", "1", "--outcome", "refused", "--reason", v],
    "request verify": lambda v: ["request", "verify", "1", "--method", v],
    "recipient add": lambda v: ["recipient", "add", v, "--kind", "processor", "--purpose",
                                "billing", "--country", "FI"],
    "rectify": lambda v: ["rectify", "1", "--set", f"street={v}", "--reason", v],
    "user add": lambda v: ["user", "add", "hostile", "--full-name", v, "--role", "clerk",
                           "--password-stdin"],
    "labels purpose": lambda v: ["labels", "--purpose", v, "--format", "csv"],
}  # fmt: skip

# After a value is stored: the views that show it, and how each must look.
TABLE_VIEWS = (
    ["customer", "list"],
    ["customer", "show", "1"],
    ["org", "list"],
    ["user", "list"],
    ["recipient", "list"],
    ["request", "show", "1"],
)
CSV_VIEWS = (
    ["customer", "list", "-f", "csv"],
    ["order", "list", "-f", "csv"],
    ["export", "1", "--format", "csv"],
)
DOCUMENT_VIEWS = (
    ["export", "1", "--format", "md"],
    ["export", "1", "--format", "html"],
)


def snapshot(cli: Cli) -> str:
    with closing(sqlite3.connect(cli.db)) as conn:
        return "\n".join(conn.iterdump())


def assert_shown_safely(cli: Cli) -> None:
    for view in TABLE_VIEWS:
        result = cli.ok(*view)
        assert not RAW_CONTROL.search(result.stdout), view
    for view in CSV_VIEWS:
        out = cli.ok(*view).stdout
        for row in csv.reader(io.StringIO(out, newline="")):
            for cell in row:
                starts_formula = cell.startswith(FORMULA_STARTS)
                assert not starts_formula or PLAIN_NUMBER.fullmatch(cell), (view, cell)
    for view in DOCUMENT_VIEWS:
        text = cli.ok(*view).stdout
        lowered = text.lower()
        assert "<script" not in lowered and "<img" not in lowered and "<a " not in lowered
        assert not RAW_CONTROL.search(text), view


@pytest.fixture
def populated(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("COLUMNS", "200")
    cli.ok("org", "add", "Puutalo Oy")
    cli.ok("customer", "add", "--first-name", "Aino", "--last-name", "Äijälä", "--org",
           "Puutalo Oy", "--email", "aino@example.fi", "--street", "Kuusitie 3",
           "--postal-code", "00100", "--city", "Helsinki", "--source", "reseller")  # fmt: skip
    cli.ok("order", "add", "1", "--number", "T-1", "--date", "2026-11-20",
           "--channel", "web-store", "--line", "Board;1;12.50")  # fmt: skip
    cli.ok("request", "add", "1", "--kind", "access", "--channel", "email")
    return cli


@settings(
    max_examples=30,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=st.sampled_from(sorted(COMMANDS)), value=HOSTILE)
def test_a_hostile_value_is_refused_cleanly_or_shown_safely(
    populated: Cli, name: str, value: str
) -> None:
    cli = populated
    before = snapshot(cli)
    args = COMMANDS[name](value)
    result = cli.run(*args, input=PASSWORD + "\n")
    assert result.exit_code in DOCUMENTED_EXITS, (name, value, result.output)
    assert "Traceback" not in result.output
    assert not RAW_CONTROL.search(result.stderr), (name, value, result.stderr)
    if result.exit_code != 0:
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
        assert snapshot(cli) == before, (name, value)
        return
    assert not RAW_CONTROL.search(result.stdout) or "-f" in args or "csv" in args
    assert_shown_safely(cli)
