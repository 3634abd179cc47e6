"""The privacy statement, generated from the register itself (docs/privacy-statement.md P12).

Every field of the seed statement is filled from `privacy_info.art15_information`,
the same information the record of processing and the access reply use, so the
published statement always says what the register actually does.
"""

from typing import Any

from lautex_registry.platform import documents
from lautex_registry.platform.paper import Paper
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.platform.wording import format_date
from lautex_registry.statement.privacy_info import art15_information, right

# The rights the statement has a heading for (GDPR Arts. 7(3), 15-18, 20, 21).
STATEMENT_RIGHTS = (
    "access",
    "portability",
    "rectification",
    "restriction",
    "objection",
    "erasure",
    "withdraw-consent",
)


def statement_context(conn: sqlite3.Connection, lang: str) -> dict[str, Any]:
    """What the statement template is rendered with."""
    info = art15_information(conn, lang)
    return {
        "info": info,
        "rights": {code: right(info, code) for code in STATEMENT_RIGHTS},
        "statement_date": format_date(info["statement_date"], lang),
        "version_date": format_date(info["version_date"], lang),
    }


def render_statement(conn: sqlite3.Connection, lang: str, fmt: str) -> str | bytes:
    """The whole statement in Markdown, HTML or PDF (`templates/statement.<lang>.md.j2`)."""
    context = statement_context(conn, lang)
    info = context["info"]
    paper = Paper(lang, info["title"], info["controller"], context["version_date"])
    return documents.render("statement", lang, fmt, context, info["title"], paper)
