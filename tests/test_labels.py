"""Mailing labels: who is on them, the CSV, and printable A4 sheets with every name as written."""

import csv
import io
import json
import shutil
import stat
import subprocess
from contextlib import closing
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lautex_registry.marketing.labels import SHEETS, finnish_key
from tests.conftest import Cli, RegisterTemplate
from tests.helpers import add_org, add_person, ban, build_once, dump, object_to, pdf_words


def build_mailing(cli: Cli) -> dict[str, int]:
    add_org(cli, "Puutalo Oy")
    people = {
        "aijala": add_person(cli, "Aino", "Äijälä", org="Puutalo Oy", street="Kääpätie 5 ö",
                             postal_code="00100", city="Helsinki"),
        "astrom": add_person(cli, "Åke", "Åström", street="Storgatan 1", postal_code="111 22",
                             city="Stockholm", country="SE"),
        "banned": add_person(cli, "Bertta", "Bannattu"),
        "objector": add_person(cli, "Olli", "Vastustaja"),
        "researched": add_person(cli, "Riikka", "Tutkimaton"),
        "no_address": add_person(cli, "Niilo", "Osoitteeton", email="n@example.fi",
                                 street=None, postal_code=None, city=None),
        "restricted": add_person(cli, "Raili", "Rajattu"),
    }  # fmt: skip
    ban(cli, people["banned"])
    object_to(cli, people["objector"], "direct-advertising")
    object_to(cli, people["researched"], "market-research")
    with closing(cli.connect()) as conn, conn:
        conn.execute("UPDATE customers SET state = 'restricted' WHERE id = ?",
                     (people["restricted"],))  # fmt: skip
    return people


@pytest.fixture(scope="module")
def built_mailing(
    register_template: RegisterTemplate, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, int]]:
    """The mailing above, built once per module; each test gets its own copy."""
    return build_once(register_template, tmp_path_factory, build_mailing)


@pytest.fixture
def mailing(cli: Cli, built_mailing: tuple[Path, dict[str, int]]) -> dict[str, int]:
    path, people = built_mailing
    shutil.copy2(path, cli.db)
    return dict(people)


def test_csv_labels_leave_out_bans_objections_restrictions_and_no_address(
    cli: Cli, mailing: dict[str, int]
) -> None:
    result = cli.ok("labels", "--format", "csv", user="clerk")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    # By postal code (bulk mail), Finland first; within a code in Finnish name order (Ä after T).
    assert rows == [
        {"name": "Riikka Tutkimaton", "organisation": "", "street": "Koivukuja 3 B 12",
         "postal_code": "00100", "city": "Helsinki", "country": ""},
        {"name": "Aino Äijälä", "organisation": "Puutalo Oy", "street": "Kääpätie 5 ö",
         "postal_code": "00100", "city": "Helsinki", "country": ""},
        {"name": "Åke Åström", "organisation": "", "street": "Storgatan 1",
         "postal_code": "111 22", "city": "Stockholm", "country": "SWEDEN"},
    ]  # fmt: skip
    message = result.stderr.strip().splitlines()[-1]
    assert message == (
        "wrote 3 labels; left out 4: restricted 1, objection 1, publication-ban 1, "
        "no-postal-address 1"
    )


def test_labels_for_research_leave_out_the_research_objector(
    cli: Cli, mailing: dict[str, int]
) -> None:
    result = cli.ok("labels", "--purpose", "market-research", "--format", "csv", user="clerk")
    names = [row["name"] for row in csv.DictReader(io.StringIO(result.stdout))]
    assert "Riikka Tutkimaton" not in names
    assert "Olli Vastustaja" in names


def test_label_files_are_private_and_audited(cli: Cli, mailing: dict[str, int]) -> None:
    out = Path("out") / "labels.csv"
    out.parent.mkdir()
    out.write_text("old")
    out.chmod(0o644)  # an existing file is made private too
    cli.ok("labels", "--format", "csv", "--output", str(out), "--force", user="clerk")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "Åström" in out.read_text(encoding="utf-8")
    cli.ok("labels", "--format", "pdf", user="clerk")  # default name in the working folder
    default = Path("labels-2026-11-25.pdf")
    assert stat.S_IMODE(default.stat().st_mode) == 0o600
    with closing(cli.connect()) as conn:
        rows = conn.execute(
            "SELECT details_json FROM audit_log WHERE action = 'labels' ORDER BY id"
        ).fetchall()
    details = [json.loads(row[0]) for row in rows]
    assert [(d["format"], d["rows"], d["to_file"]) for d in details] == [
        ("csv", 3, True),
        ("pdf", 3, True),
    ]
    assert details[0]["left_out"] == {
        "restricted": 1, "objection": 1, "publication-ban": 1, "no-postal-address": 1,
    }  # fmt: skip
    assert all("Äijälä" not in row[0] for row in rows)


