"""The layout of a document on paper (`paper.Paper`): the letterhead, the address in the
envelope's window, headings, paragraphs wrapped by the glyphs' widths, lists, tables
whose rows go to the next page under their header row again, page numbers and the
signature line, set as the document's blocks arrive (`documents.body_blocks`) and
written a page at a time (`pdf_writer.PdfStream`): a 10,000-order access export is never
held whole (docs/rules.md §3 "Linear and streaming"). Figures in benchmarks/README.md
"PDF".
"""

import re
from collections.abc import Callable, Iterable, Iterator
from html.parser import HTMLParser
from operator import add
from typing import Any

from lautex_registry.platform import pdf_writer
from lautex_registry.platform.paper import (
    _FONT_FILES,
    _WORDS,
    BODY_TOP,
    BODY_TOP_FIRST,
    BOTTOM,
    LEFT,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    RIGHT,
    WINDOW_HEIGHT,
    WINDOW_WIDTH,
    WINDOW_X,
    WINDOW_Y,
    Paper,
    _letterhead_lines,
    _line,
    font_path,
)
from lautex_registry.platform.pdf_font import GLYPH_ERRORS, MARKS, has_marks
from lautex_registry.platform.pdf_font import charmap_encode as encode
from lautex_registry.platform.pdf_writer import MM, PdfFont, PdfStream

# Sizes in points: the body, the tables (smaller, as the HTML's stylesheet has them) and
# the headings (size, space above in mm) of the fpdf2 letters this layout replaced.
BODY_SIZE, BODY_LEADING = 9.5, 13.0
TABLE_SIZE, TABLE_LEADING, CELL_PAD, CELL_VPAD = 8.5, 10.5, 3.0, 1.5
# Widths are sums of floats: a text measured to fit exactly may come out a hair over its
# limit once the padding is added and taken off again. Within this it fits (points).
SLACK = 0.01
# In a table wider than the page, a narrow column gets this much more than its widest
# sampled cell, so a later, longer value of the same kind (an amount of thousands after
# amounts of tens) still fits whole rather than being cut inside a word.
NARROW_ROOM = 1.3
ROW = TABLE_LEADING + 2 * CELL_VPAD  # a row of one line
HEADINGS = {1: (14.0, 2.0), 2: (11.5, 5.0), 3: (10.5, 4.0), 4: (10.0, 3.0)}
INDENT = 6 * MM  # a list level, a quotation
# The address in the window: 3 mm below its top edge and 2 mm in from the others, lines
# 0.5 mm apart a point of size (5 mm at 10 pt: eight lines in the window).
WINDOW_TOP_PAD, WINDOW_PAD, WINDOW_LEADING = 3.0, 2.0, 0.5 * MM
# A table's column widths are worked out from its header and first rows and kept for the
# rest, so a table of 10,000 rows is set as it arrives (docs/rules.md §3).
SAMPLE_ROWS = 40
_TOKENS = re.compile(r"\n| +|[^ \n]+")
_SPACE_RUNS = re.compile(r"[ \t\n\r\f]+")  # not the no-break spaces that hold an amount
_HEADING_TAGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 4, "h6": 4}

Run = tuple[str, PdfFont]


def font_paths() -> dict[str, str]:
    return {style: font_path(style) for style in _FONT_FILES}


def pdf_chunks(
    blocks: Iterable[tuple[str, Any]], paper: Paper, cell_text: Callable[[str], str]
) -> Iterator[bytes]:
    """The document as PDF, in pieces written as its pages fill (`documents.body_blocks`
    gives the blocks: prose as HTML, tables row by row; `cell_text` the text a cell that
    may hold markup shows)."""
    stream = PdfStream(
        font_paths(),
        title=_line(paper.title),
        author=_line(paper.controller.get("name", "")),
        lang=paper.lang,
    )
    return pdf_writer.chunks(stream, _Sheet(stream, paper).pages(blocks, cell_text))


