"""What the register sends to a person: letters, certificates, exports, the statement.

Texts live in templates, one per language (`templates/<name>.<lang>.md.j2`),
never in code. Markdown is the source; HTML is rendered from it with
markdown-it-py (already installed with rich), so both formats say the same.
Every document handed out is recorded with its SHA-256, not its content.
"""

import hashlib
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lautex_registry.platform import validation
from lautex_registry.platform.clock import timestamp
from lautex_registry.platform.escaping import markdown_text, printable

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

LANGUAGES = ("fi", "en")
FORMATS = ("md", "html")


def language_for(preferred: str | None) -> str:
    """The person's language where a template exists, else Finnish (the register's own)."""
    return preferred if preferred is not None and preferred in LANGUAGES else "fi"


def render_markdown(name: str, lang: str, context: dict[str, Any]) -> str:
    """Render `templates/<name>.<lang>.md.j2`; an undefined variable is an error, not a blank."""
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
    return env.get_template(f"{name}.{lang}.md.j2").render(**context)


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
        f"<title>{heading}</title>\n</head>\n<body>\n{body}</body>\n</html>\n"
    )


def render(name: str, lang: str, fmt: str, context: dict[str, Any], title: str) -> str:
    fmt = validation.choice(fmt, FORMATS, "format")
    text = render_markdown(name, lang, context)
    return markdown_to_html(text, title, lang) if fmt == "html" else text


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
    content: str,
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
