"""The one place that renders: rich tables for people, tsv for pipes, json/jsonl/csv for scripts.

Data goes to stdout, messages to stderr. JSON keys are stable: fields may be
added, never removed or renamed. Dates are ISO 8601. The rules a user sees are in
README "Conventions" (output) and docs/rules.md §6: the default is a table at a
terminal and tab-separated values anywhere else, every format streams, a long list at
a terminal goes through a pager, `--limit` says on stderr what it cut.

Every stored value is shown as what it is (README "How output is escaped"): table
cells are rich Text, never markup; control characters are shown as escapes in
tables and messages; a CSV cell never starts a spreadsheet formula.
"""

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from enum import StrEnum
from itertools import islice
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

from lautex_registry.cli.params import enum_of
from lautex_registry.platform.errors import InvalidInput, Message, t, tn
from lautex_registry.platform.errors import shown as shown_message
from lautex_registry.platform.escaping import printable, spreadsheet_safe, tsv_safe
from lautex_registry.platform.i18n import SOURCE_LANGUAGE, gettext, language

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID
    from rich.text import Text

    from lautex_registry.records.suppression import Restoration


class Format(StrEnum):
    table = "table"
    tsv = "tsv"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


def _default_format(ctx: typer.Context, param: typer.CallbackParam, value: Any) -> Any:
    """No `--format` given: a table for a terminal and tab-separated values for anything
    else (a pipe, a file, cron), so `lautex customer list > file` is whole and fast
    (docs/rules.md §6). An explicit `--format table` is kept."""
    if value is None or Format(value) is not Format.table or _stdout_is_terminal():
        return value
    source = ctx.get_parameter_source(param.name or "")
    # By name: Typer brings its own copy of click, whose enum is not click's.
    if source is None or source.name != "DEFAULT":
        return value
    return Format.tsv


# The formats for people (a terminal, a pipe to grep or a cron mail): a command whose
# result is a one-line message on stderr writes nothing more on stdout in these, so a
# cron job that succeeds stays silent; scripts ask for json, jsonl or csv.
HUMAN_FORMATS = frozenset({Format.table, Format.tsv})


FormatOption = Annotated[
    Format,
    typer.Option(
        "--format",
        "-f",
        help="Output: table (default at a terminal) or tsv (default elsewhere) for people "
        "and pipes; json, jsonl or csv for scripts.",
        parser=enum_of("format", Format),  # the one message for a closed set (cli/params.py)
        callback=_default_format,
    ),
]


def human_format() -> Format:
    """The default for people: a table at a terminal, tab-separated values elsewhere."""
    return Format.table if _stdout_is_terminal() else Format.tsv


def _stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


class _Settings:
    """The global options of one `lautex` run (`-q`, `--no-pager`), set by the root."""

    quiet = False
    pager = True


settings = _Settings()


def refuse_pdf_on_terminal(fmt: str, to_stdout: bool) -> None:
    """A PDF is bytes: refused on a terminal before anything is recorded (README
    "Conventions"), written to a file or to a redirected stdout."""
    if fmt == "pdf" and to_stdout and sys.stdout.isatty():
        from lautex_registry.platform.errors import InvalidInput

        raise InvalidInput(
            t("output: a PDF on the terminal is unreadable; give --output FILE or redirect stdout")
        )


def emit_document(content: str | bytes) -> None:
    """A document on stdout: text as text, a PDF as its bytes."""
    if isinstance(content, bytes):
        sys.stdout.flush()
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()
    else:
        typer.echo(content, nl=False)


def say(message: str | Message) -> None:
    """A success or progress message for the person at the terminal: stderr, never mixed
    with data, silenced by `-q` (cron mails only what matters; errors are never silenced).

    Messages name stored values (an organisation, a recipient): a control character in
    one is shown as its escape, never acted on by the terminal.
    """
    if not settings.quiet:
        typer.echo(printable(shown_message(message)), err=True)


def warn(message: str | Message) -> None:
    """A message that `-q` does not silence: something the reader must act on (a bad
    import row, an objection restored), not a report that all went well."""
    typer.echo(printable(shown_message(message)), err=True)


