"""The access export (GDPR Art. 15) and the portability export (Art. 20) through the CLI."""

import csv
import hashlib
import io
import json
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest

from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records.personal_data import PERSONAL_INDEXES, PERSONAL_TABLES
from tests.conftest import Cli, RegisterTemplate
from tests.helpers import info_for

LANGS = ("fi", "sv", "en")


def demo_customer(cli: Cli) -> str:
    """A customer with an organisation, two orders, invoices, a disclosure and choices."""
    cli.ok("org", "add", "Puutalo Oy", "--business-id", "1572860-0", user="clerk")
    customer = cli.ok(
        "customer", "add", "--first-name", "Aino", "--last-name", "Äijälä",
        "--email", "aino@example.fi", "--phone", "040 123 4567", "--org", "Puutalo Oy",
        "--street", "Koivukuja 1 | B", "--postal-code", "00100", "--city", "Helsinki",
        "--source", "reseller", "--source-detail", "Rautakauppa Nummela", user="clerk",
    ).stdout.strip()  # fmt: skip
    cli.ok("order", "add", customer, "--number", "T-1001", "--date", "2026-10-20",
           "--channel", "web-store", "--line", "Birch plank 2 m;10;12.50",
           "--line", "Screws 100 pcs;1;4.90", user="clerk")  # fmt: skip
    cli.ok("order", "add", customer, "--number", "T-1002", "--date", "2026-11-02",
           "--channel", "reseller", "--reseller", "Rautakauppa Nummela",
           "--line", "Oak board;3;30", user="clerk")  # fmt: skip
    cli.ok("invoice", "add", "T-1001", "--number", "2026-0457", "--issued", "2026-10-20",
           "--due", "2026-11-03", user="clerk")  # fmt: skip
    cli.ok("invoice", "add", "T-1002", "--number", "2026-0501", "--issued", "2026-11-02",
           "--due", "2026-11-16", user="clerk")  # fmt: skip
    cli.ok("recipient", "add", "Perintä Oy", "--kind", "third-party", "--purpose",
           "collection", "--country", "FI")  # fmt: skip
    cli.ok("disclose", customer, "--to", "Perintä Oy", "--purpose", "collection",
           "--fields", "name,address,invoices", "--date", "2026-11-20", user="clerk")  # fmt: skip
    with cli.connect() as conn:
        # Choices recorded by other parts of the register, inserted directly here.
        conn.execute(
            "INSERT INTO objections (customer_id, purpose, received_on, channel) "
            "VALUES (?, 'direct-marketing', '2026-11-10', 'email')",
            (customer,),
        )
        conn.execute(
            "INSERT INTO consents (customer_id, channel, status, recorded_on, source) "
            "VALUES (?, 'email', 'withdrawn', '2026-11-11', 'web form')",
            (customer,),
        )
    return customer


def export_json(cli: Cli, customer: str, lang: str, *extra: str) -> dict[str, Any]:
    out = cli.ok("export", customer, "--format", "json", "--lang", lang, *extra, user="clerk")
    document: dict[str, Any] = json.loads(out.stdout)
    return document


def art15_texts(info: dict[str, Any]) -> list[str]:
    """Every Art. 15(1)(a)-(h) item as a text a reader must find in the letter."""
    texts = [p["purpose"] for p in info["purposes"]] + [p["legal_basis"] for p in info["purposes"]]
    texts += [c["category"] for c in info["categories"]]
    texts += [info["recipients"]["policy"], info["transfers"]["policy"]]
    texts += [r["text"] for r in info["retention"]]
    texts += [r["right"] for r in info["rights"]]
    complaint = info["complaint"]
    texts += [complaint[k] for k in ("authority", "postal_address", "phone", "email", "website")]
    texts += [s["source"] for s in info["sources"]]
    texts.append(info["automated_decisions"])
    return texts


