"""Hostile stored values are shown as what they are: in tables, CSV, Markdown and HTML.

Values are put in with sqlite3 where the CLI might refuse them (an old row, another
tool): escaping must hold for whatever reaches storage.
"""

import csv
import html
import io
import os
import pty
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lautex_registry.platform.escaping import (
    FORMULA_STARTS,
    as_written,
    markdown_text,
    printable,
    spreadsheet_safe,
)
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records.importing.reading import records
from tests.conftest import Cli, RegisterTemplate
from tests.helpers import build_once

# rich markup that closes a tag never opened, a live terminal hyperlink, and raw
# terminal control: a colour (CSI) and an OSC 8 hyperlink ended by BEL.
MARKUP = "[/c]"
LINK = "[link=http://x]y[/link]"
ESCAPES = "\x1b[31mred\x1b]8;;http://evil.example/\x07z"
EMOJI = ":thumbs_up:"  # rich would print 👍
HOSTILE = f"{MARKUP} {LINK} {EMOJI} {ESCAPES}"


def build_register(cli: Cli) -> dict[str, str]:
    """One of everything, with plain values through the CLI; returns ids and numbers."""
    cli.ok("org", "add", "Plain Org", "--business-id", "1572860-0")
    customer = cli.ok(
        "customer", "add", "--first-name", "Plain", "--last-name", "Person",
        "--email", "hostile@example.fi", "--org", "Plain Org", "--street", "Kuusitie 3",
        "--postal-code", "00100", "--city", "Helsinki", "--source", "reseller",
        "--source-detail", "Reseller X", "--notes", "plain notes",
    ).stdout.strip()  # fmt: skip
    cli.ok("order", "add", customer, "--number", "T-1", "--date", "2026-11-20",
           "--channel", "web-store", "--line", "Board;1;12.50")  # fmt: skip
    cli.ok("invoice", "add", "T-1", "--number", "2026-1", "--issued", "2026-11-20",
           "--due", "2026-12-04")  # fmt: skip
    cli.ok("recipient", "add", "Plain Recipient", "--kind", "processor", "--purpose", "billing",
           "--country", "FI")  # fmt: skip
    cli.ok("disclose", customer, "--to", "Plain Recipient", "--purpose", "billing",
           "--fields", "name,address", "--date", "2026-11-20")  # fmt: skip
    cli.ok("rectify", customer, "--set", "phone=040 765 4321", "--reason", "moved")
    request = cli.ok("request", "add", customer, "--kind", "access", "--channel", "email",
                     "--note", "plain note", "--language", "en").stdout.strip()  # fmt: skip
    cli.ok("request", "close", request, "--outcome", "refused", "--reason", "plain reason")
    return {"customer": customer, "request": request}


def store(cli: Cli, values: dict[str, str]) -> None:
    """Write hostile values over the plain ones, as an old row or another tool would."""
    with closing(cli.connect()) as conn, conn:
        for column, value in values.items():
            table, name = column.split(".")
            conn.execute(f"UPDATE {table} SET {name} = ?", (value,))


@pytest.fixture(scope="module")
def built_register(
    register_template: RegisterTemplate, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, str]]:
    """The register above, built once per module; each test gets its own copy."""
    return build_once(register_template, tmp_path_factory, build_register)


