"""`customer import`: many customers from a CSV file, validated and stored in one pass.

The file is UTF-8, comma or semicolon separated, with a header row whose names
are the `customer add` options in snake_case. It is streamed once, never held in
memory, and validation and storing overlap:

- the main process reads the records and hands them, CHUNK_ROWS at a time, to a
  pool of worker processes (one per core, for large files) that validate them:
  validating a row (email, phone, search text) costs as much as storing it;
- as the validated chunks come back, in file order, the main process checks them
  against the register (emails already there or earlier in the file, which the
  register's own unique email index answers; organisations) and stores the good
  rows with `executemany`, all in ONE write transaction with one audit row;
- by default, after the first bad row nothing more is stored, the rest of the
  file is only validated (every bad row is reported with its line number) and the
  transaction is rolled back: nothing is written. `--skip-invalid` commits the
  good rows. A dry run never opens a write transaction.

The write lock is held while the file is read (a large import belongs outside
office hours); no temporary file ever holds the rows.
"""

import csv
import gc
import io
import os
import select
import shutil
import sqlite3
import sys
import threading
import time
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from lautex_registry.platform import audit
from lautex_registry.platform.clock import timestamp, today
from lautex_registry.platform.errors import Conflict, InvalidInput, NotFound
from lautex_registry.platform.escaping import as_written
from lautex_registry.platform.input_files import regular_file_size
from lautex_registry.platform.validation import comparison_key, excerpt
from lautex_registry.records import customers, lookup

if TYPE_CHECKING:
    from lautex_registry.records.suppression import Restoration

CHUNK_ROWS = 2000
# The header names at most every column once (a few hundred characters): a longer first
# line is no customer CSV, and reading it whole could take all memory.
HEADER_MAX_CHARS = 10_000
# Files from this size on are validated by a pool of processes, one per core.
PARALLEL_MIN_BYTES = 1_000_000
# The import's page cache (KiB). With SQLite's default 2 MB, inserting into the email
# index of a large register evicts and re-reads a page for almost every row; 64 MiB
# stores faster (benchmarks/README.md) and is still a fixed bound, whatever the size
# of the file.
CACHE_KIB = 65_536
# Rows per INSERT statement when storing. executemany runs customers.INSERT_SQL once per
# row, and every run evaluates the table's `CHECK (source IN (...))` lists afresh (SQLite
# builds a small index for each list on each run); one statement of many rows builds
# them once and stores about 40% faster. 500 rows of 16 parameters stay well below
# SQLite's limit of 32766 parameters a statement.
MULTI_ROWS = 500
# Positions in customers.INSERT_SQL's parameters.
ORG_SLOT = customers.INSERT_COLUMNS.index("organisation_id")
EMAIL_SLOT = customers.INSERT_COLUMNS.index("email")
SEARCH_SLOT = customers.INSERT_COLUMNS.index("search_text")

Progress = Callable[[int, int], None]  # (bytes read, file size)


@dataclass(frozen=True)
class Problem:
    line: int
    reason: str


@dataclass
class ImportReport:
    rows: int = 0
    stored: int = 0
    valid: int = 0
    invalid: list[Problem] = field(default_factory=list)
    duplicates: list[Problem] = field(default_factory=list)
    organisations_created: int = 0
    # GDPR Art. 21(3): erased objectors' objections put back on stored rows.
    restored: list["Restoration"] = field(default_factory=list)
    dry_run: bool = False
    skip_invalid: bool = False

    @property
    def failed(self) -> bool:
        """True when bad rows stopped the import (nothing was written)."""
        return bool(self.invalid) and not self.skip_invalid and not self.dry_run

    @property
    def problems(self) -> list[Problem]:
        return sorted([*self.invalid, *self.duplicates], key=lambda p: p.line)

    def summary(self) -> str:
        parts = [
            f"{self.rows} rows read",
            f"{self.valid} valid",
            f"{len(self.invalid)} invalid",
            f"{len(self.duplicates)} duplicates skipped",
        ]
        if self.dry_run:
            outcome = "dry run: nothing written"
        elif self.failed:
            outcome = "nothing written: fix the rows above or use --skip-invalid"
        else:
            outcome = f"{self.stored} customers stored"
            if self.organisations_created:
                outcome += f", {self.organisations_created} organisations created"
        return f"{', '.join(parts)}; {outcome}"


# --- reading the file ----------------------------------------------------------------------


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


# --- validation (runs in worker processes for large files) --------------------------------


