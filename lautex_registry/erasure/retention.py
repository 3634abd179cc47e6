"""The retention policy and the nightly job that enforces it (GDPR Art. 5(1)(e)).

Policies come from the register's settings ([retention], see `holds.RetentionPolicy`):

- vouchers: an invoice's billing name and address are removed at the end of its
  accounting retention (Accounting Act 1336/1997 ch. 2 sec. 10), unless a live
  claim still holds them; the invoice's amounts stay for the books.
- finished-erasures: a customer `anonymised-with-holds` whose last hold has ended
  is erased completely.
- inactive-customers: a customer with no order or contact for the period
  (default 3 years since `last_activity`) is anonymised on the day the period
  ends. Not while a claim holds (Limitation of Debts Act 728/2003; GDPR
  Art. 17(3)(e)), an open request is being handled, or processing is restricted
  (Art. 18: the person may have asked for restriction instead of erasure).
  Vouchers keep their billing data under their own policy.
- closed-requests, documents: request cases closed, and records of letters
  generated, longer ago than their period are purged.
- suppression records stay as long as the objection stands (Art. 21(3)).
- backups: a backup copy older than `backup_days` is deleted from the backup folder and
  from every off-site folder it was copied to that is mounted (`backup_copies`).

The job uses the erasure code of `erase` (one implementation). It works in
batches of a few hundred, each batch one transaction (BEGIN IMMEDIATE), so a
clerk waits at most a moment, and a crash or kill -9 leaves every person either
fully processed or untouched: the next run picks up the rest. Each batch selects
its own rows inside its transaction, so the job is idempotent: a second run on
the same date finds nothing to do. One run at a time: an exclusive flock on
`<db>.retention.lock` (released by the kernel when the process dies) plus a
`retention_runs` row per run.
"""

import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from lautex_registry.erasure.backup_copies import due_copies, expire_copies
from lautex_registry.erasure.backups import sweep_scratch
from lautex_registry.erasure.holds import (
    RetentionPolicy,
    claim_anchor_sql,
    holds_for_many,
    lapsed_cutoff,
    live_claim_sql,
    period_cutoff,
    voucher_expiry_cutoff,
)
from lautex_registry.platform import audit, journal
from lautex_registry.platform.clock import real_today, timestamp
from lautex_registry.platform.db import (
    IN_LIST,
    batches_interrupted_between,
    json_list,
    let_others_write,
    transaction,
)
from lautex_registry.platform.errors import Conflict, Refused, t
from lautex_registry.platform.output_files import retention_lock_path
from lautex_registry.platform.sqlite import sqlite3

# The erasure and the physical clean-up are imported where the run uses them: `retention
# show` only counts, and importing them is a tenth of its start-up (docs/rules.md §3).

VOUCHERS = "vouchers"
FINISHED_ERASURES = "finished-erasures"
INACTIVE_CUSTOMERS = "inactive-customers"
CLOSED_REQUESTS = "closed-requests"
DOCUMENTS = "documents"
BACKUPS = "backups"
POLICIES = (VOUCHERS, FINISHED_ERASURES, INACTIVE_CUSTOMERS, CLOSED_REQUESTS, DOCUMENTS, BACKUPS)

DEFAULT_BATCH = 300
Progress = Callable[[str, int], None]


def _next_day(day: date) -> str:
    return (day + timedelta(days=1)).isoformat()


@dataclass(frozen=True)
class Cutoffs:
    """The dates that decide what is due on `as_of`."""

    as_of: date
    inactive_before: str  # last_activity before this: the period has run
    voucher_issued_by: str  # issued on or before this: the voucher's retention has ended
    lapsed: str  # a claim whose anchor is on or before this has lapsed
    requests_closed_by: str
    documents_before: str

    @classmethod
    def of(cls, as_of: date, policy: RetentionPolicy) -> "Cutoffs":
        return cls(
            as_of,
            _next_day(period_cutoff(as_of, policy.customer_inactive_years)),
            voucher_expiry_cutoff(
                as_of, policy.financial_year_end, policy.voucher_years
            ).isoformat(),
            lapsed_cutoff(as_of, policy.claim_lapse_years).isoformat(),
            period_cutoff(as_of, policy.closed_requests_years).isoformat(),
            _next_day(period_cutoff(as_of, policy.documents_years)),
        )

    def params(self) -> dict[str, str]:
        return {
            "inactive_before": self.inactive_before,
            "voucher_issued_by": self.voucher_issued_by,
            "lapsed": self.lapsed,
            "requests_closed_by": self.requests_closed_by,
            "documents_before": self.documents_before,
        }


