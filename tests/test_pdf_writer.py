"""Our streaming PDF writer (platform/pdf_writer.py, pdf_font.py, pdf_layout.py): every
document on paper is a PDF a reader parses, with every value as written and searchable,
"page N of M" right on every page, rows that do not fit carried to the next page under
their header, and memory that does not grow with the orders (docs/rules.md §3)."""

import hashlib
import io
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from lautex_registry.platform import audit, documents, pdf_font
from lautex_registry.platform.db import connect, transaction
from lautex_registry.platform.paper import Paper, font_path
from lautex_registry.rights.access import export_customer, write_export

pypdf = pytest.importorskip("pypdf")

HOSTILE = ") Tj ET (", "<script>alert(1)</script>", "\\) Tj (", "%%EOF"
NAME = "Äijö-Öhman"
PAPER = Paper(
    lang="fi",
    title="Testi (rekisteri)",
    controller={"name": "Oy Lautex Ab", "street": "Ojakkalantie 13", "postal_code": "03100",
                "city": "Nummela", "contact_person": "Hannu", "phone": "044", "email": "a@b.fi"},
    date="28.11.2026",
    reference="pyyntö nro 7",
    recipient=[NAME, "Koivukuja 7", "00100 HELSINKI"],
    signer="Käsittelijä Kallio",
)  # fmt: skip


def checked_structure(data: bytes) -> int:
    """The file's own structure, as a reader finds it: every cross-reference offset at its
    `N 0 obj`, startxref at the table, the trailer naming the catalogue. The page count."""
    assert data.startswith(b"%PDF-1.7\n") and data.endswith(b"%%EOF\n")
    start = int(re.search(rb"startxref\n(\d+)\n%%EOF\n$", data).group(1))  # type: ignore[union-attr]
    assert data[start : start + 5] == b"xref\n"
    count = int(re.match(rb"xref\n0 (\d+)\n", data[start:]).group(1))  # type: ignore[union-attr]
    rows = data[start:].split(b"\n")[2 : 2 + count]
    assert rows[0] == b"0000000000 65535 f "
    for number, row in enumerate(rows[1:], 1):
        offset = int(row[:10])
        assert row.endswith(b" 00000 n "), row
        assert data[offset:].startswith(b"%d 0 obj\n" % number), number
    assert re.search(rb"trailer\n<< /Size %d /Root \d+ 0 R" % count, data)
    return len(pypdf.PdfReader(io.BytesIO(data)).pages)