def console(*, stderr: bool = False, **options: Any) -> "Console":
    """A rich Console whose closed pipe is an ordinary BrokenPipeError.

    rich's own handling exits 1 at once; the error boundary makes a closed pipe exit 0
    for a list and 141 for anything else (README "Exit codes").
    """
    from rich.console import Console

    class _PipeConsole(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError

    return _PipeConsole(stderr=stderr, **options)


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

    def totals(self, counts: dict[str, int], label: Callable[[str], str] = str) -> None:
        """One task per name, each with its number of steps; `label` is what a person reads
        for a name (its words in the interface's language)."""
        if self._bar is not None:
            for name, total in counts.items():
                task = self._bar.add_task(as_markup(label(name)), total=max(total, 1))
                self._tasks[name] = task

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


class ChosenFields(list[str]):
    """Fields the user named with `--fields`: JSON and JSONL then carry only these.
    Without `--fields` they carry every field of the row, as they always have (JSON
    keys are stable: docs/rules.md §6), and the default columns shape the other formats."""


def pick_fields(given: str | None, names: Sequence[str], default: Sequence[str]) -> list[str]:
    """The columns `--fields` names (`all`: every field), checked before any row is read."""
    if given is None:
        return list(default)
    if given.strip() == "all":
        return ChosenFields(names)
    chosen = [name.strip() for name in given.split(",") if name.strip()]
    if not chosen:
        raise InvalidInput(t("fields: give field names separated by commas, or all"))
    for name in chosen:
        if name not in names:
            shown_name = repr(printable(name, one_line=True))
            raise InvalidInput(
                t(
                    "fields: no field {name}; fields: {fields}",
                    name=shown_name,
                    fields=", ".join(names),
                )
            )
    return ChosenFields(chosen)


def emit_rows(
    rows: Iterable[Mapping[str, Any]],
    fmt: Format,
    columns: Sequence[str] | None = None,
    *,
    title: str | None = None,
    limit: int | None = None,
    total: int | None = None,
    more: bool = False,
) -> int:
    """Write rows in the chosen format, streaming; returns how many were written.

    Every format writes a row as soon as it is read, so memory stays flat however long
    the list (a table at a terminal is drawn in chunks). With `limit`, the rows after
    it are only counted (or `total` says how many there are, or, without `total`, `more`
    that there are more, uncounted), and stderr says how many were cut. When the reader of a pipe
    (or the pager) stops reading, the rows stop and the count says how many were handed
    out, so the command can still audit them.
    """
    source = iter(rows)
    taken = _Counted(source if limit is None else islice(source, limit))
    try:
        with _paged(fmt) as out:
            _emit_rows(taken, fmt, columns, title, out)
    except PagerQuit:
        return taken.count  # stdout is still the terminal (`lautex shell` goes on)
    except BrokenPipeError:
        reader_gone()
        return taken.count
    if limit is not None and taken.count == limit and more and total is None:
        say(t("{shown:,} shown; more match: narrow the search or use --limit", shown=limit))
    elif limit is not None and taken.count == limit:
        rest = sum(1 for _ in source) if total is None else total - limit
        if rest > 0:
            total = limit + rest
            say(t("{shown:,} of {total:,} shown; use --limit", shown=limit, total=total))
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
    out: IO[str],
) -> None:
    if fmt is Format.jsonl:
        for row in rows:
            out.write(json.dumps(_picked(row, columns), ensure_ascii=False, default=str) + "\n")
    elif fmt is Format.json:
        # The same bytes as one json.dumps(list, indent=2), written row by row.
        opened = False
        for row in rows:
            text = json.dumps(_picked(row, columns), ensure_ascii=False, indent=2, default=str)
            out.write((",\n  " if opened else "[\n  ") + text.replace("\n", "\n  "))
            opened = True
        out.write("\n]\n" if opened else "[]\n")
    elif fmt is Format.csv:
        _emit_delimited(rows, columns, out)
    elif fmt is Format.tsv:
        _emit_tsv(rows, columns, out)
    else:
        _emit_table(rows, columns, title, out)


def _picked(row: Mapping[str, Any], columns: Sequence[str] | None) -> dict[str, Any]:
    """A row for JSON: every field, or only those named with `--fields`."""
    if isinstance(columns, ChosenFields):
        return {name: row.get(name) for name in columns}
    return dict(row)


def _emit_delimited(
    rows: Iterable[Mapping[str, Any]], columns: Sequence[str] | None, out: IO[str]
) -> None:
    writer = None
    for row in rows:
        if writer is None:
            fieldnames = list(columns or row.keys())
            writer = csv.DictWriter(out, fieldnames=fieldnames, extrasaction="ignore")
            writer.writeheader()
        writer.writerow({k: spreadsheet_safe(_cell(row.get(k))) for k in writer.fieldnames})
    if writer is None and columns:
        csv.writer(out).writerow(columns)


