"""Every document the register sends, in Finnish, Swedish and English, as Markdown, HTML and
PDF, rendered from the demo register: no empty heading, no internal code, dates and money as
the language writes them, and PDFs that read back with every name as written."""

import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from lautex_registry.cli.app import app
from lautex_registry.platform import audit, wording
from lautex_registry.platform.db import connect, transaction
from lautex_registry.platform.documents import markdown_parser
from lautex_registry.platform.paper import postal_address
from lautex_registry.platform.pdf_layout import fit_lines, font_paths
from lautex_registry.platform.pdf_writer import PdfFont, PdfStream
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records import (
    customer_state,
    customers,
    invoices,
    objections,
    orders,
    recipients,
)
from lautex_registry.records.disclosures import DISCLOSABLE_FIELDS
from lautex_registry.rights import access, certificates, letters, notices, requests
from lautex_registry.statement.privacy_statement import render_statement
from lautex_registry.statement.processing_record import render_processing_record
from tests.conftest import TODAY, Cli, DemoTemplate, environment
from tests.helpers import pdf_words

LANGS = ("fi", "sv", "en")
FORMATS = ("md", "html", "pdf")
# The demo's customer 42 renamed so that every document carries letters beyond Latin-1.
FIRST, LAST = "Åsa-Øydis", "Čapek-Straßer Äijö"
ACTOR = audit.Actor(1, "demo")
# Request numbers of the demo (README "Demo and status"): 2 a closed access request with its
# copy, 7 an open access request of customer 42, 8 its erasure request, 11 from a person
# not in the register; 5 the erasure request of customer 2 (erased by the fixture).
EXTENDED, REFUSED, ANSWERED, NOT_HELD, ERASED = 7, 8, 2, 11, 5

# Codes of the register that must never reach a person's document as they are stored.
LEAKS = (
    "web-store", "customer-service", "in-collection", "written-off", "partially-refused",
    "access-export", "access-reply", "direct-advertising", "direct-marketing",
    "anonymised-with-holds", "third-party", "value-added-service", "publication-ban",
    "credit-decision", "legal-obligation", "contact-person", "first_name", "postal_code",
    "{{", "}}",
)  # fmt: skip
RAW_CELL = re.compile(r"\|\s*(None|True|False|0|1)\s*\|")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\d{2}:\d{2}:\d{2}")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, demo_template: DemoTemplate) -> Path:
    """The demo register, with a request extended and one refused, and a name to print."""
    folder = tmp_path_factory.mktemp("demo")
    target = folder / "demo.db"
    shutil.copy2(demo_template.path, target)
    shutil.copytree(demo_template.home, folder / "home")
    erase = ["--db", str(target), "erase", "2", "--request", str(ERASED), "--yes"]
    with environment(
        LAUTEX_TODAY=TODAY, LAUTEX_HOME=str(folder / "home"), LAUTEX_DB="", LAUTEX_TOKEN="",
        LAUTEX_TOKEN_FILE="", XDG_CONFIG_HOME=str(folder / "config"),
    ):  # fmt: skip
        result = CliRunner().invoke(app, erase)
    assert result.exit_code == 0, result.output
    with closing(connect(target)) as conn, transaction(conn):
        conn.execute(
            "UPDATE customers SET first_name = ?, last_name = ? WHERE id = 42", (FIRST, LAST)
        )
        requests.extend_request(conn, ACTOR, EXTENDED, "the archive must be searched")
        requests.close_request(
            conn, ACTOR, REFUSED, "refused", "invoice 2026-5019 is kept for the accounts"
        )
    return target


@pytest.fixture
def conn(demo: Path, tmp_path: Path) -> Iterator[sqlite3.Connection]:
    copy = tmp_path / "demo.db"
    shutil.copy2(demo, copy)
    with closing(connect(copy)) as connection:
        yield connection


Render = Callable[[sqlite3.Connection, str, str], str | bytes]


def _letter(request_id: int, which: str) -> Render:
    def render(conn: sqlite3.Connection, lang: str, fmt: str) -> str | bytes:
        with transaction(conn):
            return letters.request_letter(
                conn, ACTOR, request_id, lang=lang, fmt=fmt, which=which
            ).text

    return render


def _certificate(conn: sqlite3.Connection, lang: str, fmt: str) -> str | bytes:
    with transaction(conn):
        return certificates.refusal_certificate(conn, ACTOR, REFUSED, lang, fmt).text


