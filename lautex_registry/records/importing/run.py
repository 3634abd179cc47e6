"""The import as a whole: read, validate, check and store."""

import csv
import sqlite3
from pathlib import Path

from lautex_registry.platform import audit
from lautex_registry.platform.clock import timestamp, today
from lautex_registry.platform.input_files import regular_file_size
from lautex_registry.records import customers
from lautex_registry.records.importing.reading import (
    Progress,
    _delimiter,
    _header,
    _header_line,
    _read_texts,
)
from lautex_registry.records.importing.report import ImportReport
from lautex_registry.records.importing.storing import store_validated
from lautex_registry.records.importing.validating import (
    PARALLEL_MIN_BYTES,
    RowContext,
    _validate_in_parallel,
    _validate_serially,
    pool_socket_fits,
    usable_cores,
)


def import_customers(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    path: Path,
    *,
    default_source: str | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: Progress | None = None,
    parallel_min_bytes: int = PARALLEL_MIN_BYTES,
) -> ImportReport:
    """Validate and store the file's good rows, unless a bad row stops it (nothing written)."""
    if default_source is not None:
        from lautex_registry.platform.validation import choice

        default_source = choice(default_source, customers.SOURCES, "source")
    size = regular_file_size(path, "file")
    report = ImportReport(dry_run=dry_run, skip_invalid=skip_invalid)
    context_stamp = (timestamp(), today().isoformat())
    with open(path, encoding="utf-8-sig", newline="") as handle:
        header_line = _header_line(handle)
        delimiter = _delimiter(header_line)
        header = _header(next(csv.reader([header_line], delimiter=delimiter)), default_source)
        context = RowContext(header, default_source, *context_stamp, delimiter)
        texts = _read_texts(handle, delimiter, size, progress)
        workers = usable_cores()
        if size >= parallel_min_bytes and workers > 1 and pool_socket_fits():
            validated = _validate_in_parallel(texts, context, workers)
        else:
            validated = _validate_serially(texts, context)
        return store_validated(conn, actor, validated, report)
