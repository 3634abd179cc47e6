"""A TrueType font as a PDF sets it: glyph ids, widths, and a subset of the glyphs used.

The PDF writer (`pdf_writer.py`) writes text as glyph ids (Identity-H), so a value never
needs escaping in a content stream, and embeds only the glyphs the document used
(docs/rules.md §2 "Letters on paper"). The font file is read here, not by fontTools:
fontTools' subsetter takes about 120 ms of CPU a font (it decompiles every glyph and
layout table), as much as the rest of a 1,000-order access export, where cutting the
`glyf` table to the glyphs used, their ids kept, takes about a millisecond
(benchmarks/README.md "PDF"). The subset keeps every glyph id: the `loca` entries of
unused glyphs are empty, so no id is renumbered.
"""

import codecs
import re
import struct
from functools import cache
from pathlib import Path

# The glyph shown for a character the font lacks: visible, never a crash (U+FFFD, the
# replacement character; `?` in a font without it).
REPLACEMENT = "\ufffd"
GLYPH_ERRORS = "lautex-pdf-glyph"  # the codec error handler for what the font lacks
# Noncharacters (never text), each a mark between two cells of a table row set as one
# string (`TrueTypeFont.codes`, `pdf_layout._TableLayout.flush`): the first ends a row.
MARKS = [chr(code) for code in range(0xFDD0, 0xFDF0)]
_MARK = re.compile("[\ufdd0-\ufdef]")
# Tables a PDF reader needs of an embedded TrueType font (ISO 32000-1 9.9), and `post`
# and `OS/2`, small, for readers that check a font as a whole.
_KEPT_TABLES = (b"head", b"hhea", b"maxp", b"hmtx", b"loca", b"glyf", b"cvt ", b"fpgm", b"prep",
                b"OS/2", b"post")  # fmt: skip
# Composite glyph flags (OpenType `glyf`): the sizes of a component's arguments and scale.
_ARGS_ARE_WORDS, _HAS_SCALE, _MORE_COMPONENTS, _XY_SCALE, _TWO_BY_TWO = 1, 8, 0x20, 0x40, 0x80


class FontFileError(ValueError):
    """The font file is not a TrueType font this module reads (a packaging fault)."""