@dataclass(frozen=True)
class RowContext:
    """What every row needs besides its own cells; sent once per chunk to a worker."""

    header: tuple[str, ...]
    default_source: str | None
    created_at: str
    last_activity: str
    delimiter: str = ","


Checked = tuple[int, tuple[Any, ...] | None, str | None]  # line, insert params or None, problem


def validate_chunk(chunk: Chunk, context: RowContext) -> list[Checked]:
    """Validate records into INSERT parameters; organisation_id holds the org text for now."""
    results: list[Checked] = []
    width = len(context.header)
    for line, record in chunk:
        if len(record) != width:
            results.append((line, None, f"expected {width} fields, found {len(record)}"))
            continue
        # A cell the register guarded against spreadsheet formulas reads back as stored.
        cells = (as_written(cell) for cell in record)
        fields: dict[str, str | None] = dict(zip(context.header, cells, strict=True))
        if context.default_source and not (fields.get("source") or "").strip():
            fields["source"] = context.default_source
        try:
            clean = customers.validate_fields(fields)
        except InvalidInput as exc:
            results.append((line, None, str(exc)))
            continue
        org = clean["org"]
        # The org's name as written folds the same as its stored name; an id is looked up later.
        org_name = org if org and not org.isdigit() else None
        values = customers.row_for_insert(
            clean, None, org_name, context.created_at, context.last_activity
        )
        if org:
            values = (*values[:ORG_SLOT], org, *values[ORG_SLOT + 1 :])
        results.append((line, values, None))
    return results


def validate_text(text: Text, context: RowContext) -> list[Checked]:
    """Parse and validate the raw text of whole records (a worker's task).

    The cyclic garbage collector is paused meanwhile: the chunk's thousands of short-lived
    strings and tuples would set it off again and again (about 10% of the time), and
    they form no cycles; reference counting frees them.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        return validate_chunk(records(text, context.delimiter), context)
    finally:
        if paused:
            gc.enable()


def _validate_serially(texts: Iterable[Text], context: RowContext) -> Iterator[list[Checked]]:
    for text in texts:
        yield validate_text(text, context)


def _validate_in_parallel(
    texts: Iterable[Text], context: RowContext, workers: int
) -> Iterator[list[Checked]]:
    """Results in file order, with at most two chunks per worker in flight (bounded memory)."""
    import multiprocessing
    from multiprocessing.util import get_temp_dir

    # forkserver: a forked copy of a process with threads (a progress bar) can deadlock.
    mp_context = multiprocessing.get_context("forkserver")
    # Workers fork from a server that has imported the validators once.
    mp_context.set_forkserver_preload([__name__])
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=mp_context,
        initializer=die_with_the_importer,
        initargs=(os.getpid(), get_temp_dir()),
    ) as pool:
        pending: deque[Future[list[Checked]]] = deque()
        for text in texts:
            pending.append(pool.submit(validate_text, text, context))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def die_with_the_importer(importer_pid: int, socket_folder: str) -> None:
    """A worker's start: it ends when the import that started it ends, however that ends.

    A killed import (kill -9, a closed terminal) cannot stop its pool, and its workers
    would wait for work forever: they hold the pool's pipes and the fork server's
    lifeline, so neither they nor the fork server ever see it go. A watchdog thread
    waits for the importer's exit, removes the socket folder it can no longer remove
    itself, and ends the worker; the fork server and the resource tracker then follow.
    """
    _signal_when_the_parent_dies()
    watchdog = threading.Thread(
        target=_end_with, args=(importer_pid, socket_folder), name="importer-watchdog"
    )
    watchdog.daemon = True
    watchdog.start()


def _signal_when_the_parent_dies() -> None:
    """Linux: SIGKILL when the fork server, the worker's parent, is killed."""
    if not sys.platform.startswith("linux"):
        return  # pragma: no cover - the watchdog alone elsewhere
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def _end_with(importer_pid: int, socket_folder: str) -> None:
    _wait_for_exit(importer_pid)
    shutil.rmtree(socket_folder, ignore_errors=True)
    os._exit(1)


def _wait_for_exit(pid: int) -> None:
    """Return when the process has ended: at once through a pidfd (Linux 5.3+), else by polling."""
    try:
        handle = os.pidfd_open(pid)
    except (AttributeError, OSError):  # no pidfd here, or the process is gone already
        while _running(pid):
            time.sleep(0.2)
        return
    select.select([handle], [], [])  # a pidfd turns readable when its process exits


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - the pid was reused by another user
        return False
    return True


