"""Checks against the register and the store in one write transaction."""

import sqlite3
from bisect import bisect_right
from collections.abc import Iterable
from itertools import chain
from typing import Any

from lautex_registry.platform import audit
from lautex_registry.platform.errors import Conflict, NotFound
from lautex_registry.platform.validation import comparison_key
from lautex_registry.records import customers
from lautex_registry.records.importing.report import ImportReport, Problem
from lautex_registry.records.importing.validating import (
    EMAIL_SLOT,
    ORG_SLOT,
    SEARCH_SLOT,
    Checked,
)

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
            for customer_id, email in conn.execute(customers.UNICODE_EMAILS)
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
        spellings = [s for _line, email in emails for s in customers.nocase_spellings(email)]
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
        for spelling in customers.nocase_spellings(name):
            row = self.conn.execute(customers.ORGANISATION_BY_NAME, (spelling,)).fetchone()
            if row is not None:
                return int(row[0])
        if self.unicode_organisations is None:
            self.unicode_organisations = {
                comparison_key(text): int(org_id)
                for org_id, text in self.conn.execute(customers.UNICODE_ORGANISATION_NAMES)
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
            resolved = customers.resolve_organisation_id(self.conn, ref)
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