def _emit_tsv(
    rows: Iterable[Mapping[str, Any]], columns: Sequence[str] | None, out: IO[str]
) -> None:
    """A header line, then one line per row, fields separated by tabs, nothing cut.

    The header waits for the first row, as CSV's does: a list whose audit row cannot be
    written prints nothing at all (README "Exit codes"). An empty list prints nothing,
    as the table did: TSV is the default in cron, whose mail comes only when there is
    something to report (CSV and JSON keep their empty header and `[]` for scripts).
    """
    names = list(columns) if columns is not None else None
    header = False
    for row in rows:
        if names is None:
            names = list(row.keys())
        if not header:
            out.write("\t".join(tsv_safe(name) for name in names) + "\n")
            header = True
        out.write("\t".join(tsv_safe(_cell(row.get(name))) for name in names) + "\n")


# Rows drawn per rich table: rich measures every cell of a table before drawing it, so
# a long list is drawn as a run of tables with the first one's column widths (docs/rules.md
# §6: lists stream).
TABLE_CHUNK = 500
# Width for a table written to a file or pipe on request (`-f table > file`): wide enough
# that no value is cut; a table is only as wide as its content.
UNBOUNDED_WIDTH = 100_000


def _emit_table(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[str] | None,
    title: str | None,
    out: IO[str],
) -> None:
    """A rich table at the terminal's full width, nothing cut (long values fold)."""
    terminal = isinstance(out, _Pager) or _stdout_is_terminal()
    kwargs: dict[str, Any] = {"file": out}
    if isinstance(out, _Pager):
        kwargs.update(force_terminal=True, width=out.width)
    elif not terminal:
        kwargs.update(width=UNBOUNDED_WIDTH)
    con = console(**kwargs)
    names = list(columns) if columns is not None else None
    chunk: list[Mapping[str, Any]] = []
    later: _LaterRows | None = None
    for row in rows:
        if later is not None:
            chunk.append(row)
            if len(chunk) >= TABLE_CHUNK:
                out.write("".join(map(later.text, chunk)))
                chunk.clear()
            continue
        if names is None:
            names = list(row.keys())
        chunk.append(row)
        if len(chunk) >= TABLE_CHUNK:
            later = _LaterRows(con, names, _draw_first(con, names, title, chunk))
            chunk.clear()
    if later is not None:
        out.write("".join(map(later.text, chunk)))
    elif chunk:
        assert names is not None
        _draw_first(con, names, title, chunk)
    elif sys.stderr.isatty():
        # Only a person at a terminal is told; a cron job stays silent when there is
        # nothing to report, so its mail arrives only when something needs attention.
        say(t("(nothing to show)"))


def _draw_first(
    con: "Console", names: list[str], title: str | None, rows: Sequence[Mapping[str, Any]]
) -> list[int]:
    """The title, the header and the first rows, as rich draws them; returns the widths
    rich measured on these rows, at which the rest are drawn.

    rich measures the rows and draws the title and the header; the rows themselves are
    written at the widths rich gave their columns (`_LaterRows`), which is what rich
    would draw."""
    table = _table(names, title, True, None)
    lang = language()
    for row in rows:
        table.add_row(*(shown(value_label(name, row.get(name), lang)) for name in names))
    widths: list[int] = table._calculate_column_widths(con, con.options)
    # What rich's Table gives the columns when it is printed: the room left by the
    # separators, each width with a space of padding on either side.
    options = con.options
    drawn = table._calculate_column_widths(
        con, options.update_width(options.max_width - table._extra_width)
    )
    if min(drawn) < 3:  # a column too narrow to hold its padding at a fixed width
        con.print(table)
        return widths
    fixed = [width - 2 for width in drawn]
    con.print(_table(names, title, True, fixed))  # the title and the header
    first = _LaterRows(con, names, fixed)
    con.file.write("".join(map(first.text, rows)))
    return widths


# A cell the row writer writes itself: characters one column wide each, none that rich
# would expand, strip or wrap (tabs, controls, combining and wide characters, soft hyphen).
_PLAIN_CELL = re.compile(r"[ -~\xa0-\xac\xae-\u024f\u20ac]*")


