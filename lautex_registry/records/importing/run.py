"""The import as a whole: read, validate, stage, store.

The file (or standard input) is streamed once, never held in memory, and the jobs
overlap:

- `reading` decodes it line by line and hands the raw text of whole records on,
  CHUNK_ROWS lines at a time;
- `validating` turns them into INSERT parameters, in a pool of worker processes (one
  per core) for large files: validating a row (email, phone, search text) costs as
  much as storing it;
- `storing` takes the validated chunks in file order, checks them against the register
  (emails already there or earlier in the file; organisations) and stages the good
  rows in a private file on disk (`staging_file`), without the write lock; then,
  unless a bad row (without --skip-invalid) means nothing is written, it stores them
  in batches of short write transactions, one audit row each, as one import run
  (`runs`). A dry run never takes the write lock.
"""

from collections.abc import Callable, Iterator, Sequence
from itertools import chain
from pathlib import Path
from typing import IO, Any

from lautex_registry.platform import audit
from lautex_registry.platform.clock import timestamp, today
from lautex_registry.platform.errors import InvalidInput, t
from lautex_registry.platform.input_files import regular_file_size
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records import customers
from lautex_registry.records.importing import runs
from lautex_registry.records.importing.reading import (
    DecodedLines,
    Progress,
    Text,
    header,
    parse_map,
    read_texts,
)
from lautex_registry.records.importing.report import ImportReport
from lautex_registry.records.importing.storing import Start, store_validated
from lautex_registry.records.importing.validating import (
    PARALLEL_MIN_BYTES,
    RowContext,
    pool_socket_fits,
    usable_cores,
    validate_in_parallel,
    validate_serially,
)


def import_customers(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    source: Path | IO[bytes],
    *,
    default_source: str | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    encoding: str = "utf-8",
    mapping: Sequence[str] = (),
    ignore_extra: bool = False,
    progress: Progress | None = None,
    parallel_min_bytes: int = PARALLEL_MIN_BYTES,
    resume: int | None = None,
    batch_rows: int = runs.BATCH_ROWS,
) -> ImportReport:
    """Validate and store the good rows of a file (a path) or a stream (standard input),
    unless a bad row stops it (nothing written). The rows are stored in batches of
    `batch_rows` as one import run (`runs`); `resume` goes on with an unfinished run of
    the same file, read with the options that run was started with."""
    run = None
    if resume is not None:
        run = runs.resumable(conn, resume)
        default_source = run.options.get("source")
        skip_invalid = bool(run.options.get("skip_invalid"))
        encoding = str(run.options.get("encoding", "utf-8"))
        mapping = list(run.options.get("map", []))
        ignore_extra = bool(run.options.get("ignore_extra"))
    options: dict[str, Any] = {
        "source": default_source,
        "skip_invalid": skip_invalid,
        "encoding": encoding,
        "map": list(mapping),
        "ignore_extra": ignore_extra,
    }
    if default_source is not None:
        from lautex_registry.platform.validation import choice

        default_source = choice(default_source, customers.SOURCES, "source")
    columns = parse_map(mapping)
    if isinstance(source, Path):
        size = regular_file_size(source, "file")
        with open(source, "rb") as binary:
            return _import(
                conn, actor, runs.HashingReader(binary), size, default_source, dry_run,
                skip_invalid, encoding, columns, ignore_extra, progress, parallel_min_bytes,
                _starter(run, options, batch_rows), run.last_line if run else 0,
            )  # fmt: skip
    return _import(
        conn, actor, runs.HashingReader(source), 0, default_source, dry_run, skip_invalid,
        encoding, columns, ignore_extra, progress, parallel_min_bytes,
        _starter(run, options, batch_rows), run.last_line if run else 0,
    )  # fmt: skip


def _starter(
    run: runs.ImportRun | None, options: dict[str, Any], batch_rows: int
) -> Callable[[runs.HashingReader], Start]:
    """How the store starts once the whole file is read: a new run, or `run` resumed
    when the file is the one it read (its SHA-256 the same)."""

    def start(reader: runs.HashingReader) -> Start:
        sha256 = reader.hexdigest()
        if run is None:
            return Start(sha256, options, batch_rows=batch_rows)
        if sha256 != run.file_sha256:
            raise InvalidInput(
                t(
                    "file: not the file import run {id} read (its SHA-256 differs): resume "
                    "with the same file",
                    id=run.id,
                )
            )
        return Start(sha256, run.options, run.id, run.last_line, batch_rows)

    return start


def _import(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    binary: runs.HashingReader,
    size: int,
    default_source: str | None,
    dry_run: bool,
    skip_invalid: bool,
    encoding: str,
    columns: dict[str, tuple[str, str]],
    ignore_extra: bool,
    progress: Progress | None,
    parallel_min_bytes: int,
    start: Callable[[runs.HashingReader], Start],
    resume_after: int = 0,
) -> ImportReport:
    lines = DecodedLines(binary, encoding)
    found = header(lines.first_line(), default_source, columns, ignore_extra)
    report = ImportReport(dry_run=dry_run, skip_invalid=skip_invalid, ignored_columns=found.ignored)
    context = RowContext(
        found.fields, default_source, timestamp(), today().isoformat(), found.delimiter
    )
    # A stream's size is not known beforehand: no bar that could not say how far it is.
    texts = read_texts(lines, found.delimiter, size, progress if size else None)
    workers = usable_cores()
    if size == 0:  # a stream: its size shows as it is read
        texts = _read_ahead(texts, lines, parallel_min_bytes)
        size_known = lines.bytes_read
    else:
        size_known = size
    if size_known >= parallel_min_bytes and workers > 1 and pool_socket_fits():
        validated = validate_in_parallel(texts, context, workers)
    else:
        validated = validate_serially(texts, context)
    return store_validated(conn, actor, validated, report, lambda: start(binary), resume_after)


def _read_ahead(texts: Iterator[Text], lines: DecodedLines, enough: int) -> Iterator[Text]:
    """The first texts of a stream, until `enough` bytes are read or it ends."""
    ahead: list[Text] = []
    for text in texts:
        ahead.append(text)
        if lines.bytes_read >= enough:
            break
    return chain(ahead, texts)