def wrap(runs: Iterable[Run], size: float, width: float) -> list[list[Run]]:
    """Lines of at most `width` points: words kept whole where they fit, a word longer
    than a line cut where it must be, a "\n" a line break."""
    lines: list[list[Run]] = []
    line: list[Run] = []
    x = 0.0
    for text, font in runs:
        for token in _TOKENS.findall(text):
            if token == "\n":
                lines.append(_trimmed(line))
                line, x = [], 0.0
                continue
            advance = font.width(token, size)
            if token[0] == " ":
                if line:
                    line.append((token, font))
                    x += advance
                continue
            for piece, piece_width in _pieces(token, font, size, width, advance):
                if line and x + piece_width > width + SLACK:
                    lines.append(_trimmed(line))
                    line, x = [], 0.0
                if line and line[-1][1] is font:
                    line[-1] = (line[-1][0] + piece, font)
                else:
                    line.append((piece, font))
                x += piece_width
    if line or not lines:
        lines.append(_trimmed(line))
    return lines


def _trimmed(line: list[Run]) -> list[Run]:
    while line and not line[-1][0].strip(" "):
        line.pop()
    if line:
        line[-1] = (line[-1][0].rstrip(" "), line[-1][1])
    return line


def _pieces(
    word: str, font: PdfFont, size: float, width: float, advance: float
) -> Iterator[tuple[str, float]]:
    """A word as pieces that fit a line (itself, when it fits)."""
    if advance <= width + SLACK:
        yield word, advance
        return
    piece, piece_width = "", 0.0
    for char in word:
        char_width = font.width(char, size)
        if piece and piece_width + char_width > width + SLACK:
            yield piece, piece_width
            piece, piece_width = "", 0.0
        piece += char
        piece_width += char_width
    if piece:
        yield piece, piece_width


def fit_lines(
    lines: list[str],
    font: PdfFont,
    box: tuple[float, float],
    *,
    largest: float,
    unbroken_down_to: float,
    leading: float,
) -> tuple[float, list[str]]:
    """An address set as large as it fits in its box (width, height in points), never
    cut and never over the box's edge (docs/rules.md §2 "Letters on paper"): the size and
    the lines to print, `leading` points apart for each point of size.

    From `largest` down in half points, as long as the size stays at least
    `unbroken_down_to`: first each line whole (a sorting machine reads a street best as
    one line), then long lines broken between words and after hyphens. Below that size,
    words too long for a line are cut too, as small as it takes. Widths are measured
    once, at 1 pt (a width grows with the size)."""
    width, height = box
    measured = [_AddressLine(line, font) for line in lines]

    def fits(count: int, size: float) -> bool:
        return count * size * leading <= height + SLACK

    readable = _sizes(largest, unbroken_down_to)
    for size in readable:
        if fits(len(lines), size) and all(line.width * size <= width + SLACK for line in measured):
            return size, lines
    for size in readable:
        broken = _broken(measured, size, width, cut=False)
        if broken is not None and fits(len(broken), size):
            return size, broken

    # Smaller, words that did not fit whole do; only when none is small enough to keep
    # every word whole are words cut. A smaller size seldom takes more lines, so each
    # size is found by halving (one that fits, or the smallest).
    smaller = _sizes(min(unbroken_down_to, largest), SMALLEST)
    whole = _largest_fitting(smaller, lambda size: _broken(measured, size, width, cut=False), fits)
    if whole is not None:
        return whole
    cut = _largest_fitting(
        smaller, lambda size: _broken(measured, size, width, cut=True), fits, last_resort=True
    )
    assert cut is not None  # the last resort is always given
    return cut


def _largest_fitting(
    sizes: list[float],
    set_at: Callable[[float], list[str] | None],
    fits: Callable[[int, float], bool],
    *,
    last_resort: bool = False,
) -> tuple[float, list[str]] | None:
    """The first of `sizes` (largest first) at which `set_at` gives lines that fit, found
    by halving; when none does, None, or with `last_resort` the smallest's lines."""

    def good(index: int) -> bool:
        lines = set_at(sizes[index])
        return lines is not None and fits(len(lines), sizes[index])

    low, high = 0, len(sizes) - 1
    if not good(high):
        lines = set_at(sizes[high]) if last_resort else None
        return None if lines is None else (sizes[high], lines)
    while low < high:
        middle = (low + high) // 2
        if good(middle):
            high = middle
        else:
            low = middle + 1
    lines = set_at(sizes[low])
    assert lines is not None
    return sizes[low], lines


# Below this an address is no longer set smaller: only an address longer than any the
# register accepts would get here, and it is printed whole, below its box if it must.
SMALLEST = 2.0
# A word's parts, each with its hyphen: a line may break after a hyphen between letters
# (`Pohjoisesplanadin-` / `Eteläesplanadin`), never inside a number range (`112-114`).
_HYPHENATED = re.compile(r"(?:[^-]|-(?![^\W\d_])|(?<![^\W\d_])-)*(?:-|$)")