@pytest.fixture
def register(
    cli: Cli, built_register: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    monkeypatch.setenv("COLUMNS", "2000")  # rich: one table row per line, no wrapping
    path, ids = built_register
    shutil.copy2(path, cli.db)
    return dict(ids)


# --- tables ---------------------------------------------------------------------------------

TEXT_COLUMNS = (
    "customers.first_name", "customers.last_name", "customers.street", "customers.city",
    "customers.notes", "customers.source_detail", "organisations.name", "users.full_name",
    "recipients.name", "order_lines.product", "invoices.billing_name", "requests.note",
    "requests.reasons", "orders.reseller", "notices.source",
)  # fmt: skip

TABLE_VIEWS = (
    ("customer", "list"),
    ("customer", "show", "{customer}"),
    ("customer", "search", "hostile@example.fi"),
    ("order", "list"),
    ("order", "show", "T-1"),
    ("invoice", "list"),
    ("org", "list"),
    ("org", "show", "1"),
    ("user", "list"),
    ("whoami",),
    ("recipient", "list"),
    ("request", "show", "{request}"),
    ("notice", "list"),
    ("rectify", "{customer}", "--set", "phone=040 111 2222", "--reason", "again"),
)


@pytest.mark.parametrize("view", TABLE_VIEWS, ids=lambda v: " ".join(v[:2]))
def test_every_table_view_shows_markup_and_escapes_as_literal_text(
    cli: Cli, register: dict[str, str], view: tuple[str, ...]
) -> None:
    values = dict.fromkeys(TEXT_COLUMNS, HOSTILE)
    rectify = view[0] == "rectify"
    if rectify:
        # rectify checks the whole customer row against the input rules and refuses one
        # holding control characters (tests/test_input_rules.py): the customer row gets the
        # printable hostile values, which its notice table shows.
        printable = f"{MARKUP} {LINK} {EMOJI}"
        values.update({c: printable for c in TEXT_COLUMNS if c.startswith("customers.")})
    store(cli, values)
    result = cli.run(*(part.format(**register) for part in view))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "\x1b" not in out and "\x07" not in out  # no colour, no hyperlink reaches the terminal
    assert MARKUP in out and LINK in out and EMOJI in out  # the literal text, not markup
    if rectify:
        return
    assert "\\x1b[31mred\\x1b]8;;http://evil.example/\\x07z" in out  # visibly escaped


def test_messages_on_stderr_never_pass_control_characters(
    cli: Cli, register: dict[str, str]
) -> None:
    store(cli, {"recipients.name": HOSTILE, "organisations.name": HOSTILE})
    result = cli.ok("disclose", register["customer"], "--to", "1", "--purpose", "billing",
                    "--fields", "email", "--date", "2026-11-21")  # fmt: skip
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "\\x1b]8;;http://evil.example/\\x07z" in result.stderr


def test_an_error_naming_a_value_is_one_line_without_control_characters(cli: Cli) -> None:
    result = cli.run("customer", "show", "nobody\x1b]8;;http://x/\x07\nsecond@example.fi")
    assert result.exit_code in (2, 3)
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr


# --- CSV ------------------------------------------------------------------------------------

FORMULAS = {
    "customers.first_name": '=HYPERLINK("http://x","y")',
    "customers.last_name": "-2+3",
    "customers.street": "+cmd|' /C calc'!A0",
    "customers.city": "\tTabbed",
    "customers.source_detail": "\rReturned",
    "organisations.name": "@SUM(1)",
    "order_lines.product": "=1+1",
    "orders.reseller": "@SUM(2)",
    "users.full_name": "=cmd",
    "recipients.name": "+plus",
    "invoices.billing_name": "-minus-",
}
PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")


def formula_cells(text: str) -> list[str]:
    """The cells of a CSV that a spreadsheet would run as formulas."""
    return [
        cell
        for row in csv.reader(io.StringIO(text, newline=""))
        for cell in row
        if cell.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(cell)
    ]


def guarded_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row
            if cell.startswith("'") and cell[1:2] in FORMULA_STARTS]  # fmt: skip


CSV_COMMANDS = (
    ("customer", "list", "-f", "csv"),
    ("customer", "search", "hostile@example.fi", "-f", "csv"),
    ("customer", "list", "--fields", "all", "-f", "csv"),
    ("order", "list", "-f", "csv"),
    ("invoice", "list", "-f", "csv"),
    ("org", "list", "-f", "csv"),
    ("user", "list", "-f", "csv"),
    ("recipient", "list", "-f", "csv"),
    ("marketing", "list", "--purpose", "direct-advertising", "--channel", "post", "-f", "csv"),
    ("labels", "--format", "csv", "--output", "labels.csv"),
    ("export", "{customer}", "--format", "csv", "--output", "access.csv"),
    ("export", "{customer}", "--portability", "--format", "csv", "--output", "portable.csv"),
)


