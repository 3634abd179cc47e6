"""customer import: all or nothing, --skip-invalid, --dry-run, duplicates, formats."""

import json
from pathlib import Path

import pytest

from lautex_registry.platform import audit
from lautex_registry.platform.db import connect
from lautex_registry.records.importing.run import import_customers
from tests.conftest import Cli
from tests.helpers import add_aino, assert_one_line_error, dump, insert_org

GOOD = (
    "first_name,last_name,org,email,phone,street,postal_code,city,source\n"
    "Aino,Äijälä,Puutalo Oy,aino@example.fi,040 123 4567,Kuusitie 3,00100,Helsinki,web-store\n"
    "Bertil,Åström,,bertil@example.fi,+358 (0)50 765 4321,,,,partner\n"
    'Sean,"O\'Brien, Jr.",Uusi Oy,sean@example.ie,,,,,reseller\n'
)
BAD_LINE_3 = GOOD.replace("+358 (0)50 765 4321", "12345")


def write(tmp_path: Path, text: str, name: str = "customers.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def customer_names(cli: Cli) -> list[str]:
    with cli.connect() as conn:
        return [r[0] for r in conn.execute("SELECT last_name FROM customers ORDER BY id")]


def test_import_stores_every_row_and_creates_missing_organisations(
    cli: Cli, tmp_path: Path
) -> None:
    insert_org(cli)
    result = cli.ok("customer", "import", str(write(tmp_path, GOOD)), user="clerk")
    assert "3 customers stored, 1 organisations created" in result.stderr
    assert customer_names(cli) == ["Äijälä", "Åström", "O'Brien, Jr."]
    with cli.connect() as conn:
        rows = conn.execute("SELECT * FROM customers ORDER BY id").fetchall()
        orgs = [r[0] for r in conn.execute("SELECT name FROM organisations ORDER BY id")]
        entry = conn.execute(
            "SELECT details_json FROM audit_log WHERE action = 'customer import'"
        ).fetchone()
    assert rows[0]["phone"] == "+358401234567" and rows[0]["postal_code"] == "00100"
    assert rows[1]["phone"] == "+358507654321"
    assert orgs == ["Puutalo Oy", "Uusi Oy"]
    assert rows[2]["organisation_id"] == 2
    details = json.loads(entry[0])
    assert details["stored"] == 3 and details["organisations_created"] == 1
    found = json.loads(cli.ok("customer", "search", "aijala puutalo", "-f", "json").stdout)
    assert [r["last_name"] for r in found] == ["Äijälä"]


def test_one_bad_row_means_nothing_written_and_the_line_is_reported(
    cli: Cli, tmp_path: Path
) -> None:
    path = write(tmp_path, BAD_LINE_3.replace("aino@example.fi", "aino@"))
    before = dump(cli)
    result = cli.run("customer", "import", str(path), user="clerk")
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert lines[0].startswith("line 2: email: ")
    assert lines[1].startswith("line 3: phone: ")
    assert lines[-1].startswith("error: customers.csv: 3 rows read, 1 valid, 2 invalid")
    assert "nothing written" in lines[-1]
    assert dump(cli) == before


def test_skip_invalid_stores_the_good_rows_and_reports_the_rest(cli: Cli, tmp_path: Path) -> None:
    result = cli.ok("customer", "import", str(write(tmp_path, BAD_LINE_3)), "--skip-invalid")
    assert result.stderr.splitlines()[0].startswith("line 3: phone: ")
    assert "2 customers stored" in result.stderr
    assert customer_names(cli) == ["Äijälä", "O'Brien, Jr."]


def test_dry_run_validates_writes_nothing_and_exits_as_the_import_would(
    cli: Cli, tmp_path: Path
) -> None:
    """A script checks a file with --dry-run before importing it: a bad row is exit 2."""
    before = dump(cli)
    result = cli.run("customer", "import", str(write(tmp_path, BAD_LINE_3)), "--dry-run")
    assert result.exit_code == 2, result.output
    assert "line 3: phone: " in result.stderr
    assert "dry run: the import would fail" in result.stderr
    assert dump(cli) == before
    skipping = cli.ok(
        "customer", "import", str(write(tmp_path, BAD_LINE_3)), "--dry-run", "--skip-invalid"
    )
    assert "dry run: nothing written; 2 customers would be stored" in skipping.stderr
    good = cli.ok("customer", "import", str(write(tmp_path, GOOD)), "--dry-run")
    assert "dry run: nothing written; 3 customers would be stored" in good.stderr
    assert dump(cli) == before


def test_duplicates_are_reported_not_duplicated(cli: Cli, tmp_path: Path) -> None:
    existing = add_aino(cli)
    text = GOOD.replace("aino@example.fi", "AINO.AIJALA@example.fi") + (
        "Bert,Åström,,Bertil@Example.fi,,,,,partner\n"
    )
    result = cli.ok("customer", "import", str(write(tmp_path, text)))
    assert f"line 2: email: customer {existing} already has this email" in result.stderr
    assert "line 5: email: the same address is on line 3" in result.stderr
    assert "2 duplicates skipped" in result.stderr
    assert customer_names(cli) == ["Äijälä", "Åström", "O'Brien, Jr."]


def test_semicolons_bom_default_source_and_blank_lines(cli: Cli, tmp_path: Path) -> None:
    text = "\ufeffFirst-Name;last_name;email\nAino;Äijälä;a@example.fi\n\nEero;Öhman;\n"
    result = cli.ok("customer", "import", str(write(tmp_path, text)), "--source", "reseller")
    assert "2 customers stored" in result.stderr
    with cli.connect() as conn:
        assert [r[0] for r in conn.execute("SELECT source FROM customers")] == ["reseller"] * 2


def test_a_row_with_the_wrong_number_of_fields(cli: Cli, tmp_path: Path) -> None:
    text = "first_name,last_name,source\nAino,Äijälä\n"
    result = cli.run("customer", "import", str(write(tmp_path, text)))
    assert "line 2: expected 3 fields, found 2" in result.stderr
    assert result.exit_code == 2


@pytest.mark.parametrize(
    ("text", "code", "fragment"),
    [
        ("first_name,shoe_size\n", 2, "header: unknown column 'shoe_size'"),
        ("first_name,source\n", 2, "header: a last_name column is required"),
        ("first_name,last_name\nA,B\n", 2, "header: no source column"),
        ("", 2, "header: the file is empty"),
        ("first_name,etunimi,last_name,source\n", 2, "'first_name' and 'etunimi' both give"),
    ],
)
def test_bad_files_are_one_line(
    cli: Cli, tmp_path: Path, text: str, code: int, fragment: str
) -> None:
    before = dump(cli)
    result = cli.run("customer", "import", str(write(tmp_path, text)))
    assert_one_line_error(result, code, fragment)
    assert dump(cli) == before


def test_not_utf8_missing_file_bad_source_and_permission(cli: Cli, tmp_path: Path) -> None:
    before = dump(cli)
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("first_name,last_name,source\nAino,Äijälä,partner\n".encode("latin-1"))
    assert_one_line_error(cli.run("customer", "import", str(latin1)), 2, "not UTF-8")
    assert_one_line_error(cli.run("customer", "import", str(tmp_path / "nope.csv")), 3, "file: ")
    good = write(tmp_path, GOOD)
    assert_one_line_error(cli.run("customer", "import", str(good), "--source", "x"), 2, "source: ")
    assert_one_line_error(cli.run("customer", "import", str(good), user="auditor"), 5)
    assert dump(cli) == before


def test_an_unknown_organisation_id_is_a_bad_row(cli: Cli, tmp_path: Path) -> None:
    insert_org(cli)
    text = "first_name,last_name,org,source\nA,B,1,partner\nC,D,99,partner\n"
    result = cli.run("customer", "import", str(write(tmp_path, text)), "--skip-invalid")
    assert result.exit_code == 0
    assert "line 3: org: no organisation '99'" in result.stderr
    found = json.loads(cli.ok("customer", "search", "puutalo", "-f", "json").stdout)
    assert [r["last_name"] for r in found] == ["B"]


def test_quoted_multiline_field_keeps_line_numbers(cli: Cli, tmp_path: Path) -> None:
    text = 'first_name,last_name,street,source\nA,B,,partner\nC,"D\nE",,partner\nF,G,,fax\n'
    result = cli.run("customer", "import", str(write(tmp_path, text)))
    assert "line 3: last_name: must be a single line" in result.stderr
    assert "line 5: source: must be one of" in result.stderr


def test_parallel_validation_gives_the_same_result(cli: Cli, tmp_path: Path) -> None:
    rows = ["first_name,last_name,email,phone,source"]
    for i in range(5000):
        phone = "12" if i == 4321 else f"040 {i:07d}"
        rows.append(f"Etu{i},Suku{i},p{i}@example.fi,{phone},web-store")
    path = write(tmp_path, "\n".join(rows) + "\n")
    conn = connect(cli.db)
    report = import_customers(
        conn, audit.Actor(1, "admin"), path, skip_invalid=True, parallel_min_bytes=0
    )
    assert [(p.line, str(p.reason).split(":")[0]) for p in report.problems] == [(4323, "phone")]
    assert report.stored == 4999
    count, first = conn.execute("SELECT COUNT(*), MIN(last_name) FROM customers").fetchone()
    assert count == 4999 and first == "Suku0"
    conn.close()