@pytest.mark.parametrize("lang", LANGS)
def test_json_export_holds_all_the_data_and_every_art15_item(cli: Cli, lang: str) -> None:
    customer = demo_customer(cli)
    document = export_json(cli, customer, lang)
    assert document["format"] == "lautex-access-export" and document["version"] == 1
    # The documented structure (README): keys may be added, never removed or renamed.
    assert set(document) >= {
        "format", "version", "generated_on", "language", "customer_id", "request",
        "controller", "source", "counts", "data", "information", "art15_points",
    }  # fmt: skip
    assert document["language"] == lang
    data = document["data"]
    assert data["customer"]["first_name"] == "Aino" and data["customer"]["last_name"] == "Äijälä"
    assert data["customer"]["organisation"] == "Puutalo Oy"
    assert data["customer"]["postal_code"] == "00100"
    assert [o["number"] for o in data["orders"]] == ["T-1001", "T-1002"]
    assert [line["product"] for line in data["orders"][0]["lines"]] == [
        "Birch plank 2 m",
        "Screws 100 pcs",
    ]
    assert data["orders"][0]["total"] == "129.90"
    assert [i["number"] for i in data["invoices"]] == ["2026-0457", "2026-0501"]
    (disclosure,) = data["disclosures"]
    assert disclosure["recipient"] == "Perintä Oy" and disclosure["recipient_country"] == "FI"
    assert disclosure["disclosed_on"] == "2026-11-20"
    assert data["objections"][0]["purpose"] == "direct-marketing"
    assert data["consents"][0]["status"] == "withdrawn"
    assert document["source"]["code"] == "reseller"
    assert document["source"]["detail"] == "Rautakauppa Nummela"
    assert document["counts"]["orders"] == 2 and document["counts"]["invoices"] == 2
    info = document["information"]
    assert info == info_for(cli, lang)  # the settings' own words, not a second copy
    for point, keys in document["art15_points"].items():
        for key in keys:
            assert info[key], f"Art. 15(1)({point}): {key} is empty"
    assert {r["code"] for r in info["rights"]} >= {
        "rectification", "erasure", "restriction", "objection", "access", "portability",
    }  # fmt: skip
    assert info["complaint"]["email"] and info["complaint"]["phone"]
    assert info["automated_decisions_exist"] is False
    recipients = {r["name"] for r in info["recipients"]["entries"]}
    assert "Perintä Oy" in recipients


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fmt", ["md", "html"])
def test_readable_letter_holds_all_the_data_and_every_art15_item(
    cli: Cli, lang: str, fmt: str
) -> None:
    import html as html_lib

    customer = demo_customer(cli)
    out = cli.ok("export", customer, "--format", fmt, "--lang", lang, user="clerk").stdout
    text = html_lib.unescape(out) if fmt == "html" else out
    if fmt == "html":
        assert out.startswith("<!DOCTYPE html>") and f'<html lang="{lang}">' in out
        assert "<table>" in out
    for value in ("Aino", "Äijälä", "Puutalo Oy", "aino@example.fi", "+358401234567",
                  "00100", "Helsinki", "T-1001", "T-1002", "Birch plank 2 m", "Oak board",
                  "2026-0457", "2026-0501", "Perintä Oy", "Rautakauppa Nummela"):  # fmt: skip
        assert value in text, value
    # Money, dates and codes as the reader's language writes them (docs/rules.md §2), never
    # the machine formats of the JSON copy.
    written = {
        "fi": ("129,90\xa0€", "20.11.2026", "suoramarkkinointi"),
        "sv": ("129,90\xa0€", "20.11.2026", "direktmarknadsföring"),
        "en": ("€129.90", "20 November 2026", "direct marketing"),
    }[lang]
    for value in written:
        assert value in text, value
    machine_formats = ["2026-11-20", "direct-marketing", "web-store", "T00:", "Z |"]
    if lang != "en":
        machine_formats.append("129.90")
    for machine in machine_formats:
        assert machine not in text, machine
    for item in art15_texts(info_for(cli, lang)):
        assert " ".join(item.split()) in " ".join(text.split()), item
    heading = {
        "fi": "Tietojesi käsittely",
        "sv": "Om behandlingen av dina uppgifter",
        "en": "About the processing of your data",
    }[lang]
    assert heading in text


