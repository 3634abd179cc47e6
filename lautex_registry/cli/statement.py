"""`statement` and `processing-record`: documents generated from the register's settings."""

from enum import StrEnum
from typing import Annotated

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.output import say


class Language(StrEnum):
    fi = "fi"
    en = "en"


class StatementFormat(StrEnum):
    md = "md"
    html = "html"


class RecordFormat(StrEnum):
    md = "md"
    html = "html"
    json = "json"


LangOption = Annotated[
    Language, typer.Option("--lang", "-l", help="Language of the document: fi or en.")
]
OutputOption = Annotated[
    str | None,
    typer.Option("--output", "-o", help="Write to this file (mode 0600) instead of stdout."),
]


def register(app: typer.Typer) -> None:
    app.command("statement")(statement)
    app.command("processing-record")(processing_record)


def statement(
    ctx: typer.Context,
    lang: LangOption = Language.fi,
    fmt: Annotated[
        StatementFormat, typer.Option("--format", "-f", help="md (Markdown) or html.")
    ] = StatementFormat.md,
    output: OutputOption = None,
) -> None:
    """Print the privacy statement, every heading filled from the register.

    Example: lautex statement --lang en --format html --output seloste.html
    """
    from lautex_registry.statement import render_statement

    with open_workspace(ctx) as ws:
        text = render_statement(ws.conn, lang.value, fmt.value)
    _deliver(text, output)


def processing_record(
    ctx: typer.Context,
    lang: LangOption = Language.fi,
    fmt: Annotated[
        RecordFormat, typer.Option("--format", "-f", help="md (Markdown), html or json.")
    ] = RecordFormat.md,
    output: OutputOption = None,
) -> None:
    """Print the record of processing activities (GDPR Art. 30(1)(a)-(g)).

    Example: lautex processing-record --lang fi --format json
    """
    from lautex_registry.processing_record import render_processing_record

    with open_workspace(ctx) as ws:
        text = render_processing_record(ws.conn, lang.value, fmt.value)
    _deliver(text, output)


def _deliver(text: str, output: str | None) -> None:
    if output is None:
        typer.echo(text, nl=False)
        return
    from pathlib import Path

    from lautex_registry.documents import write_private

    write_private(Path(output), text)
    say(f"wrote {output}")