def pool_socket_fits() -> bool:
    """Whether the pool's fork server can listen at $TMPDIR/pymp-XXXXXXXX/listener-XXXXXXXX:
    a Unix socket's path holds at most 107 bytes (Linux), so under a deeper $TMPDIR the
    pool cannot start and the file is validated in this process instead."""
    import tempfile

    return len(os.fsencode(tempfile.gettempdir())) + len("/pymp-12345678/listener-12345678") <= 107


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


# --- checks against the register and storing -----------------------------------------------


class _StoredLines:
    """The file line of every row this import stored, kept as runs of consecutive ids.

    Stored rows take consecutive ids, so a run only starts after a skipped line:
    memory grows with the problems reported, not with the rows.
    """

    def __init__(self, first_id: int) -> None:
        self.next_id = first_id
        self.starts: list[int] = []
        self.offsets: list[int] = []  # line - id within the run

    def add(self, lines: Iterable[int]) -> None:
        next_id, starts, offsets = self.next_id, self.starts, self.offsets
        for line in lines:
            if not offsets or offsets[-1] != line - next_id:
                starts.append(next_id)
                offsets.append(line - next_id)
            next_id += 1
        self.next_id = next_id

    def line_of(self, customer_id: int) -> int:
        return customer_id + self.offsets[bisect_right(self.starts, customer_id) - 1]