def test_markdown_table_cells_escape_pipes(cli: Cli) -> None:
    customer = demo_customer(cli)
    out = cli.ok("export", customer, "--format", "md", "--lang", "en", user="clerk").stdout
    assert "Koivukuja 1 \\| B" in out


def test_csv_export_is_field_value_pairs(cli: Cli) -> None:
    customer = demo_customer(cli)
    out = cli.ok("export", customer, "--format", "csv", "--lang", "en", user="clerk").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    values = {row["field"]: row["value"] for row in rows}
    assert values["data.customer.email"] == "aino@example.fi"
    assert values["data.orders.1.number"] == "T-1001"
    assert values["data.orders.1.lines.2.product"] == "Screws 100 pcs"
    assert values["data.invoices.2.number"] == "2026-0501"
    assert values["data.disclosures.1.recipient"] == "Perintä Oy"
    assert values["information.complaint.email"]
    assert values["information.automated_decisions"]


def test_export_file_is_private_recorded_and_audited(cli: Cli, tmp_path: Path) -> None:
    customer = demo_customer(cli)
    request_id = cli.ok("request", "add", customer, "--kind", "access", "--channel", "email",
                        user="clerk").stdout.strip()  # fmt: skip
    target = tmp_path / "out" / "aino.html"
    target.parent.mkdir()
    result = cli.ok("export", customer, "--request", request_id, "--format", "html",
                    "--output", str(target), user="clerk")  # fmt: skip
    assert result.stdout == ""
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    content = target.read_bytes()
    with cli.connect() as conn:
        doc = conn.execute("SELECT * FROM documents ORDER BY id DESC LIMIT 1").fetchone()
        audit = conn.execute(
            "SELECT * FROM audit_log WHERE action = 'export' ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert doc["sha256"] == hashlib.sha256(content).hexdigest()
    assert doc["kind"] == "access-export" and doc["format"] == "html"
    assert str(doc["customer_id"]) == customer and str(doc["request_id"]) == request_id
    details = json.loads(audit["details_json"])
    assert details["rows"]["orders"] == 2 and details["rows"]["invoices"] == 2
    assert audit["entity_id"] == customer
    for value in ("Aino", "aino@", "Puutalo", "T-1001", "Perintä"):
        assert value not in audit["details_json"]
    shown = json.loads(cli.ok("request", "show", request_id, "-f", "json", user="clerk").stdout)
    assert shown["documents"][0]["sha256"] == doc["sha256"]


def test_export_to_stdout_is_also_recorded(cli: Cli) -> None:
    customer = demo_customer(cli)
    out = cli.ok("export", customer, "--format", "json", user="clerk").stdout
    with cli.connect() as conn:
        doc = conn.execute("SELECT * FROM documents ORDER BY id DESC LIMIT 1").fetchone()
    assert doc["sha256"] == hashlib.sha256(out.encode()).hexdigest()
    assert doc["language"] == "fi"  # the customer's language


def test_export_with_a_request_of_another_customer_is_refused(cli: Cli) -> None:
    customer = demo_customer(cli)
    other = cli.ok("customer", "add", "--first-name", "Bo", "--last-name", "Ek",
                   "--source", "web-store", user="clerk").stdout.strip()  # fmt: skip
    request_id = cli.ok("request", "add", other, "--kind", "access", "--channel", "email",
                        user="clerk").stdout.strip()  # fmt: skip
    with cli.connect() as conn:
        before = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
    result = cli.run("export", customer, "--request", request_id, user="clerk")
    assert result.exit_code == 2 and "request" in result.stderr
    with cli.connect() as conn:
        assert conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == before


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("--format", "docx"), 2),
        (("--lang", "de"), 2),
        (("--portability", "--format", "html"), 2),
        (("--portability", "--format", "csv"), 2),  # two files: needs --output
    ],
)
def test_bad_export_options_change_nothing(cli: Cli, args: tuple[str, ...], code: int) -> None:
    customer = demo_customer(cli)
    with cli.connect() as conn:
        before = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
    result = cli.run("export", customer, *args, user="clerk")
    assert result.exit_code == code, result.output
    assert len(result.stderr.strip().splitlines()) == 1
    with cli.connect() as conn:
        assert conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == before
    assert cli.run("export", "999", user="clerk").exit_code == 3
    assert cli.run("export", customer, user="auditor").exit_code == 5


