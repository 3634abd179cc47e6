"""The `--output`/`--force` options of every command that writes a file.

`--output -` is standard output, as in every shell tool; any other path is written
through `lautex_registry.platform.output_files` (never the register, never replacing a file
without `--force`). README "Conventions": output files.
"""

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.params import DocumentLang, DocumentLanguage, OutputOption
from lautex_registry.platform.errors import InvalidInput, t
from lautex_registry.platform.output_files import is_stdout

if TYPE_CHECKING:
    from lautex_registry.platform.sqlite import sqlite3

ForceOption = Annotated[
    bool, typer.Option("--force", help="Replace the --output file if it already exists.")
]


def output_path(output: str | None, force: bool) -> Path | None:
    """The file to write, or None for standard output (no --output, or `--output -`)."""
    if output is None or is_stdout(output):
        if force:
            raise InvalidInput(t("force: --force replaces a file; it has no meaning on stdout"))
        return None
    if not output:
        raise InvalidInput(t("output: give a file name, or - for standard output"))
    return Path(output)


def document_command(
    render: "Callable[[sqlite3.Connection, str, str], str | bytes]",
    fmt_option: Any,
    fmt_default: StrEnum,
) -> Callable[..., None]:
    """A command that prints a document about the register itself (`lautex statement`,
    `lautex processing-record`): `render(conn, lang, fmt)` writes it, in a format of
    `fmt_option` (`Annotated[SomeFormat, ...]` from cli/params.py)."""

    def command(
        ctx: typer.Context,
        lang: DocumentLang = DocumentLanguage.fi,
        fmt: StrEnum = fmt_default,
        output: OutputOption = None,
        force: ForceOption = False,
    ) -> None:
        from lautex_registry.cli.output import emit_document, refuse_pdf_on_terminal, say

        target = output_path(output, force)
        refuse_pdf_on_terminal(fmt.value, target is None)
        with open_workspace(ctx) as ws:
            text = render(ws.conn, lang.value, fmt.value)
            if target is None:
                emit_document(text)
                return
            from lautex_registry.platform.documents import write_private

            write_private(target, text, ws.db_path, force=force)
            say(t("wrote {path}", path=target))

    # Each document has its own set of formats: Typer reads the option from the annotation.
    command.__annotations__["fmt"] = fmt_option
    return command
