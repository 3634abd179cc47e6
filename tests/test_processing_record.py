"""The record of processing activities (GDPR Art. 30(1)(a)-(g)), generated from the register."""

import json
import stat

import pytest

from tests.conftest import Cli
from tests.helpers import markdown_sections

POINTS = ("a", "b", "c", "d", "e", "f", "g")


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_record_covers_every_point_of_article_30_1_with_content(cli: Cli, lang: str) -> None:
    text = cli.ok("processing-record", "--lang", lang, user="auditor").stdout
    sections = markdown_sections(text)
    assert [heading[:3] for heading, _ in sections] == [f"({p})" for p in POINTS]
    assert [heading for heading, body in sections if not body.strip()] == []


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_record_json_names_the_keys_of_each_point_and_fills_them(cli: Cli, lang: str) -> None:
    record = json.loads(cli.ok("processing-record", "--lang", lang, "-f", "json").stdout)
    assert sorted(record["articles"]) == list(POINTS)
    for point, keys in record["articles"].items():
        for key in keys:
            assert record[key], f"Art. 30(1)({point}): {key} is empty"
    assert record["controller"]["name"] == "Oy Lautex Ab"
    assert record["controller"]["email"] == "hannu.piispa@lautex.fi"
    assert record["version_date"] == "2026-11-25"
    assert record["language"] == lang
    assert {p["article"] for p in record["purposes"]} >= {"6(1)(a)", "6(1)(b)", "6(1)(f)"}
    assert record["security"]["manual"] and record["security"]["electronic"]


def test_record_html_and_output_file(cli: Cli) -> None:
    result = cli.ok("processing-record", "--format", "html", "--output", "record.html")
    assert result.stdout == ""
    path = cli.db.parent.parent / "record.html"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    html = path.read_text("utf-8")
    assert "<title>Seloste käsittelytoimista: Asiakasrekisteri</title>" in html
    assert "<h2>(g) Tekniset ja organisatoriset turvatoimet</h2>" in html


def test_record_in_english_states_erasure_time_limits(cli: Cli) -> None:
    sections = dict(markdown_sections(cli.ok("processing-record", "--lang", "en").stdout))
    limits = sections["(f) Time limits for erasure of the categories of data"]
    assert "for 3 years after the last order or contact" in limits
    assert "6 years from the end of the calendar year" in limits


def test_record_is_refused_to_the_system_role(cli: Cli) -> None:
    result = cli.run("processing-record", user="bot")
    assert result.exit_code == 5