def test_every_personal_table_of_the_schema_is_in_the_export(cli: Cli) -> None:
    """A later table with personal data must appear in the access export (GDPR Art. 15)."""
    customer = demo_customer(cli)
    data = export_json(cli, customer, "en")["data"]
    with cli.connect() as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        linked = {
            table
            for table in tables
            if any(col[1] == "customer_id" for col in conn.execute(f'PRAGMA table_info("{table}")'))
        }
    listed = {entry.table for entry in PERSONAL_TABLES}
    assert listed <= set(tables)
    # An index's pieces (the digit windows of the search text) are copies of the columns
    # the export shows (records/personal_data.py, PERSONAL_INDEXES).
    indexes = {index.table for index in PERSONAL_INDEXES}
    for table in sorted((listed | linked) - indexes):
        key = "customer" if table == "customers" else table
        assert key in data, f"table {table} holds personal data but is not in the export"


# --- portability (GDPR Art. 20) -----------------------------------------------------------


def test_portability_json_holds_only_provided_data_and_orders(cli: Cli) -> None:
    customer = demo_customer(cli)
    out = cli.ok("export", customer, "--portability", "--format", "json", user="clerk").stdout
    document = json.loads(out)
    assert document["format"] == "lautex-portability-export"
    (person,) = document["customers"]
    assert person == {
        "first_name": "Aino", "last_name": "Äijälä", "org": "Puutalo Oy",
        "email": "aino@example.fi", "phone": "+358401234567", "street": "Koivukuja 1 | B",
        "postal_code": "00100", "city": "Helsinki", "country": "FI", "source": "reseller",
        "language": "fi",
    }  # fmt: skip
    assert [o["number"] for o in document["orders"]] == ["T-1001", "T-1002"]
    assert document["orders"][0]["lines"][0] == {
        "product": "Birch plank 2 m", "quantity": "10", "unit": "kpl", "unit_price": "12.50",
    }  # fmt: skip
    for absent in ("invoices", "disclosures", "information", "notes"):
        assert absent not in out
    with cli.connect() as conn:
        doc = conn.execute("SELECT kind, sha256 FROM documents ORDER BY id DESC").fetchone()
    assert doc["kind"] == "portability-export"
    assert doc["sha256"] == hashlib.sha256(out.encode()).hexdigest()


def test_portability_csv_reads_back_with_customer_import(
    cli: Cli, tmp_path: Path, register_template: RegisterTemplate
) -> None:
    customer = demo_customer(cli)
    target = tmp_path / "aino.csv"
    cli.ok("export", customer, "--portability", "--format", "csv", "--output", str(target),
           user="clerk")  # fmt: skip
    orders_file = tmp_path / "aino.orders.csv"
    for path in (target, orders_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    rows = list(csv.DictReader(io.StringIO(target.read_text("utf-8"))))
    assert len(rows) == 1 and rows[0]["postal_code"] == "00100" and rows[0]["org"] == "Puutalo Oy"
    from lautex_registry.records.customers import FIELDS

    assert set(rows[0]) <= set(FIELDS)  # the header is `customer add` options in snake_case
    lines = list(csv.DictReader(io.StringIO(orders_file.read_text("utf-8"))))
    assert [(r["order_number"], r["product"]) for r in lines] == [
        ("T-1001", "Birch plank 2 m"),
        ("T-1001", "Screws 100 pcs"),
        ("T-1002", "Oak board"),
    ]
    # Read back into a fresh register, as another controller would.
    other = tmp_path / "other.db"
    shutil.copy2(register_template.path, other)
    fresh = Cli(other, cli.home, cli.tokens)
    imported = fresh.run("--db", str(other), "customer", "import", str(target), user="clerk")
    assert imported.exit_code == 0, imported.output
    with sqlite3.connect(other) as conn:
        row = conn.execute(
            """SELECT c.first_name, c.last_name, c.email, c.phone, c.postal_code, o.name
               FROM customers c JOIN organisations o ON o.id = c.organisation_id"""
        ).fetchone()
    assert row == ("Aino", "Äijälä", "aino@example.fi", "+358401234567", "00100", "Puutalo Oy")


def test_unwritable_output_leaves_no_record(cli: Cli, tmp_path: Path) -> None:
    customer = demo_customer(cli)
    (tmp_path / "taken").mkdir()
    with cli.connect() as conn:
        before = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        audit_before = conn.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0]
    result = cli.run("export", customer, "--output", str(tmp_path / "taken"), user="clerk")
    assert result.exit_code == 2, result.output
    assert "output: " in result.stderr and "is a folder" in result.stderr
    with cli.connect() as conn:
        assert conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == before
        assert conn.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0] == audit_before


