"""The privacy statement generated from the register (docs/privacy-statement.md P12): complete in
both languages."""

import re
import stat
from html.parser import HTMLParser

import pytest

from tests.conftest import Cli
from tests.helpers import markdown_sections

# The seed statement's headings (../shared/privacy-statement-fi.txt), in its order.
SEED_HEADINGS_FI = (
    "Laatimispäivä",
    "Rekisterinpitäjä",
    "Yhteyshenkilö rekisteriä koskevissa asioissa",
    "Rekisterin nimi",
    "Oikeusperuste ja henkilötietojen käsittelyn tarkoitus",
    "Oikeutetun edun peruste",
    "Kyseessä olevat henkilötietoryhmät",
    "Vastaanottajat ja vastaanottajaryhmät",
    "Suostumus",
    "Rekisterin tietosisältö",
    "Säännönmukaiset tietolähteet",
    "Henkilötietojen säilyttämisaika",
    "Tietojen säännönmukaiset luovutukset",
    "Tietojen siirto EU:n tai ETA:n ulkopuolelle",
    "Rekisterin suojauksen periaatteet A: Manuaalinen aineisto",
    "Rekisterin suojauksen periaatteet B: ATK:lla käsiteltävät toiminnot",
    "Evästeet",
    "Automaattinen käsittely ja profilointi",
    "Tarkastusoikeus, eli oikeus saada pääsy henkilötietoihin",
    "Oikeus siirtää tiedot järjestelmästä toiseen",
    "Oikeus vaatia tiedon korjaamista",
    "Rajoittamisoikeus",
    "Vastustamisoikeus",
    "Oikeus tehdä valitus valvontaviranomaiselle",
    "Muut henkilötietojen käsittelyyn liittyvät oikeudet",
)
HEADINGS_EN = (
    "Date drawn up",
    "Controller",
    "Contact person for matters concerning the register",
    "Name of the register",
    "Legal basis and purposes of the processing",
    "Legitimate interests pursued",
    "Categories of personal data concerned",
    "Recipients and categories of recipients",
    "Consent",
    "Content of the register",
    "Regular sources of data",
    "Retention period of personal data",
    "Regular disclosures of data",
    "Transfers of data outside the EU or the EEA",
    "Security principles A: manual material",
    "Security principles B: electronically processed data",
    "Cookies",
    "Automated decision-making and profiling",
    "Right of access to personal data",
    "Right to data portability",
    "Right to rectification",
    "Right to restriction of processing",
    "Right to object",
    "Right to lodge a complaint with a supervisory authority",
    "Other rights related to the processing of personal data",
)
EXPECTED = {"fi": SEED_HEADINGS_FI, "en": HEADINGS_EN}


