"""customer import from real files: encodings, headers in Finnish, --map, streams, and the
final store that alone takes the write lock (the service, without the CLI)."""

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lautex_registry.platform import audit, collation
from lautex_registry.platform.db import connect
from lautex_registry.platform.errors import InvalidInput
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records.importing import reading
from lautex_registry.records.importing.report import ImportReport
from lautex_registry.records.importing.run import import_customers
from lautex_registry.records.importing.storing import store_validated
from lautex_registry.records.importing.validating import Checked, RowContext, validate_chunk
from tests.conftest import Cli
from tests.helpers import add_aino, dump, insert_org

ADMIN = audit.Actor(1, "admin")
# What Finnish Excel saves: Windows-1252, semicolons, Finnish column names, CR LF.
EXCEL = (
    "Etunimi;Sukunimi;Sähköposti;Puhelin;Katuosoite;Postinumero;Postitoimipaikka;Maa;"
    "Yritys;Kieli;Lähde\r\n"
    "Aino;Äijälä;aino@example.fi;040 123 4567;Kuusitie 3;00100;Helsinki;FI;Puutalo Oy;fi;"
    "web-store\r\n"
    "Bertil;Åström;bertil@example.fi;;;;;FI;;sv;partner\r\n"
    "Jörö;Öhman;joro@example.fi;;Härkätie 1;33100;Tampere;FI;;fi;partner\r\n"
)


def run(cli: Cli, source: Path | io.BytesIO, **options: object) -> ImportReport:
    conn = connect(cli.db)
    try:
        return import_customers(conn, ADMIN, source, **options)  # type: ignore[arg-type]
    finally:
        conn.close()


def names(cli: Cli) -> list[str]:
    with cli.connect() as conn:
        return [r[0] for r in conn.execute("SELECT last_name FROM customers ORDER BY id")]


def test_a_finnish_excel_file_in_cp1252_imports_with_its_encoding(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "asiakkaat.csv"
    path.write_bytes(EXCEL.encode("cp1252"))
    with pytest.raises(InvalidInput) as refused:
        run(cli, path)
    # The first byte beyond ASCII is the ä of "Sähköposti" in the header, line 1.
    assert str(refused.value).startswith("file: not UTF-8 text on line 1 (byte 0xe4)")
    assert "--encoding cp1252" in str(refused.value)
    report = run(cli, path, encoding="cp1252")
    assert report.stored == 3 and not report.problems
    assert names(cli) == ["Äijälä", "Åström", "Öhman"]
    with cli.connect() as conn:
        row = conn.execute("SELECT * FROM customers WHERE last_name = 'Öhman'").fetchone()
    assert (row["street"], row["city"], row["language"]) == ("Härkätie 1", "Tampere", "fi")


def test_the_bad_byte_is_reported_on_its_own_line(cli: Cli, tmp_path: Path) -> None:
    """An ASCII header and first row, and a Windows-1252 ä on line 3."""
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        b"first_name,last_name,source\nAino,Aalto,partner\nEero,\xc4ij\xe4l\xe4,partner\n"
    )
    before = dump(cli)
    with pytest.raises(InvalidInput) as refused:
        run(cli, path)
    assert str(refused.value).startswith("file: not UTF-8 text on line 3 (byte 0xc4)")
    assert dump(cli) == before
    cp1252 = tmp_path / "cp.csv"
    cp1252.write_bytes(b"first_name,last_name,source\nA,B,partner\nC,\x81,partner\n")
    with pytest.raises(InvalidInput) as wrong:
        run(cli, cp1252, encoding="cp1252")
    assert str(wrong.value).startswith("file: not cp1252 text on line 3 (byte 0x81)")
    assert "--encoding" in str(wrong.value)


def test_utf8_with_and_without_a_byte_order_mark(cli: Cli, tmp_path: Path) -> None:
    text = "first_name,last_name,email,source\nAino,Äijälä,a@example.fi,partner\n"
    with_bom = tmp_path / "bom.csv"
    with_bom.write_bytes(b"\xef\xbb\xbf" + text.encode())
    plain = tmp_path / "plain.csv"
    plain.write_bytes(text.replace("a@", "b@").encode())
    assert run(cli, with_bom).stored == 1
    assert run(cli, plain).stored == 1
    assert names(cli) == ["Äijälä", "Äijälä"]