# What is due, as SQL conditions shared by the job, its dry run and `retention show`.
_INACTIVE = (
    "c.state = 'active' AND c.last_activity < :inactive_before "
    f"AND NOT {live_claim_sql('c', ':lapsed')} "
    "AND NOT EXISTS (SELECT 1 FROM requests r WHERE r.customer_id = c.id AND r.state = 'open')"
)
_INACTIVE_HELD = (
    "c.state = 'active' AND c.last_activity < :inactive_before "
    f"AND ({live_claim_sql('c', ':lapsed')} "
    "OR EXISTS (SELECT 1 FROM requests r WHERE r.customer_id = c.id AND r.state = 'open'))"
)
_VOUCHERS = (
    "i.billing_data_removed_on IS NULL AND substr(i.issued_on, 1, 10) <= :voucher_issued_by "
    f"AND NOT (i.state IN ('open', 'in-collection') AND {claim_anchor_sql('i')} > :lapsed)"
)
_CLOSED_REQUESTS = "q.state = 'closed' AND q.closed_on <= :requests_closed_by"
_DOCUMENTS = "d.created_at < :documents_before"


@dataclass
class RunSummary:
    as_of: date
    dry_run: bool
    run_id: int | None = None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(POLICIES, 0))
    checkpointed: bool = True
    yielded: float = 0.0  # seconds spent letting clerks in between batches
    # Off-site backup folders that were not mounted: their old copies are still there.
    backups_unreachable: list[str] = field(default_factory=list)
    # One-off copies past the period whose file is no longer the copy made: not deleted.
    backups_changed: int = 0
    # Customers added or renamed since the last run, placed in the search index's name
    # order (docs/rules.md §3, "The search index in name order").
    names_placed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "as_of": self.as_of.isoformat(),
            "dry_run": self.dry_run,
            "counts": dict(self.counts),
            "backups_unreachable": list(self.backups_unreachable),
            "backups_changed": self.backups_changed,
            "names_placed": self.names_placed,
        }

    def rows(self) -> list[dict[str, Any]]:
        return [{"policy": name, "count": self.counts[name]} for name in POLICIES]


# --- what is due ---------------------------------------------------------------------------


def _count(conn: sqlite3.Connection, sql: str, params: dict[str, str]) -> int:
    return int(conn.execute(sql, params).fetchone()[0])


def _held_people(
    conn: sqlite3.Connection, ids: list[int], as_of: date, policy: RetentionPolicy
) -> set[int]:
    return set(holds_for_many(conn, ids, as_of, policy))


def _count_finished_erasures(conn: sqlite3.Connection, as_of: date, policy: RetentionPolicy) -> int:
    total = 0
    after = 0
    while True:
        ids = [
            int(r[0])
            for r in conn.execute(
                "SELECT id FROM customers WHERE state = 'anonymised-with-holds' AND id > ? "
                "ORDER BY id LIMIT 1000",
                (after,),
            )
        ]
        if not ids:
            return total
        total += len(set(ids) - _held_people(conn, ids, as_of, policy))
        after = ids[-1]


def due_counts(conn: sqlite3.Connection, as_of: date, policy: RetentionPolicy) -> dict[str, int]:
    """How many rows each policy would touch on `as_of` (reads only)."""
    params = Cutoffs.of(as_of, policy).params()
    return {
        VOUCHERS: _count(conn, f"SELECT count(*) FROM invoices i WHERE {_VOUCHERS}", params),
        FINISHED_ERASURES: _count_finished_erasures(conn, as_of, policy),
        INACTIVE_CUSTOMERS: _count(
            conn, f"SELECT count(*) FROM customers c WHERE {_INACTIVE}", params
        ),
        CLOSED_REQUESTS: _count(
            conn, f"SELECT count(*) FROM requests q WHERE {_CLOSED_REQUESTS}", params
        ),
        DOCUMENTS: _count(conn, f"SELECT count(*) FROM documents d WHERE {_DOCUMENTS}", params),
        BACKUPS: due_copies(conn, as_of)[0],
    }


