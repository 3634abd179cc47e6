"""`lautex processing-record`: the record of processing activities (GDPR Art. 30)."""

from typing import TYPE_CHECKING

import typer

from lautex_registry.cli.files import document_command
from lautex_registry.cli.params import RecordFormat, RecordFormatOption

if TYPE_CHECKING:
    from lautex_registry.platform.sqlite import sqlite3

COMMAND = "processing-record"
HELP = """Print the record of processing activities (GDPR Art. 30(1)(a)-(g)).

Example: lautex processing-record --lang fi --format json
"""


def register(app: typer.Typer) -> None:
    command = document_command(_render, RecordFormatOption, RecordFormat.md)
    app.command(COMMAND, help=HELP)(command)


def _render(conn: "sqlite3.Connection", lang: str, fmt: str) -> str | bytes:
    from lautex_registry.statement.processing_record import render_processing_record

    return render_processing_record(conn, lang, fmt)