class HtmlSections(HTMLParser):
    """(h2 text, text until the next h2) from rendered HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[list[str]] = []
        self.in_h2 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "h2":
            self.in_h2 = True
            self.sections.append(["", ""])

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self.in_h2 = False

    def handle_data(self, data: str) -> None:
        if self.sections:
            self.sections[-1][0 if self.in_h2 else 1] += data


def assert_headings_in_order(headings: list[str], expected: tuple[str, ...]) -> None:
    assert len(headings) == len(expected), headings
    for heading, wanted in zip(headings, expected, strict=True):
        assert heading.startswith(wanted), (heading, wanted)


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_statement_has_every_heading_of_the_seed_in_order_and_none_is_empty(
    cli: Cli, lang: str
) -> None:
    text = cli.ok("statement", "--lang", lang, user="auditor").stdout
    sections = markdown_sections(text)
    assert_headings_in_order([h for h, _ in sections], EXPECTED[lang])
    empty = [heading for heading, body in sections if not body.strip()]
    assert empty == []


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_statement_html_has_no_empty_heading(cli: Cli, lang: str) -> None:
    html = cli.ok("statement", "--lang", lang, "--format", "html").stdout
    assert html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{lang}">' in html
    parser = HtmlSections()
    parser.feed(html)
    assert_headings_in_order([h for h, _ in parser.sections], EXPECTED[lang])
    assert [h for h, body in parser.sections if not body.strip()] == []


def test_statement_fills_the_seeds_empty_fields_from_the_register(cli: Cli) -> None:
    fi = dict(markdown_sections(cli.ok("statement").stdout))
    assert "4.1.2018" in fi["Laatimispäivä"]
    assert "25.11.2026" in fi["Laatimispäivä"]  # the version date (LAUTEX_TODAY)
    assert "Oy Lautex Ab" in fi["Rekisterinpitäjä"]
    assert "Hannu Piispa" in fi["Yhteyshenkilö rekisteriä koskevissa asioissa"]
    assert "hannu.piispa@lautex.fi" in fi["Yhteyshenkilö rekisteriä koskevissa asioissa"]
    basis = next(v for k, v in fi.items() if k.startswith("Oikeusperuste"))
    for point in ("b alakohta", "c alakohta", "f alakohta", "a alakohta"):
        assert point in basis
    assert "oikeutettu etu" in fi["Oikeutetun edun peruste"].lower()
    assert "Sähköpostiosoite" in fi["Rekisterin tietosisältö"]
    assert "3 vuotta" in fi["Henkilötietojen säilyttämisaika"]
    assert "6 vuotta" in fi["Henkilötietojen säilyttämisaika"]
    assert "ei aseta evästeitä" in fi["Evästeet"]
    assert fi["Automaattinen käsittely ja profilointi"].startswith("\nEi ole")
    complaint = fi["Oikeus tehdä valitus valvontaviranomaiselle"]
    for detail in (
        "Tietosuojavaltuutetun toimisto",
        "PL 800, 00531 Helsinki",
        "029 566 6700",
        "tietosuoja@om.fi",
        "tietosuoja.fi",
    ):
        assert detail in complaint


def test_statement_in_english_states_the_version_date_and_authority(cli: Cli) -> None:
    en = dict(markdown_sections(cli.ok("statement", "--lang", "en").stdout))
    assert "4 January 2018" in en["Date drawn up"]
    assert "25 November 2026" in en["Date drawn up"]
    assert "sets no cookies" in en["Cookies"]
    assert en["Automated decision-making and profiling"].strip().startswith("None")
    complaint = en["Right to lodge a complaint with a supervisory authority"]
    assert "Office of the Data Protection Ombudsman" in complaint
    assert "tietosuoja@om.fi" in complaint


def test_statement_output_file_is_private(cli: Cli) -> None:
    (cli.db.parent.parent / "out").mkdir()
    result = cli.ok("statement", "--lang", "en", "--format", "html", "--output", "out/s.html")
    assert result.stdout == ""
    path = cli.db.parent.parent / "out" / "s.html"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "<h2>Cookies</h2>" in path.read_text("utf-8")


def test_statement_is_for_staff_readers_only(cli: Cli) -> None:
    result = cli.run("statement", user="bot")
    assert result.exit_code == 5
    assert "may not run `lautex statement`" in result.stderr


def test_an_empty_text_in_the_settings_is_refused_not_rendered_empty(cli: Cli) -> None:
    with cli.connect() as conn:
        conn.execute(
            "UPDATE settings SET value_json = json_set(value_json, '$.cookies_en', '') "
            "WHERE key = 'statement'"
        )
    before = cli.db.read_bytes()
    result = cli.run("statement", "--lang", "en")
    assert result.exit_code == 2
    assert result.stderr.strip() == ("error: settings: [statement] cookies_en is missing or empty")
    assert result.stdout == ""
    assert cli.db.read_bytes() == before
    cli.ok("statement", "--lang", "fi")  # the Finnish text is still complete


def test_an_unknown_placeholder_in_the_settings_names_the_setting(cli: Cli) -> None:
    with cli.connect() as conn:
        conn.execute(
            "UPDATE settings SET value_json = json_set(value_json, '$.cookies_fi', "
            "'Ei evästeitä {nonsense}') WHERE key = 'statement'"
        )
    result = cli.run("statement")
    assert result.exit_code == 2
    assert re.fullmatch(
        r"error: settings: \[statement\] cookies_fi has an unknown placeholder 'nonsense'\n",
        result.stderr,
    )


def test_a_register_without_the_statement_settings_uses_the_built_in_ones(cli: Cli) -> None:
    # A register created before the generated statement has no [statement] row: the defaults fill
    # in.
    with cli.connect() as conn:
        conn.execute("DELETE FROM settings WHERE key IN ('statement', 'supervisory_authority')")
    sections = markdown_sections(cli.ok("statement").stdout)
    assert [h for h, body in sections if not body.strip()] == []


@pytest.mark.parametrize("command", ["statement", "processing-record"])
def test_an_unwritable_output_is_one_clear_line_not_a_crash(cli: Cli, command: str) -> None:
    folder = cli.db.parent  # a folder, not a file
    result = cli.run(command, "--output", str(folder), user="auditor")
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line == f"error: output: {folder} is a folder; give a file name"
    assert result.stdout == ""
