"""customer import across chunks: raw-text splitting, duplicates and line numbers."""

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lautex_registry.platform import audit
from lautex_registry.platform.db import connect
from lautex_registry.records.importing import reading
from lautex_registry.records.importing.report import ImportReport
from lautex_registry.records.importing.run import import_customers
from tests.conftest import Cli
from tests.helpers import add_aino, dump

HEADER = "first_name,last_name,email,source\n"


def reference_records(body: str) -> list[tuple[int, list[str]]]:
    """What one csv.reader over the whole file gives, with each record's first line (lines
    end at a line feed, as the import splits them)."""
    reader = csv.reader(io.StringIO(body, newline="\n"))
    out, previous_end = [], 1
    for record in reader:
        start, previous_end = previous_end + 1, reader.line_num + 1
        if record and not (len(record) == 1 and not record[0].strip()):
            out.append((start, record))
    return out


@given(
    st.lists(
        st.tuples(st.text(alphabet='ab,"\n ', max_size=12), st.sampled_from(["\n", "\r\n"])).map(
            "".join
        ),
        max_size=12,
    ),
    st.integers(min_value=1, max_value=4),
)
def test_raw_text_chunks_parse_as_one_reader_would(lines: list[str], chunk_rows: int) -> None:
    """Splitting the file between records for the workers never changes a record or its line,
    stray and unbalanced quotes included."""
    body = "".join(lines)
    old = reading.CHUNK_ROWS
    reading.CHUNK_ROWS = chunk_rows
    try:
        texts = list(reading.read_texts(io.StringIO(body, newline="\n"), ","))
    finally:
        reading.CHUNK_ROWS = old
    assert "".join(text for _line, text in texts) == body
    found = [record for text in texts for record in reading.records(text, ",")]
    assert found == reference_records(body)


def write(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "chunks.csv"
    path.write_text(HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


ROWS = [
    "A,One,a@example.fi,partner",  # line 2
    "",  # line 3: blank, skipped
    "B,Two,b@example.fi,partner",  # line 4
    "C,Three,c@example.fi,partner",  # line 5
    "D,Four,A@EXAMPLE.FI,partner",  # line 6: the address of line 2
    "E,Five,aino.aijala@example.fi,partner",  # line 7: already in the register
    "F,Six,f@example.fi,partner",  # line 8
    "G,Seven,B@example.fi,partner",  # line 9: the address of line 4
]


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "CHUNK_ROWS", 2)


def run(cli: Cli, path: Path, *, dry_run: bool = False, skip_invalid: bool = False) -> ImportReport:
    conn = connect(cli.db)
    try:
        actor = audit.Actor(1, "admin")
        return import_customers(conn, actor, path, dry_run=dry_run, skip_invalid=skip_invalid)
    finally:
        conn.close()


@pytest.mark.usefixtures("small_chunks")
@pytest.mark.parametrize("dry_run", [False, True])
def test_duplicates_of_rows_stored_in_earlier_chunks(
    cli: Cli, tmp_path: Path, dry_run: bool
) -> None:
    existing = add_aino(cli)
    report = run(cli, write(tmp_path, ROWS), dry_run=dry_run)
    assert [(p.line, str(p.reason)) for p in report.problems] == [
        (6, "email: the same address is on line 2; not imported"),
        (7, f"email: customer {existing} already has this email address; not imported"),
        (9, "email: the same address is on line 4; not imported"),
    ]
    assert report.valid == 4
    with cli.connect() as conn:
        names = [r[0] for r in conn.execute("SELECT last_name FROM customers ORDER BY id")]
    assert names == ["Äijälä"] if dry_run else ["Äijälä", "One", "Two", "Three", "Six"]


@pytest.mark.usefixtures("small_chunks")
def test_a_bad_row_in_a_later_chunk_writes_nothing_and_reports_everything(
    cli: Cli, tmp_path: Path
) -> None:
    add_aino(cli)
    before = dump(cli)
    rows = [*ROWS[:6], "F,Six,f@,partner", *ROWS[7:], "H,Eight,c@example.fi,partner"]
    report = run(cli, write(tmp_path, rows))
    assert report.failed and report.stored == 0
    assert [(p.line, str(p.reason).split(":")[0]) for p in report.problems] == [
        (6, "email"), (7, "email"), (8, "email"), (9, "email"), (10, "email"),
    ]  # fmt: skip
    assert "on line 4" in str(report.problems[3].reason)
    assert "on line 5" in str(report.problems[4].reason)
    assert dump(cli) == before


@pytest.mark.usefixtures("small_chunks")
def test_ids_and_audit_row_of_a_chunked_import(cli: Cli, tmp_path: Path) -> None:
    report = run(cli, write(tmp_path, ROWS), skip_invalid=True)
    assert report.stored == 5
    with cli.connect() as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM customers ORDER BY id")]
        details = conn.execute(
            "SELECT details_json FROM audit_log WHERE action = 'customer import'"
        ).fetchone()[0]
    assert f'"first_id": {ids[0]}' in details and f'"last_id": {ids[-1]}' in details
    assert ids == list(range(ids[0], ids[0] + 5))
