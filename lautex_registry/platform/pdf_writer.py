"""A PDF written as its pages fill: each page goes out when it is full, so a document of
10,000 orders is never held whole (docs/rules.md §3 "Linear and streaming").

Objects are written in order with their byte offsets noted; the page tree, the fonts and
the cross-reference table come at the end. What is kept until then is an offset an
object and a page's object number (8 bytes each, in arrays) and the characters the text
used; the end is written in pieces too. "Page N of M" is not
known while the pages go out: each page draws it through a small form (an XObject) that
is written at the end, when M is known (`page_form`).

Text is set in embedded TrueType fonts (`pdf_font.py`) as Identity-H glyph ids in hex:
a value cannot end a string or add an operator, whatever it holds. Widths (`W`) and a
ToUnicode map go with each font, so the text can be searched and copied.
"""

import hashlib
import zlib
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from itertools import repeat

from lautex_registry.platform.pdf_font import MARKS, REPLACEMENT, TrueTypeFont, load

MM = 72 / 25.4  # points in a millimetre
A4 = (595.276, 841.89)
_FONT_OBJECTS = 5  # Type0, CIDFontType2, descriptor, font file, ToUnicode
_COMPRESSION = 1  # a sixth larger than level 6, a third of its time


def text_string(text: str) -> str:
    """A PDF text string (metadata) as UTF-16BE hex: no character needs escaping."""
    return "<FEFF" + text.encode("utf-16-be", "replace").hex().upper() + ">"  # a lone surrogate: ?


def number(value: float) -> str:
    """A coordinate as PDF writes a number: at most two decimals, no exponent."""
    text = f"{value:.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass
class PdfFont:
    """A font of the document: its resource name and what the text used of it. The font
    file is read when the text first uses the font (`pdf_font.load`, once a process)."""

    key: str  # the resource name in content streams: F1, F2, ...
    path: str
    used: set[str] = field(default_factory=set)

    @cached_property
    def font(self) -> TrueTypeFont:
        return load(self.path)

    def hex(self, text: str) -> str:
        """`text` as a hex string of glyph ids, for `Tj`; its characters are noted."""
        self.used.update(text)
        return self.font.hex(text)

    def width(self, text: str, size: float) -> float:
        """The advance of `text` in points at `size`."""
        return sum(map(self.font.widths.__getitem__, text)) * size / 1000