@pytest.mark.parametrize("command", CSV_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_no_csv_cell_starts_a_formula(
    cli: Cli, register: dict[str, str], command: tuple[str, ...], tmp_path: Path
) -> None:
    store(cli, FORMULAS)
    result = cli.ok(*(part.format(**register) for part in command))
    outputs = [result.stdout]
    if "--output" in command:
        written = tmp_path / command[command.index("--output") + 1]
        outputs = [written.read_text("utf-8")]
        beside = written.with_name(f"{written.stem}.orders.csv")
        if beside.exists():
            outputs.append(beside.read_text("utf-8"))
    for text in outputs:
        assert formula_cells(text) == []
        assert guarded_cells(text), text  # the hostile values are there, made text
    if command[:2] == ("customer", "list"):
        assert ",+358407654321," in result.stdout  # E.164 is a number, not a formula


def test_portability_csv_reimports_formula_values_exactly(
    cli: Cli, register: dict[str, str], tmp_path: Path, register_template: RegisterTemplate
) -> None:
    values = {
        "customers.first_name": '=HYPERLINK("http://x","y")',
        "customers.last_name": "'-2+3",
        "customers.street": "+cmd|' /C calc'!A0",
        "customers.city": "''@SUM(1)",
        "organisations.name": "@Org",
    }
    store(cli, values)
    assert reimported(cli, register["customer"], tmp_path, register_template) == {
        "first_name": values["customers.first_name"],
        "last_name": values["customers.last_name"],
        "street": values["customers.street"],
        "city": values["customers.city"],
        "org": values["organisations.name"],
    }
    exported = (tmp_path / "portable.csv").read_text("utf-8")
    assert "'=HYPERLINK(" in exported and "''-2+3" in exported  # guarded on the way out


def reimported(cli: Cli, customer: str, folder: Path, template: RegisterTemplate) -> dict[str, str]:
    """Export the customer's portability CSV and import it into a fresh register."""
    target = folder / "portable.csv"
    # Each hypothesis example writes the file again: --force replaces the last one.
    cli.ok("export", customer, "--portability", "--format", "csv", "--output", str(target),
           "--force")  # fmt: skip
    other = folder / "other.db"
    shutil.copy2(template.path, other)
    result = cli.run("--db", str(other), "customer", "import", str(target), user="clerk")
    assert result.exit_code == 0, result.output
    with closing(sqlite3.connect(other)) as conn:
        row = conn.execute(
            """SELECT c.first_name, c.last_name, c.street, c.city, o.name
               FROM customers c LEFT JOIN organisations o ON o.id = c.organisation_id"""
        ).fetchone()
    other.unlink()
    return dict(zip(("first_name", "last_name", "street", "city", "org"), row, strict=True))


# Letters a name may have, with every character a spreadsheet or the guard cares about;
# digits are left out so that no value reads as a personal identity code.
NAME_TEXT = (
    st.text(alphabet=st.sampled_from("AaÄäÖöÅåZz '\"=+-@|!,;:()[]<>&*_#%"), min_size=1, max_size=20)
    .map(str.strip)
    .filter(bool)
)


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=NAME_TEXT, last=NAME_TEXT, street=NAME_TEXT)
def test_portability_csv_round_trips_any_name(
    cli: Cli,
    register: dict[str, str],
    tmp_path: Path,
    register_template: RegisterTemplate,
    first: str,
    last: str,
    street: str,
) -> None:
    store(cli, {"customers.first_name": first, "customers.last_name": last,
                "customers.street": street})  # fmt: skip
    got = reimported(cli, register["customer"], tmp_path, register_template)
    assert (got["first_name"], got["last_name"], got["street"]) == (first, last, street)