def _export(conn: sqlite3.Connection, lang: str, fmt: str) -> str | bytes:
    with transaction(conn):
        made = access.export_customer(conn, ACTOR, "42", fmt=fmt, lang=lang, request_id=EXTENDED)
    content = made.files[0].content
    assert isinstance(content, str | bytes)  # whole: no --output, so not written in pieces
    return content


DOCUMENTS: dict[str, Render] = {
    "access-reply": _letter(ANSWERED, "access-reply"),
    "extension-notice": _letter(EXTENDED, "extension-notice"),
    "refusal-letter": _letter(REFUSED, "refusal"),
    "refusal-certificate": _certificate,
    "no-data-letter": _letter(NOT_HELD, "no-data"),
    "erasure-reply": _letter(ERASED, "erasure-reply"),
    "access-export": _export,
    "statement": lambda conn, lang, fmt: render_statement(conn, lang, fmt),
    "processing-record": lambda conn, lang, fmt: render_processing_record(conn, lang, fmt),
}
# Documents addressed to customer 42 (the name with Å Ä Ö Ø ß Č) and signed by a handler.
TO_CUSTOMER_42 = ("extension-notice", "refusal-letter", "refusal-certificate", "access-export")
SIGNED = ("access-reply", "extension-notice", "refusal-letter", "refusal-certificate",
          "no-data-letter", "erasure-reply")  # fmt: skip
PAGE = {"fi": "Sivu 1/", "sv": "Sida 1/", "en": "Page 1/"}
SIGNATURE = {"fi": "Allekirjoitus", "sv": "Underskrift", "en": "Signature"}


def sections(markdown: str) -> list[tuple[int, str, str]]:
    """(level, heading, the text under it up to the next heading of its level or above)."""
    tokens = markdown_parser().parse(markdown)
    lines = markdown.splitlines()
    heads = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.map is not None:
            heads.append((int(token.tag[1]), tokens[index + 1].content, token.map[0]))
    found = []
    for index, (level, text, start) in enumerate(heads):
        end = next((s for lv, _t, s in heads[index + 1 :] if lv <= level), len(lines))
        found.append((level, text, "\n".join(lines[start + 1 : end])))
    return found


