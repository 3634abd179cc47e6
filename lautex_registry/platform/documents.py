"""What the register sends to a person: letters, certificates, exports, the statement.

Texts live in templates, one per language (`templates/<name>.<lang>.md.j2`),
never in code. Markdown is the source; HTML is rendered from it as markdown-it-py
(already installed with rich) renders it, its tables written directly row by row
(`html_body_chunks`), and the PDF from the same blocks (`pdf_layout.py`), so every format says
the same. A long document can be made piece by piece (`render_chunks`). Dates, money,
countries and codes are written as the reader's language writes them (`wording.py`,
the filters below).
Every document handed out is recorded with its SHA-256, not its content.
"""

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, AnyStr

from lautex_registry.platform import validation, wording
from lautex_registry.platform.clock import timestamp
from lautex_registry.platform.escaping import markdown_text, printable
from lautex_registry.platform.paper import Paper
from lautex_registry.platform.sqlite import sqlite3

if TYPE_CHECKING:
    from jinja2 import Environment
    from markdown_it import MarkdownIt

LANGUAGES = wording.LANGUAGES
FORMATS = ("md", "html", "pdf")

# Print-friendly: one readable column on screen, A4 margins and no page break inside a
# table row or after a heading on paper.
STYLESHEET = """body{font-family:"DejaVu Sans",Verdana,Arial,sans-serif;font-size:11pt;\
line-height:1.45;color:#111;max-width:46em;margin:2em auto;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em}h3{font-size:1.05em}
h1,h2,h3{page-break-after:avoid;break-after:avoid}
table{border-collapse:collapse;width:100%;font-size:.85em;margin:.5em 0 1em}
th,td{border:1px solid #999;padding:.2em .4em;text-align:left;vertical-align:top}
th{background:#eee}tr{page-break-inside:avoid;break-inside:avoid}
@page{size:A4;margin:20mm}
@media print{body{margin:0;max-width:none;padding:0;font-size:10pt}th{background:none}}
"""


def language_for(preferred: str | None) -> str:
    """The person's language where a template exists, else Finnish (the register's own)."""
    return preferred if preferred is not None and preferred in LANGUAGES else "fi"


def _filters(lang: str) -> dict[str, Any]:
    """Jinja filters that write a value as the document's language does (wording.py)."""
    return {
        "date": lambda value: wording.format_date(value, lang) if value else "",
        "money": lambda value: wording.format_money(value, lang) if value is not None else "",
        "country": lambda value: wording.country_name(value, lang),
        "code": lambda value, domain: wording.code_word(domain, str(value), lang),
        "yesno": lambda value: wording.yes_no(value, lang),
    }


def render_markdown(name: str, lang: str, context: dict[str, Any], *, paper: bool = False) -> str:
    """Render `templates/<name>.<lang>.md.j2`; an undefined variable is an error, not a blank.

    With `paper`, the template leaves out what the paper prints itself (the letterhead,
    the address, the date): `paper` is True in the template.
    """
    return "".join(markdown_chunks(name, lang, context, paper=paper))


def markdown_chunks(
    name: str, lang: str, context: dict[str, Any], *, paper: bool = False
) -> Iterator[str]:
    """`render_markdown` piece by piece, as the template's loops run (nothing held whole)."""
    lang = validation.choice(lang, LANGUAGES, "language")
    template = _environment(lang).get_template(f"{name}.{lang}.md.j2")
    return template.generate(**{"paper": paper, **context})


