"""Every command, driven with hostile strings: a clean refusal or a value shown safely.

A hostile value is either refused at input (exit 2, one line, the register unchanged)
or stored, and then shown safely wherever it appears: tables, CSV, Markdown, HTML and
the PDF labels (README "How output is escaped").
"""

import csv
import io
import itertools
import json
import re
import unicodedata
from collections.abc import Callable
from contextlib import closing
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from lautex_registry.platform.documents import markdown_parser
from lautex_registry.platform.escaping import FORMULA_STARTS, printable
from lautex_registry.platform.sqlite import sqlite3
from tests.conftest import PASSWORD, Cli
from tests.helpers import iterdump

DOCUMENTED_EXITS = {0, 2, 3, 4, 5, 6, 7, 8}  # README "Exit codes"
# What a terminal acts on: C0 controls but the newline, DEL, C1, bidirectional overrides.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
ONE_ERROR = re.compile("error: [^\n]*\n")
CSV_ROW_ERRORS = re.compile("(line [0-9]+: [^\n]*\n)+")  # README "Input rules"
PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")
# In Markdown source: a link or image opener that no backslash escapes, or any raw `<`
# (the templates write none; a value's `<` must come out as `&lt;`).
LIVE_MARKDOWN = re.compile(r"(?<!\\)\]\(|!\[|<")
# Tokens only a value could have brought: the templates have no link, image or HTML.
FOREIGN_TOKENS = {"link_open", "image", "html_inline", "html_block"}
# Tags markdown-it writes for the templates' own markup, and the page around it (with its
# print stylesheet).
TEMPLATE_TAGS = {
    "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "h4", "p", "ul", "ol", "li",
    "strong", "em", "br", "hr", "table", "thead", "tbody", "tr", "th", "td", "code", "pre",
    "blockquote",
}  # fmt: skip

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
    "<http://evil.example/auto>",
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
# Tried on every command, whatever the generator picks: a link, an image and a tag
# in one printable value, and a formula.
LINK_IMAGE_TAG = "[Pay](http://evil.example/pay) ![i](http://evil.example/i.png) <b>x</b>"
FORMULA = '=HYPERLINK("http://evil.example","Pay")'


