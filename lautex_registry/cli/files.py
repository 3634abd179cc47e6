"""The `--output`/`--force` options of every command that writes a file.

`--output -` is standard output, as in every shell tool; any other path is written
through `lautex_registry.platform.output_files` (never the register, never replacing a file
without `--force`). README "Conventions": output files.
"""

from pathlib import Path
from typing import Annotated

import typer

from lautex_registry.platform.errors import InvalidInput, t
from lautex_registry.platform.output_files import is_stdout

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


def deliver(text: str | bytes, target: Path | None, register: Path, force: bool) -> None:
    from lautex_registry.cli.output import emit_document, say

    if target is None:
        emit_document(text)
        return
    from lautex_registry.platform.documents import write_private

    write_private(target, text, register, force=force)
    say(t("wrote {path}", path=target))