def plain(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").split())


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", list(DOCUMENTS))
def test_every_document_in_every_language_has_no_empty_heading_and_no_code(
    conn: sqlite3.Connection, name: str, lang: str
) -> None:
    markdown = str(DOCUMENTS[name](conn, lang, "md"))
    found = sections(markdown)
    assert found and found[0][0] == 1, name
    for level, heading, body in found:
        assert heading.strip(), (name, lang, "an empty heading")
        if level > 1:
            assert body.strip(), (name, lang, heading, "nothing under the heading")
    text = markdown
    if name == "processing-record":
        # The record is for the controller and the Ombudsman: it names the schema's columns.
        text = re.sub(r"\(([a-z_]+\.[a-z_]+(, )?)+\)", "", text)
    for code in LEAKS:
        assert code not in text, (name, lang, code)
    assert not ISO_DATE.search(text), (name, lang, ISO_DATE.search(text))
    assert not RAW_CELL.search(text), (name, lang, RAW_CELL.search(text))
    if name in TO_CUSTOMER_42:
        assert FIRST in markdown and LAST in markdown


@pytest.mark.parametrize("lang", LANGS)
def test_swedish_and_other_documents_are_in_their_own_language(
    conn: sqlite3.Connection, lang: str
) -> None:
    words = {
        "fi": ("Henkilötietosi", "tietosuojavaltuutettu"),
        "sv": ("Dina personuppgifter", "dataombudsmannen"),
        "en": ("Your personal data", "Ombudsman"),
    }[lang]
    export = plain(str(_export(conn, lang, "md")))
    assert words[0] in export
    certificate = plain(str(_certificate(conn, lang, "md")))
    assert words[1] in certificate
    notice = plain(str(DOCUMENTS["extension-notice"](conn, lang, "md")))
    received, due = conn.execute(
        "SELECT received_on, due_on FROM requests WHERE id = ?", (EXTENDED,)
    ).fetchone()
    day = date.fromisoformat(received)
    numeric = f"{day.day}.{day.month}.{day.year}"
    expected = {"fi": numeric, "sv": numeric, "en": f"{day.day} {day.strftime('%B')} {day.year}"}
    assert expected[lang] in notice
    assert wording.format_date(due, lang) in notice


@pytest.mark.parametrize("name", list(DOCUMENTS))
def test_html_documents_carry_a_print_stylesheet(conn: sqlite3.Connection, name: str) -> None:
    html = str(DOCUMENTS[name](conn, "sv", "html"))
    assert html.startswith("<!DOCTYPE html>") and '<html lang="sv">' in html
    assert "<style>" in html and "@media print" in html and "@page{size:A4" in html


def as_pdf(content: str | bytes) -> bytes:
    assert isinstance(content, bytes) and content.startswith(b"%PDF-")
    return content


def pdf_text(data: bytes, folder: Path) -> str:
    path = folder / "document.pdf"
    path.write_bytes(data)
    if shutil.which("pdftotext") is not None:
        done = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                              capture_output=True, text=True)  # fmt: skip
        return done.stdout
    pypdf = pytest.importorskip("pypdf")
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", list(DOCUMENTS))
def test_every_document_prints_on_a4_with_letterhead_page_numbers_and_names_as_written(
    conn: sqlite3.Connection, name: str, lang: str, tmp_path: Path
) -> None:
    text = pdf_text(as_pdf(DOCUMENTS[name](conn, lang, "pdf")), tmp_path)
    flat = plain(text)
    # The letterhead: the controller's name, address and contact person from the settings.
    assert "Oy Lautex Ab" in flat and "Ojakkalantie 13, 03100 Nummela" in flat
    assert "Hannu Piispa" in flat
    assert PAGE[lang] in flat
    markdown = str(DOCUMENTS[name](conn, lang, "md"))
    for _level, heading, _body in sections(markdown):
        assert plain(heading)[:30] in flat, heading
    if name in TO_CUSTOMER_42:
        assert FIRST in flat and LAST in flat  # Å Ä Ö Ø ß Č as written
        assert "00100 HELSINKI" in flat  # the address in the window, in Posti's form
        assert wording.format_date(TODAY, lang) in flat
    if name in SIGNED:
        assert SIGNATURE[lang] in flat
    if name != "statement" and name != "processing-record":
        reference = {"fi": "pyyntö nro", "sv": "begäran nr", "en": "request no."}[lang]
        assert reference in flat or name == "access-export"


