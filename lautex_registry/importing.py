"""`customer import`: many customers from a CSV file, validated first, stored fast.

The file is UTF-8, comma or semicolon separated, with a header row whose names
are the `customer add` options in snake_case. It is streamed twice over, never
held in memory:

1. validation: every row is checked (on every core for large files); bad rows
   are collected with their line numbers; good rows go, ready to store, to a
   temporary spill file; emails already in the register or earlier in the file
   are reported as duplicates and skipped.
2. storing: unless a row was bad (and --skip-invalid was not given) or it is a
   dry run, the spilled rows are stored with `executemany` in one transaction
   with one audit row, so an import is whole or not at all.
"""

import csv
import io
import os
import pickle
import sqlite3
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from lautex_registry import audit, customers
from lautex_registry.clock import timestamp, today
from lautex_registry.errors import Conflict, InvalidInput, NotFound

CHUNK_ROWS = 2000
# Files from this size on are validated by a pool of processes, one per core:
# validating a row (email, phone) costs 40 times storing it.
PARALLEL_MIN_BYTES = 1_000_000
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
            f"header: unknown column {unknown[0]!r} (columns: {', '.join(customers.FIELDS)})"
        )
    repeated = [name for name in names if names.count(name) > 1]
    if repeated:
        raise InvalidInput(f"header: column {repeated[0]!r} appears twice")
    for required in ("first_name", "last_name"):
        if required not in names:
            raise InvalidInput(f"header: a {required} column is required")
    if "source" not in names and default_source is None:
        # Statement P4: every customer's source is recorded.
        raise InvalidInput("header: no source column: add one or give --source")
    return names


def _delimiter(first_line: str) -> str:
    return ";" if first_line.count(";") > first_line.count(",") else ","


Chunk = list[tuple[int, list[str]]]


def _read_chunks(
    handle: IO[str], header_line: str, size: int, progress: Progress | None
) -> Iterator[Chunk]:
    """Records with the line number they start on, CHUNK_ROWS at a time."""
    reader = csv.reader(handle, delimiter=_delimiter(header_line))
    chunk: Chunk = []
    previous_end = 1  # the header line was read already; reader.line_num counts after it
    buffer = handle.buffer if isinstance(handle, io.TextIOWrapper) else None
    try:
        for record in reader:
            start, previous_end = previous_end + 1, reader.line_num + 1
            if not record or (len(record) == 1 and not record[0].strip()):
                continue
            chunk.append((start, record))
            if len(chunk) >= CHUNK_ROWS:
                yield chunk
                chunk = []
                if progress is not None and buffer is not None:
                    progress(buffer.tell(), size)
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"file: not UTF-8 text after line {previous_end} ({exc.reason})"
        ) from exc
    except csv.Error as exc:
        raise InvalidInput(f"line {reader.line_num + 1}: {exc}") from exc
    if chunk:
        yield chunk


# --- validation (runs in worker processes for large files) --------------------------------


@dataclass(frozen=True)
class RowContext:
    """What every row needs besides its own cells; sent once per chunk to a worker."""

    header: tuple[str, ...]
    default_source: str | None
    created_at: str
    last_activity: str


Checked = tuple[int, tuple[Any, ...] | None, str | None]  # line, insert params or None, problem


def validate_chunk(chunk: Chunk, context: RowContext) -> list[Checked]:
    """Validate records into INSERT parameters; organisation_id holds the org text for now."""
    results: list[Checked] = []
    width = len(context.header)
    for line, record in chunk:
        if len(record) != width:
            results.append((line, None, f"expected {width} fields, found {len(record)}"))
            continue
        fields: dict[str, str | None] = dict(zip(context.header, record, strict=True))
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


def _validate_serially(chunks: Iterable[Chunk], context: RowContext) -> Iterator[list[Checked]]:
    for chunk in chunks:
        yield validate_chunk(chunk, context)


def _validate_in_parallel(
    chunks: Iterable[Chunk], context: RowContext, workers: int
) -> Iterator[list[Checked]]:
    """Results in file order, with at most two chunks per worker in flight (bounded memory)."""
    import multiprocessing

    # forkserver: a forked copy of a process with threads (a progress bar) can deadlock.
    mp_context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp_context) as pool:
        pending: deque[Future[list[Checked]]] = deque()
        for chunk in chunks:
            pending.append(pool.submit(validate_chunk, chunk, context))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