def test_pdf_is_a4_with_3_by_8_labels_and_finnish_letters(cli: Cli) -> None:
    pypdf = pytest.importorskip("pypdf")
    for n in range(25):
        add_person(cli, "Aino", f"Äijälä{n:02d}", street="Kääpätie 5", city="Ähtäri",
                   postal_code="63700")  # fmt: skip
    cli.ok("labels", "--format", "pdf", "--output", "labels.pdf", user="clerk")
    reader = pypdf.PdfReader("labels.pdf")
    assert len(reader.pages) == 2  # 24 labels on the first sheet, 1 on the second
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    first = reader.pages[0].extract_text()
    # Posti: the post office in capitals
    assert "Aino Äijälä00" in first and "63700 ÄHTÄRI" in first and "Kääpätie 5" in first
    assert first.count("Äijälä") == 24
    assert "Aino Äijälä24" in reader.pages[1].extract_text()


def pdf_text(path: str) -> str:
    """The sheet's text, one label's lines after another (pdftotext's reading order)."""
    if shutil.which("pdftotext") is None:
        pypdf = pytest.importorskip("pypdf")
        return "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    return subprocess.run(["pdftotext", path, "-"], check=True, capture_output=True,
                          text=True).stdout  # fmt: skip


def test_pdf_renders_to_an_image_when_poppler_is_installed(cli: Cli) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    from PIL import Image

    add_person(cli, "Åsa-Øydis", "Čapek-Straßer", street="Kääpätie 5", city="Ähtäri",
               postal_code="63700")  # fmt: skip
    cli.ok("labels", "--format", "pdf", "--output", "labels.pdf", user="clerk")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "labels.pdf", "page"], check=True
    )
    [image] = Path().glob("page*.png")
    with Image.open(image) as page:
        assert abs(page.size[1] / page.size[0] - 297 / 210) < 0.01
        assert sum(page.convert("L").histogram()[:128]) > 50  # the label was drawn


def test_an_empty_sheet_is_still_a_valid_pdf(cli: Cli) -> None:
    pypdf = pytest.importorskip("pypdf")
    result = cli.ok("labels", "--format", "pdf", "--output", "none.pdf", user="clerk")
    assert "wrote 0 labels" in result.stderr
    assert len(pypdf.PdfReader("none.pdf").pages) == 1


def test_every_name_prints_as_written_in_the_unicode_font(cli: Cli) -> None:
    add_person(cli, "Łukasz", "Dvořák")
    add_person(cli, "Åsa-Øydis", "Čapek-Straßer", postal_code="00200")
    result = cli.ok("labels", "--format", "pdf", "--output", "l.pdf", user="clerk")
    assert "Latin-1" not in result.stderr
    text = pdf_text("l.pdf")
    assert "Łukasz Dvořák" in text and "Åsa-Øydis Čapek-Straßer" in text
    csv_text = cli.ok("labels", "--format", "csv", user="clerk").stdout
    assert "Łukasz Dvořák" in csv_text  # the CSV keeps the name as written


def test_business_mail_has_the_organisation_first_and_abroad_the_country_last(
    cli: Cli, mailing: dict[str, int]
) -> None:
    cli.ok("labels", "--format", "pdf", "--output", "l.pdf", "--sheet", "2x7", user="clerk")
    lines = [" ".join(line.split()) for line in pdf_text("l.pdf").splitlines() if line.strip()]
    business = lines.index("Puutalo Oy")
    assert lines[business + 1 : business + 4] == ["Aino Äijälä", "Kääpätie 5 ö", "00100 HELSINKI"]
    abroad = lines.index("Åke Åström")
    assert lines[abroad + 1 : abroad + 4] == ["Storgatan 1", "111 22 STOCKHOLM", "SWEDEN"]
    assert "FINLAND" not in lines


def test_sort_by_name_is_finnish_alphabetical_order(cli: Cli) -> None:
    for last in ("Öhman", "Åberg", "Ahonen", "Zetterberg", "Älli", "Éklund", "ekholm", "Vuori"):
        add_person(cli, "Testi", last, postal_code=f"{len(last):05d}")
    by_name = cli.ok("labels", "--format", "csv", "--sort", "name", user="clerk").stdout
    names = [row["name"] for row in csv.DictReader(io.StringIO(by_name))]
    assert names == ["Testi Ahonen", "Testi ekholm", "Testi Éklund", "Testi Vuori",
                     "Testi Zetterberg", "Testi Åberg", "Testi Älli", "Testi Öhman"]  # fmt: skip
    by_code = cli.ok("labels", "--format", "csv", user="clerk").stdout  # postal code by default
    codes = [row["postal_code"] for row in csv.DictReader(io.StringIO(by_code))]
    assert codes == sorted(codes)


LATIN = "abcdefghijklmnopqrstuvwxyz"


@given(st.text(alphabet=LATIN, min_size=1, max_size=8), st.sampled_from("åäöÅÄÖøæØÆ"),
       st.text(alphabet=LATIN + "åäö", max_size=8))  # fmt: skip