def csv_file(header: list[str], row: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows([header, row])
    Path("hostile.csv").write_text(out.getvalue(), encoding="utf-8")
    return "hostile.csv"


def settings_file(controller: str) -> str:
    """The default settings with the controller's name set to the value."""
    text = resources.files("lautex_registry").joinpath("defaults/register.toml").read_text()
    # A JSON string with its non-ASCII kept is a TOML basic string.
    named = text.replace('name = "Oy Lautex Ab"', f"name = {json.dumps(controller)}", 1)
    Path("hostile.toml").write_text(named, encoding="utf-8")
    return "hostile.toml"


LOGINS = itertools.count(1)  # every `user add` a new login: a duplicate is another test
Command = Callable[[str], list[str]]
# Each command with the views that show what it stores (see VIEWS).
COMMANDS: dict[str, tuple[Command, tuple[str, ...]]] = {
    "customer add names": (lambda v: ["customer", "add", "--first-name", v, "--last-name", v,
                                      "--source", "web-store"], ("people", "labels")),
    "customer add address": (lambda v: ["customer", "add", "--first-name", "A", "--last-name",
                                        "B", "--street", v, "--postal-code", "00100", "--city",
                                        v, "--source", "web-store"], ("people", "labels")),
    "customer add phone": (lambda v: ["customer", "add", "--first-name", "A", "--last-name",
                                      "B", "--phone", v, "--source", "web-store"], ("people",)),
    "customer add postal code": (lambda v: ["customer", "add", "--first-name", "A",
                                            "--last-name", "B", "--street", "Tie 1",
                                            "--postal-code", v, "--city", "Espoo",
                                            "--source", "web-store"], ("people", "labels")),
    "customer edit notes": (lambda v: ["customer", "edit", "1", "--notes", v], ("people",)),
    "customer edit org": (lambda v: ["customer", "edit", "1", "--org", v],
                          ("people", "labels")),
    "customer show": (lambda v: ["customer", "show", v], ()),
    "customer search": (lambda v: ["customer", "search", v], ()),
    "customer list org": (lambda v: ["customer", "list", "--org", v], ()),
    "customer import": (lambda v: ["customer", "import", "--source", "reseller", csv_file(
        ["first_name", "last_name", "street", "postal_code", "city"],
        [v, v, v, "00100", v])], ("people", "labels")),
    "org add": (lambda v: ["org", "add", v], ("people",)),
    "org show": (lambda v: ["org", "show", v], ()),
    "order add": (lambda v: ["order", "add", "1", "--number", v, "--date", "2026-11-20",
                             "--channel", "web-store", "--line", f"{v};1;1.00"], ("orders",)),
    "order show": (lambda v: ["order", "show", v], ()),
    "invoice pay": (lambda v: ["invoice", "pay", v, "--date", "2026-11-24"], ("orders",)),
    "request add": (lambda v: ["request", "add", "1", "--kind", "access", "--channel", "email",
                               "--note", v], ("requests",)),
    "request add requester": (lambda v: ["request", "add", "--requester",
                                         f"{v} <v@example.org>", "--kind", "access",
                                         "--channel", "email"], ("requests",)),
    "request close": (lambda v: ["request", "close", "1", "--outcome", "refused", "--reason",
                                 v], ("requests", "refusal")),
    "request verify": (lambda v: ["request", "verify", "1", "--method", v], ("requests",)),
    "request letter": (lambda v: ["request", "letter", "1", "--type", v], ()),
    "request certificate": (lambda v: ["request", "certificate", v], ()),
    "recipient add": (lambda v: ["recipient", "add", v, "--kind", "processor", "--purpose",
                                 "billing", "--country", "FI"], ("recipients",)),
    "disclose": (lambda v: ["disclose", "1", "--to", "Laskutus Oy", "--purpose", "billing",
                            "--fields", "name,address", "--date", "2026-11-20",
                            "--legal-reference", v], ("people",)),
    "rectify": (lambda v: ["rectify", "1", "--set", f"street={v}", "--reason", v],
                ("people", "labels", "requests")),
    "rectify name": (lambda v: ["rectify", "1", "--set", f"first_name={v}", "--set",
                                f"last_name={v}", "--reason", "asked"],
                     ("people", "labels", "requests")),
    "rectify refuse": (lambda v: ["rectify", "1", "--refuse", "--reason", v,
                                  "--request", "4"], ("certificate",)),
    "restrict": (lambda v: ["restrict", "1", "--reason", v], ("people",)),
    "object": (lambda v: ["object", "1", "--purpose", v, "--received", "2026-11-20",
                          "--channel", "email"], ("people",)),
    "publication-ban": (lambda v: ["publication-ban", "1", "--received", v, "--channel",
                                   "counter"], ("people",)),
    "consent": (lambda v: ["consent", "1", "--email-marketing", "given", "--date",
                           "2026-11-20", "--source", v], ("people",)),
    "user add": (lambda v: ["user", "add", f"hostile{next(LOGINS)}", "--full-name", v,
                            "--role", "clerk", "--password-stdin"], ("users",)),
    "settings load": (lambda v: ["settings", "load", "--yes", settings_file(v)], ("statement",)),
    "statement": (lambda v: ["statement", "--lang", v], ()),
    "labels purpose": (lambda v: ["labels", "--purpose", v, "--format", "csv"], ()),
}  # fmt: skip

# The views that show a stored value, by what they show. Each is also checked after
# every command that stores nothing, so every view is seen whatever the examples.
TABLE_VIEWS = {
    "people": (["customer", "list"], ["customer", "show", "1"], ["customer", "search", "a"],
               ["org", "list"]),
    "orders": (["order", "list"], ["order", "show", "T-1"], ["invoice", "list"]),
    "requests": (["request", "show", "1"], ["request", "list"]),
    "recipients": (["recipient", "list"],),
    "users": (["user", "list"], ["whoami"]),
}  # fmt: skip
CSV_VIEWS = {
    "people": (["customer", "list", "-f", "csv"], ["export", "1", "--format", "csv"]),
    "orders": (["order", "list", "-f", "csv"], ["invoice", "list", "-f", "csv"]),
    "labels": (["labels", "--format", "csv"],),
}
DOCUMENT_VIEWS = {
    "people": (["export", "1", "--format", "md"], ["export", "1", "--format", "html"]),
    "requests": (["request", "letter", "3", "--format", "md"],
                 ["request", "letter", "3", "--format", "html"],
                 ["request", "certificate", "2", "--format", "md"],
                 ["request", "certificate", "2", "--format", "html"]),
    "refusal": (["request", "letter", "1", "--format", "md"],
                ["request", "letter", "1", "--format", "html"]),
    "certificate": (["request", "certificate", "4", "--format", "md"],
                    ["request", "certificate", "4", "--format", "html"]),
    "recipients": (["statement", "--format", "md"],),
    "statement": (["statement", "--format", "md"], ["statement", "--format", "html"]),
}  # fmt: skip
PDF_VIEWS = {"labels": ["labels", "--format", "pdf", "--output", "labels.pdf", "--force"]}
# Where a stored value shows in a table: as the characters stored, never read as rich
# markup (`[bold red]loud`, `[/c]`) or an emoji code (`:thumbs_up:`).
SHOWN_IN_TABLE = {
    "customer add names": ["customer", "list"],
    "customer edit notes": ["customer", "show", "1"],
    "org add": ["org", "list"],
    "order add": ["order", "list"],
    "recipient add": ["recipient", "list"],
    "user add": ["user", "list"],
}


def snapshot(cli: Cli) -> str:
    with closing(sqlite3.connect(cli.db)) as conn:
        return "\n".join(iterdump(conn))


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append((tag, attrs))


def assert_markdown_is_text(view: list[str], text: str) -> None:
    """Every value came back as text: no link, image or tag, in the source or parsed."""
    assert not LIVE_MARKDOWN.search(text), (view, LIVE_MARKDOWN.search(text))
    tokens = markdown_parser().parse(text)
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in t.children or ()}
    assert not kinds & FOREIGN_TOKENS, (view, kinds & FOREIGN_TOKENS)


