"""`lautex labels`: mailing labels for everyone who may get the mailing.

There is deliberately no option that includes a person who objected (GDPR Art. 21(3)).
"""

from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.files import ForceOption, output_path
from lautex_registry.cli.output import left_out, say
from lautex_registry.cli.params import LabelFormat, LabelFormatOption, ListPurpose, id_of
from lautex_registry.platform.errors import t

# The labels of the largest sheet (3x8) but one: what --skip can be at most.
MOST_LABELS_USED = 23

if TYPE_CHECKING:
    from lautex_registry.cli.context import Workspace
    from lautex_registry.marketing.labels import LabelRun

COMMAND = "labels"


def register(app: typer.Typer) -> None:
    app.command(COMMAND)(labels)


def labels(
    ctx: typer.Context,
    fmt: LabelFormatOption,
    purpose: ListPurpose = "direct-advertising",
    sort: Annotated[
        str,
        typer.Option(
            "--sort", help="postal-code (bulk mail) or name (Finnish alphabetical order)."
        ),
    ] = "postal-code",
    sheet: Annotated[
        str, typer.Option("--sheet", help="Label sheet: 3x8 (70 x 37 mm), 3x7 or 2x7.")
    ] = "3x8",
    skip: Annotated[
        int,
        typer.Option(
            "--skip",
            help="Labels already used on the first sheet.",
            # The sheet's own limit is checked with the sheet (labels.check_skip).
            parser=id_of("skip", minimum=0, maximum=MOST_LABELS_USED),
        ),
    ] = 0,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="New file to write (mode 0600); - is stdout. "
            "Default: CSV to stdout, PDF to labels-DATE.pdf.",
        ),
    ] = None,
    force: ForceOption = False,
) -> None:
    """Mailing labels (name, organisation, address) for everyone who may get the mailing.

    Example: lautex labels --format pdf --sheet 3x7 --skip 5 --output labels.pdf
    """
    from lautex_registry.marketing import labels as service

    path = _labels_path(fmt, output, force)
    sheet = service.check_sheet(sheet, skip)
    with open_workspace(ctx) as ws:
        run = service.LabelRun(ws.conn, purpose, sort)
        if path is None:
            _labels_to_stdout(ws, run, fmt, sheet, skip)
        else:
            service.write_labels_file(
                run, fmt.value, path, ws.db_path, ws.actor, force=force, sheet=sheet, skip=skip
            )
    left = left_out(run.left_out_counts())
    if path is not None:
        say(
            t(
                "wrote {count} labels to {path}; {left_out}",
                count=run.listed,
                path=path,
                left_out=left,
            )
        )
    else:
        say(t("wrote {count} labels; {left_out}", count=run.listed, left_out=left))


def _labels_to_stdout(
    ws: "Workspace", run: "LabelRun", fmt: LabelFormat, sheet: str, skip: int
) -> None:
    """Labels on stdout: the audit row is reserved before the first label leaves, and
    completed with the count once they are out (or the reader of the pipe stopped)."""
    from lautex_registry.marketing import labels as service

    stream = _labels_stdout(fmt)  # a PDF refused on a terminal: nothing read, nothing audited
    details = {"purpose": run.purpose, "sort": run.sort, "format": fmt.value, "to_file": False}
    handout = ws.reserved_handout(run.labels(), "labels", "customer", details)
    try:
        service.write_labels(handout, fmt.value, stream, sheet=sheet, skip=skip)
    finally:
        run.end_read()
        if not handout.refused:
            with ws.writing():
                run.record_audit(ws.actor, fmt.value, to_file=False)


def _labels_path(fmt: LabelFormat, output: str | None, force: bool) -> Path | None:
    """The file for the labels: --output, else labels-DATE.pdf for a PDF; None is stdout."""
    from lautex_registry.marketing import labels as service
    from lautex_registry.platform.clock import today

    if output is None and fmt is LabelFormat.pdf:
        return service.default_path(fmt.value, today().isoformat())
    return output_path(output, force)


def _labels_stdout(fmt: LabelFormat) -> IO[Any]:
    import sys

    from lautex_registry.platform.errors import InvalidInput

    if fmt is LabelFormat.csv:
        return sys.stdout
    if sys.stdout.isatty():
        raise InvalidInput(
            t("output: a PDF on the terminal is unreadable; redirect stdout to a file")
        )
    return sys.stdout.buffer