def _replaced(error: UnicodeError) -> tuple[str, int]:
    """The codec error handler of `TrueTypeFont.codes`: a character the font lacks is the
    replacement character (which every font's `codes` maps)."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return REPLACEMENT * (error.end - error.start), error.end


codecs.register_error(GLYPH_ERRORS, _replaced)
# in C: a third of the time of `str.translate` with a dict
charmap_encode = codecs.charmap_encode


def has_marks(text: str) -> bool:
    return _MARK.search(text) is not None


def without_marks(text: str) -> str:
    """Text with any of the MARKS, were one there, as the replacement character."""
    return _MARK.sub(REPLACEMENT, text) if _MARK.search(text) else text


class _Widths(dict[str, float]):
    """A character -> its advance in thousandths of the font size (the PDF's text space)."""

    def __init__(self, cmap: dict[int, int], advances: list[float], fallback: int) -> None:
        super().__init__()
        self.cmap = cmap
        self.advances = advances
        self.fallback = fallback

    def __missing__(self, char: str) -> float:
        glyph = self.cmap.get(ord(char), self.fallback)
        self[char] = width = self.advances[glyph]
        return width


class TrueTypeFont:
    """One font file, read once a process (`load`)."""

    def __init__(self, path: Path) -> None:
        data = path.read_bytes()
        self.data = data
        self.tables = _table_directory(data)
        head = self._table(b"head")
        self.units: int = struct.unpack_from(">H", head, 18)[0]
        self.bbox = [self._scaled(v) for v in struct.unpack_from(">4h", head, 36)]
        self.long_loca = struct.unpack_from(">h", head, 50)[0] == 1
        self.glyph_count = struct.unpack_from(">H", self._table(b"maxp"), 4)[0]
        hhea = self._table(b"hhea")
        ascent, descent = struct.unpack_from(">hh", hhea, 4)
        self.ascent, self.descent = self._scaled(ascent), self._scaled(descent)
        self.advances = self._advances(struct.unpack_from(">H", hhea, 34)[0])
        self.cmap = _cmap(self._table(b"cmap"))
        self.cap_height = self.ascent
        os2 = self.tables.get(b"OS/2")
        if os2 is not None and struct.unpack_from(">H", data, os2[0])[0] >= 2:
            self.cap_height = self._scaled(struct.unpack_from(">h", data, os2[0] + 88)[0])
        post = self.tables.get(b"post")
        self.italic_angle = 0.0
        if post is not None:
            self.italic_angle = struct.unpack_from(">i", data, post[0] + 4)[0] / 65536
        fallback = self.cmap.get(ord(REPLACEMENT), self.cmap.get(ord("?"), 0))
        self.fallback = fallback
        # Each character as its glyph id in four hex digits, for `codecs.charmap_encode`;
        # one the font lacks is the replacement's glyph (`_replaced`).
        self.codes = {code: b"%04x" % glyph for code, glyph in self.cmap.items()}
        self.codes[ord(REPLACEMENT)] = b"%04x" % fallback
        # A mark ends a string shown and names the move to the next cell's (`#01`): the
        # rows of a table are set as one string (`pdf_layout._TableLayout.flush`). Text
        # that holds a mark itself has it replaced before it is set (`without_marks`).
        for index, mark in enumerate(MARKS):
            self.codes[ord(mark)] = b"> Tj #%02d <" % index
        self.widths = _Widths(self.cmap, self.advances, fallback)
        self.name = path.stem.replace(" ", "")

    def _table(self, tag: bytes) -> bytes:
        return bytes(self._view(tag))

    def _view(self, tag: bytes) -> memoryview:
        """A table of the file, not copied."""
        if tag not in self.tables:
            raise FontFileError(f"font: no {tag.decode()} table")
        offset, length = self.tables[tag]
        return memoryview(self.data)[offset : offset + length]

    def _scaled(self, value: float) -> float:
        return round(value * 1000 / self.units, 3)

    def _advances(self, metrics: int) -> list[float]:
        # `hmtx` is pairs of (advance, left side bearing); later glyphs repeat the last advance.
        pairs = struct.unpack_from(f">{metrics * 2}H", self._table(b"hmtx"))
        advances = [self._scaled(advance) for advance in pairs[0::2]]
        return advances + [advances[-1]] * (self.glyph_count - metrics)

    def hex(self, text: str) -> str:
        """`text` as its glyph ids, four hex digits each (Identity-H)."""
        return str(charmap_encode(without_marks(text), GLYPH_ERRORS, self.codes)[0], "ascii")

    def glyph_of(self, char: str) -> int:
        return self.cmap.get(ord(char), self.fallback)

    def subset(self, glyphs: set[int]) -> bytes:
        """The font file with only `glyphs` (and the components they are made of) drawn:
        every other glyph is empty, and every glyph keeps its id."""
        loca = self._locations()
        glyf = self._view(b"glyf")
        wanted = _closure(glyf, loca, glyphs | {0})
        parts: list[bytes] = []
        offsets = [0]
        position = 0
        for glyph in range(self.glyph_count):
            if glyph in wanted:
                body = bytes(glyf[loca[glyph] : loca[glyph + 1]])
                body += b"\0" * (-len(body) % 4)
                parts.append(body)
                position += len(body)
            offsets.append(position)
        tables = {tag: self._table(tag) for tag in _KEPT_TABLES if tag in self.tables}
        tables[b"glyf"] = b"".join(parts)
        tables[b"loca"] = struct.pack(f">{len(offsets)}I", *offsets)
        head = bytearray(tables[b"head"])
        struct.pack_into(">I", head, 8, 0)  # checkSumAdjustment, set below
        struct.pack_into(">h", head, 50, 1)  # long offsets in `loca`
        tables[b"head"] = bytes(head)
        if b"post" in tables:  # version 3: no glyph names (a reader needs none)
            tables[b"post"] = struct.pack(">I", 0x00030000) + tables[b"post"][4:32]
        return _font_file(tables)

    def _locations(self) -> list[int]:
        loca = self._table(b"loca")
        count = self.glyph_count + 1
        if self.long_loca:
            return list(struct.unpack_from(f">{count}I", loca))
        return [2 * offset for offset in struct.unpack_from(f">{count}H", loca)]


@cache
def load(path: str) -> TrueTypeFont:
    """The font at `path`, read once a process (about 10 ms for DejaVu Sans)."""
    return TrueTypeFont(Path(path))


def _table_directory(data: bytes) -> dict[bytes, tuple[int, int]]:
    if len(data) < 12 or data[:4] not in (b"\0\1\0\0", b"true"):
        raise FontFileError("font: not a TrueType font file")
    count = struct.unpack_from(">H", data, 4)[0]
    tables = {}
    for index in range(count):
        tag, _checksum, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * index)
        tables[tag] = (offset, length)
    return tables