class PdfStream:
    """One PDF being written. `write_page` sends a page's content out at once; `finish`
    writes the rest. The bytes are read from `take()` as they are made."""

    def __init__(
        self,
        fonts: dict[str, str],
        *,
        title: str = "",
        author: str = "",
        lang: str = "",
        page_size: tuple[float, float] = A4,
    ) -> None:
        # the fonts by name (a style: "", "B", ...) -> the path of the file
        self.fonts = {
            name: PdfFont(f"F{i}", path) for i, (name, path) in enumerate(fonts.items(), 1)
        }
        self.info = {"Title": title, "Author": author, "Creator": "lautex", "Producer": "lautex"}
        self.lang = lang
        self.page_size = page_size
        # by object number (0: reserved, not yet written): 8 bytes an object
        self.offsets = array("q", [0])
        self.position = 0
        self.out: list[bytes] = []
        self.pages = array("q")  # the page objects, in order
        self.form_counts = array("B")  # each page's page-number forms
        self.catalog, self.page_tree, self.font_resources = self.reserve(3)
        self._emit(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    # --- objects --------------------------------------------------------------------

    def reserve(self, count: int = 1) -> list[int]:
        start = len(self.offsets)
        self.offsets.extend(repeat(0, count))
        return list(range(start, start + count))

    def _emit(self, data: bytes) -> None:
        self.out.append(data)
        self.position += len(data)

    def write_object(self, number: int, body: str | bytes) -> None:
        self.offsets[number] = self.position
        data = body.encode("latin-1") if isinstance(body, str) else body
        self._emit(b"%d 0 obj\n%s\nendobj\n" % (number, data))

    def write_stream(
        self, number: int, data: bytes, entries: str = "", *, raw_length: bool = False
    ) -> None:
        extra = f" /Length1 {len(data)}" if raw_length else ""
        if len(data) < 200 and not raw_length:  # a page number: as it is
            packed, extra = data, extra + entries
        else:
            packed = zlib.compress(data, _COMPRESSION)
            extra = f" /Filter /FlateDecode{extra}{entries}"
        head = f"<< /Length {len(packed)}{extra} >>\nstream\n"
        self.write_object(number, head.encode("latin-1") + packed + b"\nendstream")

    def take(self) -> bytes:
        """What has been written since the last call."""
        data = b"".join(self.out)
        self.out.clear()
        return data

    # --- pages ----------------------------------------------------------------------

    def write_page(self, content: str, forms: int = 0) -> None:
        """One full page: its content stream (which may draw `/P1` ... `/P{forms}`, the
        page's page-number forms, see `finish`) and its page object, written now."""
        page, stream = self.reserve(2)
        form_numbers = self.reserve(forms)
        self.write_stream(stream, content.encode("latin-1"))
        forms_entry = " ".join(f"/P{i} {n} 0 R" for i, n in enumerate(form_numbers, 1))
        width, height = self.page_size
        self.write_object(
            page,
            f"<< /Type /Page /Parent {self.page_tree} 0 R /MediaBox [0 0 {number(width)} "
            f"{number(height)}] /Contents {stream} 0 R /Resources << /Font "
            f"{self.font_resources} 0 R /XObject << {forms_entry} >> >> >>",
        )
        self.pages.append(page)
        self.form_counts.append(forms)

    def finish(self, page_form: Callable[[int, int, int], str] | None = None) -> Iterator[None]:
        """The page-number forms (`page_form(form, page, pages)` gives the content of
        form `form` of page `page`, 1-based), the fonts, the page tree, the catalogue,
        the cross-reference table and the trailer; yields now and then, so that what is
        written can go out (`take`) and memory stays flat."""
        total = len(self.pages)
        resources = f" /Resources << /Font {self.font_resources} 0 R >>"
        for index, (page, count) in enumerate(zip(self.pages, self.form_counts, strict=True), 1):
            for form in range(1, count + 1):  # numbered right after the page and its content
                content = page_form(form, index, total) if page_form else ""
                self.write_stream(
                    page + 1 + form,
                    content.encode("latin-1"),
                    f" /Type /XObject /Subtype /Form /BBox [-600 -100 600 100]{resources}",
                )
            if index % 256 == 0:
                yield
        used = [font for font in self.fonts.values() if font.used]
        entries = " ".join(f"/{font.key} {self._write_font(font)} 0 R" for font in used)
        self.write_object(self.font_resources, f"<< {entries} >>")
        kids = " ".join(map("{} 0 R".format, self.pages))
        self.write_object(self.page_tree, f"<< /Type /Pages /Kids [{kids}] /Count {total} >>")
        lang = f" /Lang {text_string(self.lang)}" if self.lang else ""
        self.write_object(self.catalog, f"<< /Type /Catalog /Pages {self.page_tree} 0 R{lang} >>")
        (info,) = self.reserve()
        fields = " ".join(
            f"/{key} {text_string(value)}" for key, value in self.info.items() if value
        )
        self.write_object(info, f"<< {fields} >>")
        yield
        yield from self._cross_reference(info)

    def _cross_reference(self, info: int) -> Iterator[None]:
        start = self.position
        offsets = self.offsets
        self._emit(b"xref\n0 %d\n0000000000 65535 f \n" % len(offsets))
        for first in range(1, len(offsets), 4096):
            rows = offsets[first : first + 4096]
            self._emit(b"".join(b"%010d 00000 n \n" % offset for offset in rows))
            yield
        identity = hashlib.md5(offsets.tobytes(), usedforsecurity=False).hexdigest()
        self._emit(
            f"trailer\n<< /Size {len(offsets)} /Root {self.catalog} 0 R /Info {info} 0 R"
            f" /ID [<{identity}> <{identity}>] >>\nstartxref\n{start}\n%%EOF\n".encode("latin-1")
        )
        yield

    # --- fonts ----------------------------------------------------------------------

    def _write_font(self, pdf_font: PdfFont) -> int:
        """The font, its subset of the glyphs used, widths and ToUnicode map; returns the
        number of its Type0 object."""
        font = pdf_font.font
        type0, cid, descriptor, file, to_unicode = self.reserve(_FONT_OBJECTS)
        glyph_chars: dict[int, str] = {}
        for char in sorted(pdf_font.used.difference(MARKS)):
            glyph_chars.setdefault(font.glyph_of(char), char)
        if font.glyph_of(REPLACEMENT) == font.fallback and (
            font.fallback in glyph_chars or not pdf_font.used.isdisjoint(MARKS)
        ):
            # what the font lacks is copied as U+FFFD, the character it is shown as; so
            # is a value's noncharacter of the MARKS range, set as U+FFFD (without_marks)
            glyph_chars[font.fallback] = REPLACEMENT
        glyphs = sorted(glyph_chars)
        # A subset's name starts with six capitals that differ between subsets (9.6.4).
        digest = hashlib.sha256(repr(glyphs).encode()).digest()
        tag = "".join(chr(ord("A") + byte % 26) for byte in digest[:6])
        name = f"/{tag}+{font.name}"
        self.write_object(
            type0,
            f"<< /Type /Font /Subtype /Type0 /BaseFont {name} /Encoding /Identity-H"
            f" /DescendantFonts [{cid} 0 R] /ToUnicode {to_unicode} 0 R >>",
        )
        widths = " ".join(f"{glyph} [{number(font.advances[glyph])}]" for glyph in glyphs)
        self.write_object(
            cid,
            f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont {name} /CIDSystemInfo"
            f" << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >>"
            f" /FontDescriptor {descriptor} 0 R /DW {number(font.advances[0])}"
            f" /W [{widths}] /CIDToGIDMap /Identity >>",
        )
        bbox = " ".join(number(value) for value in font.bbox)
        flags = 32 + (64 if font.italic_angle else 0)  # non-symbolic; italic
        self.write_object(
            descriptor,
            f"<< /Type /FontDescriptor /FontName {name} /Flags {flags} /FontBBox [{bbox}]"
            f" /ItalicAngle {number(font.italic_angle)} /Ascent {number(font.ascent)}"
            f" /Descent {number(font.descent)} /CapHeight {number(font.cap_height)}"
            f" /StemV 80 /FontFile2 {file} 0 R >>",
        )
        self.write_stream(file, font.subset(set(glyphs)), raw_length=True)
        self.write_stream(to_unicode, _to_unicode(glyph_chars).encode("latin-1"))
        return type0


def _to_unicode(glyph_chars: dict[int, str]) -> str:
    """The ToUnicode CMap: each glyph id back to the character it was set for (9.10.3)."""
    lines = [
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
    ]
    pairs = sorted(glyph_chars.items())
    for start in range(0, len(pairs), 100):  # at most 100 entries a block
        block = pairs[start : start + 100]
        lines.append(f"{len(block)} beginbfchar\n")
        lines.extend(
            f"<{glyph:04X}> <{char.encode('utf-16-be').hex().upper()}>\n" for glyph, char in block
        )
        lines.append("endbfchar\n")
    lines.append("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
    return "".join(lines)


def chunks(stream: PdfStream, pages: Iterator[None]) -> Iterator[bytes]:
    """The bytes of `stream` as `pages` (a generator that writes pages) goes on."""
    for _ in pages:
        data = stream.take()
        if data:
            yield data
    data = stream.take()
    if data:
        yield data