def test_finnish_order_puts_a_ring_a_umlaut_o_umlaut_after_z(
    plain: str, nordic: str, rest: str
) -> None:
    assert finnish_key(plain) < finnish_key(nordic + rest)  # Å Ä Ö after every Z
    assert finnish_key(plain.upper()) == finnish_key(plain)  # case is ignored
    accented = "".join({"e": "é", "a": "á", "u": "ú", "c": "č"}.get(ch, ch) for ch in plain)
    assert finnish_key(accented) == finnish_key(plain)  # other accents are ignored
    assert finnish_key("z") < finnish_key("å") < finnish_key("ä") < finnish_key("ö")


@pytest.mark.parametrize(("sheet", "per_page"), [("3x7", 21), ("3x8", 24), ("2x7", 14)])
def test_sheet_geometry_and_skip_on_a_part_used_sheet(cli: Cli, sheet: str, per_page: int) -> None:
    pypdf = pytest.importorskip("pypdf")
    for n in range(per_page):
        add_person(cli, "Aino", f"Nimi{n:02d}", postal_code=f"{n:05d}")
    cli.ok("labels", "--format", "pdf", "--output", "a.pdf", "--sheet", sheet, user="clerk")
    assert len(pypdf.PdfReader("a.pdf").pages) == 1  # exactly one full sheet
    cli.ok("labels", "--format", "pdf", "--output", "b.pdf", "--sheet", sheet, "--skip", "5",
           user="clerk")  # fmt: skip
    pages = pypdf.PdfReader("b.pdf").pages
    assert len(pages) == 2  # five places used: the last five labels go to a second sheet
    assert pages[1].extract_text().count("Aino") == 5


def test_bad_label_options(cli: Cli) -> None:
    before = dump(cli)
    result = cli.run("labels", "--format", "csv", "--purpose", "all", user="clerk")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: purpose: must be one of direct-advertising, distance-selling, direct-marketing, "
        "market-research, opinion-research (got 'all')"
    ]
    assert dump(cli) == before
    assert cli.run("labels", "--format", "docx", user="clerk").exit_code == 2
    for args in (("--sort", "city"), ("--sheet", "4x10"), ("--skip", "24"), ("--skip", "-1")):
        result = cli.run("labels", "--format", "pdf", "--output", "x.pdf", *args, user="clerk")
        assert result.exit_code == 2, (args, result.output)
        assert len(result.stderr.strip().splitlines()) == 1
        assert not Path("x.pdf").exists()
    assert dump(cli) == before
    assert cli.run("labels", "--format", "csv", user="auditor").exit_code == 5


@pytest.mark.parametrize("fmt", ["csv", "pdf"])
def test_an_unwritable_output_is_one_clear_line_and_changes_nothing(
    cli: Cli, mailing: dict[str, int], fmt: str
) -> None:
    Path("taken").write_text("a file, not a folder")
    before = dump(cli)
    result = cli.run("labels", "--format", fmt, "--output", f"taken/labels.{fmt}", user="clerk")
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line == "error: output: taken is not a folder"
    assert dump(cli) == before  # no audit row for labels never handed out


@pytest.mark.parametrize("sheet", sorted(SHEETS))
def test_a_long_address_stays_whole_on_its_own_label(cli: Cli, sheet: str) -> None:
    """The longest address the register accepts (names and street of 200 characters, a
    city of 100, an organisation of 200) beside an ordinary one: every word printed, each
    inside its label (never over the next one, never cut)."""
    org = "Oo" * 100
    cli.ok("org", "add", org, user="clerk")
    add_person(cli, "Ww" * 100, "Mm" * 100, org=org, street=("Qq" * 20 + " ") * 4 + "Qq" * 18,
               city="Zz" * 50, country="SE")  # fmt: skip
    add_person(cli, "Aino", "Aalto", street="Pohjoisesplanadin ja Eteläesplanadin kulma 123 A 45")
    cli.ok("labels", "--format", "pdf", "--sheet", sheet, "--output", "l.pdf", user="clerk")
    geometry = SHEETS[sheet]
    left = (210 - geometry.columns * geometry.width) / 2
    top = (297 - geometry.rows * geometry.height) / 2
    by_label: dict[tuple[int, int], str] = {}
    for x1, y1, x2, y2, word in pdf_words("l.pdf"):
        column, row = int((x1 - left) // geometry.width), int((y1 - top) // geometry.height)
        assert x2 <= left + (column + 1) * geometry.width - 1, word  # not over the next one
        assert y2 <= top + (row + 1) * geometry.height, word
        by_label[column, row] = by_label.get((column, row), "") + word
    longest = "".join(("Oo" * 100, "Ww" * 100, "Mm" * 100, "Qq" * 98, "00100", "ZZ" * 50, "SWEDEN"))
    ordinary = "AinoAaltoPohjoisesplanadinjaEteläesplanadinkulma123A4500100HELSINKI"
    assert sorted(by_label.values()) == sorted([longest, ordinary])