def _sizes(largest: float, smallest: float) -> list[float]:
    """From `largest` down to `smallest` in half points."""
    count = int((largest - smallest) / 0.5 + 1e-9) + 1
    return [largest - 0.5 * step for step in range(max(count, 1))]


def _broken(
    lines: "list[_AddressLine]", size: float, width: float, *, cut: bool
) -> list[str] | None:
    """Every line broken to `width` at `size`; None when a word does not fit and may not
    be cut."""
    out: list[str] = []
    for line in lines:
        broken = line.broken(size, width, cut=cut)
        if broken is None:
            return None
        out += broken
    return out


class _AddressLine:
    """One line of an address, its words and their parts after hyphens, measured at 1 pt."""

    def __init__(self, text: str, font: PdfFont) -> None:
        self.text = text
        self.font = font
        self.width = font.width(text, 1)
        self.space = font.width(" ", 1)
        self.char_widths: dict[str, list[float]] = {}
        # (part, whether it goes on from the part before it without a space, its width)
        self.parts = [
            (part, index > 0, font.width(part, 1))
            for word in text.split(" ")
            if word
            for index, part in enumerate(filter(None, _HYPHENATED.findall(word)))
        ]

    def broken(self, size: float, width: float, *, cut: bool) -> list[str] | None:
        if self.width * size <= width + SLACK:
            return [self.text]
        lines: list[str] = []
        line, x = "", 0.0
        for part, glued, part_width in self.parts:
            advance = part_width * size
            gap = 0.0 if glued or not line else self.space * size
            if line and x + gap + advance <= width + SLACK:
                line, x = line + ("" if glued else " ") + part, x + gap + advance
                continue
            if line:
                lines.append(line)
            if advance <= width + SLACK:
                line, x = part, advance
                continue
            if not cut:
                return None
            *whole, (line, x) = self.cut(part, size, width)
            lines += [piece for piece, _width in whole]
        if line:
            lines.append(line)
        return lines

    def cut(self, part: str, size: float, width: float) -> list[tuple[str, float]]:
        """A part too wide for a line, cut into pieces that fit (with their widths); a
        combining mark, of no width, stays with the letter before it."""
        widths = self.char_widths.get(part)
        if widths is None:
            widths = self.char_widths[part] = [self.font.width(char, 1) for char in part]
        pieces: list[tuple[str, float]] = []
        piece, x = "", 0.0
        for char, char_width in zip(part, widths, strict=True):
            advance = char_width * size
            if piece and x + advance > width + SLACK:
                pieces.append((piece, x))
                piece, x = "", 0.0
            piece, x = piece + char, x + advance
        pieces.append((piece, x))
        return pieces


def wrap_text(text: str, font: PdfFont, size: float, width: float) -> list[str]:
    """One font's text as lines (a table cell): most cells fit, and are measured once."""
    if font.width(text, size) <= width + SLACK:
        return [text]
    return ["".join(t for t, _ in line) for line in wrap([(text, font)], size, width)]