def _cmap(table: bytes) -> dict[int, int]:
    """Unicode code point -> glyph id, from the font's Windows Unicode subtable: the full
    repertoire (format 12) where there is one, else the Basic Multilingual Plane (4)."""
    count = struct.unpack_from(">H", table, 2)[0]
    subtables = {}
    for index in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", table, 4 + 8 * index)
        subtables[(platform, encoding)] = offset
    for key in ((3, 10), (0, 4), (3, 1), (0, 3)):
        if key in subtables:
            offset = subtables[key]
            form = struct.unpack_from(">H", table, offset)[0]
            if form == 12:
                return _cmap_12(table, offset)
            if form == 4:
                return _cmap_4(table, offset)
    raise FontFileError("font: no Unicode cmap (format 4 or 12)")


def _cmap_4(table: bytes, offset: int) -> dict[int, int]:
    segments = struct.unpack_from(">H", table, offset + 6)[0] // 2
    ends_at = offset + 14
    starts_at = ends_at + 2 * segments + 2
    deltas_at = starts_at + 2 * segments
    ranges_at = deltas_at + 2 * segments
    ends = struct.unpack_from(f">{segments}H", table, ends_at)
    starts = struct.unpack_from(f">{segments}H", table, starts_at)
    deltas = struct.unpack_from(f">{segments}h", table, deltas_at)
    ranges = struct.unpack_from(f">{segments}H", table, ranges_at)
    cmap = {}
    for index in range(segments):
        start, end, delta, range_offset = starts[index], ends[index], deltas[index], ranges[index]
        if start == 0xFFFF:
            continue
        for code in range(start, end + 1):
            if range_offset == 0:
                glyph = (code + delta) & 0xFFFF
            else:
                at = ranges_at + 2 * index + range_offset + 2 * (code - start)
                glyph = struct.unpack_from(">H", table, at)[0]
                glyph = (glyph + delta) & 0xFFFF if glyph else 0
            if glyph:
                cmap[code] = glyph
    return cmap


def _cmap_12(table: bytes, offset: int) -> dict[int, int]:
    groups = struct.unpack_from(">I", table, offset + 12)[0]
    cmap = {}
    for index in range(groups):
        start, end, glyph = struct.unpack_from(">III", table, offset + 16 + 12 * index)
        for code in range(start, end + 1):
            cmap[code] = glyph + code - start
    return cmap


def _closure(glyf: memoryview, loca: list[int], glyphs: set[int]) -> set[int]:
    """The glyphs and every component of a composite glyph among them, to any depth."""
    wanted = set()
    pending = [g for g in glyphs if 0 <= g < len(loca) - 1]
    while pending:
        glyph = pending.pop()
        if glyph in wanted:
            continue
        wanted.add(glyph)
        start, end = loca[glyph], loca[glyph + 1]
        if end - start < 10 or struct.unpack_from(">h", glyf, start)[0] >= 0:
            continue
        at = start + 10
        while True:
            flags, component = struct.unpack_from(">HH", glyf, at)
            if component < len(loca) - 1:
                pending.append(component)
            at += 4 + (4 if flags & _ARGS_ARE_WORDS else 2)
            if flags & _HAS_SCALE:
                at += 2
            elif flags & _XY_SCALE:
                at += 4
            elif flags & _TWO_BY_TWO:
                at += 8
            if not flags & _MORE_COMPONENTS:
                break
    return wanted


def _checksum(data: bytes) -> int:
    data += b"\0" * (-len(data) % 4)
    words: tuple[int, ...] = struct.unpack(f">{len(data) // 4}I", data)
    return sum(words) & 0xFFFFFFFF


def _font_file(tables: dict[bytes, bytes]) -> bytes:
    """A TrueType file of `tables`: the directory, then each table on a 4-byte boundary."""
    tags = sorted(tables)
    count = len(tags)
    power = 1 << (count.bit_length() - 1)
    header = struct.pack(">IHHHH", 0x00010000, count, power * 16, power.bit_length() - 1,
                         count * 16 - power * 16)  # fmt: skip
    directory = []
    bodies = []
    offset = 12 + 16 * count
    for tag in tags:
        body = tables[tag]
        directory.append(struct.pack(">4sIII", tag, _checksum(body), offset, len(body)))
        padded = body + b"\0" * (-len(body) % 4)
        bodies.append(padded)
        offset += len(padded)
    font = bytearray(header + b"".join(directory) + b"".join(bodies))
    head_at = 12 + 16 * count + sum(len(b) for b in bodies[: tags.index(b"head")])
    struct.pack_into(">I", font, head_at + 8, (0xB1B0AFBA - _checksum(bytes(font))) & 0xFFFFFFFF)
    return bytes(font)
