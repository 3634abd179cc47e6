"""`lautex export`: the access export (GDPR Art. 15) and portability (Art. 20)."""

from typing import Annotated

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.files import ForceOption, output_path
from lautex_registry.cli.output import emit_document, refuse_pdf_on_terminal, say
from lautex_registry.cli.params import (
    Customer,
    ExportFormat,
    ExportFormatOption,
    LangOption,
    OutputOption,
    RequestOption,
)
from lautex_registry.platform.errors import t

COMMAND = "export"


def register(app: typer.Typer) -> None:
    app.command(COMMAND)(export)


def export(
    ctx: typer.Context,
    customer: Customer,
    fmt: ExportFormatOption = ExportFormat.json,
    lang: LangOption = None,
    request_id: RequestOption = None,
    output: OutputOption = None,
    force: ForceOption = False,
    portability: Annotated[
        bool,
        typer.Option(
            "--portability",
            help="Only what the person provided, and their orders (GDPR Art. 20).",
        ),
    ] = False,
) -> None:
    """Export everything the register holds about a person, with the Art. 15 information.

    Example: lautex export 42 --request 7 --format html --lang en --output anna-2026-11.html
    """
    from lautex_registry.rights.access import export_customer, write_export

    target = output_path(output, force)
    refuse_pdf_on_terminal(fmt, target is None)
    with open_workspace(ctx, write=True) as ws:
        result = export_customer(
            ws.conn, ws.actor, customer, fmt=fmt.value, lang=lang, request_id=request_id,
            output=target, portability=portability,
        )  # fmt: skip
        # Written inside the transaction: a file that cannot be written leaves no record.
        written = write_export(result, ws.db_path, force=force)
    for file in result.files:
        if file.path is None and isinstance(file.content, str | bytes):  # never in pieces
            emit_document(file.content)
    for path in written:
        say(t("wrote {path} (mode 0600)", path=path))
    rows = sum(result.counts.values())
    say(t("{kind}: {rows} rows, {format}, {language}; recorded and audited", kind=result.kind,
          rows=rows, format=result.fmt, language=result.language))  # fmt: skip
