"""`lautex processing-record`: the record of processing activities (GDPR Art. 30)."""

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.files import ForceOption, deliver, output_path
from lautex_registry.cli.output import refuse_pdf_on_terminal
from lautex_registry.cli.params import (
    DocumentLang,
    DocumentLanguage,
    OutputOption,
    RecordFormat,
    RecordFormatOption,
)

COMMAND = "processing-record"


def register(app: typer.Typer) -> None:
    app.command(COMMAND)(processing_record)


def processing_record(
    ctx: typer.Context,
    lang: DocumentLang = DocumentLanguage.fi,
    fmt: RecordFormatOption = RecordFormat.md,
    output: OutputOption = None,
    force: ForceOption = False,
) -> None:
    """Print the record of processing activities (GDPR Art. 30(1)(a)-(g)).

    Example: lautex processing-record --lang fi --format json
    """
    from lautex_registry.statement.processing_record import render_processing_record

    target = output_path(output, force)
    refuse_pdf_on_terminal(fmt.value, target is None)
    with open_workspace(ctx) as ws:
        text = render_processing_record(ws.conn, lang.value, fmt.value)
        deliver(text, target, ws.db_path, force)
