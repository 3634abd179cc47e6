"""The refusal certificate: reasons, the Ombudsman and a court remedy, in Finnish and English."""

import hashlib
import stat

import pytest

from tests.conftest import Cli
from tests.helpers import (
    REASON,
    add_aino,
    assert_one_line_error,
    dump,
    refused,
    request,
    request_row,
)


def test_a_refused_rectification_closes_the_request_and_prints_the_certificate(cli: Cli) -> None:
    request_id, text = refused(cli)
    row = request_row(cli, request_id)
    assert (row["state"], row["outcome"], row["reasons"]) == ("closed", "refused", REASON)
    assert text.startswith("# Todistus pyynnön epäämisestä")
    assert REASON in text


def test_the_finnish_certificate_has_every_part(cli: Cli) -> None:
    request_id, _ = refused(cli)
    text = cli.ok("request", "certificate", str(request_id), "--lang", "fi", user="clerk").stdout
    for part in (
        "Oy Lautex Ab",  # the controller
        "Aino Äijälä",  # the requester
        "tietojen oikaiseminen",  # what was asked
        "Pyytää muuttamaan sukunimen Virtaseksi",
        "Pyyntöä ei ole hyväksytty",  # the decision
        REASON,  # and its reasons
        "Tietosuojavaltuutetun toimisto",  # the Ombudsman with contact details
        "https://tietosuoja.fi",
        "029 566 6700",
        "tietosuoja@om.fi",
        "käräjäoikeudessa",  # the court remedy
        "Päiväys: 25.11.2026",  # the date
        "Käsittelijä: Clerk User",  # the handler
    ):
        assert part in text, part


def test_the_english_certificate_has_every_part(cli: Cli) -> None:
    request_id, _ = refused(cli)
    text = cli.ok("request", "certificate", str(request_id), "--lang", "en").stdout
    for part in (
        "# Certificate of refusal",
        "Oy Lautex Ab",
        "Aino Äijälä",
        "rectification or completion",
        "The request has been refused",
        REASON,
        "Office of the Data Protection Ombudsman",
        "+358 29 566 6700",
        "P.O. Box 800",
        "judicial remedy",
        "Date: 25 November 2026",
        "Handled by: Clerk User",
    ):
        assert part in text, part


def test_html_certificate_written_to_a_private_file_and_recorded_by_hash(cli: Cli) -> None:
    request_id, _ = refused(cli)
    (cli.db.parent.parent / "out").mkdir()
    cli.ok("request", "certificate", str(request_id), "--lang", "en", "--format", "html",
           "--output", "out/certificate.html")  # fmt: skip
    path = cli.db.parent.parent / "out" / "certificate.html"
    content = path.read_text(encoding="utf-8")
    assert content.startswith("<!DOCTYPE html>") and "Data Protection Ombudsman" in content
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with cli.connect() as conn:
        docs = conn.execute(
            "SELECT kind, language, format, sha256 FROM documents WHERE request_id = ? ORDER BY id",
            (request_id,),
        ).fetchall()
        audit_rows = conn.execute(
            "SELECT details_json FROM audit_log WHERE action = 'request certificate'"
        ).fetchall()
    assert [(d[0], d[1], d[2]) for d in docs] == [
        ("refusal-certificate", "fi", "md"),
        ("refusal-certificate", "en", "html"),
    ]
    assert docs[-1][3] == hashlib.sha256(content.encode()).hexdigest()
    assert len(audit_rows) == 2 and all("Virtaseksi" not in r[0] for r in audit_rows)


def test_no_certificate_for_a_request_that_was_not_refused(cli: Cli) -> None:
    customer_id = add_aino(cli)
    request_id = request(cli, str(customer_id))
    before = dump(cli)
    result = cli.run("request", "certificate", str(request_id))
    assert_one_line_error(result, 4, "only for a refused or partially refused request")
    assert dump(cli) == before


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [(("--lang", "de"), 2, "lang: "), (("--format", "docx"), 2, "format: ")],
)
def test_bad_certificate_options_change_nothing(
    cli: Cli, args: tuple[str, ...], code: int, fragment: str
) -> None:
    request_id, _ = refused(cli)
    before = dump(cli)
    assert_one_line_error(cli.run("request", "certificate", str(request_id), *args), code,
                          fragment)  # fmt: skip
    assert dump(cli) == before


def test_a_refusal_of_a_closed_request_is_refused(cli: Cli) -> None:
    request_id, _ = refused(cli)
    before = dump(cli)
    result = cli.run("rectify", "1", "--refuse", "--reason", "again", "--request", str(request_id))
    assert_one_line_error(result, 4, "is closed (")
    assert dump(cli) == before


def test_a_certificate_that_cannot_be_written_is_not_recorded(cli: Cli) -> None:
    request_id, _ = refused(cli)
    (cli.db.parent.parent / "taken").mkdir()
    before = dump(cli)
    result = cli.run("request", "certificate", str(request_id), "--output", "taken")
    assert_one_line_error(result, 2, "output: taken is a folder")
    assert dump(cli) == before