class _LaterRows:
    """The rows after the first chunk, drawn as rich draws them at its widths, without rich.

    rich measures and lays out every cell (about 0.6 ms a row), so a long list (a
    customer's 10,000 orders) would take many times its JSON (docs/rules.md §3, §6). At
    fixed widths a row of cells that fit on one line is each cell padded to its column's
    width, one space between columns, and that is what is written here: the same text
    `shown` gives rich (`printable`: control characters as escapes; never markup). A row
    with a cell that does not fit, or holds a character whose width rich works out
    (`_PLAIN_CELL`), is drawn by rich as before, as a one-row table at the same widths."""

    def __init__(self, con: "Console", names: list[str], widths: list[int]) -> None:
        self.con, self.names, self.widths = con, names, widths
        # The widths rich gives these columns in a table of their own (the text of a cell
        # and a space of padding on each side), worked out as rich's Table does when it is
        # printed; the content of the cells does not change them.
        table = _table(names, None, False, widths)
        options = con.options
        room = options.update_width(options.max_width - table._extra_width)
        self.rooms = [width - 2 for width in table._calculate_column_widths(con, room)]
        self.lang = language()

    def text(self, row: Mapping[str, Any]) -> str:
        cells = []
        lang = self.lang
        for name, room in zip(self.names, self.rooms, strict=True):
            text = printable(_cell(value_label(name, row.get(name), lang)))
            if len(text) > room or not _PLAIN_CELL.fullmatch(text):
                return self._drawn(row)
            cells.append(" " + text + " " * (room - len(text) + 1))
        return " ".join(cells) + "\n"

    def _drawn(self, row: Mapping[str, Any]) -> str:
        table = _table(self.names, None, False, self.widths)
        table.add_row(*(shown(value_label(name, row.get(name))) for name in self.names))
        with self.con.capture() as captured:
            self.con.print(table)
        return captured.get()


def _table(names: Sequence[str], title: str | None, header: bool, widths: list[int] | None) -> Any:
    from rich import box
    from rich.table import Table

    # No outer frame: the chunks of a long list join into one table.
    table = Table(
        title=None if title is None else shown(title),
        show_header=header,
        show_edge=False,
        box=box.SIMPLE_HEAD,
    )
    for place, name in enumerate(names):
        width = None if widths is None else widths[place]
        table.add_column(shown(heading(name)), overflow="fold", width=width)
    return table


class PagerQuit(BrokenPipeError):
    """The person quit the pager early: the pager's pipe closed, not stdout."""


class _Pager:
    """Output for a terminal that goes through the pager once it is longer than a screen.

    Lines are held until they pass the terminal's height; a shorter list is printed as
    it is. The pager is `$LAUTEX_PAGER`, else `$PAGER`, else `less` (with `LESS=FRX`, as
    git does, when `LESS` is not set); empty or `cat` means none.
    """

    def __init__(self, command: str, height: int, width: int) -> None:
        self.command, self.height, self.width = command, height, width
        self.held: list[str] = []
        self.lines = 0
        self.process: subprocess.Popen[str] | None = None

    def write(self, text: str) -> int:
        if self.process is not None:
            assert self.process.stdin is not None
            self.process.stdin.write(text)
            return len(text)
        self.held.append(text)
        self.lines += text.count("\n")
        if self.lines >= self.height:
            self._start()
        return len(text)

    def flush(self) -> None:
        if self.process is not None and self.process.stdin is not None:
            self.process.stdin.flush()

    def isatty(self) -> bool:
        return True

    def _start(self) -> None:
        env = dict(os.environ)
        env.setdefault("LESS", "FRX")
        # The pager is the user's own setting (as for git and man): run through the shell.
        self.process = subprocess.Popen(
            self.command, shell=True, stdin=subprocess.PIPE, text=True, encoding="utf-8", env=env
        )
        held, self.held = "".join(self.held), []
        self.write(held)

    def close(self) -> None:
        process = self.process
        if process is None:
            sys.stdout.write("".join(self.held))
            sys.stdout.flush()
            return
        assert process.stdin is not None
        with suppress(BrokenPipeError):
            process.stdin.close()
        process.wait()


def pager_command() -> str | None:
    """The pager for a long list at a terminal, or None (not a terminal, `--no-pager`)."""
    if not settings.pager or not _stdout_is_terminal():
        return None
    command = os.environ.get("LAUTEX_PAGER")
    if command is None:
        command = os.environ.get("PAGER")
    if command is None:
        command = "less" if shutil.which("less") else ""
    command = command.strip()
    return None if command in ("", "cat") else command


@contextmanager
def _paged(fmt: Format) -> Iterator[IO[str]]:
    """Where a list goes: stdout, or the pager when stdout is a terminal (any format)."""
    command = pager_command()
    if command is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    size = shutil.get_terminal_size()
    pager = _Pager(command, max(size.lines - 1, 1), size.columns)
    try:
        yield pager  # type: ignore[misc]
    except BrokenPipeError as exc:
        # The person quit the pager before the end: the list stops there (exit 0).
        pager.held = []
        pager.close()
        raise PagerQuit from exc
    pager.close()