def show_policies(conn: sqlite3.Connection, as_of: date) -> list[dict[str, Any]]:
    """Each policy with its period, what it does, the law, and how many rows are due on `as_of`."""
    policy = RetentionPolicy.of(conn)
    due = due_counts(conn, as_of, policy)
    params = Cutoffs.of(as_of, policy).params()
    held = _count(conn, f"SELECT count(*) FROM customers c WHERE {_INACTIVE_HELD}", params)
    claims = _count(
        conn,
        "SELECT count(*) FROM invoices i WHERE i.state IN ('open', 'in-collection') "
        f"AND i.billing_data_removed_on IS NULL AND {claim_anchor_sql('i')} > :lapsed",
        params,
    )
    suppression = _count(conn, "SELECT count(*) FROM suppression", {})
    backups_kept = due_copies(conn, as_of)[1]
    fy = policy.financial_year_end
    years = "year" if policy.voucher_years == 1 else "years"
    rows = [
        (
            INACTIVE_CUSTOMERS,
            f"{policy.customer_inactive_years} years after the last order or contact",
            "anonymise unless a claim, open request or restriction holds",
            due[INACTIVE_CUSTOMERS],
            held,
            "GDPR Art. 5(1)(e)",
        ),
        (
            VOUCHERS,
            f"to 31.12. {policy.voucher_years} {years} after the financial year (ends {fy})",
            "remove billing name and address",
            due[VOUCHERS],
            None,
            "Accounting Act ch. 2 s. 10",
        ),
        (
            "claims",
            f"until paid, at most {policy.claim_lapse_years} years from due date or reminder",
            "hold billing data",
            0,
            claims,
            "Limitation of Debts Act 728/2003",
        ),
        (
            FINISHED_ERASURES,
            "until the last hold ends",
            "erase",
            due[FINISHED_ERASURES],
            None,
            "GDPR Art. 17(1), 17(3)",
        ),
        (
            CLOSED_REQUESTS,
            f"{policy.closed_requests_years} years after closing",
            "purge",
            due[CLOSED_REQUESTS],
            None,
            "GDPR Art. 5(1)(e)",
        ),
        (
            DOCUMENTS,
            f"{policy.documents_years} years after creation",
            "purge the record",
            due[DOCUMENTS],
            None,
            "GDPR Art. 5(1)(e)",
        ),
        (
            BACKUPS,
            f"{policy.backup_days} days after the copy was made",
            "delete the backup copy",
            due[BACKUPS],
            backups_kept,
            "GDPR Art. 5(1)(e)",
        ),
        (
            "suppression",
            "as long as the objection stands",
            "keep (keyed HMACs)",
            0,
            suppression,
            "GDPR Art. 21(3)",
        ),
        (
            "books",
            f"{policy.books_years} years after the financial year",
            "none: no ledger here",
            0,
            None,
            "Accounting Act ch. 2 s. 10",
        ),
    ]
    return [
        {"policy": p, "period": period, "action": action, "due": d, "holding": h, "law": law}
        for p, period, action, d, h, law in rows
    ]


# --- one run at a time ---------------------------------------------------------------------


lock_path = retention_lock_path


