"""`lautex statement`: the privacy statement, generated from the register's settings."""

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.files import ForceOption, deliver, output_path
from lautex_registry.cli.output import refuse_pdf_on_terminal
from lautex_registry.cli.params import (
    DocumentLang,
    DocumentLanguage,
    OutputOption,
    StatementFormat,
    StatementFormatOption,
)

COMMAND = "statement"


def register(app: typer.Typer) -> None:
    app.command(COMMAND)(statement)


def statement(
    ctx: typer.Context,
    lang: DocumentLang = DocumentLanguage.fi,
    fmt: StatementFormatOption = StatementFormat.md,
    output: OutputOption = None,
    force: ForceOption = False,
) -> None:
    """Print the privacy statement, every heading filled from the register.

    Example: lautex statement --lang en --format html --output seloste.html
    """
    from lautex_registry.statement.privacy_statement import render_statement

    target = output_path(output, force)
    refuse_pdf_on_terminal(fmt.value, target is None)
    with open_workspace(ctx) as ws:
        text = render_statement(ws.conn, lang.value, fmt.value)
        deliver(text, target, ws.db_path, force)