class _Sheet:
    """The pages of one document as they are set: a page is written out when it is full."""

    def __init__(self, stream: PdfStream, paper: Paper) -> None:
        self.stream = stream
        self.paper = paper
        self.words = _WORDS[paper.lang]
        self.regular = stream.fonts[""]
        self.bold = stream.fonts["B"]
        self.italic = stream.fonts["I"]
        self.bold_italic = stream.fonts["BI"]
        self.height = stream.page_size[1]
        self.left = LEFT * MM
        self.right = (PAGE_WIDTH - RIGHT) * MM
        self.bottom = (PAGE_HEIGHT - BOTTOM) * MM
        self.ops: list[str] = []
        self.page = 0
        self.y = 0.0  # from the top of the page, in points
        self.table: _TableLayout | None = None
        self.head_ops: str | None = None
        self.address_bottom = 0.0  # where the address in the window ends (page 1)

    # --- pages ----------------------------------------------------------------------

    def pages(
        self, blocks: Iterable[tuple[str, Any]], cell_text: Callable[[str], str]
    ) -> Iterator[None]:
        """Set the blocks; yields when a page has been written, so it goes out at once."""
        self.new_page()
        out = self.stream.out
        for kind, value in blocks:
            if kind == "row":
                cells, special = value
                if self.table is not None:
                    self.table.add([cell_text(cell) for cell in cells] if special else cells)
            elif kind == "html":
                prose = _Prose(self)
                prose.feed(value)
                prose.close()
            elif kind == "head":
                self.table_head([cell_text(cell) for cell in value])
            else:
                self.table_end()
            if out:  # a page was written
                yield
        if self.paper.signer is not None:
            self.signature()
        self.end_page()
        yield from self.stream.finish(self.page_form)

    def new_page(self) -> None:
        if self.page:
            self.end_page()
        self.page += 1
        self.letterhead()
        if self.page == 1:
            self.recipient()
        self.y = (BODY_TOP_FIRST if self.page == 1 else BODY_TOP) * MM
        if self.page == 1:  # an address taller than the window: the body starts under it
            self.y = max(self.y, self.address_bottom + 5 * MM)

    def end_page(self) -> None:
        if self.table is not None:
            self.table.flush()
        # The page numbers: "Sivu 2/5" in the letterhead under the date and the reference
        # (form 1) and in the footer (form 2), drawn when the number of pages is known.
        line = 2 if self.paper.reference else 1
        top = self.height - (12 + line * 4.5 + 2.25) * MM - 9 * 0.35
        self.ops.append(f"q 1 0 0 1 {self.right:.2f} {top:.2f} cm /P1 Do Q\n")
        footer_y = self.height - (PAGE_HEIGHT - 12 + 3) * MM
        self.ops.append(f"q 1 0 0 1 {PAGE_WIDTH / 2 * MM:.2f} {footer_y:.2f} cm /P2 Do Q\n")
        self.stream.write_page("".join(self.ops), forms=2)
        self.ops = []

    def page_form(self, form: int, page: int, pages: int) -> str:
        """Form 1: "Sivu N/M" ending at its origin; form 2: the controller's name and the
        page, centred on it."""
        words = self.words
        if form == 1:
            text, size, font = f"{words['page']} {page}/{pages}", 9.0, self.regular
            shift = font.width(text, size)
        else:
            name = _line(self.paper.controller.get("name", ""))
            text, size, font = f"{name} · {words['page']} {page}/{pages}", 8.0, self.regular
            shift = font.width(text, size) / 2
        return f"BT /{font.key} {size} Tf {-shift:.2f} 0 Td <{font.hex(text)}> Tj ET\n"

    def letterhead(self) -> None:
        """The controller, the date and the reference: the same on every page (drawn
        once, then repeated)."""
        if self.head_ops is None:
            self.draw_letterhead()
            self.head_ops = "".join(self.ops)
        else:
            self.ops.append(self.head_ops)

    def draw_letterhead(self) -> None:
        paper = self.paper
        self.text(
            self.left, 12 * MM, 5 * MM, self.bold, 11, _line(paper.controller.get("name", ""))
        )
        for index, line in enumerate(_letterhead_lines(paper.controller, paper.lang)):
            self.text(self.left, (18 + index * 4) * MM, 4 * MM, self.regular, 8, _line(line))
        info = [f"{self.words['date']}: {paper.date}"]
        if paper.reference:
            info.append(f"{self.words['reference']}: {paper.reference}")
        for index, line in enumerate(info):
            text = _line(line)
            x = self.right - self.regular.width(text, 9)
            self.text(x, (12 + index * 4.5) * MM, 4.5 * MM, self.regular, 9, text)
        self.rule(self.left, 31 * MM, self.right, 0.6)

    def recipient(self) -> None:
        """The name and address in the envelope's window, as large as they fit in it
        (`fit_lines`); an address taller than the window moves the body down."""
        lines = [_line(line) for line in self.paper.recipient]
        box = (
            (WINDOW_WIDTH - 2 * WINDOW_PAD) * MM,
            (WINDOW_HEIGHT - WINDOW_TOP_PAD - WINDOW_PAD) * MM,
        )
        size, lines = fit_lines(
            lines, self.regular, box, largest=10, unbroken_down_to=8, leading=WINDOW_LEADING
        )
        pitch = size * WINDOW_LEADING
        for index, line in enumerate(lines):
            top = (WINDOW_Y + WINDOW_TOP_PAD) * MM + index * pitch
            self.text((WINDOW_X + WINDOW_PAD) * MM, top, pitch, self.regular, size, line)
        self.address_bottom = (WINDOW_Y + WINDOW_TOP_PAD) * MM + len(lines) * pitch

    def signature(self) -> None:
        """A line to sign on, with the handler's name and the controller under it."""
        if self.y > self.bottom - 35 * MM:
            self.new_page()
        y = self.y + 18 * MM
        self.ops.append(f"0 G 0.5 w {self.left:.2f} {self.height - y:.2f} m ")
        self.ops.append(f"{self.left + 75 * MM:.2f} {self.height - y:.2f} l S\n")
        self.text(self.left, y + 1 * MM, 4 * MM, self.regular, 8, self.words["signature"])
        self.text(self.left, y + 5 * MM, 5 * MM, self.regular, 10, _line(self.paper.signer or ""))
        name = _line(self.paper.controller.get("name", ""))
        self.text(self.left, y + 10 * MM, 5 * MM, self.regular, 10, name)
        self.y = y + 15 * MM

    # --- drawing --------------------------------------------------------------------

    def text(
        self, x: float, top: float, leading: float, font: PdfFont, size: float, text: str
    ) -> None:
        """`text` on the line whose box starts `top` points from the top of the page."""
        if text:
            baseline = self.height - top - leading / 2 - size * 0.35
            self.ops.append(
                f"BT /{font.key} {size} Tf {x:.2f} {baseline:.2f} Td <{font.hex(text)}> Tj ET\n"
            )

    def rule(self, x1: float, top: float, x2: float, width: float, gray: float = 0.6) -> None:
        y = self.height - top
        self.ops.append(f"{gray} G {width} w {x1:.2f} {y:.2f} m {x2:.2f} {y:.2f} l S\n")

    def room(self, height: float) -> None:
        """A new page unless `height` points fit under the cursor."""
        if self.y + height > self.bottom:
            self.new_page()

    def paragraph(
        self,
        runs: list[Run],
        *,
        size: float = BODY_SIZE,
        leading: float = BODY_LEADING,
        indent: float = 0.0,
        marker: str | None = None,
        after: float = 4.0,
    ) -> None:
        """Runs of text set in lines at the body's width, a page break where one is full;
        `marker` (a bullet, a number) hangs left of the first line."""
        lines = wrap(runs, size, self.right - self.left - indent)
        for index, line in enumerate(lines):
            self.room(leading)
            x = self.left + indent
            if index == 0 and marker:
                width = self.regular.width(marker, size)
                self.text(x - width - 2, self.y, leading, self.regular, size, marker)
            for text, font in line:
                self.text(x, self.y, leading, font, size, text)
                x += font.width(text, size)
            self.y += leading
        self.y += after

    def heading(self, runs: list[Run], level: int) -> None:
        size, above = HEADINGS[level]
        leading = size * 1.3
        # Never the last thing on a page: room for the heading and three lines under it.
        self.room(above * MM + leading + 3 * BODY_LEADING)
        if self.y > (BODY_TOP_FIRST if self.page == 1 else BODY_TOP) * MM:
            self.y += above * MM
        bold = [
            (text, self.bold_italic if font is self.italic else self.bold) for text, font in runs
        ]
        self.paragraph(bold, size=size, leading=leading, after=2.0)

    def horizontal_rule(self) -> None:
        self.room(8)
        self.rule(self.left, self.y + 4, self.right, 0.5)
        self.y += 8

    # --- tables ---------------------------------------------------------------------

    def table_head(self, cells: list[str]) -> None:
        self.table = _TableLayout(self, cells)

    def table_row(self, cells: list[str]) -> None:
        if self.table is not None:
            self.table.add(cells)

    def table_end(self) -> None:
        if self.table is not None:
            self.table.end()
        self.table = None