class RegisterChecks:
    """Duplicate emails (in the register or earlier in the file) and organisation look-ups.

    Rows this import stored are in the customers table (uncommitted), so its unique
    email index answers both questions. Emails of rows not stored (a dry run, or the
    rest of a file after a bad row) go to an in-memory temporary table instead.
    """

    def __init__(self, conn: sqlite3.Connection, first_new_id: int | None) -> None:
        self.conn = conn
        # comparison_key(ref) -> id, or the name to create
        self.organisations: dict[str, int | str] = {}
        self.names: dict[int, str] = {}  # id -> name, for refs given as ids
        # Emails and organisation names with characters beyond ASCII compare in full
        # Unicode (NFC, case folding), which the NOCASE indexes do not: the register's
        # few such values are read once, and this file's are remembered as they come.
        self.unicode_emails: dict[str, int | str] = {
            comparison_key(email): int(customer_id)
            for customer_id, email in conn.execute(lookup.UNICODE_EMAILS)
        }
        self.unicode_organisations: dict[str, int] | None = None
        self.first_new_id = first_new_id  # ids from here on were stored by this import
        self.stored_lines = _StoredLines(first_new_id or 0)
        self.remembering = False

    def remember_emails(self) -> None:
        """From now on, emails of checked rows go to a temporary table (nothing is stored)."""
        if not self.remembering:
            self.conn.execute("DROP TABLE IF EXISTS temp.import_emails")
            self.conn.execute(
                "CREATE TEMP TABLE import_emails "
                "(email TEXT PRIMARY KEY COLLATE NOCASE, line INTEGER)"
            )
            self.remembering = True

    def close(self) -> None:
        if self.remembering:
            self.conn.execute("DROP TABLE IF EXISTS temp.import_emails")

    def duplicates(self, emails: list[tuple[int, str]]) -> dict[int, str]:
        """Lines whose email is already in the register or on an earlier line, with the reason.

        One chunk at a time: one or two indexed IN look-ups, not a statement per row.
        """
        found: dict[int, str] = {}
        if not emails:
            return found
        # Looked up as written and as its comparison key (`STRAßE@` finds `strasse@`);
        # the temporary table holds comparison keys.
        spellings = [s for _line, email in emails for s in lookup.nocase_spellings(email)]
        marks = ",".join("?" * len(spellings))
        existing = {
            comparison_key(email): customer_id
            for email, customer_id in self.conn.execute(
                f"SELECT email, id FROM customers WHERE email COLLATE NOCASE IN ({marks})",
                spellings,
            )
        }
        earlier: dict[str, int] = {}
        if self.remembering:
            keys = [comparison_key(email) for _line, email in emails]
            earlier = dict(
                self.conn.execute(
                    "SELECT email, line FROM temp.import_emails "
                    f"WHERE email IN ({','.join('?' * len(keys))})",
                    keys,
                ).fetchall()
            )
        first_new = self.first_new_id
        new: list[tuple[str, int]] = []
        for line, email in emails:
            key = comparison_key(email)
            customer_id = existing.get(key)
            unicode_match = self._unicode_email(email, line)
            if customer_id is None and isinstance(unicode_match, int):
                customer_id = unicode_match
            elif customer_id is None and isinstance(unicode_match, str):
                found[line] = f"email: the same address is on line {unicode_match}; not imported"
                continue
            if customer_id is not None and (first_new is None or customer_id < first_new):
                found[line] = (
                    f"email: customer {customer_id} already has this email address; not imported"
                )
                continue
            if customer_id is not None:
                earlier.setdefault(key, self.stored_lines.line_of(customer_id))
            if key in earlier:
                found[line] = f"email: the same address is on line {earlier[key]}; not imported"
            else:
                earlier[key] = line
                new.append((key, line))
        if self.remembering and new:
            self.conn.executemany("INSERT INTO temp.import_emails (email, line) VALUES (?, ?)", new)
        return found

    def _unicode_email(self, email: str, line: int) -> int | str | None:
        """A customer id (in the register before), or the line (as text) of the same
        address earlier in the file, by full Unicode comparison; None when new."""
        key = comparison_key(email)
        if email.isascii() and key == email.lower() and key not in self.unicode_emails:
            return None
        known = self.unicode_emails.get(key)
        if known is None and not email.isascii():
            self.unicode_emails[key] = str(line)
        return known

    def _organisation_by_name(self, name: str) -> int | None:
        for spelling in lookup.nocase_spellings(name):
            row = self.conn.execute(lookup.ORGANISATION_BY_NAME, (spelling,)).fetchone()
            if row is not None:
                return int(row[0])
        if self.unicode_organisations is None:
            self.unicode_organisations = {
                comparison_key(text): int(org_id)
                for org_id, text in self.conn.execute(lookup.UNICODE_ORGANISATION_NAMES)
            }
        return self.unicode_organisations.get(comparison_key(name))

    def organisation(self, ref: str) -> int | str:
        """An existing organisation's id, or the name of one to create; NotFound for an id."""
        key = comparison_key(ref)
        known = self.organisations.get(key)
        if known is not None:
            return known
        resolved: int | str
        if not ref.isdigit():
            found = self._organisation_by_name(ref)
            resolved = ref if found is None else found  # a new name is created when stored
            self.organisations[key] = resolved
            return resolved
        try:
            resolved = lookup.resolve_organisation_id(self.conn, ref)
            if ref.isdigit():
                row = self.conn.execute(
                    "SELECT name FROM organisations WHERE id = ?", (resolved,)
                ).fetchone()
                self.names[resolved] = str(row[0])
        except NotFound:
            if ref.isdigit():
                raise
            resolved = ref  # created when a row that names it is stored
        self.organisations[key] = resolved
        return resolved

    def create_organisation(self, name: str, actor: audit.Actor) -> tuple[int, bool]:
        """The organisation's id, and whether it was created now (not by an earlier row of
        the same chunk, which was resolved before that row was stored)."""
        from lautex_registry.records.organisations import add_organisation

        key = comparison_key(name)
        known = self.organisations.get(key)
        if isinstance(known, int):
            return known, False
        created = add_organisation(self.conn, actor, name)
        self.organisations[key] = created
        if self.unicode_organisations is not None and not name.isascii():
            self.unicode_organisations[key] = created
        return created, True


class _NothingWritten(Exception):
    """Ends the import's transaction with a rollback: a bad row, or no row to store."""