def csv_round_trip(values: list[str]) -> list[str]:
    """Write one row the way the register does, read it the way `customer import` does."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([spreadsheet_safe(v) for v in values])
    [(_line, record)] = records((2, buffer.getvalue()), ",")
    return [as_written(cell) for cell in record]


@given(st.lists(st.text(min_size=1), min_size=2, max_size=4))
def test_any_cell_survives_the_guard_exactly(values: list[str]) -> None:
    assert csv_round_trip(values) == values


@given(st.text())
def test_a_guarded_cell_never_starts_a_formula(value: str) -> None:
    cell = spreadsheet_safe(value)
    assert not cell.startswith(FORMULA_STARTS) or PLAIN_NUMBER.fullmatch(cell)
    assert as_written(cell) == value


def test_a_value_starting_with_an_apostrophe_round_trips() -> None:
    assert spreadsheet_safe("'t Hooft") == "''t Hooft"
    assert as_written("''t Hooft") == "'t Hooft"
    assert as_written("'t Hooft") == "'t Hooft"  # a hand-written file: kept as written
    assert as_written("'=x") == "=x"


# --- Markdown and HTML ----------------------------------------------------------------------

MD_LINK = "[Pay here](http://evil.example/pay)"
MD_IMAGE = "![x](http://evil.example/t.png)"
SCRIPT = "<script>alert(1)</script>"
MD_VALUES = {
    "customers.last_name": MD_LINK,
    "customers.street": MD_IMAGE,
    "customers.first_name": SCRIPT,
    "customers.notes": "# Heading\n- item\n\n    indented",
    "requests.reasons": f"{MD_LINK} {MD_IMAGE} {SCRIPT}",
    "requests.note": MD_LINK,
    "requests.requester_name": MD_LINK,
    "organisations.name": "*bold* _it_ `code` | pipe",
}


def no_markup_from_values(text: str) -> None:
    lowered = text.lower()
    assert "<a " not in lowered and "<a>" not in lowered
    assert "<img" not in lowered
    assert "<script" not in lowered


DOCUMENTS = (
    ("export", "{customer}", "--format", "html", "--lang", "en"),
    ("export", "{customer}", "--format", "md", "--lang", "fi"),
    ("request", "letter", "{request}", "--format", "html", "--lang", "en"),
    ("request", "letter", "{request}", "--format", "md", "--lang", "fi"),
    ("request", "certificate", "{request}", "--format", "html", "--lang", "en"),
    ("request", "certificate", "{request}", "--format", "md", "--lang", "fi"),
)


@pytest.mark.parametrize("command", DOCUMENTS, ids=lambda c: " ".join((*c[:2], c[-3])))
def test_documents_show_personal_values_and_reasons_as_text(
    cli: Cli, register: dict[str, str], command: tuple[str, ...]
) -> None:
    store(cli, MD_VALUES)
    text = cli.ok(*(part.format(**register) for part in command)).stdout
    no_markup_from_values(text)
    if "html" in command:
        assert "[Pay here](http://evil.example/pay)" in text  # shown as the characters
        assert "&lt;script&gt;" in text
    else:
        assert "\\[Pay here\\](http://evil.example/pay)" in text
        assert "](http://evil" not in text.replace("\\](", "")  # no live Markdown link
        assert "&lt;script&gt;" in text

    if command[:2] == ("export", "{customer}") and "html" in command:
        # the template's own markup stays markup; the notes' "# Heading" is text
        assert "<h2>" in text and "<td>" in text and "<h1>Heading" not in text


@pytest.fixture
def labelled(cli: Cli, register: dict[str, str]) -> Iterator[None]:
    store(cli, {"customers.first_name": HOSTILE, "customers.street": "\x1b[2J" + MD_LINK})
    yield


def pdf_text(path: str) -> str:
    """The PDF's text as a reader extracts it (the Unicode font's glyphs mapped back)."""
    pypdf = pytest.importorskip("pypdf")
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


def test_pdf_labels_print_control_characters_as_escapes(cli: Cli, labelled: None) -> None:
    cli.ok("labels", "--format", "pdf", "--output", "labels.pdf", user="clerk")
    content = pdf_text("labels.pdf")
    assert "[/c]" in content  # the label is there ...
    assert "\x1b" not in content and "\\x1b[2J" in content  # ... its ESC printed visibly


def test_import_progress_bar_at_a_terminal_shows_a_file_name_with_markup(
    cli: Cli, tmp_path: Path
) -> None:
    """A real process with stderr on a terminal (a pty), where the progress bar is drawn."""
    path = tmp_path / "[red]list\x1b[2J.csv"
    path.write_text("first_name,last_name,source\nAino,Äijälä,web-store\n", encoding="utf-8")
    terminal, process_side = pty.openpty()
    env = {**os.environ, "LAUTEX_TOKEN": cli.tokens["clerk"]}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "lautex_registry", "customer", "import", str(path)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=process_side,
            env=env, timeout=120, check=False,
        )  # fmt: skip
    finally:
        os.close(process_side)
    shown = read_all(terminal)
    assert done.returncode == 0, shown
    assert b"1 customers stored" in shown and b"\x1b[2J" not in shown
    assert b"importing [red]list\\x1b[2J.csv" in shown  # the name as it is, not markup


def read_all(fd: int) -> bytes:
    chunks = []
    try:
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
    except OSError:  # EIO: the other side is closed
        pass
    finally:
        os.close(fd)
    return b"".join(chunks)


# --- the Markdown escape, against the renderer the documents use -----------------------------

MARKDOWN_PIECES = st.sampled_from(
    [*"[]()!<>&*_`#|~\\-+=.:/ \n\t\r1aÄ\x1b\u00a0", "http://x", "    ", "1. ", "- ", "---", "&amp;"]
)
ANY_VALUE = st.one_of(st.lists(MARKDOWN_PIECES, max_size=25).map("".join), st.text(max_size=30))


def rendered(markdown: str) -> str:
    from markdown_it import MarkdownIt

    html: str = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)
    return html


def words(text: str) -> str:
    return " ".join(text.split())


@given(ANY_VALUE)
def test_a_value_in_a_paragraph_is_text_and_nothing_else(value: str) -> None:
    page = rendered("Name: " + markdown_text(value) + "\n")
    assert set(re.findall(r"</?([a-z0-9]+)", page)) <= {"p", "br", "pre", "code"}
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert words(text) == words("Name: " + printable(value))


@given(ANY_VALUE)
def test_a_value_in_a_table_cell_stays_in_its_cell(value: str) -> None:
    cell = words(value)  # a letter's table cell is one line
    page = rendered(f"| field | value |\n|---|---|\n| name | {markdown_text(cell)} |\n")
    assert set(re.findall(r"</?([a-z0-9]+)", page)) <= {"table", "thead", "tbody", "tr", "th", "td"}
    cells = re.findall(r"<td>(.*?)</td>", page, re.DOTALL)
    assert len(cells) == 2 and words(html.unescape(cells[1])) == words(printable(cell))


def test_a_certificate_title_from_settings_is_text(cli: Cli, register: dict[str, str]) -> None:
    with closing(cli.connect()) as conn, conn:
        conn.execute(
            "UPDATE settings SET value_json = json_set(value_json, '$.name', ?)"
            " WHERE key = 'controller'",
            (f"{SCRIPT}\x1b[2J{MD_LINK}",),
        )
    page = cli.ok("request", "certificate", register["request"], "--format", "html").stdout
    no_markup_from_values(page)
    assert "\x1b" not in page
    title = "Certificate of refusal: &lt;script&gt;alert(1)&lt;/script&gt;\\x1b[2J"
    assert f"<title>{title}{MD_LINK}</title>" in page
