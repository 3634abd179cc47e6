"""What the register sends to a person: letters, certificates, exports, the statement.

Texts live in templates, one per language (`templates/<name>.<lang>.md.j2`),
never in code. Markdown is the source; HTML is rendered from it with
markdown-it-py (already installed with rich), and the PDF from that HTML
(`paper.py`), so every format says the same. Dates, money, countries and codes are
written as the reader's language writes them (`wording.py`, the filters below).
Every document handed out is recorded with its SHA-256, not its content.
"""

import hashlib
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lautex_registry.platform import validation, wording
from lautex_registry.platform.clock import timestamp
from lautex_registry.platform.escaping import markdown_text, printable
from lautex_registry.platform.paper import Paper

if TYPE_CHECKING:
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
    lang = validation.choice(lang, LANGUAGES, "language")
    from jinja2 import Environment, PackageLoader, StrictUndefined

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
    return env.get_template(f"{name}.{lang}.md.j2").render(**{"paper": paper, **context})


def markdown_parser() -> "MarkdownIt":
    """The one Markdown reading of letters, certificates, exports and the statement."""
    from markdown_it import MarkdownIt

    # Raw HTML is off: whatever got into the Markdown, no tag of it reaches the HTML.
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown_to_html(markdown: str, title: str, lang: str) -> str:
    body = markdown_parser().render(markdown)
    from html import escape

    heading = escape(printable(title, one_line=True))  # the controller's name, from settings
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{heading}</title>\n<style>\n{STYLESHEET}</style>\n</head>\n"
        f"<body>\n{body}</body>\n</html>\n"
    )


def markdown_to_pdf(markdown: str, paper: Paper) -> bytes:
    from lautex_registry.platform.paper import pdf_document

    return pdf_document(markdown_parser().render(markdown), paper)


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
    text = render_markdown(name, lang, context, paper=fmt == "pdf")
    if fmt == "pdf":
        if paper is None:
            raise ValueError("a PDF needs its paper (letterhead, date)")
        return markdown_to_pdf(text, paper)
    return markdown_to_html(text, title, lang) if fmt == "html" else text


def sha256_of(content: str | bytes) -> str:
    data = content.encode("utf-8") if isinstance(content, str) else content
    return hashlib.sha256(data).hexdigest()


def write_private(
    path: Path, content: str | bytes, register: Path | None, *, force: bool = False
) -> None:
    """Write a letter, export or statement with mode 0600, whole or not at all.

    The register and its files are refused, an existing file is replaced only with
    `force`, and a failed write is InvalidInput naming the path (exit 2), so the
    caller's transaction rolls back what it recorded (README "Conventions").
    """
    from lautex_registry.platform.output_files import write_output

    write_output(path, content, register, force=force)


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
    cursor = conn.execute(
        """INSERT INTO documents
           (kind, request_id, customer_id, language, format, sha256, created_at, created_by)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        (kind, request_id, customer_id, language, fmt, sha256_of(content), timestamp(), created_by),
    )
    return int(cursor.lastrowid or 0)