# --- checks against the register ----------------------------------------------------------


class RegisterChecks:
    """Duplicate emails (in the register or earlier in the file) and organisation look-ups.

    Emails seen in the file go to a temporary table, not a Python set, so memory
    does not grow with the file.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.organisations: dict[str, int | str] = {}  # casefolded ref -> id, or name to create
        self.names: dict[int, str] = {}  # id -> name, for refs given as ids
        conn.execute("DROP TABLE IF EXISTS temp.import_emails")
        conn.execute(
            "CREATE TEMP TABLE import_emails (email TEXT PRIMARY KEY COLLATE NOCASE, line INTEGER)"
        )

    def close(self) -> None:
        self.conn.execute("DROP TABLE IF EXISTS temp.import_emails")

    def duplicates(self, emails: list[tuple[int, str]]) -> dict[int, str]:
        """Lines whose email is already in the register or on an earlier line, with the reason.

        One chunk at a time: two indexed IN look-ups and one executemany, not a
        statement per row.
        """
        found: dict[int, str] = {}
        if not emails:
            return found
        marks = ",".join("?" * len(emails))
        addresses = [email for _line, email in emails]
        registered = {
            email.casefold(): customer_id
            for email, customer_id in self.conn.execute(
                f"SELECT email, id FROM customers WHERE email COLLATE NOCASE IN ({marks})",
                addresses,
            )
        }
        earlier = {
            email.casefold(): line
            for email, line in self.conn.execute(
                f"SELECT email, line FROM temp.import_emails WHERE email IN ({marks})", addresses
            )
        }
        new: list[tuple[str, int]] = []
        for line, email in emails:
            key = email.casefold()
            if key in registered:
                found[line] = (
                    f"email: customer {registered[key]} already has this email address; "
                    "not imported"
                )
            elif key in earlier:
                found[line] = f"email: the same address is on line {earlier[key]}; not imported"
            else:
                earlier[key] = line
                new.append((email, line))
        self.conn.executemany("INSERT INTO temp.import_emails (email, line) VALUES (?, ?)", new)
        return found

    def organisation(self, ref: str) -> int | str:
        """An existing organisation's id, or the name of one to create; NotFound for an id."""
        key = ref.casefold()
        known = self.organisations.get(key)
        if known is not None:
            return known
        resolved: int | str
        try:
            resolved = customers.resolve_organisation_id(self.conn, ref)
            if ref.isdigit():
                row = self.conn.execute(
                    "SELECT name FROM organisations WHERE id = ?", (resolved,)
                ).fetchone()
                self.names[resolved] = str(row[0])
        except NotFound:
            if ref.isdigit():
                raise
            resolved = ref  # created when the rows are stored
        self.organisations[key] = resolved
        return resolved


def _check_rows(
    results: list[Checked], checks: RegisterChecks, report: ImportReport
) -> list[tuple[Any, ...]]:
    candidates: list[tuple[int, tuple[Any, ...]]] = []
    for line, values, problem in results:
        report.rows += 1
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
            if org.isdigit():  # the worker knew only the id: add the name to what search sees
                folded = customers.fold_for_search(checks.names[int(resolved)])
                values = (*values[:SEARCH_SLOT], f"{values[SEARCH_SLOT]} {folded}",
                          *values[SEARCH_SLOT + 1 :])  # fmt: skip
        candidates.append((line, values))
    duplicates = checks.duplicates(
        [(line, values[EMAIL_SLOT]) for line, values in candidates if values[EMAIL_SLOT]]
    )
    good: list[tuple[Any, ...]] = []
    for line, values in candidates:
        if line in duplicates:
            report.duplicates.append(Problem(line, duplicates[line]))
        else:
            good.append(values)
    report.valid += len(good)
    return good


# --- storing -------------------------------------------------------------------------------