def emit_record(record: Mapping[str, Any], fmt: Format, *, title: str | None = None) -> None:
    """One object: key/value table for people, `field<TAB>value` lines for pipes, one
    JSON object (or one CSV row) for scripts."""
    if fmt is Format.json:
        sys.stdout.write(json.dumps(dict(record), ensure_ascii=False, indent=2, default=str) + "\n")
    elif fmt is Format.jsonl:
        sys.stdout.write(json.dumps(dict(record), ensure_ascii=False, default=str) + "\n")
    elif fmt is Format.csv:
        flat = {k: v for k, v in record.items() if not isinstance(v, list | dict)}
        emit_rows([flat], fmt)
    elif fmt is Format.tsv:
        _emit_tsv_record(record)
    else:
        _print_record(record, title, err=False)


def _emit_tsv_record(record: Mapping[str, Any]) -> None:
    """`field<TAB>value` lines; then each list of rows (a customer's orders) as its own
    section: an empty line, the list's name, and its rows as TSV with a header."""
    out = sys.stdout
    nested: list[tuple[str, list[Any]]] = []
    for key, value in record.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            nested.append((key, value))
        else:
            out.write(f"{tsv_safe(key)}\t{tsv_safe(_cell(value))}\n")
    for key, items in nested:
        out.write(f"\n{tsv_safe(key)}\n")
        _emit_tsv(items, None, out)


def preview_record(
    record: Mapping[str, Any], *, title: str | None = None, yes: bool = False
) -> None:
    """What a command is about to do, as a table on stderr for the person who confirms it:
    stdout stays for the result, so `--yes --format json` prints only what was done.
    With `--yes` nobody confirms, so `-q` silences it like any other message."""
    if yes and settings.quiet:
        return
    _print_record(record, title, err=True)


def _print_record(record: Mapping[str, Any], title: str | None, *, err: bool) -> None:
    from rich.table import Table

    terminal = sys.stderr.isatty() if err else _stdout_is_terminal()
    con = console(stderr=err) if terminal else console(stderr=err, width=UNBOUNDED_WIDTH)
    table = Table(title=None if title is None else shown(title), show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    nested: list[tuple[str, list[Any]]] = []
    for key, value in record.items():
        if not err and isinstance(value, list) and value and isinstance(value[0], dict):
            nested.append((key, value))
        else:
            table.add_row(shown(heading(key)), shown(value_label(key, value)))
    con.print(table)
    for key, items in nested:
        _emit_table(items, None, heading(key), sys.stdout)


def heading(name: str) -> str:
    """A column's heading in a table for a person: `first_name` -> "first name" (etunimi).
    The headings are in the catalogue (cli/table_words.py); CSV, TSV and JSON keep the
    field's own name (docs/rules.md §6)."""
    return gettext(name.replace("_", " "))


def value_label(column: str, value: Any, lang: str | None = None) -> Any:
    """A stored code as a person reads it in a table, in the interface's language
    (`active` -> "voimassa"), from the register's words for its codes
    (templates/codes.<lang>.toml); English shows the code itself, as before. `lang`:
    the interface's language, when the caller has it (a long table asks once)."""
    lang = lang or language()
    if lang == SOURCE_LANGUAGE or value is None:
        return value
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    from lautex_registry.platform.wording import CODE_COLUMNS, code_word

    vocabulary = CODE_COLUMNS.get(column)
    if vocabulary is None or not isinstance(value, str):
        return value
    return ", ".join(code_word(vocabulary, part.strip(), lang) for part in value.split(","))


def left_out(counts: dict[str, int]) -> str:
    """Who a list left out and why, as one clause of the sentence that reports the list."""
    total = sum(counts.values())
    if not total:
        return gettext("left out nobody")
    reasons = ", ".join(f"{reason} {n}" for reason, n in counts.items())
    return gettext("left out {total}: {reasons}").format(total=total, reasons=reasons)


def report_restorations(restored: Sequence["Restoration"], limit: int = 20) -> None:
    """Tell the clerk which customers got an erased person's objections back (stderr)."""
    for item in restored[:limit]:
        purposes = ", ".join(item.purposes)
        warn(
            t(
                "customer {id}: matches an erased person who objected; objection restored:"
                " {purposes} (GDPR Art. 21(3))",
                id=item.customer_id,
                purposes=purposes,
            )
        )
    if len(restored) > limit:
        more = len(restored) - limit
        warn(
            tn(
                "... and {count} more customer had objections restored",
                "... and {count} more customers had objections restored",
                more,
                count=more,
            )
        )