def test_the_recipient_address_sits_in_the_envelope_window(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    """C5/DL window: 20 mm from the left, 45-90 mm from the top (docs/rules.md §2)."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "letter.pdf"
    path.write_bytes(as_pdf(DOCUMENTS["refusal-letter"](conn, "fi", "pdf")))
    done = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(path), "-"],
                          check=True, capture_output=True, text=True)  # fmt: skip
    words = re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>',
        done.stdout,
    )
    mm = 25.4 / 72
    [(x, top, bottom, _word)] = [w for w in words if w[3] == "HELSINKI"]
    assert 20 <= float(x) * mm <= 60
    assert float(top) * mm >= 45 and float(bottom) * mm <= 90


def test_a_pdf_page_renders_to_an_image(conn: sqlite3.Connection, tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    from PIL import Image

    path = tmp_path / "certificate.pdf"
    path.write_bytes(as_pdf(_certificate(conn, "sv", "pdf")))
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(path),
                    str(tmp_path / "page")], check=True)  # fmt: skip
    [image_path] = tmp_path.glob("page*.png")
    with Image.open(image_path) as image:
        width, height = image.size
        assert abs(height / width - 297 / 210) < 0.01  # A4 portrait
        histogram = image.convert("L").histogram()
        dark = sum(histogram[:128])
    assert dark > 500  # text was drawn, not an empty page


# --- words for codes, dates and money --------------------------------------------------

DOMAINS: dict[str, tuple[str, ...]] = {
    "state": (*customer_state.STATES, *invoices.STATES, "open", "closed"),
    "source": customers.SOURCES,
    "language": customers.LANGUAGES,
    "channel": (
        *orders.CHANNELS,
        *objections.CHANNELS,
        *objections.CONSENT_CHANNELS,
        *notices.METHODS,
    ),
    "kind": (
        *requests.KINDS,
        *notices.KINDS,
        *(kind for _t, kind in letters.LETTERS.values()),
        certificates.DOCUMENT_KIND,
        access.ACCESS_KIND,
        access.PORTABILITY_KIND,
    ),
    "outcome": requests.OUTCOMES,
    "format": ("md", "html", "pdf", "json", "csv"),
    "recipient_kind": recipients.KINDS,
    "purpose": (*objections.PURPOSES, objections.PUBLICATION, *recipients.PURPOSES),
    "addressee_kind": ("source", "recipient"),
    "status": objections.CONSENT_STATUSES,
    "field": DISCLOSABLE_FIELDS,
    "yes_no": ("yes", "no"),
}


@pytest.mark.parametrize("lang", LANGS)
def test_every_code_has_a_word_in_every_language(lang: str) -> None:
    words = wording.vocabulary(lang)
    for domain, codes in DOMAINS.items():
        for code in codes:
            word = words.get(domain, {}).get(code)
            assert word and word.strip(), (lang, domain, code)
            if lang != "en" and code != "organisation":  # the same word in Swedish
                assert word != code, (lang, domain, code)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_dates_are_written_as_each_language_writes_them(day: date) -> None:
    assert wording.format_date(day.isoformat(), "fi") == f"{day.day}.{day.month}.{day.year}"
    assert wording.format_date(day.isoformat(), "sv") == f"{day.day}.{day.month}.{day.year}"
    english = wording.format_date(day, "en")
    assert english == f"{day.day} {day.strftime('%B')} {day.year}"


def test_timestamps_are_dated_by_the_day_in_helsinki() -> None:
    # UTC+2 in winter, UTC+3 in summer: late evening UTC is already the next day in Finland.
    assert wording.format_date("2026-11-27T21:59:59Z", "fi") == "27.11.2026"
    assert wording.format_date("2026-11-27T22:00:00Z", "fi") == "28.11.2026"
    assert wording.format_date("2026-06-30T21:00:00Z", "en") == "1 July 2026"
    assert wording.format_date("2026-06-30T20:59:59Z", "sv") == "30.6.2026"


@given(st.integers(min_value=-(10**11), max_value=10**11))
def test_money_reads_back_to_the_same_cents(cents: int) -> None:
    for lang in ("fi", "sv"):
        text = wording.format_money(cents, lang, cents=True)
        assert text.endswith("\xa0€")
        number = text.removesuffix("\xa0€").replace("\xa0", "").replace("−", "-")
        assert Decimal(number.replace(",", ".")) * 100 == cents
    english = wording.format_money(cents, "en", cents=True)
    assert "€" in english
    assert Decimal(english.replace("€", "").replace(",", "")) * 100 == cents


def test_money_examples() -> None:
    assert wording.format_money("1250.00", "fi") == "1\xa0250,00\xa0€"
    assert wording.format_money("1250.00", "sv") == "1\xa0250,00\xa0€"
    assert wording.format_money("1250.00", "en") == "€1,250.00"
    assert wording.format_date("2026-11-27", "en") == "27 November 2026"


def test_addresses_follow_posti() -> None:
    assert postal_address(name="Matti Meikäläinen", organisation="Puutalo Oy",
                          street="Kääpätie 5", postal_code="00100", city="Helsinki",
                          country="FI") == ["Puutalo Oy", "Matti Meikäläinen", "Kääpätie 5",
                                            "00100 HELSINKI"]  # fmt: skip
    assert postal_address(name="Åke Åström", street="Storgatan 1", postal_code="111 22",
                          city="Stockholm", country="se")[-2:] == ["111 22 STOCKHOLM",
                                                                   "SWEDEN"]  # fmt: skip


def test_a_register_without_swedish_texts_writes_finnish_until_they_are_loaded(
    conn: sqlite3.Connection,
) -> None:
    """A register set up before the Swedish texts existed: a Swedish request gets Finnish
    (never a letter with empty headings), and asking for Swedish names the missing text."""
    from lautex_registry.platform.errors import InvalidInput
    from lautex_registry.statement.privacy_info import document_language

    conn.execute("UPDATE requests SET language = 'sv' WHERE id = ?", (EXTENDED,))
    assert document_language(conn, "sv") == "sv"
    (value,) = conn.execute("SELECT value_json FROM settings WHERE key = 'register'").fetchone()
    conn.execute(
        "UPDATE settings SET value_json = ? WHERE key = 'register'",
        (value.replace('"name_sv"', '"name_old_sv"'),),
    )
    assert document_language(conn, "sv") == "fi"
    with transaction(conn):
        made = letters.request_letter(conn, ACTOR, EXTENDED, which="extension-notice")
    assert made.language == "fi" and "Ilmoitus määräajan pidentämisestä" in str(made.text)
    with pytest.raises(InvalidInput, match="name_sv is missing"), transaction(conn):
        letters.request_letter(conn, ACTOR, EXTENDED, lang="sv", which="extension-notice")


def test_a_hostile_name_prints_as_text_on_paper(conn: sqlite3.Connection, tmp_path: Path) -> None:
    conn.execute(
        "UPDATE customers SET first_name = ?, street = ? WHERE id = 42",
        ("<b>Åsa</b> [x](http://evil.example)", "Koivukuja\x1b[2J 7"),
    )
    text = pdf_text(as_pdf(_export(conn, "fi", "pdf")), tmp_path)
    assert "<b>Åsa</b> [x](http://evil.example)" in text  # the name, as written, twice
    assert "\x1b" not in text and "\\x1b[2J" in text  # the escape shown, never sent


# --- through the command line -------------------------------------------------------------


def test_every_document_command_takes_sv_and_pdf(cli: Cli, tmp_path: Path) -> None:
    from tests.helpers import refused

    request_id, _reason = refused(cli)
    with closing(cli.connect()) as conn:
        (customer_id,) = conn.execute(
            "SELECT customer_id FROM requests WHERE id = ?", (request_id,)
        ).fetchone()
    customer = str(customer_id)
    runs = {
        "letter.pdf": ("request", "letter", str(request_id), "--lang", "sv"),
        "certificate.pdf": ("request", "certificate", str(request_id), "--lang", "sv"),
        "export.pdf": ("export", customer, "--lang", "sv"),
        "statement.pdf": ("statement", "--lang", "sv"),
        "record.pdf": ("processing-record", "--lang", "sv"),
    }
    for name, args in runs.items():
        cli.ok(*args, "--format", "pdf", "--output", name, user="clerk")
        text = pdf_text((tmp_path / name).read_bytes(), tmp_path)
        assert "Oy Lautex Ab" in text and "Sida 1/" in text, name
    # A PDF on stdout (not a terminal here) is its bytes, recorded with their SHA-256.
    out = cli.run("request", "letter", str(request_id), "--format", "pdf", user="clerk")
    assert out.exit_code == 0 and out.stdout_bytes.startswith(b"%PDF-")
    import hashlib

    with closing(cli.connect()) as conn:
        (sha,) = conn.execute(
            "SELECT sha256 FROM documents WHERE format = 'pdf' ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert sha == hashlib.sha256(out.stdout_bytes).hexdigest()


def test_a_pdf_is_refused_on_a_terminal_before_anything_is_recorded(cli: Cli) -> None:
    import os
    import pty

    from tests.helpers import dump

    before = dump(cli)
    terminal, process_side = pty.openpty()
    env = {**os.environ, "LAUTEX_TOKEN": cli.tokens["clerk"]}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "lautex_registry", "statement", "--format", "pdf"],
            stdin=subprocess.DEVNULL, stdout=process_side, stderr=subprocess.PIPE,
            env=env, timeout=120, check=False,
        )  # fmt: skip
    finally:
        os.close(process_side)
        os.close(terminal)
    assert done.returncode == 2
    assert done.stderr.decode().strip().splitlines() == [
        "error: output: a PDF on the terminal is unreadable; give --output FILE or redirect stdout"
    ]
    assert dump(cli) == before


def _words_on_page_one(pdf: bytes, tmp_path: Path) -> list[tuple[float, float, float, float, str]]:
    path = tmp_path / "page.pdf"
    path.write_bytes(pdf)
    return pdf_words(path)


# The longest address the register accepts (validation: names and street 200 characters,
# the city 100), in wide letters and words too long for a line, and one long street as
# people write it.
LONGEST = {"first_name": "Ww" * 100, "last_name": "Mm" * 100,
           "street": ("Qq" * 20 + " ") * 4 + "Qq" * 18, "city": "Zz" * 50}  # fmt: skip
LONG_STREET = {"street": "Pohjoisesplanadin ja Eteläesplanadin kulma 123 A 45, porraskäytävä C"}


@pytest.mark.parametrize("address", [LONG_STREET, LONGEST], ids=["long-street", "longest"])
def test_a_long_address_stays_whole_inside_the_envelope_window(
    conn: sqlite3.Connection, tmp_path: Path, address: dict[str, str]
) -> None:
    """Every word of the address is printed, inside the window (20-105 mm from the left,
    45-90 mm from the top): set smaller or broken between words, never cut or hidden by
    the envelope; the letter's text starts under it."""
    with transaction(conn):
        sets = ", ".join(f"{field} = ?" for field in address)
        conn.execute(f"UPDATE customers SET {sets} WHERE id = 42", list(address.values()))
    words = _words_on_page_one(as_pdf(DOCUMENTS["refusal-letter"](conn, "fi", "pdf")), tmp_path)
    lines = postal_address(
        name=f"{address.get('first_name', FIRST)} {address.get('last_name', LAST)}",
        street=address["street"],
        postal_code="00100",
        city=address.get("city", "Helsinki"),
    )
    expected = "".join("".join(lines).split())
    in_window = [w for w in words if w[1] < 90 and w[3] > 45]
    assert "".join(word for *_box, word in in_window) == expected
    for left, top, right, bottom, word in in_window:
        assert left >= 20 and right <= 105 and top >= 45 and bottom <= 90, word
    body = [w for w in words if w[1] >= 90]
    assert body and not [w for w in words if 31 < w[1] < 45]  # nothing between head and window


def _window_font() -> PdfFont:
    return PdfStream(font_paths()).fonts[""]


WINDOW_BOX = (81 * 72 / 25.4, 40 * 72 / 25.4)  # the window less its margins, in points


def test_an_address_breaks_between_words_and_after_hyphens_before_cutting_a_word() -> None:
    """A word that fits a line whole at a smaller size is not cut at a larger one, and a
    hyphenated name breaks after its hyphen: every printed piece is a whole word or a
    whole part of one."""
    font = _window_font()
    for lines in (
        ["Kiinteistöosakeyhtiö Lentokonesuihkuturbiinimoottoriapumekaanikko", "Aino Aalto",
         "Kuusitie 3", "00100 HELSINKI"],
        ["Etelä-Pohjanmaan-sairaanhoitopiirin-kuntayhtymän-hallintokeskuksen-tukipalvelut",
         "Asunto Oy Pohjoisesplanadin-Eteläesplanadin Kulmatalo ja Liiketilat",
         "00100 HELSINKI"],
    ):  # fmt: skip
        for box in (WINDOW_BOX, (58 * 72 / 25.4, 34 * 72 / 25.4)):  # a 3x8 label's too
            size, printed = fit_lines(
                lines, font, box, largest=10, unbroken_down_to=8, leading=0.5 * 72 / 25.4
            )
            parts = {
                p
                for line in lines
                for word in line.split()
                for p in re.findall(r"[^-]*-|[^-]+", word)
            }
            pieces = [
                p
                for line in printed
                for word in line.split()
                for p in re.findall(r"[^-]*-|[^-]+", word)
            ]
            assert set(pieces) <= parts, (box, printed)
            assert "".join(pieces) == "".join(lines).replace(" ", "")
            assert all(font.width(line, size) <= box[0] + 0.01 for line in printed)
            assert size >= 8 or box != WINDOW_BOX  # in the window every word fits at 8 pt


def test_the_longest_requester_address_fits_the_window() -> None:
    """Six lines of 500 characters in all (what `request add --requester-address` takes)
    under a name of 200: inside the window, however small it must be set."""
    font = _window_font()
    lines = ["Ww" * 100, *["Qq" * 41 + "Q"] * 6]
    assert sum(map(len, lines[1:])) <= 500
    leading = 0.5 * 72 / 25.4
    size, printed = fit_lines(
        lines, font, WINDOW_BOX, largest=10, unbroken_down_to=8, leading=leading
    )
    assert len(printed) * size * leading <= WINDOW_BOX[1] + 0.01
    assert all(font.width(line, size) <= WINDOW_BOX[0] + 0.01 for line in printed)
    assert "".join(printed) == "".join(lines)


def test_a_house_number_range_is_never_broken_at_its_hyphen() -> None:
    """Breaking after a hyphen is for names (`Etelä-` / `Pohjanmaan`), not `112-114`."""
    font = _window_font()
    street = "Kauppaneuvoksentie Ruoholahdenranta Itäinen 112-114 B 5"
    for width in (40, 58, 70):
        _size, printed = fit_lines(
            [street], font, (width * 72 / 25.4, 80 * 72 / 25.4),
            largest=10, unbroken_down_to=8, leading=0.5 * 72 / 25.4,
        )  # fmt: skip
        assert any("112-114" in line for line in printed), printed