def page_texts(data: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def table(rows: int, *, cell: str = "Koivulauta 2 m") -> Iterator[str]:
    """A letter with a table of `rows` rows, made as it is read (as a template makes one)."""
    yield "# Tilaukset\n\nJohdanto.\n\n| numero | tuote | määrä |\n|---|---|---|\n"
    for index in range(rows):
        yield f"| T-{index} | {cell} | {index % 7} |\n"
    yield "\nLoppu.\n"


# --- the access export, through the service the command calls ---------------------------


def add_orders(db: Path, customer_id: int, count: int, prefix: str = "X") -> None:
    conn = connect(db)  # the register's own SQL functions (the name order's triggers)
    first = conn.execute("SELECT COALESCE(MAX(id), 0) FROM orders").fetchone()[0] + 1
    with transaction(conn):
        conn.executemany(
            """INSERT INTO orders (id, number, customer_id, order_date, channel, created_at)
               VALUES (?, ?, ?, '2026-01-02', 'web-store', '2026-11-25T00:00:00Z')""",
            [(first + k, f"{prefix}{k}", customer_id) for k in range(count)],
        )
        conn.executemany(
            "INSERT INTO order_lines (order_id, product, quantity_milli, unit_price_cents)"
            " VALUES (?, ?, 3000, 1250)",
            [(first + k, HOSTILE[k % len(HOSTILE)]) for k in range(count)],
        )
        conn.execute("UPDATE customers SET first_name = ?, last_name = ? WHERE id = ?",
                     ("Åsa", NAME, customer_id))  # fmt: skip
    conn.close()


def export_pdf(db: Path, target: Path) -> str:
    """`lautex export 1 --format pdf --lang fi --output target`; the recorded SHA-256."""
    conn = connect(db)
    try:
        with transaction(conn):
            made = export_customer(conn, audit.Actor(1, "demo"), "1", fmt="pdf", lang="fi",
                                   output=target)  # fmt: skip
            assert not isinstance(made.files[0].content, bytes)  # written as it is made
            write_export(made, db)
        return str(conn.execute("SELECT sha256 FROM documents ORDER BY id DESC").fetchone()[0])
    finally:
        conn.close()


def test_the_access_export_streams_every_value_as_written_with_page_n_of_m(
    demo: Path, tmp_path: Path
) -> None:
    add_orders(demo, 1, 120)
    sha256 = export_pdf(demo, tmp_path / "small.pdf")
    data = (tmp_path / "small.pdf").read_bytes()
    assert sha256 == hashlib.sha256(data).hexdigest()  # recorded when the last page passed
    pages = checked_structure(data)
    texts = page_texts(data)
    for number, text in enumerate(texts, 1):
        assert f"Sivu {number}/{pages}" in text  # the letterhead's, and the footer's
        assert text.count(f"{number}/{pages}") == 2
    whole = "\n".join(texts)
    assert NAME in whole and "Åsa" in whole
    for value in HOSTILE:
        assert value in whole, value
    # each order line once, in its order; a row is never cut between pages
    numbers = [int(n) for n in re.findall(r"\bX(\d+)\b", whole)]
    assert sorted(set(numbers)) == list(range(120))
    # and the table's header row again on every page it runs on
    carried = [text for text in texts[1:] if re.search(r"\bX\d+\b", text)]
    assert carried and all("tilaus" in text or "numero" in text for text in carried)

    add_orders(demo, 1, 600, prefix="Y")
    export_pdf(demo, tmp_path / "large.pdf")
    more = checked_structure((tmp_path / "large.pdf").read_bytes())
    assert more > pages + 10


def test_the_fonts_are_embedded_subsets_with_widths_and_text_that_copies(tmp_path: Path) -> None:
    from fontTools.ttLib import TTFont

    data = documents.markdown_to_pdf(f"# {NAME}\n\n**Lihava** ja _kursiivi_: Ωμέγα\n", PAPER)
    reader = pypdf.PdfReader(io.BytesIO(data))
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts[str(font["/BaseFont"])] = font
    assert len(fonts) == 3  # regular, bold, oblique: the bold oblique was not used
    for name, font in fonts.items():
        assert re.fullmatch(r"/[A-Z]{6}\+DejaVuSans(-Bold|-Oblique)?", name)
        assert font["/Subtype"] == "/Type0" and font["/Encoding"] == "/Identity-H"
        cid = font["/DescendantFonts"][0].get_object()
        assert cid["/Subtype"] == "/CIDFontType2" and cid["/W"]
        assert "/ToUnicode" in font
        embedded = cid["/FontDescriptor"]["/FontFile2"].get_data()
        subset = TTFont(io.BytesIO(embedded))
        glyf = subset["glyf"]
        drawn = [g for g in subset.getGlyphOrder() if glyf[g].numberOfContours != 0]
        assert 3 < len(drawn) < 80  # the glyphs used (and their components), not 6,000
        assert len(embedded) < 80_000
    assert NAME in reader.pages[0].extract_text()


def test_what_the_font_lacks_is_a_visible_replacement_and_any_script_sets(tmp_path: Path) -> None:
    rtl = "שלום عربي"
    combining = "e\u0301 A\u030a"
    lacking = "漢字\ue000\U0001f600\x07"
    body = f"# {lacking}\n\n{rtl} {combining}\n\n| a | b |\n|---|---|\n| {lacking} | {rtl} |\n"
    body += f"| x\ufdd0y | {combining}\ufdd1 |\n"  # the writer's own marks, as values
    data = documents.markdown_to_pdf(body, PAPER)
    assert checked_structure(data) == 1
    text = page_texts(data)[0]
    assert "\ufffd" in text and "漢" not in text  # shown as U+FFFD, copied as U+FFFD
    assert "שלום" in text or "םולש" in text
    assert "x\ufffdy" in text  # one cell still, on its row


def test_a_noncharacter_alone_is_still_a_visible_replacement_that_copies() -> None:
    """A value's U+FDD0 (a noncharacter validation lets through, and the writer's own cell
    mark) is set as U+FFFD: the subset must hold that glyph, its width and its text even
    when nothing else in the document lacks a glyph."""
    data = documents.markdown_to_pdf("Nimi: A\ufdd0B\n", PAPER)
    assert checked_structure(data) == 1
    assert "A\ufffdB" in page_texts(data)[0]


def test_a_row_taller_than_a_page_and_words_longer_than_a_column_are_split(
    tmp_path: Path,
) -> None:
    word = "Pitkä" * 60
    long_cell = " ".join(["sana"] * 2000)
    body = f"# Otsikko\n\n{word}\n\n| a | b |\n|---|---|\n| 1 | {long_cell} |\n| 2 | {word} |\n"
    data = documents.markdown_to_pdf(body, PAPER)
    pages = checked_structure(data)
    assert pages >= 3
    whole = "".join(page_texts(data)).replace("\n", "")
    assert whole.count("sana") == 2000 and word in whole.replace(" ", "")


def test_a_table_wider_than_the_page_keeps_headers_and_later_amounts_whole() -> None:
    """One long product among the first rows makes the table too wide: the narrow columns
    still hold their header words whole, and an amount of thousands after the sampled
    amounts of units fits its column instead of being cut inside the word."""
    product = "Terassilauta 28x120 lämpökäsitelty mänty, pituus 4,2 m, toimitus nosturilla"
    body = "| tilaus | tuote | määrä | yksikköhinta | yksikkö |\n|---|---|---|---|---|\n"
    body += f"| T-1 | {product} | 3 | 4,85\u00a0€ | kpl |\n"
    body += "".join(f"| T-{n} | Ruuvit | 1 | 4,90\u00a0€ | kpl |\n" for n in range(2, 42))
    body += "| T-42 | Liimapuupalkki | 120 | 1\u00a0234,50\u00a0€ | kpl |\n"
    data = documents.markdown_to_pdf(body, PAPER)
    lines = [line for text in page_texts(data) for line in text.splitlines()]
    header = next(line for line in lines if "tilaus" in line)
    assert "tilaus" in header.split() and "määrä" in header.split(), header
    last = next(line for line in lines if "T-42" in line)
    assert "1\u00a0234,50\u00a0€" in last or "1 234,50 €" in last, last


def test_prose_keeps_its_reading_order_lists_quotes_rules_and_markdown_it_tables() -> None:
    body = textwrap.dedent(
        """\
        # Yksi

        Kappale *kursiivi* ja **lihava _molemmat_** ja `koodi`,\\
        rivinvaihto.

        1. ensimmäinen
        2. toinen
           - sisempi

        > lainaus

        ---

        ```
        esimuotoiltu   rivi
        toinen rivi
        ```

        #### Neljäs

        | vasen | oikea |
        |:---|---:|
        | **a** | b |
        | c |

        Loppu [linkki](https://example.com) <b>ei tagi</b>.
        """
    )
    data = documents.markdown_to_pdf(body, PAPER)
    assert checked_structure(data) == 1
    text = page_texts(data)[0]
    text = text[text.index("Yksi") :]
    order = ["Yksi", "kursiivi", "molemmat", "koodi,\nrivinvaihto", "1. ensimmäinen",
             "2. toinen", "• sisempi", "lainaus", "esimuotoiltu   rivi\ntoinen rivi", "Neljäs",
             "vasen oikea", "a b", "c", "linkki", "<b>ei tagi</b>", "Allekirjoitus",
             "Käsittelijä Kallio"]  # fmt: skip
    positions = [text.index(word) for word in order]
    assert positions == sorted(positions)


def test_a_table_cell_with_markup_prints_what_the_html_shows() -> None:
    body = "| a | b |\n|---|---|\n| **lihava** \\| putki | `koodi` ja &amp; |\n"
    blocks = list(documents.body_blocks([body]))
    assert blocks[1] == ("row", (["**lihava** | putki", "`koodi` ja &amp;"], True))
    assert documents.cell_text("**lihava** | putki") == "lihava | putki"
    assert documents.cell_text("`koodi` ja &amp;") == "koodi ja &"
    assert documents.cell_text("a\\*b") == "a*b"
    text = page_texts(documents.markdown_to_pdf(body, PAPER))[0]
    assert "lihava | putki" in text and "koodi ja &" in text


def test_metadata_is_escaped_and_the_file_is_the_same_every_time() -> None:
    paper = Paper(lang="fi", title="(Otsikko) \\ <FEFF> ä", controller={"name": ") /Evil"},
                  date="1.1.2026")  # fmt: skip
    first = documents.markdown_to_pdf("Teksti.\n", paper)
    assert first == documents.markdown_to_pdf("Teksti.\n", paper)  # recorded by SHA-256
    reader = pypdf.PdfReader(io.BytesIO(first))
    assert reader.metadata.title == "(Otsikko) \\ <FEFF> ä"
    assert reader.metadata.author == ") /Evil"
    assert checked_structure(first) == 1
    broken = Paper(lang="fi", title="a\ud800b", controller={"name": "x\udfffy"}, date="")
    assert checked_structure(documents.markdown_to_pdf("\ud800 teksti\n", broken)) == 1


def test_the_font_reader_matches_the_font_file() -> None:
    from fontTools.ttLib import TTFont

    path = font_path("B")
    ours = pdf_font.load(path)
    theirs = TTFont(path)
    order = {name: index for index, name in enumerate(theirs.getGlyphOrder())}
    assert {code: order[name] for code, name in theirs.getBestCmap().items()} == ours.cmap
    for name, (advance, _) in theirs["hmtx"].metrics.items():
        assert ours.advances[order[name]] == round(advance * 1000 / 2048, 3)
    with pytest.raises(pdf_font.FontFileError):
        pdf_font.TrueTypeFont(Path(__file__))


# --- memory ----------------------------------------------------------------------------

PEAK = """
import resource, sys
from lautex_registry.platform import documents
from lautex_registry.platform.paper import Paper
from tests.test_pdf_writer import PAPER, table

rows = int(sys.argv[1])
with open(sys.argv[2], "wb") as out:
    for chunk in documents.pdf_chunks(table(rows), PAPER):
        out.write(chunk)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_kib(rows: int, target: Path) -> int:
    # The tests run in a folder of their own: the child finds `tests` from the repository.
    root = str(Path(__file__).resolve().parent.parent)
    done = subprocess.run([sys.executable, "-c", PEAK, str(rows), str(target)], check=True,
                          capture_output=True, text=True, cwd=root)  # fmt: skip
    return int(done.stdout.strip())


def test_memory_does_not_grow_with_the_rows(tmp_path: Path) -> None:
    small = peak_kib(1_000, tmp_path / "small.pdf")
    large = peak_kib(60_000, tmp_path / "large.pdf")
    pages = checked_structure((tmp_path / "large.pdf").read_bytes())
    assert pages > 900
    # Held whole, 60,000 rows would be tens of MiB more (their content is about 9 MiB of
    # text before compression, and the ops lists several times that).
    assert large - small < 8 * 1024, (small, large)


def test_a_font_with_only_a_bmp_cmap_and_scaled_components_subsets_whole(
    tmp_path: Path,
) -> None:
    """Fonts other than the shipped ones: a format 4 cmap, short `loca` offsets, and
    composite glyphs with each kind of scale keep every component they are made of."""
    from fontTools.ttLib import TTFont

    font = TTFont(font_path())
    font["cmap"].tables = [t for t in font["cmap"].tables if t.format == 4]
    glyf = font["glyf"]
    composites = [name for name in font.getGlyphOrder() if glyf[name].isComposite()][:3]
    for name, transform in zip(composites, ([[0.5, 0], [0, 0.5]], [[0.5, 0], [0, 0.8]],
                                            [[0.5, 0.1], [0.2, 0.8]]), strict=True):  # fmt: skip
        glyf[name].components[0].transform = transform
    path = tmp_path / "font.ttf"
    font.save(path)
    ours = pdf_font.TrueTypeFont(path)
    assert ours.cmap and max(ours.cmap) <= 0xFFFF
    assert ours.cmap == {c: g for c, g in pdf_font.load(font_path()).cmap.items() if c <= 0xFFFF}
    order = font.getGlyphOrder()
    wanted = {order.index(name) for name in composites}
    subset = TTFont(io.BytesIO(ours.subset(wanted)))
    names = subset.getGlyphOrder()  # by glyph id: the subset keeps ids, not names
    for glyph in wanted:
        components = subset["glyf"][names[glyph]].components
        assert components
        for component in components:
            assert subset["glyf"][component.glyphName].numberOfContours != 0
    parts = {c.glyphName for name in composites for c in glyf[name].components}
    unused = next(n for n in order[1:] if n not in parts and glyf[n].numberOfContours > 0)
    assert subset["glyf"][names[order.index(unused)]].numberOfContours == 0  # the rest: empty


def test_a_header_row_taller_than_its_rows_leaves_room_for_them() -> None:
    head = " | ".join(["otsikko " * 12] * 4)
    rows = "".join(f"| {'sana ' * 30} | b | c | d |\n" for _ in range(60))
    data = documents.markdown_to_pdf(f"| {head} |\n|---|---|---|---|\n{rows}", PAPER)
    assert checked_structure(data) > 3
    assert "".join(page_texts(data)).count("sana") == 60 * 30