def assert_html_is_text(view: list[str], text: str) -> None:
    tags = Tags()
    tags.feed(text)
    for tag, attrs in tags.seen:
        assert tag in TEMPLATE_TAGS, (view, tag)
        assert {name for name, _ in attrs} <= {"lang", "charset"}, (view, tag, attrs)


def assert_shown_safely(cli: Cli, shows: tuple[str, ...]) -> None:
    for view in (v for key in shows for v in TABLE_VIEWS.get(key, ())):
        assert not RAW_CONTROL.search(cli.ok(*view, "-f", "table").stdout), view
        # Into a pipe (the default there) a view is TSV: tabs only between fields, one
        # record a line, every line of a list as many fields as its header.
        lines = cli.ok(*view).stdout.splitlines()
        assert not any(RAW_CONTROL.search(line.replace("\t", "")) for line in lines), view
        if lines and view[1:2] in (["list"], ["search"]):
            assert {line.count("\t") for line in lines} == {lines[0].count("\t")}, view
    for view in (v for key in shows for v in CSV_VIEWS.get(key, ())):
        for row in csv.reader(io.StringIO(cli.ok(*view).stdout, newline="")):
            for cell in row:
                starts_formula = cell.startswith(FORMULA_STARTS)
                assert not starts_formula or PLAIN_NUMBER.fullmatch(cell), (view, cell)
    for view in (v for key in shows for v in DOCUMENT_VIEWS.get(key, ())):
        text = cli.ok(*view).stdout
        assert not RAW_CONTROL.search(text), view
        check = assert_html_is_text if "html" in view else assert_markdown_is_text
        check(view, text)
    for view in (PDF_VIEWS[key] for key in shows if key in PDF_VIEWS):
        cli.ok(*view)
        pages = PdfReader("labels.pdf").pages
        assert not RAW_CONTROL.search("".join(page.extract_text() for page in pages)), view


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
    cli.ok("request", "add", "1", "--kind", "rectification", "--channel", "email")
    cli.ok("rectify", "1", "--refuse", "--reason", "Ei näyttöä.", "--request", "2")
    cli.ok("request", "add", "1", "--kind", "access", "--channel", "email")
    cli.ok("request", "close", "3", "--outcome", "refused", "--reason", "Toistuva pyyntö.")
    cli.ok("request", "add", "1", "--kind", "rectification", "--channel", "email")
    cli.ok("recipient", "add", "Laskutus Oy", "--kind", "processor", "--purpose", "billing",
           "--country", "FI")  # fmt: skip
    return cli


