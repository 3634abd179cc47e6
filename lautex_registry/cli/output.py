"""The one place that renders: rich tables for people, json/jsonl/csv for scripts.

Data goes to stdout, messages to stderr. JSON keys are stable: fields may be
added, never removed or renamed. Dates are ISO 8601.

Every stored value is shown as what it is (README "How output is escaped"): table
cells are rich Text, never markup; control characters are shown as escapes in
tables and messages; a CSV cell never starts a spreadsheet formula.
"""

import csv
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lautex_registry.cli.params import enum_of
from lautex_registry.platform.escaping import printable, spreadsheet_safe

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID
    from rich.text import Text

    from lautex_registry.records.suppression import Restoration


class Format(StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


FormatOption = Annotated[
    Format,
    typer.Option(
        "--format",
        "-f",
        help="Output: table for people; json, jsonl or csv for scripts.",
        parser=enum_of("format", Format),  # the one message for a closed set (cli/params.py)
    ),
]


def refuse_pdf_on_terminal(fmt: str, to_stdout: bool) -> None:
    """A PDF is bytes: refused on a terminal before anything is recorded (README
    "Conventions"), written to a file or to a redirected stdout."""
    if fmt == "pdf" and to_stdout and sys.stdout.isatty():
        from lautex_registry.platform.errors import InvalidInput

        raise InvalidInput(
            "output: a PDF on the terminal is unreadable; give --output FILE or redirect stdout"
        )


def emit_document(content: str | bytes) -> None:
    """A document on stdout: text as text, a PDF as its bytes."""
    if isinstance(content, bytes):
        sys.stdout.flush()
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()
    else:
        typer.echo(content, nl=False)


def say(message: str) -> None:
    """A message for the person at the terminal: stderr, never mixed with data.

    Messages name stored values (an organisation, a recipient): a control character in
    one is shown as its escape, never acted on by the terminal.
    """
    typer.echo(printable(message), err=True)


def reader_gone() -> None:
    """The reader of a pipe stopped reading (`lautex customer list | head`): not an error.

    What is left goes to /dev/null, so Python's flush at exit stays quiet (no
    "BrokenPipeError" on stderr).
    """
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def shown(value: Any) -> "Text":
    """A value as a table cell or title: literal text, control characters made visible.

    A rich Text is never parsed as markup or emoji codes, so a stored `[/c]` cannot
    break the table and `[link=...]` cannot become a live terminal hyperlink.
    """
    from rich.text import Text

    return Text(printable(_cell(value)))


def as_markup(text: str) -> str:
    """`text` for a place where rich reads markup (a progress bar's label): literal."""
    from rich.markup import escape

    return escape(printable(text, one_line=True))


class ProgressBar:
    """The tasks of one progress bar on stderr; without a terminal it shows nothing."""

    def __init__(self, bar: "Progress | None") -> None:
        self._bar = bar
        self._tasks: dict[str, TaskID] = {}

    def totals(self, counts: dict[str, int]) -> None:
        """One task per name, each with its number of steps."""
        if self._bar is not None:
            for name, total in counts.items():
                self._tasks[name] = self._bar.add_task(as_markup(name), total=max(total, 1))

    def advance(self, name: str, seen: int) -> None:
        if self._bar is not None and name in self._tasks:
            self._bar.advance(self._tasks[name], seen)

    def counter(self, label: str) -> Callable[[int, int], None] | None:
        """A (done, total) callback for one task, or None where no bar is shown."""
        bar = self._bar
        if bar is None:
            return None
        task = bar.add_task(as_markup(label), total=None)  # a file may be named `[/c].csv`

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return update


@contextmanager
def progress_bar() -> Iterator[ProgressBar]:
    """A progress bar on stderr when stderr is a terminal (cron gets only the summary)."""
    if not sys.stderr.isatty():
        yield ProgressBar(None)
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        yield ProgressBar(bar)


def emit_rows(
    rows: Iterable[Mapping[str, Any]],
    fmt: Format,
    columns: Sequence[str] | None = None,
    *,
    title: str | None = None,
) -> int:
    """Write rows in the chosen format; returns how many were written.

    jsonl and csv stream row by row; json and table collect first (a table must
    know its widths, a JSON array must close). When the reader of a pipe stops
    reading, the rows stop and the count says how many were handed out, so the
    command can still audit them.
    """
    taken = _Counted(rows)
    try:
        return _emit_rows(taken, fmt, columns, title)
    except BrokenPipeError:
        reader_gone()
        return taken.count


class _Counted:
    """The rows, counting those taken for output (an audit counts what was handed out)."""

    def __init__(self, rows: Iterable[Mapping[str, Any]]) -> None:
        self.rows = rows
        self.count = 0

    def __iter__(self) -> Iterator[Mapping[str, Any]]:
        for row in self.rows:
            self.count += 1
            yield row


def _emit_rows(
    rows: Iterable[Mapping[str, Any]],
    fmt: Format,
    columns: Sequence[str] | None,
    title: str | None,
) -> int:
    count = 0
    if fmt is Format.jsonl:
        for row in rows:
            sys.stdout.write(json.dumps(dict(row), ensure_ascii=False, default=str) + "\n")
            count += 1
        return count
    if fmt is Format.csv:
        writer = None
        for row in rows:
            if writer is None:
                fieldnames = list(columns or row.keys())
                writer = csv.DictWriter(sys.stdout, fieldnames=fieldnames, extrasaction="ignore")
                writer.writeheader()
            writer.writerow({k: spreadsheet_safe(_cell(row.get(k))) for k in writer.fieldnames})
            count += 1
        if writer is None and columns:
            csv.writer(sys.stdout).writerow(columns)
        return count
    materialised = [dict(row) for row in rows]
    if fmt is Format.json:
        sys.stdout.write(json.dumps(materialised, ensure_ascii=False, indent=2, default=str) + "\n")
        return len(materialised)
    _print_table(materialised, columns, title)
    return len(materialised)


def _print_table(
    rows: list[dict[str, Any]], columns: Sequence[str] | None, title: str | None
) -> None:
    from rich.console import Console
    from rich.table import Table

    names = list(columns or (rows[0].keys() if rows else []))
    table = Table(title=None if title is None else shown(title), show_lines=False)
    for name in names:
        table.add_column(shown(name.replace("_", " ")))
    for row in rows:
        table.add_row(*(shown(row.get(name)) for name in names))
    console = Console()
    if rows:
        console.print(table)
    elif sys.stderr.isatty():
        # Only a person at a terminal is told; a cron job stays silent when there is
        # nothing to report, so its mail arrives only when something needs attention.
        say("(nothing to show)")


def emit_record(record: Mapping[str, Any], fmt: Format, *, title: str | None = None) -> None:
    """One object: key/value table for people, one JSON object (or one CSV row) for scripts."""
    if fmt is Format.json:
        sys.stdout.write(json.dumps(dict(record), ensure_ascii=False, indent=2, default=str) + "\n")
    elif fmt is Format.jsonl:
        sys.stdout.write(json.dumps(dict(record), ensure_ascii=False, default=str) + "\n")
    elif fmt is Format.csv:
        flat = {k: v for k, v in record.items() if not isinstance(v, list | dict)}
        emit_rows([flat], fmt)
    else:
        _print_record(record, title, err=False)


def preview_record(record: Mapping[str, Any], *, title: str | None = None) -> None:
    """What a command is about to do, as a table on stderr for the person who confirms it:
    stdout stays for the result, so `--yes --format json` prints only what was done."""
    _print_record(record, title, err=True)


def _print_record(record: Mapping[str, Any], title: str | None, *, err: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(stderr=err)
    table = Table(title=None if title is None else shown(title), show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    nested: list[tuple[str, list[Any]]] = []
    for key, value in record.items():
        if not err and isinstance(value, list) and value and isinstance(value[0], dict):
            nested.append((key, value))
        else:
            table.add_row(shown(key.replace("_", " ")), shown(value))
    console.print(table)
    for key, items in nested:
        _print_table([dict(i) for i in items], None, key.replace("_", " "))


def left_out(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    if not total:
        return "left out nobody"
    return f"left out {total}: " + ", ".join(f"{reason} {n}" for reason, n in counts.items())


def report_restorations(restored: Sequence["Restoration"], limit: int = 20) -> None:
    """Tell the clerk which customers got an erased person's objections back (stderr)."""
    for item in restored[:limit]:
        purposes = ", ".join(item.purposes)
        say(
            f"customer {item.customer_id}: matches an erased person who objected; "
            f"objection restored: {purposes} (GDPR Art. 21(3))"
        )
    if len(restored) > limit:
        say(f"... and {len(restored) - limit} more customers had objections restored")