def store_customers(conn: sqlite3.Connection, batches: Iterable[list[tuple[Any, ...]]]) -> int:
    """The storing step: `executemany` of validated rows (benchmarks/import_speed.py times it)."""
    stored = 0
    for batch in batches:
        conn.executemany(customers.INSERT_SQL, batch)
        stored += len(batch)
    return stored


def _spilled(spill: IO[bytes]) -> Iterator[list[tuple[Any, ...]]]:
    spill.seek(0)
    while True:
        try:
            yield pickle.load(spill)
        except EOFError:
            return


def _with_organisation_ids(
    batches: Iterable[list[tuple[Any, ...]]], created: dict[str, int]
) -> Iterator[list[tuple[Any, ...]]]:
    for batch in batches:
        if created:
            batch = [
                (*v[:ORG_SLOT], created[v[ORG_SLOT]], *v[ORG_SLOT + 1 :])
                if isinstance(v[ORG_SLOT], str)
                else v
                for v in batch
            ]
        yield batch


def _create_organisations(
    conn: sqlite3.Connection, checks: RegisterChecks, actor: audit.Actor
) -> dict[str, int]:
    from lautex_registry.organisations import add_organisation

    created: dict[str, int] = {}
    for name in checks.organisations.values():
        if isinstance(name, str):
            created[name] = add_organisation(conn, actor, name)
    return created


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
    """Validate the whole file, then store its good rows unless a bad row stops it."""
    if default_source is not None:
        from lautex_registry.validation import choice

        default_source = choice(default_source, customers.SOURCES, "source")
    if not path.is_file():
        raise NotFound(f"file: {path} does not exist")
    report = ImportReport(dry_run=dry_run, skip_invalid=skip_invalid)
    size = path.stat().st_size
    context_stamp = (timestamp(), today().isoformat())
    with (
        open(path, encoding="utf-8-sig", newline="") as handle,
        tempfile.TemporaryFile() as spill,
    ):
        try:
            header_line = handle.readline()
        except UnicodeDecodeError as exc:
            raise InvalidInput("file: not UTF-8 text on line 1") from exc
        if not header_line.strip():
            raise InvalidInput("header: the file is empty; the first line names the columns")
        header = _header(next(csv.reader([header_line], delimiter=_delimiter(header_line))),
                         default_source)  # fmt: skip
        context = RowContext(header, default_source, *context_stamp)
        chunks = _read_chunks(handle, header_line, size, progress)
        workers = usable_cores()
        if size >= parallel_min_bytes and workers > 1:
            validated = _validate_in_parallel(chunks, context, workers)
        else:
            validated = _validate_serially(chunks, context)
        checks = RegisterChecks(conn)
        try:
            for results in validated:
                good = _check_rows(results, checks, report)
                if good:
                    pickle.dump(good, spill, protocol=pickle.HIGHEST_PROTOCOL)
            if progress is not None:
                progress(size, size)
            if dry_run or report.failed or report.valid == 0:
                return report
            _store(conn, actor, spill, checks, report)
        finally:
            checks.close()
    return report


def _store(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    spill: IO[bytes],
    checks: RegisterChecks,
    report: ImportReport,
) -> None:
    from lautex_registry.db import transaction

    with transaction(conn):
        created = _create_organisations(conn, checks, actor)
        # customers.id is AUTOINCREMENT: new ids follow the larger of the sequence and MAX(id).
        before = conn.execute(
            "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'customers'), 0),"
            " COALESCE((SELECT MAX(id) FROM customers), 0))"
        ).fetchone()[0]
        try:
            report.stored = store_customers(conn, _with_organisation_ids(_spilled(spill), created))
        except sqlite3.IntegrityError as exc:
            raise Conflict(
                f"the register changed during the import ({exc}): nothing was written, run it again"
            ) from exc
        # New rows take ids after the largest one, in order: no per-row id collection needed.
        new_ids = range(before + 1, before + report.stored + 1)
        report.organisations_created = len(created)
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
                "organisations_created": len(created),
                "first_id": new_ids.start if report.stored else None,
                "last_id": new_ids.stop - 1 if report.stored else None,
            },
        )
        for start in range(0, len(new_ids), 10_000):
            customers.after_contact_written(conn, actor, new_ids[start : start + 10_000])