@cache
def _environment(lang: str) -> "Environment":
    """The templates of one language. Compiling one costs 8-31 ms of CPU, up to a tenth of
    a whole command; its compiled code is kept in the template cache (`template_cache`)
    and read back in under 1 ms (docs/rules.md §3, figures in benchmarks/README.md)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    from lautex_registry.platform.template_cache import template_cache

    env = Environment(
        loader=PackageLoader("lautex_registry", "templates"),
        undefined=StrictUndefined,
        autoescape=False,  # HTML escaping does not fit Markdown: finalize escapes instead
        # Every {{ value }} is text (a name, a street, a reason), never Markdown: only the
        # template's own markup is markup, so a value cannot add a link, an image or HTML.
        finalize=markdown_text,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(_filters(lang))
    env.bytecode_cache = template_cache(env)
    return env


def markdown_parser() -> "MarkdownIt":
    """The one Markdown reading of letters, certificates, exports and the statement."""
    from markdown_it import MarkdownIt

    # Raw HTML is off: whatever got into the Markdown, no tag of it reaches the HTML.
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown_to_html(markdown: str, title: str, lang: str) -> str:
    return "".join(html_chunks([markdown], title, lang))


def html_chunks(markdown: Iterable[str], title: str, lang: str) -> Iterator[str]:
    """The HTML page of a Markdown document, piece by piece as the Markdown arrives."""
    from html import escape  # HTML only: `html` imports its table of entities (start-up)

    heading = escape(printable(title, one_line=True))  # the controller's name, from settings
    yield (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{heading}</title>\n<style>\n{STYLESHEET}</style>\n</head>\n<body>\n"
    )
    yield from html_body_chunks(markdown)
    yield "</body>\n</html>\n"


def markdown_to_pdf(markdown: str, paper: Paper) -> bytes:
    return b"".join(pdf_chunks([markdown], paper))


def pdf_chunks(markdown: Iterable[str], paper: Paper) -> Iterator[bytes]:
    """The PDF of a Markdown document, page by page as the Markdown arrives."""
    from lautex_registry.platform.pdf_layout import pdf_chunks as layout_chunks

    return layout_chunks(body_blocks(markdown), paper, cell_text)


def _lines(chunks: Iterable[str]) -> Iterator[str]:
    """The lines of text that arrives in pieces of any length (without their newlines), with
    CR LF, a lone CR and NUL read as markdown-it reads them (a newline, U+FFFD)."""
    pending: list[str] = []  # the pieces of a line (a template yields one per value)
    for chunk in chunks:
        if "\n" not in chunk and "\r" not in chunk:
            pending.append(chunk)
            continue
        pending.append(chunk)
        text = "".join(pending)
        if text.endswith("\r"):
            pending = [text]  # a CR may be the first half of CR LF
            continue
        lines = _normalised(text).split("\n")
        last = lines.pop()
        pending = [last] if last else []
        yield from lines
    rest = "".join(pending)
    if rest:
        lines = _normalised(rest).split("\n")
        yield from lines if lines[-1] else lines[:-1]


_NEWLINES = re.compile(r"\r\n?")


def _normalised(text: str) -> str:
    if "\r" in text:
        text = _NEWLINES.sub("\n", text)
    return text.replace("\0", "\ufffd") if "\0" in text else text


def html_body_chunks(markdown: Iterable[str]) -> Iterator[str]:
    """The Markdown's HTML as `markdown_parser` renders it, written as the Markdown arrives
    (`body_blocks`: the prose through markdown-it, the tables row by row)."""
    table: _Table | None = None
    for kind, value in body_blocks(markdown):
        if kind == "html":
            yield value
        elif kind == "head":
            table = _Table(value)
            yield table.head()
        elif kind == "row":
            assert table is not None
            yield table.row(*value)
        else:
            assert table is not None
            yield table.end()


def body_blocks(markdown: Iterable[str]) -> Iterator[tuple[str, Any]]:
    """The Markdown as blocks, read as it arrives: ("html", the HTML of prose), ("head",
    a table's header cells), ("row", (its cells, whether one may hold markup)), ("end",
    None). The HTML (`html_body_chunks`) and the PDF (`pdf_layout.pdf_chunks`) are both made
    from them, so both show the same cells.

    Linear and streaming: a table (a row of `|` cells, then the `|---|` row the templates
    write) is read directly, row by row, as markdown-it lays it out, because markdown-it
    takes about 2 ms a row and holds the whole document (an access export may list
    10,000 orders: docs/rules.md §3). A cell that is plain text escaped by
    `markdown_text` is written as such; any other cell is markdown-it's own inline
    rendering. Everything else goes through markdown-it in the pieces between the
    tables: a blank line ends every block before a table, and the templates define no
    link references that one piece could need from another. A table ends at a blank
    line or where markdown-it ends it (the templates end every table with a blank line)."""
    parser = markdown_parser()
    prose: list[str] = []
    block: list[str] = []
    table: _TableRows | None = None
    for line in _lines(markdown):
        blank = not line.strip(" \t")
        if table is not None:
            row = not blank and (line.startswith("|") or table.continues(line))
            cells = table.cells(line) if row else None
            if cells is not None:
                yield "row", (cells, bool(_CELL_SPECIAL.search(line)))
                continue
            yield "end", None
            table = None
        if blank:
            prose.extend(block)
            prose.append("")
            block.clear()
            continue
        if len(block) == 1 and block[0].startswith("|") and _DELIMITER_ROW.fullmatch(line):
            head = _split_row(block[0])
            if len(head) == line.count("---"):
                if any(prose):
                    yield "html", parser.render("\n".join(prose) + "\n")
                prose.clear()
                block.clear()
                table = _TableRows(parser, len(head))
                yield "head", head
                continue
        block.append(line)
    if table is not None:
        yield "end", None
    prose.extend(block)
    if any(prose):
        yield "html", parser.render("\n".join(prose) + "\n")


# The delimiter row the templates write: `|---|---|`, no alignment.
_DELIMITER_ROW = re.compile(r"\|(?:---\|)+")
# In a cell: Markdown escapes and the three entities `markdown_text` writes, and every
# character that may be markup (or that markdown-it replaces) when it is not escaped.
_CELL_MARKUP = re.compile(
    r"\\[!-/:-@\[-`{-~]|&(?:amp|lt|gt);|[\\`*\[\]<>~&_!\x00-\x08\x0b-\x1f\x7f]"
)
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">"}
# What makes a cell more than text that HTML takes as it is: the above, and the double quote.
# One character class, four times quicker than the alternation: every alternative of
# `_CELL_MARKUP` starts with, or is, one of these characters (a backslash, an ampersand).
_CELL_SPECIAL = re.compile(r'[\\`*\[\]<>~&_!\x00-\x08\x0b-\x1f\x7f"]')
_WORD = re.compile(r"[^\W_]")
# markdown-it stops filling short rows with empty cells after this many (its own limit).
_MAX_AUTOCOMPLETED_CELLS = 0x10000


def _split_row(line: str) -> list[str]:
    """The cells of a table row, split as markdown-it splits them: at every `|` that is not
    right after a backslash (that backslash is dropped), outer pipes and spaces trimmed."""
    line = line.strip(" \t")
    escaped = "\\" in line
    cells = re.split(r"(?<!\\)\|", line) if escaped else line.split("|")
    if cells and cells[0] == "":
        cells.pop(0)
    if cells and cells[-1] == "":
        cells.pop()
    if escaped:
        return [cell.replace("\\|", "|").strip(" \t") for cell in cells]
    return [cell.strip(" \t") for cell in cells]


def _plain_cell(cell: str) -> str | None:
    """The text of a cell that holds only escaped text; None when it may hold markup."""
    if not _CELL_MARKUP.search(cell):
        return cell
    parts: list[str] = []
    position = 0
    for match in _CELL_MARKUP.finditer(cell):
        token = match.group()
        parts.append(cell[position : match.start()])
        position = match.end()
        if len(token) == 2:
            parts.append(token[1])  # a backslash escape
        elif token in _ENTITIES:
            parts.append(_ENTITIES[token])
        elif token == "_" and _inside_word(cell, match.start()):
            parts.append("_")  # never emphasis inside a word (CommonMark flanking rules)
        elif token == "!" and cell[match.end() : match.end() + 1] != "[":
            parts.append("!")  # an image only before a bracket
        else:
            return None
    parts.append(cell[position:])
    return "".join(parts)


def _inside_word(text: str, index: int) -> bool:
    before, after = text[index - 1 : index] if index else "", text[index + 1 : index + 2]
    return bool(_WORD.match(before) and _WORD.match(after))


class _TableRows:
    """Which lines are rows of a table being read, and their cells (`body_blocks`)."""

    def __init__(self, parser: "MarkdownIt", width: int) -> None:
        self.parser = parser
        self.width = width
        self.autocompleted = 0

    def continues(self, line: str) -> bool:
        """Whether markdown-it reads this non-blank line as a row of the table (a line that
        starts another block, a heading or a list, ends it)."""
        if line.startswith("|"):
            return True
        tokens = self.parser.parse(f"|x|\n|---|\n{line}\n")
        return sum(token.type == "tr_open" for token in tokens) == 2

    def cells(self, line: str) -> list[str] | None:
        """The row's cells, as many as the header's; None when markdown-it ends the table
        before this line."""
        cells = _split_row(line)
        self.autocompleted += self.width - len(cells)
        if self.autocompleted > _MAX_AUTOCOMPLETED_CELLS:
            return None
        if len(cells) != self.width:
            cells = (cells + [""] * self.width)[: self.width]
        return cells


def cell_text(cell: str) -> str:
    """A table cell as the text a reader sees (what its HTML shows, without the markup)."""
    if not _CELL_SPECIAL.search(cell):
        return cell
    text = _plain_cell(cell)
    if text is None:
        import html  # markup in a cell is rare; `html` loads its entity table (start-up)

        rendered = str(_inline_parser().renderInline(cell))
        return html.unescape(_TAG.sub("", rendered))
    return text


# A tag of markdown-it's inline HTML (with raw HTML off, its own: attribute values escaped).
_TAG = re.compile(r"<[^>]*>")


class _Table:
    """One table being written as HTML, row by row (`html_body_chunks`)."""

    def __init__(self, head: list[str]) -> None:
        self.head_cells = head
        self.rows = 0

    @staticmethod
    def _cell(cell: str) -> str:
        if not _CELL_SPECIAL.search(cell):
            return cell  # nothing to unescape, nothing to escape for HTML
        text = _plain_cell(cell)
        if text is None:
            return str(_inline_parser().renderInline(cell))
        return _html_text(text)

    def head(self) -> str:
        head = "".join(f"<th>{self._cell(cell)}</th>\n" for cell in self.head_cells)
        return f"<table>\n<thead>\n<tr>\n{head}</tr>\n</thead>\n"

    def row(self, cells: list[str], special: bool) -> str:
        """The row's HTML."""
        self.rows += 1
        # A row with nothing to unescape or escape (most rows) is written as it is.
        shown = cells if not special else [self._cell(c) for c in cells]
        row = "<tr>\n<td>" + "</td>\n<td>".join(shown) + "</td>\n</tr>\n"
        return "<tbody>\n" + row if self.rows == 1 else row

    def end(self) -> str:
        return "</tbody>\n</table>\n" if self.rows else "</table>\n"


