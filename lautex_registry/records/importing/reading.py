"""Reading an import file: its header, its delimiter and the raw text of whole records."""

import csv
import io
from collections.abc import Callable, Iterator
from typing import IO

from lautex_registry.platform.errors import InvalidInput
from lautex_registry.platform.validation import excerpt
from lautex_registry.records import customers

CHUNK_ROWS = 2000
# The header names at most every column once (a few hundred characters): a longer first
# line is no customer CSV, and reading it whole could take all memory.
HEADER_MAX_CHARS = 10_000
# Files from this size on are validated by a pool of processes, one per core.

Progress = Callable[[int, int], None]  # (bytes read, file size)


def _header(raw: list[str], default_source: str | None) -> tuple[str, ...]:
    names = tuple(name.strip().lower().replace("-", "_") for name in raw)
    unknown = [name for name in names if name not in customers.FIELDS]
    if unknown:
        raise InvalidInput(
            f"header: unknown column {excerpt(unknown[0])} (columns: {', '.join(customers.FIELDS)})"
        )
    repeated = [name for name in names if names.count(name) > 1]
    if repeated:
        raise InvalidInput(f"header: column {excerpt(repeated[0])} appears twice")
    for required in ("first_name", "last_name"):
        if required not in names:
            raise InvalidInput(f"header: a {required} column is required")
    if "source" not in names and default_source is None:
        # docs/privacy-statement.md P4: every customer's source is recorded.
        raise InvalidInput("header: no source column: add one or give --source")
    return names


def _header_line(handle: IO[str]) -> str:
    """The first line, read alone: a file of one endless line is refused, not held in memory."""
    try:
        line = handle.readline(HEADER_MAX_CHARS + 1)
    except UnicodeDecodeError as exc:
        raise _not_utf8(handle, exc) from exc
    if len(line) > HEADER_MAX_CHARS:
        raise InvalidInput(
            f"header: the first line is longer than {HEADER_MAX_CHARS} characters; "
            "it names the columns of a CSV file"
        )
    if not line.strip():
        raise InvalidInput("header: the file is empty; the first line names the columns")
    return line


def _not_utf8(handle: IO[str], exc: UnicodeDecodeError) -> InvalidInput:
    """The line holding the first byte that is not UTF-8.

    The text layer decodes thousands of bytes at once, so where it failed says little; the
    file (a regular one) is read again, line by line, only on this error path.
    """
    buffer = handle.buffer if isinstance(handle, io.TextIOWrapper) else None
    if buffer is None:
        return InvalidInput(f"file: not UTF-8 text ({exc.reason})")
    buffer.seek(0)
    for number, raw in enumerate(buffer, start=1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as bad:
            return InvalidInput(f"file: not UTF-8 text on line {number} ({bad.reason})")
    return InvalidInput(f"file: not UTF-8 text ({exc.reason})")


def _delimiter(first_line: str) -> str:
    return ";" if first_line.count(";") > first_line.count(",") else ","


Chunk = list[tuple[int, list[str]]]  # records with the line number each starts on
Text = tuple[int, str]  # whole records as raw text, with the line number it starts on


class _Lines:
    """The file's lines, each kept as it is read, so the text of whole records can be sent."""

    def __init__(self, handle: IO[str]) -> None:
        self.handle = handle
        self.pending: str | None = None  # a line already read, given to the csv reader first
        self.taken: list[str] = []

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        if self.pending is not None:
            line, self.pending = self.pending, None
            return line
        line = next(self.handle)
        self.taken.append(line)
        return line


def _read_texts(
    handle: IO[str], delimiter: str, size: int, progress: Progress | None
) -> Iterator[Text]:
    """The file after its header as raw text of whole records, about CHUNK_ROWS lines at a time.

    The workers parse the text (the csv module is the costly part of reading); here the
    file is only split between records. A line without a quote character is a whole
    record (only a quoted field spans lines); a line with one is read with the csv
    module, the same rules the workers apply, to take the rest of its record with it.
    """
    lines = _Lines(handle)
    reader = csv.reader(lines, delimiter=delimiter)
    first_line = 2  # line 1 is the header
    buffer = handle.buffer if isinstance(handle, io.TextIOWrapper) else None
    try:
        for line in lines:
            if '"' in line:
                lines.pending = line
                next(reader)
            if len(lines.taken) >= CHUNK_ROWS:
                yield first_line, "".join(lines.taken)
                first_line += len(lines.taken)
                lines.taken = []
                if progress is not None and buffer is not None:
                    progress(buffer.tell(), size)
    except UnicodeDecodeError as exc:
        raise _not_utf8(handle, exc) from exc
    except csv.Error as exc:
        raise InvalidInput(f"line {first_line - 1 + len(lines.taken)}: {exc}") from exc
    if lines.taken:
        yield first_line, "".join(lines.taken)
    if progress is not None:
        progress(size, size)


def records(text: Text, delimiter: str) -> Chunk:
    """Parse the raw text of whole records; blank lines are left out."""
    first_line, raw = text
    reader = csv.reader(io.StringIO(raw, newline=""), delimiter=delimiter)
    chunk: Chunk = []
    previous_end = first_line - 1
    try:
        for record in reader:
            start, previous_end = previous_end + 1, first_line - 1 + reader.line_num
            if not record or (len(record) == 1 and not record[0].strip()):
                continue
            chunk.append((start, record))
    except csv.Error as exc:
        raise InvalidInput(f"line {previous_end + 1}: {exc}") from exc
    return chunk