@contextmanager
def run_lock(db_path: Path) -> Iterator[None]:
    """An exclusive lock that dies with the process (a kill -9 cannot leave it behind)."""
    fd = os.open(lock_path(db_path), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Conflict(
                t("another retention run is in progress on this register: try again later")
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)


# --- the job -------------------------------------------------------------------------------


@dataclass
class _Job:
    conn: sqlite3.Connection
    actor: audit.Actor
    policy: RetentionPolicy
    cutoffs: Cutoffs
    run_id: int
    db_file: Path
    batch: int
    pause: float
    progress: Progress | None
    summary: RunSummary
    # Many people due: their search tokens are marked deleted, and the index merged once
    # by physical_cleanup at the end (docs/rules.md §5).
    bulk: bool = False

    def _commit_batch(self, policy: str, done: int, entries: list[journal.JournalEntry]) -> None:
        """End of a batch, still inside its transaction: the pause tests use, then the journal."""
        if self.pause:
            time.sleep(self.pause)
        journal.append_and_record(self.conn, self.db_file, entries)
        self.summary.counts[policy] += done

    def _report(self, policy: str, seen: int, started: float) -> None:
        """After a batch has committed: let a waiting clerk in (`db.let_others_write`),
        then report progress."""
        self.summary.yielded += let_others_write(time.monotonic() - started)
        if self.progress is not None and seen:
            self.progress(policy, seen)

    def _next_ids(self, table: str, alias: str, where: str, after: int) -> list[int]:
        """The next batch of ids past `after` that `where` selects, in id order, so that no
        row is visited twice in one run."""
        return [
            int(r[0])
            for r in self.conn.execute(
                f"SELECT {alias}.id FROM {table} {alias} WHERE {alias}.id > :after "
                f"AND {where} ORDER BY {alias}.id LIMIT :n",
                {**self.cutoffs.params(), "after": after, "n": self.batch},
            )
        ]

    def vouchers(self) -> None:
        from lautex_registry.erasure.erase import strip_invoices

        def strip(ids: list[int]) -> None:
            strip_invoices(self.conn, ids, self.cutoffs.as_of)

        self._by_id(VOUCHERS, "invoices", "i", _VOUCHERS, strip, "invoice_ids")

    def _people(self, name: str, state: str, where: str, mode: str) -> None:
        """Customers in `state` matching `where`, in (last_activity, id) order, batch by batch."""
        from lautex_registry.erasure.cleanup import delete_in_place, mark_deletions
        from lautex_registry.erasure.erase import erase_customers

        params: dict[str, Any] = self.cutoffs.params()
        last = ("", 0)
        while True:
            started = time.monotonic()
            with transaction(self.conn):
                rows = self.conn.execute(
                    f"SELECT c.id, c.last_activity FROM customers c WHERE c.state = '{state}' "
                    "AND c.last_activity >= :la AND (c.last_activity > :la OR c.id > :id) "
                    f"AND {where} ORDER BY c.last_activity, c.id LIMIT :n",
                    {**params, "la": last[0], "id": last[1], "n": self.batch},
                ).fetchall()
                if not rows:
                    return
                ids = [int(r[0]) for r in rows]
                if mode == journal.ERASE:
                    held = _held_people(self.conn, ids, self.cutoffs.as_of, self.policy)
                    ids = [cid for cid in ids if cid not in held]
                if self.bulk:
                    mark_deletions(self.conn)
                outcomes, entries = erase_customers(
                    self.conn,
                    self.actor,
                    ids,
                    mode,
                    self.cutoffs.as_of,
                    action="retention run",
                    rule=name,
                    policy=self.policy,
                    details={"policy": name, "run_id": self.run_id},
                )
                if self.bulk:
                    delete_in_place(self.conn)
                self._commit_batch(name, len(outcomes), entries)
            last = (str(rows[-1][1]), int(rows[-1][0]))
            self._report(name, len(rows), started)

    def _purge(self, name: str, table: str, alias: str, where: str) -> None:
        def delete(ids: list[int]) -> None:
            self.conn.execute(f"DELETE FROM {table} WHERE id {IN_LIST}", (json_list(ids),))

        self._by_id(name, table, alias, where, delete, "ids")

    def _by_id(
        self, name: str, table: str, alias: str, where: str, act: Callable[[list[int]], None],
        ids_key: str,
    ) -> None:  # fmt: skip
        """Rows of `table` matching `where` in id order, a batch per transaction: `act` on
        the batch's ids and one audit row naming them under `ids_key`."""
        after = 0
        while True:
            started = time.monotonic()
            with transaction(self.conn):
                ids = self._next_ids(table, alias, where, after)
                if not ids:
                    return
                act(ids)
                audit.record(
                    self.conn,
                    self.actor,
                    "retention run",
                    table.rstrip("s"),
                    None,
                    {"policy": name, "run_id": self.run_id, ids_key: ids},
                )
                self._commit_batch(name, len(ids), [])
            after = ids[-1]
            self._report(name, len(ids), started)

    def place_names(self) -> None:
        """The names added or changed since the last run take their place in the search
        index's name order, a batch per transaction (docs/rules.md §3, "The search index
        in name order"): after the anonymisations, whose names leave it.

        Placing a name moves its row of the index: its tokens are deleted under the old
        rowid and written under the new. Deleted in place (FTS5 `secure-delete`) that
        costs milliseconds a name at a million customers; many names are placed as bulk
        anonymisation is done, their old rows only marked deleted and the index merged
        once at the end of the run (docs/rules.md §5, `cleanup.bulk_pays`)."""
        from lautex_registry.erasure.cleanup import bulk_pays, delete_in_place, mark_deletions
        from lautex_registry.platform.search_order import place_names, unplaced

        bulk = bulk_pays(self.conn, unplaced(self.conn))
        while True:
            started = time.monotonic()
            with transaction(self.conn):
                if bulk:
                    mark_deletions(self.conn)
                placed = place_names(self.conn, self.batch)
                if bulk:
                    delete_in_place(self.conn)
            if not placed:
                return
            self.summary.names_placed += placed
            self.summary.yielded += let_others_write(time.monotonic() - started)

    def run(self) -> None:
        with batches_interrupted_between():  # Ctrl-C between batches (docs/rules.md §3)
            self.vouchers()
            self._people(FINISHED_ERASURES, "anonymised-with-holds", "1", journal.ERASE)
            self._people(INACTIVE_CUSTOMERS, "active", _INACTIVE, journal.ANONYMISE)
            self._purge(CLOSED_REQUESTS, "requests", "q", _CLOSED_REQUESTS)
            self._purge(DOCUMENTS, "documents", "d", _DOCUMENTS)
            self.place_names()


def _start_run(conn: sqlite3.Connection, actor: audit.Actor, as_of: date) -> int:
    with transaction(conn):
        # We hold the lock, so a run still marked running was killed: say so.
        conn.execute(
            "UPDATE retention_runs SET state = 'failed', finished_at = ? WHERE state = 'running'",
            (timestamp(),),
        )
        cursor = conn.execute(
            "INSERT INTO retention_runs (started_at, as_of, dry_run, state, user_id) "
            "VALUES (?, ?, 0, 'running', ?)",
            (timestamp(), as_of.isoformat(), actor.user_id),
        )
        return int(cursor.lastrowid or 0)


def _end_run(conn: sqlite3.Connection, actor: audit.Actor, summary: RunSummary, state: str) -> None:
    with transaction(conn):
        conn.execute(
            "UPDATE retention_runs SET state = ?, finished_at = ?, counts_json = ? WHERE id = ?",
            (state, timestamp(), json.dumps(summary.counts, sort_keys=True), summary.run_id),
        )
        audit.record(
            conn,
            actor,
            "retention run",
            "retention_run",
            summary.run_id,
            {"state": state, "as_of": summary.as_of.isoformat(), "counts": summary.counts},
        )


def refuse_future_run(as_of: date, *, dry_run: bool) -> None:
    """A real run may not act on a day that has not come: it would anonymise people and
    strip vouchers before their periods end (Accounting Act 1336/1997 ch. 2 sec. 10;
    GDPR Art. 5(1)(e)). A dry run may look ahead."""
    if not dry_run and as_of > real_today():
        raise Refused(
            t(
                "as-of: {as_of} is after today ({real_today}); a real run acts only on "
                "a day that has come (look ahead with --dry-run)",
                as_of=as_of.isoformat(),
                real_today=real_today().isoformat(),
            )
        )


def run_retention(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    as_of: date,
    *,
    dry_run: bool = False,
    batch: int = DEFAULT_BATCH,
    pause: float = 0.0,
    progress: Progress | None = None,
    totals: Callable[[dict[str, int]], None] | None = None,
) -> RunSummary:
    """Enforce every policy on `as_of`; a dry run only counts what would be touched."""
    refuse_future_run(as_of, dry_run=dry_run)
    policy = RetentionPolicy.of(conn)
    summary = RunSummary(as_of, dry_run)
    # A copy a killed backup, verify or restore left in the clear beside the register goes
    # first, a dry run too: it is no data the run would keep or erase (docs/rules.md §5).
    sweep_scratch(journal.database_file(conn))
    if dry_run:
        summary.counts = due_counts(conn, as_of, policy)
        return summary
    db_file = journal.database_file(conn)
    from lautex_registry.erasure.cleanup import bulk_pays, physical_cleanup

    with run_lock(db_file):
        if totals is not None:
            totals(due_counts(conn, as_of, policy))
        cutoffs = Cutoffs.of(as_of, policy)
        inactive = _count(conn, f"SELECT count(*) FROM customers c WHERE {_INACTIVE}",
                          cutoffs.params())  # fmt: skip
        summary.run_id = _start_run(conn, actor, as_of)
        job = _Job(
            conn,
            actor,
            policy,
            cutoffs,
            summary.run_id,
            db_file,
            max(1, batch),
            pause,
            progress,
            summary,
            bulk=bulk_pays(conn, inactive),
        )
        try:
            job.run()
            # Copies past the period go whether or not the backup job has run since.
            expiry = expire_copies(conn, actor, as_of)
            summary.counts[BACKUPS] = expiry.deleted
            summary.backups_unreachable = expiry.unreachable
            summary.backups_changed = expiry.changed
        except BaseException:
            _end_run(conn, actor, summary, "failed")
            raise
        summary.checkpointed = physical_cleanup(conn)
        _end_run(conn, actor, summary, "finished")
    return summary
