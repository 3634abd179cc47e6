"""Mailing labels: who is on them, the CSV, and a printable A4 PDF with Finnish letters."""

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

from lautex_registry.marketing.labels import latin1_text
from tests.conftest import Cli, RegisterTemplate
from tests.helpers import add_org, add_person, ban, build_once, dump, object_to


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
    assert rows == [
        {"name": "Aino Äijälä", "organisation": "Puutalo Oy", "street": "Kääpätie 5 ö",
         "postal_code": "00100", "city": "Helsinki", "country": ""},
        {"name": "Åke Åström", "organisation": "", "street": "Storgatan 1",
         "postal_code": "111 22", "city": "Stockholm", "country": "SWEDEN"},
        {"name": "Riikka Tutkimaton", "organisation": "", "street": "Koivukuja 3 B 12",
         "postal_code": "00100", "city": "Helsinki", "country": ""},
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
    assert "Aino Äijälä00" in first and "63700 Ähtäri" in first and "Kääpätie 5" in first
    assert first.count("Äijälä") == 24
    assert "Aino Äijälä24" in reader.pages[1].extract_text()


def test_pdf_renders_to_an_image_when_poppler_is_installed(cli: Cli) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    add_person(cli, "Aino", "Äijälä", street="Kääpätie 5", city="Ähtäri", postal_code="63700")
    cli.ok("labels", "--format", "pdf", "--output", "labels.pdf", user="clerk")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "labels.pdf", "page"], check=True
    )
    [image] = Path().glob("page*.png")
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_empty_sheet_is_still_a_valid_pdf(cli: Cli) -> None:
    pypdf = pytest.importorskip("pypdf")
    result = cli.ok("labels", "--format", "pdf", "--output", "none.pdf", user="clerk")
    assert "wrote 0 labels" in result.stderr
    assert len(pypdf.PdfReader("none.pdf").pages) == 1


def test_letters_outside_latin1_are_simplified_and_the_clerk_is_told(cli: Cli) -> None:
    pypdf = pytest.importorskip("pypdf")
    add_person(cli, "Łukasz", "Dvořák")
    result = cli.ok("labels", "--format", "pdf", "--output", "l.pdf", user="clerk")
    assert "1 labels had letters outside Latin-1" in result.stderr
    assert "Lukasz Dvorák" in pypdf.PdfReader("l.pdf").pages[0].extract_text()
    csv_text = cli.ok("labels", "--format", "csv", user="clerk").stdout
    assert "Łukasz Dvořák" in csv_text  # the CSV keeps the name as written


@given(st.text(max_size=40))
def test_latin1_text_always_encodes(text: str) -> None:
    converted, changed = latin1_text(text)
    converted.encode("latin-1")
    assert changed == any(ord(ch) > 255 for ch in text)
    if not changed:
        assert converted == text


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
