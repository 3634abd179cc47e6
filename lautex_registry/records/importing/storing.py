"""Checks against the register, staging, and the store in short batches.

The write lock is never held while the file is read: the good rows are checked
against the register and staged in a private file on disk (`staging_file`: memory
stays flat whatever the file's size) while other users go on working. Then the
staged rows are stored in batches, each its own short write transaction, inside an
import run (`runs`) that can be resumed or undone as a whole; what others committed
meanwhile is checked again in each batch (docs/rules.md §6).
"""

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from typing import Any

from lautex_registry.platform import audit
from lautex_registry.platform.characters import excerpt
from lautex_registry.platform.errors import (
    Conflict,
    InvalidInput,
    LautexError,
    Message,
    NotFound,
    register_error,
    sqlite_reason,
    t,
)
from lautex_registry.platform.migrations.m0016_customer_email_key import email_search_key
from lautex_registry.platform.sqlite import sqlite3, variable_limit
from lautex_registry.platform.validation import comparison_key
from lautex_registry.records import customers, lookup
from lautex_registry.records.importing import runs
from lautex_registry.records.importing.report import ImportReport, Problem
from lautex_registry.records.importing.staging_file import staging_file
from lautex_registry.records.importing.validating import (
    BUSINESS_ID_SLOT,
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


class RegisterChecks:
    """Duplicate emails (in the register or earlier in the file) and organisation look-ups.

    The register's unique email index answers for the register; the file's emails so far
    go to a table in the staging file (on disk: a million addresses are not held in
    memory), keyed by their comparison key.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        # comparison_key(ref) -> id, or the name to create
        self.organisations: dict[str, int | str] = {}
        self.names: dict[int, str] = {}  # id -> name, for refs given as ids or business IDs
        self.business_ids: dict[str, int | None] = {}  # business ID -> id in the register
        # Organisations this file adds: business ID <-> comparison key of the name.
        self.new_by_business_id: dict[str, str] = {}
        self.business_id_of_new: dict[str, str] = {}
        # Emails and organisation names with characters beyond ASCII compare in full
        # Unicode (NFC, case folding), which the NOCASE indexes do not: the register's
        # few such values are read once, and this file's are remembered as they come.
        self.unicode_emails: dict[str, int | str] = {
            comparison_key(email): int(customer_id)
            for customer_id, email in conn.execute(lookup.UNICODE_EMAILS)
        }
        self.unicode_organisations: dict[str, int] | None = None
        self.conn.execute(
            "CREATE TABLE staging.import_emails "
            "(email TEXT PRIMARY KEY COLLATE NOCASE, line INTEGER) WITHOUT ROWID"
        )

    def duplicates(
        self, emails: list[tuple[int, str]], *, in_register: bool = True
    ) -> dict[int, Message]:
        """Lines whose email is already in the register (unless `in_register` is False:
        lines a resumed run stored) or on an earlier line, with the reason.

        One chunk at a time: one or two indexed IN look-ups, not a statement per row.
        """
        found: dict[int, Message] = {}
        if not emails:
            return found
        # Each email's comparison key, once (a chunk has thousands).
        keys = [comparison_key(email) for _line, email in emails]
        # Looked up as written and as its comparison key (`STRAßE@` finds `strasse@`);
        # the temporary table holds comparison keys.
        spellings = [
            spelling
            for (_line, email), key in zip(emails, keys, strict=True)
            for spelling in lookup.nocase_spellings(email, key)
        ]
        marks = ",".join("?" * len(spellings))
        existing = {
            comparison_key(email): customer_id
            for email, customer_id in self.conn.execute(
                f"SELECT email, id FROM customers WHERE email COLLATE NOCASE IN ({marks})",
                spellings,
            )
            if in_register
        }
        earlier: dict[str, int] = dict(
            self.conn.execute(
                "SELECT email, line FROM staging.import_emails "
                f"WHERE email IN ({','.join('?' * len(keys))})",
                keys,
            ).fetchall()
        )
        new: list[tuple[str, int]] = []
        for (line, email), key in zip(emails, keys, strict=True):
            customer_id = existing.get(key)
            unicode_match = self._unicode_email(email, line, key)
            if customer_id is None and isinstance(unicode_match, int) and in_register:
                customer_id = unicode_match
            elif customer_id is None and isinstance(unicode_match, str):
                found[line] = same_address_on(unicode_match)
                continue
            if customer_id is not None:
                found[line] = already_there(customer_id)
                continue
            if key in earlier:
                found[line] = same_address_on(earlier[key])
            else:
                earlier[key] = line
                new.append((key, line))
        if new:
            self.conn.executemany(
                "INSERT INTO staging.import_emails (email, line) VALUES (?, ?)", new
            )
        return found

    def _unicode_email(self, email: str, line: int, key: str) -> int | str | None:
        """A customer id (in the register before), or the line (as text) of the same
        address earlier in the file, by full Unicode comparison; None when new. `key` is
        the email's comparison key."""
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

    def organisation_for(self, ref: str | None, business_id: str | None) -> int | str | None:
        """The row's organisation from its org cell and business ID: an existing one's id,
        the name of one to create, or None. InvalidInput when they disagree."""
        resolved = self.organisation(ref) if ref is not None else None
        if business_id is None:
            return resolved
        owner = self._by_business_id(business_id)
        if owner is not None:
            if resolved is None or resolved == owner:
                return owner
            raise InvalidInput(
                t(
                    "business_id: {business_id} is organisation {owner}'s ({names}), not {value}'s",
                    business_id=business_id,
                    owner=owner,
                    names=excerpt(self.names[owner]),
                    value=excerpt(ref or ""),
                )
            )
        if resolved is None:
            earlier = self.new_by_business_id.get(business_id)
            if earlier is not None:
                return self.organisations[earlier]
            raise InvalidInput(
                t(
                    "business_id: no organisation has business ID {business_id}: give its "
                    "name in an org (yritys) column to add it, or add it with `lautex org "
                    "add`",
                    business_id=business_id,
                )
            )
        if isinstance(resolved, int):
            row = self.conn.execute(
                "SELECT name, business_id FROM organisations WHERE id = ?", (resolved,)
            ).fetchone()
            if not row[1]:
                raise InvalidInput(
                    t(
                        "business_id: organisation {resolved} ({name}) has no business ID, "
                        "not {business_id}",
                        resolved=resolved,
                        name=excerpt(str(row[0])),
                        business_id=business_id,
                    )
                )
            raise InvalidInput(
                t(
                    "business_id: organisation {resolved} ({name}) has business ID {has}, "
                    "not {business_id}",
                    resolved=resolved,
                    name=excerpt(str(row[0])),
                    has=row[1],
                    business_id=business_id,
                )
            )
        key = comparison_key(resolved)
        given = self.business_id_of_new.setdefault(key, business_id)
        named = self.new_by_business_id.setdefault(business_id, key)
        if given != business_id or named != key:
            raise InvalidInput(
                t(
                    "business_id: an earlier line gives {resolved} business ID {given}, or "
                    "{business_id} to another organisation",
                    resolved=excerpt(resolved),
                    given=given,
                    business_id=business_id,
                )
            )
        return resolved

    def _by_business_id(self, business_id: str) -> int | None:
        if business_id not in self.business_ids:
            row = self.conn.execute(
                "SELECT id, name FROM organisations WHERE business_id = ?", (business_id,)
            ).fetchone()
            self.business_ids[business_id] = None if row is None else int(row[0])
            if row is not None:
                self.names[int(row[0])] = str(row[1])
        return self.business_ids[business_id]

    def organisation(self, ref: str) -> int | str:
        """An existing organisation's id, or the name of one to create; NotFound for an id."""
        key = comparison_key(ref)
        known = self.organisations.get(key)
        if known is not None:
            return known
        resolved: int | str
        if not ref.isdigit():
            found = self._organisation_by_name(ref)
            resolved = ref if found is None else found  # a new name is created in the store
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


def already_there(customer_id: int) -> Message:
    return t("email: customer {id} already has this email address; not imported", id=customer_id)


def same_address_on(line: object) -> Message:
    return t("email: the same address is on line {line}; not imported", line=line)


# The staged rows: each good row's INSERT parameters and its line; `new_org` is the
# comparison key of an organisation the store creates. (Their emails' comparison
# keys are in staging.import_emails.)
# The time stamps are the same on every row of an import: given once to the store.
_STAMPS = ("created_at", "updated_at", "last_activity")
_KEPT = tuple(c for c in customers.INSERT_COLUMNS if c not in _STAMPS)
_KEPT_SLOTS = [customers.INSERT_COLUMNS.index(c) for c in _KEPT]
_kept = itemgetter(*_KEPT_SLOTS)  # a row's kept values, picked in C
_STAMP_SLOTS = [customers.INSERT_COLUMNS.index(c) for c in _STAMPS]
_STAGED = ("line", "new_org", *_KEPT)


class Staging:
    """Validated chunks in: problems reported, good rows kept in the staging file (on
    disk, see `staging_file`) until they are stored. Nothing here takes the write lock."""

    def __init__(
        self, conn: sqlite3.Connection, report: ImportReport, resume_after: int = 0
    ) -> None:
        self.conn = conn
        self.report = report
        # A resumed run stored the lines up to here: they are read and checked against the
        # file's other lines again, but not against the register (they are in it now).
        self.resume_after = resume_after
        self.org_ids: dict[str, int] = {}  # comparison key -> id of the new organisations
        # Taken before the first read: a commit by anyone after it changes data_version,
        # and then each batch checks its staged rows again (docs/rules.md §6).
        self.data_version = _data_version(conn)
        self.changed = False
        # The customers with a higher id are new since the checks below read the register's
        # Unicode emails: each batch looks only at those (a range of the rowid), not at
        # every email of a register that grows by a million rows (seconds under the lock).
        self.seen_id = int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM customers").fetchone()[0])
        self.unicode_emails: dict[str, int] = {}  # comparison key -> id, of others' new rows
        self.checks = RegisterChecks(conn)
        self.new_orgs: dict[str, str] = {}  # comparison key -> the name as first written
        self.stamps: tuple[Any, ...] = ()
        self.staging = not report.dry_run
        # `line INTEGER PRIMARY KEY` is the rowid: one b-tree, no second index.
        columns = ", ".join(_STAGED[1:])
        conn.execute(f"CREATE TABLE staging.import_staged (line INTEGER PRIMARY KEY, {columns})")

    def take(self, results: list[Checked]) -> None:
        """Check and stage one validated chunk, in one transaction of the staging file.

        A deferred transaction writes only the staging file; the register is only read
        (a WAL read snapshot, which never blocks another user's write), so the write
        lock of the register is not taken. One commit a chunk, not one a statement.
        """
        conn = self.conn
        conn.execute("BEGIN DEFERRED")
        try:
            self._take(results)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _take(self, results: list[Checked]) -> None:
        report, checks = self.report, self.checks
        candidates: list[tuple[int, tuple[Any, ...]]] = []
        for line, values, problem in results:
            if values is None:
                report.invalid.append(Problem(line, problem or t("invalid")))
                continue
            org, business_id = values[ORG_SLOT], values[BUSINESS_ID_SLOT]
            values = values[:BUSINESS_ID_SLOT]
            if org is not None or business_id is not None:
                try:
                    resolved = checks.organisation_for(org, business_id)
                except (NotFound, InvalidInput) as exc:
                    report.invalid.append(Problem(line, exc.message))
                    continue
                values = (*values[:ORG_SLOT], resolved, *values[ORG_SLOT + 1 :])
                if resolved is not None and (org is None or org.isdigit()):
                    # The worker knew only an id or a business ID: add the name search sees.
                    name = checks.names[resolved] if isinstance(resolved, int) else resolved
                    text = f"{values[SEARCH_SLOT]} {customers.fold_for_search(name)}"
                    values = (*values[:SEARCH_SLOT], text, email_search_key(text),
                              *values[SEARCH_SLOT + 2 :])  # fmt: skip
            candidates.append((line, values))
        report.rows += len(results)
        if report.failed:
            self.staging = False  # nothing will be written: keep checking and reporting
        stored = [(line, values) for line, values in candidates if line <= self.resume_after]
        if stored:  # a resumed run's lines already in the register: not stored again
            candidates = candidates[len(stored) :]
            again = checks.duplicates(
                [(line, values[EMAIL_SLOT]) for line, values in stored if values[EMAIL_SLOT]],
                in_register=False,
            )
            report.valid += len(stored) - len(again)
            report.duplicates.extend(Problem(line, why) for line, why in again.items())
        duplicates = checks.duplicates(
            [(line, values[EMAIL_SLOT]) for line, values in candidates if values[EMAIL_SLOT]]
        )
        staged: list[tuple[Any, ...]] = []
        for line, values in candidates:
            if line in duplicates:
                report.duplicates.append(Problem(line, duplicates[line]))
                continue
            report.valid += 1
            if not self.staging:
                continue
            org = values[ORG_SLOT]
            new_org = None
            if isinstance(org, str):
                new_org = comparison_key(org)
                self.new_orgs.setdefault(new_org, org)
                values = (*values[:ORG_SLOT], None, *values[ORG_SLOT + 1 :])
            staged.append((line, new_org, *_kept(values)))
            stamped = values
        if staged:
            self.stamps = tuple(stamped[i] for i in _STAMP_SLOTS)
            insert_rows(self.conn, _insert_sql("staging.import_staged", _STAGED), staged)

    def store(self, actor: audit.Actor, start: "Start") -> None:
        """The store, in batches of `start.batch_rows` staged rows, each its own short
        write transaction (docs/rules.md §6): a clerk's write waits for one batch at most.

        The batches belong to one import run (`runs`): a new one, or the run being
        resumed, whose batches up to its last line are already in. Whatever another
        user committed meanwhile is checked again in each batch (an email now taken is
        a duplicate, an organisation now there is used). A batch that fails rolls back
        alone; the batches before it stay with the run, which is left unfinished with a
        message that says how to resume or undo it.
        """
        from lautex_registry.platform.db import (
            batches_interrupted_between,
            let_others_write,
            transaction,
        )

        conn, report = self.conn, self.report
        # A new run has rows to store (the caller checks that some are valid); a resumed
        # one may have none left, and is still marked finished.
        to_store = int(conn.execute("SELECT count(*) FROM staging.import_staged").fetchone()[0])
        with runs.store_lock(conn):
            if start.run_id is None:
                with self._write_lock(transaction):
                    run_id = runs.start(conn, actor, start.sha256, start.options, report.rows,
                                        to_store)  # fmt: skip
            else:
                run_id = start.run_id
                if runs.resumable(conn, run_id).last_line != start.resume_after:
                    raise Conflict(
                        t(
                            "run: import run {run_id} went on meanwhile: resume it again",
                            run_id=run_id,
                        )
                    )
            report.run_id = run_id
            after = start.resume_after
            try:
                with batches_interrupted_between():
                    while True:
                        end = conn.execute(
                            "SELECT max(line) FROM (SELECT line FROM staging.import_staged "
                            "WHERE line > ? ORDER BY line LIMIT ?)",
                            (after, start.batch_rows),
                        ).fetchone()[0]
                        if end is None:
                            break
                        started = time.monotonic()
                        with self._write_lock(transaction):
                            self._store_batch(actor, run_id, after, int(end))
                        after = int(end)
                        let_others_write(time.monotonic() - started)  # a clerk's write next
                with self._write_lock(transaction):
                    report.run_stored = runs.finish(conn, actor, run_id)
            except (Exception, KeyboardInterrupt) as exc:
                stored = int(
                    conn.execute(
                        "SELECT stored FROM import_runs WHERE id = ?", (run_id,)
                    ).fetchone()[0]
                )
                if isinstance(exc, KeyboardInterrupt):
                    raise runs.unfinished(run_id, stored, "interrupted", 130) from exc
                # A full disk or a busy register keeps its own exit code; a bug stays 1.
                known = exc if isinstance(exc, LautexError) else register_error(exc)
                code = known.exit_code if known is not None else 1
                # The failed batch rolled back, but the batches before it stay: the
                # register is not "as it was", as a one-transaction command would say.
                cause = str(known or exc).removesuffix("; the register is as it was")
                raise runs.unfinished(run_id, stored, cause, code) from exc

    @contextmanager
    def _write_lock(self, transaction: Callable[[sqlite3.Connection], Any]) -> Iterator[None]:
        """One write transaction of the store. Another user's write holds the lock for
        milliseconds: the import waits longer for it than a command does."""
        from lautex_registry.platform.db import BUSY_TIMEOUT_MS

        conn = self.conn
        conn.execute(f"PRAGMA busy_timeout = {STORE_BUSY_TIMEOUT_MS}")
        try:
            with transaction(conn):
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                yield
        finally:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def _store_batch(self, actor: audit.Actor, run_id: int, after: int, end: int) -> None:
        """The staged rows on lines after..end, in the caller's write transaction."""
        from lautex_registry.records.organisations import add_organisation

        conn, report = self.conn, self.report
        # Once another user has committed after the staging began, every later batch is
        # checked again: that commit may hold an address of any line still to come.
        self.changed = self.changed or _data_version(conn) != self.data_version
        if self.changed:
            self._check_again(after, end)
        created = self._organisations(actor, add_organisation, run_id, after, end)
        conn.execute("DROP TABLE IF EXISTS temp.import_orgs")
        conn.execute("CREATE TEMP TABLE import_orgs (key TEXT PRIMARY KEY, id INTEGER)")
        conn.executemany("INSERT INTO temp.import_orgs VALUES (?, ?)", self.org_ids.items())
        first_id = next_customer_id(conn)
        columns = ", ".join(
            "COALESCE(s.organisation_id, o.id)" if c == "organisation_id" else f"s.{c}"
            for c in _KEPT
        )
        try:
            cursor = conn.execute(
                f"INSERT INTO customers ({', '.join((*_KEPT, *_STAMPS))}, state) "
                f"SELECT {columns}, {', '.join('?' * len(_STAMPS))}, 'active' "
                "FROM staging.import_staged AS s "
                "LEFT JOIN temp.import_orgs AS o ON o.key = s.new_org "
                "WHERE s.line > ? AND s.line <= ? ORDER BY s.line",
                (*self.stamps, after, end),
            )
        except sqlite3.IntegrityError as exc:
            raise Conflict(
                t(
                    "the rows of lines {first}-{end} cannot be stored ({exc})",
                    first=after + 1,
                    end=end,
                    exc=sqlite_reason(exc),
                )
            ) from exc
        finally:
            conn.execute("DROP TABLE IF EXISTS temp.import_orgs")
        stored = cursor.rowcount
        report.stored += stored
        runs.record_batch(conn, run_id, first_id, stored, end)
        self.seen_id = max(self.seen_id, first_id + stored - 1)  # ours: no need to look again
        _record_batch(conn, actor, report, run_id, first_id, stored, created)

    def _check_again(self, after: int, end: int) -> None:
        """Staged rows of this batch whose email another user stored meanwhile become
        duplicates."""
        conn, report = self.conn, self.report
        taken: dict[int, int] = dict(
            conn.execute(
                "SELECT s.line, c.id FROM staging.import_staged AS s "
                "CROSS JOIN customers AS c ON c.email = s.email COLLATE NOCASE "
                "WHERE s.email IS NOT NULL AND s.line > ? AND s.line <= ?",
                (after, end),
            ).fetchall()
        )
        # Full Unicode comparison (STRAßE@ is strasse@), which the NOCASE index does not
        # make: the Unicode emails of the customers others added since the last look.
        # (Those in the register before were checked while staging; our own batches'
        # rows are the file's, checked against each other then.)
        for customer_id, email in conn.execute(
            f"{lookup.UNICODE_EMAILS} AND id > ?", (self.seen_id,)
        ).fetchall():
            self.unicode_emails[comparison_key(email)] = int(customer_id)
        self.seen_id = int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM customers").fetchone()[0])
        for key, customer_id in self.unicode_emails.items():
            row = conn.execute(
                "SELECT line FROM staging.import_emails WHERE email = ? AND line > ? AND line <= ?",
                (key, after, end),
            ).fetchone()
            if row is not None:
                taken.setdefault(int(row[0]), customer_id)
        if not taken:
            return
        conn.executemany("DELETE FROM staging.import_staged WHERE line = ?", [(n,) for n in taken])
        report.duplicates.extend(Problem(line, already_there(cid)) for line, cid in taken.items())
        report.valid -= len(taken)

    def _organisations(
        self,
        actor: audit.Actor,
        add: Callable[[sqlite3.Connection, audit.Actor, str, str | None], int],
        run_id: int,
        after: int,
        end: int,
    ) -> int:
        """The ids of the organisations this batch's rows name by a new name (in
        `org_ids`): created now, linked to the run, unless another user (or an earlier
        run of this file) added one of them meanwhile. The number created."""
        from lautex_registry.records.lookup import organisation_id_by_name

        if not self.new_orgs:
            return 0
        used = {
            row[0]
            for row in self.conn.execute(
                "SELECT DISTINCT new_org FROM staging.import_staged WHERE new_org IS NOT NULL "
                "AND line > ? AND line <= ?",
                (after, end),
            )
        }
        created = 0
        for key in sorted(used - set(self.org_ids)):
            name = self.new_orgs[key]
            found = organisation_id_by_name(self.conn, name)
            if found is None:
                found = add(self.conn, actor, name, self.checks.business_id_of_new.get(key))
                runs.link_organisation(self.conn, run_id, found)
                created += 1
            self.org_ids[key] = found
        self.report.organisations_created += created
        return created


@dataclass(frozen=True)
class Start:
    """How the store starts: a new run of a file with this hash and these options, or
    the run `run_id` resumed after its line `resume_after`."""

    sha256: str
    options: dict[str, Any]
    run_id: int | None = None
    resume_after: int = 0
    batch_rows: int = runs.BATCH_ROWS


# How long each batch waits for the write lock (another user's write takes milliseconds).
STORE_BUSY_TIMEOUT_MS = 60_000


def _data_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA data_version").fetchone()[0])


def _insert_sql(table: str, columns: Iterable[str]) -> str:
    names = list(columns)
    return f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"


def insert_rows(conn: sqlite3.Connection, sql: str, rows: list[tuple[Any, ...]]) -> None:
    """`sql` for each row, MULTI_ROWS rows a statement (see MULTI_ROWS)."""
    limit = variable_limit(conn)
    per_statement = max(1, min(MULTI_ROWS, limit // sql.count("?")))
    whole = len(rows) - len(rows) % per_statement
    if whole:
        head, values = sql.split("VALUES")
        many = f"{head}VALUES {', '.join([values.strip()] * per_statement)}"
        conn.executemany(
            many,
            (
                list(chain.from_iterable(rows[start : start + per_statement]))
                for start in range(0, whole, per_statement)
            ),
        )
    if whole < len(rows):
        conn.executemany(sql, rows[whole:])


def next_customer_id(conn: sqlite3.Connection) -> int:
    """customers.id is AUTOINCREMENT: new ids follow the larger of the sequence and MAX(id),
    one by one, while the transaction holds the write lock."""
    row = conn.execute(
        "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'customers'), 0),"
        " COALESCE((SELECT MAX(id) FROM customers), 0))"
    ).fetchone()
    return int(row[0]) + 1


def _record_batch(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    report: ImportReport,
    run_id: int,
    first_id: int,
    stored: int,
    organisations_created: int,
) -> None:
    """The batch's audit row (ids and counts only), and erased objectors' objections
    put back on its rows (GDPR Art. 21(3))."""
    new_ids = range(first_id, first_id + stored)
    audit.record(
        conn,
        actor,
        "customer import",
        "customer",
        None,
        {
            "run": run_id,
            "rows": report.rows,
            "stored": stored,
            "invalid_skipped": len(report.invalid),
            "duplicates_skipped": len(report.duplicates),
            "organisations_created": organisations_created,
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
    start: Callable[[], Start] = lambda: Start("", {}),
    resume_after: int = 0,
) -> ImportReport:
    """From validated chunks to the commits: stage without the write lock, then store in
    batches. `start` is asked once every row is staged (the file's hash is known then);
    a resumed run's lines up to `resume_after` are already stored and are not staged.

    A dry run, or a file with a bad row (without --skip-invalid), only checks and never
    takes the write lock. benchmarks/import_speed.py times this step.
    """
    cache = int(conn.execute("PRAGMA cache_size").fetchone()[0])
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    try:
        with staging_file(conn):
            staging = Staging(conn, report, resume_after)
            for results in validated:
                staging.take(results)
            if not report.dry_run and not report.failed and report.valid:
                staging.store(actor, start())
        return report
    finally:
        conn.execute(f"PRAGMA cache_size = {cache}")
