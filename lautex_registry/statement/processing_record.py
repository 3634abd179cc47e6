"""The record of processing activities, GDPR Art. 30(1)(a)-(g), generated from the register.

It is built from `privacy_info.art15_information`, the same information as the
privacy statement and the access reply, so the record never drifts from them.
"""

import json
from typing import Any

from lautex_registry.platform import documents, validation
from lautex_registry.platform.paper import Paper
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.platform.wording import format_date
from lautex_registry.statement.privacy_info import art15_information

FORMATS = ("md", "html", "pdf", "json")

# GDPR Art. 30(1): which keys of the record answer which point.
ARTICLE_30_ITEMS: dict[str, tuple[str, ...]] = {
    "a": ("controller",),
    "b": ("purposes",),
    "c": ("data_subjects", "categories"),
    "d": ("recipients",),
    "e": ("transfers",),
    "f": ("retention",),
    "g": ("security",),
}

_TITLES = {
    "fi": "Seloste käsittelytoimista",
    "sv": "Register över behandling",
    "en": "Record of processing activities",
}


def processing_record(conn: sqlite3.Connection, lang: str) -> dict[str, Any]:
    """The record as data: stable keys; `articles` maps each Art. 30(1) point to its keys."""
    info = art15_information(conn, lang)
    return {
        "title": f"{_TITLES[lang]}: {info['register_name']}",
        "language": lang,
        "version_date": info["version_date"],
        "register_name": info["register_name"],
        # (a) name and contact details of the controller, representative and DPO
        "controller": {
            **info["controller"],
            "representative": info["representative"],
            "dpo": info["dpo"],
        },
        # (b) the purposes of the processing (with their Art. 6 basis)
        "purposes": info["purposes"],
        "legitimate_interests": info["legitimate_interests"],
        # (c) categories of data subjects and of personal data
        "data_subjects": info["data_subjects"],
        "categories": info["categories"],
        "sources": info["sources"],
        # (d) categories of recipients, including those in third countries
        "recipients": info["recipients"],
        # (e) transfers to a third country and their safeguards
        "transfers": info["transfers"],
        # (f) the envisaged time limits for erasure
        "retention": info["retention"],
        "retention_settings": info["retention_settings"],
        # (g) technical and organisational security measures (Art. 32(1))
        "security": info["security"],
        "automated_decisions": info["automated_decisions"],
        "articles": {point: list(keys) for point, keys in ARTICLE_30_ITEMS.items()},
    }


def render_processing_record(conn: sqlite3.Connection, lang: str, fmt: str) -> str | bytes:
    """The record as Markdown, HTML, PDF (`templates/processing_record.<lang>.md.j2`) or JSON."""
    fmt = validation.choice(fmt, FORMATS, "format")
    lang = validation.choice(lang, documents.LANGUAGES, "language")
    record = processing_record(conn, lang)
    if fmt == "json":
        return json.dumps(record, ensure_ascii=False, indent=2) + "\n"
    version_date = format_date(record["version_date"], lang)
    context = {"record": record, "version_date": version_date}
    paper = Paper(lang, record["title"], record["controller"], version_date)
    return documents.render("processing_record", lang, fmt, context, record["title"], paper)