@cache
def _inline_parser() -> "MarkdownIt":
    return markdown_parser()


def _html_text(text: str) -> str:
    """Text in HTML as markdown-it escapes it (&, <, > and the double quote)."""
    # html.escape(text, quote=False), written out: `html` is imported only for a page's head.
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;")


def render(
    name: str,
    lang: str,
    fmt: str,
    context: dict[str, Any],
    title: str,
    paper: Paper | None = None,
) -> str | bytes:
    """The document in `fmt`: Markdown, HTML, or PDF bytes (which needs `paper`)."""
    fmt = validation.choice(fmt, FORMATS, "format")
    if fmt == "pdf":
        if paper is None:
            raise ValueError("a PDF needs its paper (letterhead, date)")
        return markdown_to_pdf(render_markdown(name, lang, context, paper=True), paper)
    return "".join(render_chunks(name, lang, fmt, context, title))


def render_chunks(
    name: str, lang: str, fmt: str, context: dict[str, Any], title: str
) -> Iterator[str]:
    """The document in Markdown or HTML, piece by piece: to write a long one as it is made."""
    fmt = validation.choice(fmt, ("md", "html"), "format")
    markdown = markdown_chunks(name, lang, context)
    return markdown if fmt == "md" else html_chunks(markdown, title, lang)


