"""`lautex statement`: the privacy statement, generated from the register's settings."""

from typing import TYPE_CHECKING

import typer

from lautex_registry.cli.files import document_command
from lautex_registry.cli.params import StatementFormat, StatementFormatOption

if TYPE_CHECKING:
    from lautex_registry.platform.sqlite import sqlite3

COMMAND = "statement"
HELP = """Print the privacy statement, every heading filled from the register.

Example: lautex statement --lang en --format html --output seloste.html
"""


def register(app: typer.Typer) -> None:
    command = document_command(_render, StatementFormatOption, StatementFormat.md)
    app.command(COMMAND, help=HELP)(command)


def _render(conn: "sqlite3.Connection", lang: str, fmt: str) -> str | bytes:
    from lautex_registry.statement.privacy_statement import render_statement

    return render_statement(conn, lang, fmt)