class _Storing:
    """Validated chunks in: problems reported, good rows stored while `storing` holds."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        actor: audit.Actor,
        report: ImportReport,
        first_id: int | None,
    ) -> None:
        self.conn = conn
        self.actor = actor
        self.report = report
        self.storing = first_id is not None
        self.checks = RegisterChecks(conn, first_id)
        if not self.storing:
            self.checks.remember_emails()

    def take(self, results: list[Checked]) -> None:
        report, checks = self.report, self.checks
        candidates: list[tuple[int, tuple[Any, ...]]] = []
        for line, values, problem in results:
            if values is None:
                report.invalid.append(Problem(line, problem or "invalid"))
                continue
            org = values[ORG_SLOT]
            if org is not None:
                try:
                    resolved = checks.organisation(org)
                except NotFound as exc:
                    report.invalid.append(Problem(line, str(exc)))
                    continue
                values = (*values[:ORG_SLOT], resolved, *values[ORG_SLOT + 1 :])
                if org.isdigit():  # the worker knew only the id: add the name search sees
                    folded = customers.fold_for_search(checks.names[int(resolved)])
                    values = (*values[:SEARCH_SLOT], f"{values[SEARCH_SLOT]} {folded}",
                              *values[SEARCH_SLOT + 1 :])  # fmt: skip
            candidates.append((line, values))
        report.rows += len(results)
        if self.storing and report.invalid and not report.skip_invalid:
            # A bad row: nothing will be written. Stop storing, keep checking and reporting.
            self.storing = False
            checks.remember_emails()
        duplicates = checks.duplicates(
            [(line, values[EMAIL_SLOT]) for line, values in candidates if values[EMAIL_SLOT]]
        )
        good: list[tuple[Any, ...]] = []
        lines: list[int] = []
        for line, values in candidates:
            if line in duplicates:
                report.duplicates.append(Problem(line, duplicates[line]))
                continue
            if self.storing and isinstance(values[ORG_SLOT], str):
                org_id, created = checks.create_organisation(values[ORG_SLOT], self.actor)
                report.organisations_created += created
                values = (*values[:ORG_SLOT], org_id, *values[ORG_SLOT + 1 :])
            good.append(values)
            lines.append(line)
        report.valid += len(good)
        if self.storing and good:
            try:
                insert_customers(self.conn, good)
            except sqlite3.IntegrityError as exc:
                raise Conflict(f"the rows cannot be stored ({exc}): nothing was written") from exc
            checks.stored_lines.add(lines)
            report.stored += len(good)


def insert_customers(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    """customers.INSERT_SQL for each row, MULTI_ROWS rows a statement (see MULTI_ROWS)."""
    limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per_statement = max(1, min(MULTI_ROWS, limit // customers.INSERT_SQL.count("?")))
    whole = len(rows) - len(rows) % per_statement
    if whole:
        head, values = customers.INSERT_SQL.split("VALUES")
        sql = f"{head}VALUES {', '.join([values.strip()] * per_statement)}"
        conn.executemany(
            sql,
            (
                list(chain.from_iterable(rows[start : start + per_statement]))
                for start in range(0, whole, per_statement)
            ),
        )
    if whole < len(rows):
        conn.executemany(customers.INSERT_SQL, rows[whole:])


def _next_customer_id(conn: sqlite3.Connection) -> int:
    """customers.id is AUTOINCREMENT: new ids follow the larger of the sequence and MAX(id),
    one by one, while the transaction holds the write lock."""
    row = conn.execute(
        "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'customers'), 0),"
        " COALESCE((SELECT MAX(id) FROM customers), 0))"
    ).fetchone()
    return int(row[0]) + 1


def _record_import(
    conn: sqlite3.Connection, actor: audit.Actor, report: ImportReport, first_id: int
) -> None:
    new_ids = range(first_id, first_id + report.stored)
    audit.record(
        conn,
        actor,
        "customer import",
        "customer",
        None,
        {
            "rows": report.rows,
            "stored": report.stored,
            "invalid_skipped": len(report.invalid),
            "duplicates_skipped": len(report.duplicates),
            "organisations_created": report.organisations_created,
            "first_id": new_ids.start,
            "last_id": new_ids.stop - 1,
        },
    )
    for start in range(0, len(new_ids), 10_000):
        report.restored.extend(
            customers.after_contact_written(conn, actor, new_ids[start : start + 10_000])
        )


def store_validated(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    validated: Iterable[list[Checked]],
    report: ImportReport,
) -> ImportReport:
    """The storing step, from validated chunks to the commit with its audit row.

    A dry run only checks. Otherwise one transaction: rows are stored as their chunks
    arrive and committed at the end, unless a bad row (without --skip-invalid) rolls
    everything back. benchmarks/import_speed.py times this against plain `executemany`.
    """
    from lautex_registry.platform.db import transaction

    cache = int(conn.execute("PRAGMA cache_size").fetchone()[0])
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    step: _Storing | None = None
    try:
        if report.dry_run:
            step = _Storing(conn, actor, report, None)
            for results in validated:
                step.take(results)
            return report
        try:
            with transaction(conn):
                first_id = _next_customer_id(conn)
                step = _Storing(conn, actor, report, first_id)
                for results in validated:
                    step.take(results)
                if report.failed or not report.stored:
                    raise _NothingWritten
                _record_import(conn, actor, report, first_id)
        except _NothingWritten:
            report.stored = report.organisations_created = 0
        return report
    finally:
        if step is not None:
            step.checks.close()  # after the transaction: a rollback would undo the DROP
        conn.execute(f"PRAGMA cache_size = {cache}")


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