@pytest.mark.parametrize("encoding", ["utf-16", "nonsense-8"])
def test_encodings_that_cannot_hold_a_csv_are_refused(
    cli: Cli, tmp_path: Path, encoding: str
) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"first_name,last_name,source\n")
    with pytest.raises(InvalidInput, match=r"^encoding: "):
        run(cli, path, encoding=encoding)


@pytest.mark.parametrize(
    ("line", "delimiter"),
    [
        ("first_name,last_name,source\n", ","),
        ("first_name;last_name;source\n", ";"),
        ("first_name\tlast_name\tsource\n", "\t"),
        ('"Sukunimi; suku",etunimi,lähde\n', ","),
        ("etunimi;sukunimi,lisä;lähde\n", ";"),
    ],
)
def test_the_delimiter_is_the_one_that_splits_the_header(line: str, delimiter: str) -> None:
    assert reading.sniff_delimiter(line) == delimiter


def test_tab_separated_files_import(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "tabs.tsv"
    path.write_text("first name\tLAST NAME\tE-Mail\tsource\nA\tB, Jr.\ta@example.fi\tpartner\n")
    assert run(cli, path).stored == 1
    assert names(cli) == ["B, Jr."]


@pytest.mark.parametrize("field", reading.HEADER_NAMES)
def test_every_field_has_english_and_finnish_names(field: str) -> None:
    """Each name, in any case, with or without accents, gives its field."""
    for name in (field, *reading.HEADER_NAMES[field]):
        for spelling in (
            name,
            name.upper(),
            name.title(),
            name.replace("ä", "a").replace("ö", "o"),
        ):
            columns = ["first_name", "last_name", "source"]
            at = columns.index(field) if field in columns else len(columns)
            columns[at : at + 1] = [spelling]
            found = reading.header(",".join(columns) + "\n", None)
            assert found.fields[at] == field, spelling


@given(st.sampled_from(sorted(reading.FIELD_BY_KEY)), st.sampled_from(["", " ", "_", "-"]))
def test_header_keys_ignore_case_accents_and_separators(key: str, sep: str) -> None:
    spelled = sep.join(key.upper())
    assert reading.header_key(spelled) == key


def test_unknown_columns_are_refused_naming_both_fixes() -> None:
    with pytest.raises(InvalidInput) as refused:
        reading.header("etunimi;sukunimi;Asiakasnumero;lähde\n", None)
    message = str(refused.value)
    assert message.startswith("header: unknown column 'Asiakasnumero'")
    assert "--map 'Asiakasnumero=FIELD'" in message and "--ignore-extra" in message


def test_map_and_ignore_extra(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    path.write_text(
        "Nimi1;Nimi2;Asiakasnumero;Viesti;Lähde\nAino;Äijälä;A-17;Soita maanantaina;partner\n",
        encoding="utf-8",
    )
    mapping = ["Nimi1=first_name", "nimi 2=sukunimi", "Viesti=notes"]
    with pytest.raises(InvalidInput, match="'Asiakasnumero'"):
        run(cli, path, mapping=mapping)
    report = run(cli, path, mapping=mapping, ignore_extra=True)
    assert report.stored == 1 and report.ignored_columns == ("Asiakasnumero",)
    with cli.connect() as conn:
        row = conn.execute("SELECT first_name, last_name, notes FROM customers").fetchone()
    assert tuple(row) == ("Aino", "Äijälä", "Soita maanantaina")


@pytest.mark.parametrize(
    ("items", "fragment"),
    [
        (["Nimi1"], "map: 'Nimi1' is not COLUMN=FIELD"),
        (["Nimi1=shoe_size"], "map: 'shoe_size' is not a field the register keeps"),
        (["Puuttuva=notes"], "map: no column 'Puuttuva' in the header"),
    ],
)
def test_bad_maps_are_refused(cli: Cli, tmp_path: Path, items: list[str], fragment: str) -> None:
    path = tmp_path / "m.csv"
    path.write_text("Nimi1,sukunimi,lähde\nA,B,partner\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        run(cli, path, mapping=items)
    assert str(refused.value).startswith(fragment)


def test_a_stream_imports_like_a_file_and_reports_lines(cli: Cli) -> None:
    stream = io.BytesIO(EXCEL.encode("cp1252"))
    assert run(cli, stream, encoding="cp1252").stored == 3
    bad = io.BytesIO(b"first_name,last_name,source\nA,B,partner\nC,\xe4,partner\n")
    with pytest.raises(InvalidInput, match="on line 3"):
        run(cli, bad)


def test_a_large_stream_is_validated_by_the_pool(cli: Cli) -> None:
    body = "".join(f"E{i};S{i};e{i}@example.fi;partner\n" for i in range(3000))
    stream = io.BytesIO(("first_name;last_name;email;source\n" + body).encode())
    report = run(cli, stream, parallel_min_bytes=1000)
    assert report.stored == 3000


def test_old_mac_line_ends_are_refused_with_the_fix(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "mac.csv"
    path.write_bytes(b"first_name,last_name,source\rA,B,partner\r")
    with pytest.raises(InvalidInput, match="carriage return alone"):
        run(cli, path)


# --- the final store alone takes the write lock ---------------------------------------------

CONTEXT = RowContext(
    ("first_name", "last_name", "org", "email", "source"),
    None,
    "2026-11-27T10:00:00Z",
    "2026-11-27",
)


def chunk(*rows: tuple[int, str, str, str]) -> list[tuple[int, list[str]]]:
    return [(line, [f"F{line}", last, org, email, "partner"]) for line, last, org, email in rows]


def test_others_write_while_the_file_is_checked_and_the_store_checks_again(cli: Cli) -> None:
    """Between the chunks a clerk (another connection, no busy wait) writes: the lock is
    free. The clerk's new customer and organisation are then met by the final store:
    the same email is a duplicate, the same organisation is used, not created twice."""
    add_aino(cli)
    clerk = sqlite3.connect(cli.db, timeout=0, isolation_level=None)
    collation.register(clerk)  # a clerk's lautex has it: names are written in order

    def validated() -> Iterator[list[Checked]]:
        yield validate_chunk(chunk((2, "One", "Uusi Oy", "one@example.fi")), CONTEXT)
        clerk.execute("BEGIN IMMEDIATE")  # would fail at once if the import held the lock
        clerk.execute(
            "INSERT INTO organisations (name, sole_trader, created_at) "
            "VALUES ('UUSI OY', 0, '2026-11-27T10:00:00Z')"
        )
        clerk.execute(
            "INSERT INTO customers (first_name, last_name, email, country, source, language, "
            "state, created_at, updated_at, last_activity) VALUES ('K', 'Clerk', "
            "'Two@Example.fi', 'FI', 'partner', 'fi', 'active', 'x', 'x', '2026-11-27')"
        )
        clerk.execute("COMMIT")
        yield validate_chunk(
            chunk((3, "Two", "", "two@example.fi"), (4, "Three", "uusi oy", "3@example.fi")),
            CONTEXT,
        )

    conn = connect(cli.db)
    report = store_validated(conn, ADMIN, validated(), ImportReport())
    conn.close()
    clerk.close()
    assert [(p.line, str(p.reason).split(";")[0]) for p in report.problems] == [
        (3, "email: customer 2 already has this email address")
    ]
    assert report.stored == 2 and report.organisations_created == 0
    with cli.connect() as conn:
        rows = conn.execute(
            "SELECT last_name, organisation_id FROM customers ORDER BY id"
        ).fetchall()
    assert [tuple(r) for r in rows] == [("Äijälä", None), ("Clerk", None), ("One", 1), ("Three", 1)]


def test_a_bad_row_never_takes_the_write_lock(cli: Cli) -> None:
    insert_org(cli)
    before = dump(cli)
    clerk = sqlite3.connect(cli.db, timeout=0, isolation_level=None)
    collation.register(clerk)  # a clerk's lautex has it: names are written in order
    clerk.execute("BEGIN IMMEDIATE")  # the clerk holds the lock for the whole import
    conn = connect(cli.db)
    rows = chunk((2, "One", "Puutalo Oy", "one@example.fi"), (3, "Two", "", "bad@"))
    report = store_validated(conn, ADMIN, [validate_chunk(rows, CONTEXT)], ImportReport())
    clerk.execute("ROLLBACK")
    conn.close()
    clerk.close()
    assert report.failed and report.stored == 0
    assert dump(cli) == before


# --- settings from a stream (`settings load -`) ----------------------------------------------


def test_settings_read_from_a_stream_are_checked_as_a_file_is() -> None:
    from lautex_registry.platform.settings import (
        SETTINGS_MAX_BYTES,
        default_settings_text,
        load_settings_stream,
        parse_settings,
    )

    text = default_settings_text()
    settings, origin = load_settings_stream(io.BytesIO(text.encode()))
    assert origin == "standard input" and settings == parse_settings(text, "x")
    with pytest.raises(InvalidInput, match="larger than"):
        load_settings_stream(io.BytesIO(b"#" * (SETTINGS_MAX_BYTES + 1)))
    with pytest.raises(InvalidInput, match="not UTF-8"):
        load_settings_stream(io.BytesIO("# Jääkaappi\n".encode("cp1252")))


# --- the organisation's business ID (y-tunnus) --------------------------------------------


def test_a_business_id_column_finds_or_adds_the_organisation(cli: Cli, tmp_path: Path) -> None:
    insert_org(cli)  # Puutalo Oy, 1572860-0
    path = tmp_path / "yritykset.csv"
    path.write_text(
        "Etunimi;Sukunimi;Yritys;Y-tunnus;Lähde\n"
        "Aino;Äijälä;;1572860-0;partner\n"  # found by its business ID alone
        "Eero;Öhman;Uusi Oy;0737546-2;partner\n"  # a new organisation with its business ID
        "Sara;Salo;;0737546-2;partner\n"  # the new one again, by its business ID
        "Olli;Ojala;Puutalo Oy;0737546-2;partner\n"  # the name and the ID disagree
        "Pia;Puro;;2345678-0;partner\n"  # no such business ID, no name to add
        "Iiro;Ilo;;1572860-1;partner\n",  # not a valid business ID
        encoding="utf-8",
    )
    report = run(cli, path, skip_invalid=True)
    assert [(p.line, str(p.reason).split(":")[0]) for p in report.problems] == [
        (5, "business_id"), (6, "business_id"), (7, "business_id"),
    ]  # fmt: skip
    assert "0737546-2" in str(report.problems[0].reason)
    assert "no organisation has business ID 2345678-0" in str(report.problems[1].reason)
    assert report.stored == 3 and report.organisations_created == 1
    with cli.connect() as conn:
        orgs = conn.execute(
            "SELECT id, name, business_id FROM organisations ORDER BY id"
        ).fetchall()
        linked = conn.execute(
            "SELECT last_name, organisation_id, search_text FROM customers ORDER BY id"
        ).fetchall()
    assert [tuple(o) for o in orgs] == [(1, "Puutalo Oy", "1572860-0"), (2, "Uusi Oy", "0737546-2")]
    assert [(r[0], r[1]) for r in linked] == [("Äijälä", 1), ("Öhman", 2), ("Salo", 2)]
    assert "puutalo" in linked[0][2] and "uusi oy" in linked[2][2]  # `customer search` finds them


@given(
    st.lists(st.text(alphabet='abcäöå,;" ', max_size=20), min_size=1, max_size=20),
    st.data(),
)
def test_a_bad_byte_is_always_reported_on_its_line(lines: list[str], data: st.DataObject) -> None:
    """Whatever comes before it, a byte that is not UTF-8 is reported on its own line."""
    bad = data.draw(st.integers(min_value=1, max_value=len(lines)))
    raw = [line.encode() + b"\n" for line in lines]
    raw[bad - 1] = raw[bad - 1][:-1] + b"\xff\n"
    decoded = reading.DecodedLines(io.BytesIO(b"".join(raw)))
    with pytest.raises(InvalidInput) as refused:
        list(decoded)
    assert str(refused.value).startswith(f"file: not UTF-8 text on line {bad} (byte 0xff)")