def sha256_of(content: str | bytes) -> str:
    data = content.encode("utf-8") if isinstance(content, str) else content
    return hashlib.sha256(data).hexdigest()


def write_private(
    path: Path,
    content: str | bytes | Iterable[str] | Iterable[bytes],
    register: Path | None,
    *,
    force: bool = False,
) -> None:
    """Write a letter, export or statement with mode 0600, whole or not at all.

    The register and its files are refused, an existing file is replaced only with
    `force`, and a failed write is InvalidInput naming the path (exit 2), so the
    caller's transaction rolls back what it recorded (README "Conventions").
    """
    from lautex_registry.platform.output_files import write_output

    write_output(path, content, register, force=force)


def hashed(chunks: Iterable[AnyStr], record: Callable[[str], object]) -> Iterator[AnyStr]:
    """The chunks as they pass; after the last, `record` gets the SHA-256 of them all (what
    `sha256_of` gives for the joined text or bytes), so a streamed document is recorded
    when whole."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk if isinstance(chunk, bytes) else chunk.encode("utf-8"))
        yield chunk
    record(digest.hexdigest())


def record_document(
    conn: sqlite3.Connection,
    *,
    kind: str,
    language: str,
    fmt: str,
    content: str | bytes,
    created_by: int | None,
    customer_id: int | None = None,
    request_id: int | None = None,
) -> int:
    """Record a document handed out: its kind and hash, never its content. In a transaction."""
    return record_checksum(
        conn,
        kind=kind,
        language=language,
        fmt=fmt,
        sha256=sha256_of(content),
        created_by=created_by,
        customer_id=customer_id,
        request_id=request_id,
    )


def record_checksum(
    conn: sqlite3.Connection,
    *,
    kind: str,
    language: str,
    fmt: str,
    sha256: str,
    created_by: int | None,
    customer_id: int | None = None,
    request_id: int | None = None,
) -> int:
    """`record_document` for a document written in pieces (`hashed` gives its SHA-256)."""
    cursor = conn.execute(
        """INSERT INTO documents
           (kind, request_id, customer_id, language, format, sha256, created_at, created_by)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        (kind, request_id, customer_id, language, fmt, sha256, timestamp(), created_by),
    )
    return int(cursor.lastrowid or 0)