class _TableLayout:
    """A table set row by row: its column widths fixed from the header and the first
    `SAMPLE_ROWS` rows; a row that does not fit goes to the next page, under the header
    row again (a row taller than a page is split)."""

    def __init__(self, sheet: _Sheet, head: list[str]) -> None:
        self.sheet = sheet
        self.head = head
        self.sample: list[list[str]] | None = []
        self.limits: list[float] = []  # the width of each column's text
        self.xs: list[float] = []  # where each column's text starts
        self.surely: list[int] = []  # how many ASCII characters surely fit each column
        self.measured: dict[str, float] = {}
        self.pending: list[list[str]] = []  # rows of one line, not yet set (on this page)
        self.pending_top = 0.0
        self.rules: dict[float, str] = {}
        self.marks: list[str] = []  # after each cell of a row
        self.moves: list[str] = []  # each mark's move (`flush`)
        self.codes: dict[int, bytes] | None = None
        # the lines of a row that fit on a page under the letterhead and the header row
        self.fresh = int((sheet.bottom - BODY_TOP * MM - 2 * CELL_VPAD) // TABLE_LEADING) - 2

    def add(self, cells: list[str]) -> None:
        if len(cells) != len(self.head):  # a row of markdown-it's own HTML table
            cells = (cells + [""] * len(self.head))[: len(self.head)]
        if self.sample is None:
            sheet = self.sheet
            if sheet.y + ROW <= sheet.bottom and self.fits(cells):  # most rows (see `draw`)
                if not self.pending:
                    self.pending_top = sheet.y
                self.pending.append(cells)
                sheet.y += ROW
                return
            self.draw(cells, sheet.regular)
            return
        self.sample.append(cells)
        if len(self.sample) >= SAMPLE_ROWS:
            self.start()

    def end(self) -> None:
        if self.sample is not None:
            self.start()
        self.flush()
        self.sheet.y += 8

    def start(self) -> None:
        sample, self.sample = self.sample or [], None
        sheet = self.sheet
        widths = self.column_widths(sample)
        self.limits = [width - 2 * CELL_PAD for width in widths]
        self.xs = [sheet.left + CELL_PAD + sum(widths[:index]) for index in range(len(widths))]
        # Between the cells of a row: the mark of the move to the next column (Td moves
        # from the start of the last cell), after the last, mark 0: back and down a row.
        count = len(widths)
        if 0 < count <= len(MARKS):
            self.marks = [MARKS[index] for index in range(1, count)] + [""]
        self.moves = [f"{-sum(widths[:-1]):.2f} {-ROW:.2f} Td\n"]
        self.moves += [f"{width:.2f} 0 Td\n" for width in widths[:-1]]
        if len(sample) >= SAMPLE_ROWS and self.marks:
            # A long table: the font's codes with the marks as this table's moves (a
            # copy of some 6,000 entries, about 0.1 ms, instead of replacing them later).
            self.codes = dict(sheet.regular.font.codes)
            for index, move in enumerate(self.moves):
                self.codes[ord(MARKS[index])] = f"> Tj {move}<".encode("ascii")
        # how many characters of ASCII surely fit each column (at the widest's advance)
        widest = max(sheet.regular.width(chr(code), TABLE_SIZE) for code in range(32, 127))
        self.surely = [int(limit // widest) for limit in self.limits]
        sheet.y += 3
        sheet.room(2 * (TABLE_LEADING + 2 * CELL_VPAD))
        self.draw(self.head, sheet.bold, header=True)
        for cells in sample:
            self.draw(cells, sheet.regular)

    def column_widths(self, sample: list[list[str]]) -> list[float]:
        """The whole width shared out: each column as wide as its widest cell of the header
        and the sample where all fit, else the narrow ones with NARROW_ROOM and the wide
        ones narrowed in proportion."""
        sheet = self.sheet
        available = sheet.right - sheet.left
        count = max(1, len(self.head))
        pad = 2 * CELL_PAD
        natural = [sheet.bold.width(cell, TABLE_SIZE) + pad for cell in self.head]
        for cells in sample:
            for index, cell in enumerate(cells[:count]):
                natural[index] = max(natural[index], sheet.regular.width(cell, TABLE_SIZE) + pad)
        total = sum(natural)
        if total <= available:
            return [width + (available - total) / count for width in natural]
        fair = available / count
        widths = [min(width * NARROW_ROOM, fair) if width < fair else fair for width in natural]
        wanting = [max(0.0, width - fair) for width in natural]
        spare = available - sum(widths)
        need = sum(wanting)
        return [
            w + (spare * want / need if need else 0.0)
            for w, want in zip(widths, wanting, strict=True)
        ]

    def draw(self, cells: list[str], font: PdfFont, *, header: bool = False) -> None:
        """One row. Most fit their columns on one line and the page: they wait in
        `pending` and are set together (`flush`). Others are wrapped, and split over
        pages when taller than what is left."""
        sheet = self.sheet
        if font is sheet.regular and self.fits(cells):
            if sheet.y + ROW <= sheet.bottom:
                if not self.pending:
                    self.pending_top = sheet.y
                self.pending.append(cells)
                sheet.y += ROW
                return
            lines = [[cell] if cell else [] for cell in cells]
        else:
            lines = [
                wrap_text(cell, font, TABLE_SIZE, limit) if cell else []
                for cell, limit in zip(cells, self.limits, strict=False)
            ]
        self.flush()
        count = max(map(len, lines), default=1) or 1
        done = 0
        turned = False  # a new page was just begun for this row: it goes on this one
        while done < count:
            room = int((sheet.bottom - sheet.y - 2 * CELL_VPAD) // TABLE_LEADING)
            if room < count - done and room < self.fresh and not turned:
                sheet.new_page()
                if not header:
                    self.draw(self.head, sheet.bold, header=True)
                turned = True
                continue
            take = max(1, min(room, count - done))
            turned = False
            for index in range(take):
                line = [cell[done + index] if done + index < len(cell) else "" for cell in lines]
                last = index == take - 1
                self.set_line(line, font, rule=0.6 if header else 0.25, last=last, first=index == 0)
            done += take

    def fits(self, cells: list[str]) -> bool:
        """Whether a row of the body's font fits its columns on one line: a short ASCII
        cell surely does; others are measured, repeated ones once (dates, amounts)."""
        measured = self.measured
        for cell, surely, limit in zip(cells, self.surely, self.limits, strict=False):
            if len(cell) <= surely and cell.isascii():
                continue
            width = measured.get(cell)
            if width is None:
                if len(measured) >= 4096:  # bounded: memory stays flat
                    measured.clear()
                width = measured[cell] = self.sheet.regular.width(cell, TABLE_SIZE)
            if width > limit + SLACK:
                return False
        return True

    def set_line(
        self, cells: list[str], font: PdfFont, *, rule: float, last: bool, first: bool
    ) -> None:
        """One line of a row that is wrapped (or the header row) under the cursor; the
        rule under the row after its last line."""
        sheet = self.sheet
        top = sheet.y + (CELL_VPAD if first else 0.0)
        baseline = sheet.height - top - TABLE_LEADING / 2 - TABLE_SIZE * 0.35
        parts = [f"BT /{font.key} {TABLE_SIZE} Tf\n"]
        for text, x in zip(cells, self.xs, strict=False):
            if text:
                parts.append(f"1 0 0 1 {x:.2f} {baseline:.2f} Tm <{font.hex(text)}> Tj\n")
        parts.append("ET\n")
        sheet.y = top + TABLE_LEADING
        if last:
            sheet.y += CELL_VPAD
            y = sheet.height - sheet.y
            parts.append(
                f"{rule} w 0.6 G {sheet.left:.2f} {y:.2f} m {sheet.right:.2f} {y:.2f} l S\n"
            )
        sheet.ops.append("".join(parts))

    def flush(self) -> None:
        """The rows waiting in `pending`, set as one string in reading order: between two
        cells a mark (`pdf_font.MARKS`) that becomes the move to the next column, after
        a row the move to the next row's first; then the rules under the rows."""
        rows, self.pending = self.pending, []
        if not rows or not self.xs:
            return
        sheet = self.sheet
        font = sheet.regular
        top = self.pending_top
        values = "".join(map("".join, rows))
        font.used.update(values)
        if self.marks and not has_marks(values):
            marks = self.marks
            text = MARKS[0].join(["".join(map(add, row, marks)) for row in rows])
            if self.codes is not None:  # the marks are the moves already
                shown = str(encode(text, GLYPH_ERRORS, self.codes)[0], "ascii")
            else:
                shown = str(encode(text, GLYPH_ERRORS, font.font.codes)[0], "ascii")
                for index, move in enumerate(self.moves):
                    shown = shown.replace(f"#{index:02d}", move)
        else:  # (never in practice) a value that holds a mark, or over 32 columns
            shown = self.by_row(rows)
        baseline = sheet.height - top - CELL_VPAD - TABLE_LEADING / 2 - TABLE_SIZE * 0.35
        parts = [f"BT /{font.key} {TABLE_SIZE} Tf {self.xs[0]:.2f} {baseline:.2f} Td\n<"]
        parts.append(shown)
        parts.append("> Tj\nET\n0.25 w 0.6 G\n")
        rules = self.rules
        for index in range(1, len(rows) + 1):
            y = top + index * ROW
            rule = rules.get(y)
            if rule is None:  # rows sit at the same heights on every page
                if len(rules) >= 1024:
                    rules.clear()
                height = sheet.height - y
                rule = rules[y] = (
                    f"{sheet.left:.2f} {height:.2f} m {sheet.right:.2f} {height:.2f} l\n"
                )
            parts.append(rule)
        parts.append("S\n")
        sheet.ops.append("".join(parts))

    def by_row(self, rows: list[list[str]]) -> str:
        """`flush`'s string made a cell at a time, each value's marks replaced."""
        font = self.sheet.regular
        moves = self.moves
        last = len(self.xs) - 1
        parts = []
        for row in rows:
            for index, cell in enumerate(row):
                parts.append(font.hex(cell))
                move = moves[0] if index == last else moves[index + 1]
                parts.append(f"> Tj {move}<")
        return "".join(parts)[: -len(f"> Tj {moves[0]}<")]


class _Prose(HTMLParser):
    """The HTML of prose (markdown-it's, with raw HTML off) set on the sheet: headings,
    paragraphs with bold and italic, lists, quotations, rules, code, and any table
    markdown-it wrote itself."""

    def __init__(self, sheet: _Sheet) -> None:
        super().__init__(convert_charrefs=True)
        self.sheet = sheet
        self.runs: list[Run] = []
        self.bold = 0
        self.italic = 0
        self.pre = 0
        self.heading = 0
        self.lists: list[list[int]] = []  # [ordered, next number]
        self.marker: str | None = None
        self.quote = 0
        self.cells: list[str] | None = None
        self.cell: list[str] | None = None
        self.in_head = False

    def font(self) -> PdfFont:
        sheet = self.sheet
        if self.bold or self.heading:
            return sheet.bold_italic if self.italic else sheet.bold
        return sheet.italic if self.italic else sheet.regular

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("strong", "b"):
            self.bold += 1
        elif tag in ("em", "i"):
            self.italic += 1
        elif tag == "br":
            self.runs.append(("\n", self.font()))
        elif tag in _HEADING_TAGS:
            self.flush()
            self.heading = _HEADING_TAGS[tag]
        elif tag in ("p", "pre", "blockquote", "ul", "ol", "li", "hr", "table"):
            self.flush()
            if tag == "pre":
                self.pre += 1
            elif tag == "blockquote":
                self.quote += 1
            elif tag in ("ul", "ol"):
                start = dict(attrs).get("start")
                self.lists.append([tag == "ol", int(start) if start and start.isdigit() else 1])
            elif tag == "li" and self.lists:
                kind = self.lists[-1]
                self.marker = f"{kind[1]}." if kind[0] else "•"
                kind[1] += 1
            elif tag == "hr":
                self.sheet.horizontal_rule()
        elif tag == "thead":
            self.in_head = True
        elif tag == "tr":
            self.cells = []
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("strong", "b"):
            self.bold = max(0, self.bold - 1)
        elif tag in ("em", "i"):
            self.italic = max(0, self.italic - 1)
        elif tag in _HEADING_TAGS:
            self.flush()
            self.heading = 0
        elif tag in ("p", "li", "pre", "blockquote", "ul", "ol"):
            self.flush()
            if tag == "pre":
                self.pre = max(0, self.pre - 1)
            elif tag == "blockquote":
                self.quote = max(0, self.quote - 1)
            elif tag in ("ul", "ol") and self.lists:
                self.lists.pop()
                if not self.lists:
                    self.sheet.y += 2
            elif tag == "li":
                self.marker = None
        elif tag in ("td", "th") and self.cell is not None and self.cells is not None:
            self.cells.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.cells is not None:
            if self.in_head:
                self.sheet.table_head(self.cells)
            else:
                self.sheet.table_row(self.cells)
            self.cells = None
        elif tag == "thead":
            self.in_head = False
        elif tag == "table":
            self.sheet.table_end()

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)
            return
        if not self.pre:
            data = _SPACE_RUNS.sub(" ", data)
            if not self.runs and not data.strip(" "):
                return  # the newlines between markdown-it's tags
        self.runs.append((data, self.font()))

    def flush(self) -> None:
        """Set the text gathered since the last block began."""
        runs, self.runs = self.runs, []
        if not any(text.strip() for text, _ in runs):
            return
        if self.heading:
            self.sheet.heading(runs, self.heading)
            return
        indent = (len(self.lists) + self.quote) * INDENT
        in_list = bool(self.lists)
        marker, self.marker = self.marker, None
        self.sheet.paragraph(runs, indent=indent, marker=marker, after=2.0 if in_list else 4.0)