@pytest.mark.parametrize("lang", LANGS)
def test_a_letter_written_to_a_file_as_it_is_made_is_the_letter_on_stdout(
    cli: Cli, tmp_path: Path, lang: str
) -> None:
    # md and html go to a file piece by piece (docs/rules.md §3) and are recorded when
    # whole: the file is the same document as the one printed whole, and its checksum is
    # the one recorded, once.
    customer = demo_customer(cli)
    cli.ok("customer", "edit", customer, "--notes", "<b>bold</b> | *not* [a](link) _x_ 1. \\",
           user="clerk")  # fmt: skip
    for fmt in ("md", "html"):
        printed = cli.ok("export", customer, "--format", fmt, "--lang", lang, user="clerk").stdout
        target = tmp_path / f"aino.{lang}.{fmt}"
        with cli.connect() as conn:
            # The letter lists the documents sent before it: forget the one just printed.
            printed_sha = conn.execute("SELECT sha256 FROM documents ORDER BY id DESC").fetchone()
            conn.execute("DELETE FROM documents WHERE id = (SELECT max(id) FROM documents)")
            conn.commit()
            before = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        cli.ok("export", customer, "--format", fmt, "--lang", lang, "--output", str(target),
               user="clerk")  # fmt: skip
        written = target.read_text(encoding="utf-8")
        assert written == printed
        assert "T-1001" in written and "<b>" not in written and "bold" in written
        with cli.connect() as conn:
            row = conn.execute("SELECT sha256, format FROM documents ORDER BY id DESC").fetchone()
            after = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        assert after == before + 1
        sha256 = hashlib.sha256(written.encode("utf-8")).hexdigest()
        assert row["sha256"] == printed_sha["sha256"] == sha256 and row["format"] == fmt


@pytest.mark.parametrize("lang", LANGS)
def test_every_table_of_the_letter_has_a_title_and_words_in_every_language(
    cli: Cli, tmp_path: Path, lang: str
) -> None:
    """A person reads a title and column words, never a table or column name of the schema:
    an imported customer's letter shows the import run's table in the letter's language."""
    import re

    source = tmp_path / "c.csv"
    source.write_text(
        "first_name;last_name;email;source\nVäinö;Öhman;vaino@example.fi;partner\n",
        encoding="utf-8",
    )
    cli.ok("customer", "import", str(source), user="clerk")
    out = cli.ok("export", "vaino@example.fi", "--format", "md", "--lang", lang,
                 user="clerk").stdout  # fmt: skip
    title = {
        "fi": "Tuonnit, joilla tietosi lisättiin rekisteriin",
        "sv": "Importer som lade till dina uppgifter i registret",
        "en": "Imports that added your data to the register",
    }[lang]
    assert re.search(rf"^## \d+\. {title}$", out, re.M), out
    assert "import_run" not in out and "| changed |" not in out
    # No heading of the letter is a schema name, for any personal table.
    for table in PERSONAL_TABLES:
        assert not re.search(rf"^## \d+\. {table.table}$", out, re.M), table.table