ALL_VIEWS = tuple(sorted({*TABLE_VIEWS, *CSV_VIEWS, *DOCUMENT_VIEWS, *PDF_VIEWS}))


@pytest.mark.parametrize("name", sorted(COMMANDS))
@settings(
    max_examples=4,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=HOSTILE)
@example(value=LINK_IMAGE_TAG)
@example(value=FORMULA)
def test_a_hostile_value_is_refused_cleanly_or_shown_safely(
    populated: Cli, name: str, value: str
) -> None:
    cli = populated
    command, shows = COMMANDS[name]
    before = snapshot(cli)
    args = command(value)
    result = cli.run(*args, input=PASSWORD + "\n")
    assert result.exit_code in DOCUMENTED_EXITS, (name, value, result.output)
    assert "Traceback" not in result.output
    assert not RAW_CONTROL.search(result.stderr), (name, value, result.stderr)
    if result.exit_code != 0:
        assert ONE_ERROR.fullmatch(result.stderr) or (
            name == "customer import" and CSV_ROW_ERRORS.match(result.stderr)
        ), (name, value, result.stderr)
        assert snapshot(cli) == before, (name, value)
        return
    as_data = "csv" in args
    # Not a terminal: a command's own output is TSV, whose tabs separate fields.
    assert as_data or not RAW_CONTROL.search(result.stdout.replace("\t", "")), (name, value)
    assert_shown_safely(cli, shows)
    if name in SHOWN_IN_TABLE:
        assert_shown_literally(cli, SHOWN_IN_TABLE[name], value)


def assert_shown_literally(cli: Cli, view: list[str], value: str) -> None:
    """A short one-word value is in the table as stored (a long one may wrap)."""
    stored = unicodedata.normalize("NFC", value.strip())
    if len(stored) <= 12 and not re.search(r"\s", stored):
        assert printable(stored) in cli.ok(*view, "-f", "table").stdout, (view, value)


def test_every_view_is_safe_after_the_hostile_values_are_stored(populated: Cli) -> None:
    """The values the commands above store most often, all at once, in every view."""
    cli = populated
    for value in (LINK_IMAGE_TAG, FORMULA, "[/c]", "<http://evil.example/auto>"):
        for name in ("customer add names", "customer edit notes", "request close",
                     "recipient add", "settings load", "rectify", "rectify refuse"):  # fmt: skip
            command, _ = COMMANDS[name]
            cli.run(*command(value), input=PASSWORD + "\n")
    assert_shown_safely(cli, ALL_VIEWS)


@pytest.mark.parametrize("name", sorted(SHOWN_IN_TABLE))
def test_markup_in_a_stored_value_shows_as_typed_in_its_table(populated: Cli, name: str) -> None:
    command, _ = COMMANDS[name]
    for value in ("[/c]", "[bold]x", ":thumbs_up:"):
        populated.ok(*command(value), input=PASSWORD + "\n")
        assert_shown_literally(populated, SHOWN_IN_TABLE[name], value)
