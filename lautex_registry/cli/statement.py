"""`statement` and `processing-record`: documents generated from the register's settings."""

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.files import ForceOption, output_path
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
    typer.Option("--output", "-o", help="Write to this new file (mode 0600); - or none: stdout."),
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
    force: ForceOption = False,
) -> None:
    """Print the privacy statement, every heading filled from the register.

    Example: lautex statement --lang en --format html --output seloste.html
    """
    from lautex_registry.statement.privacy_statement import render_statement

    target = output_path(output, force)
    with open_workspace(ctx) as ws:
        text = render_statement(ws.conn, lang.value, fmt.value)
        _deliver(text, target, ws.db_path, force)


def processing_record(
    ctx: typer.Context,
    lang: LangOption = Language.fi,
    fmt: Annotated[
        RecordFormat, typer.Option("--format", "-f", help="md (Markdown), html or json.")
    ] = RecordFormat.md,
    output: OutputOption = None,
    force: ForceOption = False,
) -> None:
    """Print the record of processing activities (GDPR Art. 30(1)(a)-(g)).

    Example: lautex processing-record --lang fi --format json
    """
    from lautex_registry.statement.processing_record import render_processing_record

    target = output_path(output, force)
    with open_workspace(ctx) as ws:
        text = render_processing_record(ws.conn, lang.value, fmt.value)
        _deliver(text, target, ws.db_path, force)


def _deliver(text: str, target: Path | None, register: Path, force: bool) -> None:
    if target is None:
        typer.echo(text, nl=False)
        return
    from lautex_registry.platform.documents import write_private

    write_private(target, text, register, force=force)
    say(f"wrote {target}")
