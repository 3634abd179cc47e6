"""Import runs: the batches of one `customer import` tied together (docs/rules.md §6).

An import stores its staged rows in batches, each its own short write transaction, so a
clerk's write waits for one batch at most instead of the whole file. The run row
(`import_runs`, migration 15) says how far the store got; every customer and
organisation it stored is linked to it (`import_run_customers`,
`import_run_organisations`), so the run can be

- resumed after a crash, a kill or Ctrl-C: the same file (checked by its SHA-256) is
  read again, and the store goes on after the last batch that committed;
- undone as a whole: every customer it stored goes, unless a clerk has since changed
  it or added something that refers to it (an order, an invoice, a request, ...): then
  nothing is removed and the error says how many and where. A clerk's change between
  two batches of an undo keeps that customer (reported), the rest still go.

A run holds counts, times, options and a hash, never personal data (docs/rules.md §5);
its links go with the customer when the customer is erased (ON DELETE CASCADE).
"""

import fcntl
import hashlib
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from lautex_registry.platform import audit
from lautex_registry.platform.clock import timestamp
from lautex_registry.platform.errors import (
    Conflict,
    LautexError,
    Message,
    NotFound,
    Refused,
    t,
    tn,
)
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records.importing.staging_file import register_path
from lautex_registry.records.objections import RESTORED_CHANNEL

RUNNING, FINISHED, UNDONE = "running", "finished", "undone"
# Rows a batch: one write transaction each, so a clerk's write waits for one batch at
# most. At load 17-20 on two cores a batch of 10,000 (with the search index's triggers)
# took seconds, and 2 of 2,865 clerk writes waited more than the 5 s busy timeout
# (benchmarks/README.md, import_lock.py); 2,000 keeps a batch well below it.
BATCH_ROWS = 2_000
# The columns of `customer import --runs`, in order.
RUN_COLUMNS = (
    "id",
    "state",
    "started_at",
    "finished_at",
    "undone_at",
    "rows_read",
    "to_store",
    "stored",
    "removed",
    "batches",
    "last_line",
    "file_sha256",
)
LOCK_SUFFIX = ".import-lock"


class HashingReader:
    """A binary file read line by line, its SHA-256 taken on the way (no second read)."""

    def __init__(self, binary: IO[bytes]) -> None:
        self.binary = binary
        self.sha = hashlib.sha256()

    def readline(self, limit: int = -1) -> bytes:
        line = self.binary.readline(limit)
        self.sha.update(line)
        return line

    def __iter__(self) -> "HashingReader":
        return self

    def __next__(self) -> bytes:
        line = self.binary.readline()
        if not line:
            raise StopIteration
        self.sha.update(line)
        return line

    def hexdigest(self) -> str:
        """The hash of the whole file. Called when every row is staged: the reading has
        come to the end of the file, so what is left (nothing) is read at once."""
        self.sha.update(self.binary.read())
        return self.sha.hexdigest()


@dataclass(frozen=True)
class ImportRun:
    id: int
    state: str
    file_sha256: str
    options: dict[str, Any]
    to_store: int
    stored: int
    last_line: int


class Unfinished(LautexError):
    """The store stopped after some batches: they stay, with the run marked unfinished."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def unfinished(run_id: int, stored: int, cause: str, exit_code: int) -> Unfinished:
    return Unfinished(
        f"import: {cause}; run {run_id} is unfinished with {stored} customers stored: "
        f"finish it with `lautex customer import --resume {run_id} FILE` (the same file) "
        f"or remove them with `lautex customer import --undo {run_id} --yes`",
        exit_code,
    )


@contextmanager
def store_lock(conn: sqlite3.Connection) -> Iterator[None]:
    """One import stores (or undoes) at a time on a register: an exclusive `flock` on a
    file beside it, held while storing. A run whose process holds it is alive, so it
    is never resumed or undone under that process's feet; a killed process's lock goes
    with it."""
    register = register_path(conn)
    if register is None:  # an in-memory register: one process, nothing to share
        yield
        return
    fd = os.open(
        register.with_name(register.name + LOCK_SUFFIX),
        os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC,
        0o600,
    )
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise Conflict(
                t(
                    "import: another `customer import` is storing into (or undoing from) "
                    "this register now: try again when it has ended"
                )
            ) from exc
        yield
    finally:
        os.close(fd)


def start(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    sha256: str,
    options: dict[str, Any],
    rows_read: int,
    to_store: int,
) -> int:
    """A new run, in the caller's write transaction."""
    cursor = conn.execute(
        "INSERT INTO import_runs (started_at, state, file_sha256, options, rows_read, to_store) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (timestamp(), RUNNING, sha256, json.dumps(options, sort_keys=True), rows_read, to_store),
    )
    run_id = int(cursor.lastrowid or 0)
    audit.record(
        conn,
        actor,
        "customer import started",
        "import_run",
        run_id,
        {"rows": rows_read, "to_store": to_store},
    )
    return run_id


def get(conn: sqlite3.Connection, run_id: int) -> ImportRun:
    row = conn.execute(
        "SELECT id, state, file_sha256, options, to_store, stored, last_line "
        "FROM import_runs WHERE id = ?",
        (run_id,),
    ).fetchone()
    if row is None:
        raise NotFound(
            t(
                "run: no import run {run_id}; `lautex customer import --runs` lists them",
                run_id=run_id,
            )
        )
    return ImportRun(
        int(row[0]), str(row[1]), str(row[2]), json.loads(row[3]), int(row[4]), int(row[5]),
        int(row[6]),
    )  # fmt: skip


def resumable(conn: sqlite3.Connection, run_id: int) -> ImportRun:
    """The run to go on with: one that has not finished and was not undone."""
    run = get(conn, run_id)
    if run.state != RUNNING:
        raise Refused(
            t(
                "run: import run {run_id} is {state}: there is nothing to resume",
                run_id=run_id,
                state=run.state,
            )
        )
    return run


def record_batch(
    conn: sqlite3.Connection, run_id: int, first_id: int, stored: int, last_line: int
) -> None:
    """Link a batch's customers (ids first_id.. in the batch's transaction) to the run."""
    conn.execute(
        "INSERT INTO import_run_customers (customer_id, run_id) "
        "SELECT id, ? FROM customers WHERE id >= ? AND id < ?",
        (run_id, first_id, first_id + stored),
    )
    conn.execute(
        "UPDATE import_runs SET stored = stored + ?, batches = batches + 1, last_line = ? "
        "WHERE id = ?",
        (stored, last_line, run_id),
    )


def link_organisation(conn: sqlite3.Connection, run_id: int, organisation_id: int) -> None:
    conn.execute(
        "INSERT INTO import_run_organisations (organisation_id, run_id) VALUES (?, ?)",
        (organisation_id, run_id),
    )


def finish(conn: sqlite3.Connection, actor: audit.Actor, run_id: int) -> int:
    """Mark the run finished (in the caller's transaction); the customers it stored in all."""
    conn.execute(
        "UPDATE import_runs SET state = ?, finished_at = ? WHERE id = ?",
        (FINISHED, timestamp(), run_id),
    )
    stored = int(
        conn.execute("SELECT stored FROM import_runs WHERE id = ?", (run_id,)).fetchone()[0]
    )
    audit.record(conn, actor, "customer import finished", "import_run", run_id, {"stored": stored})
    return stored


def list_runs(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every run, newest first, with the columns of RUN_COLUMNS."""
    cursor = conn.execute(f"SELECT {', '.join(RUN_COLUMNS)} FROM import_runs ORDER BY id DESC")
    return [dict(zip(RUN_COLUMNS, row, strict=True)) for row in cursor]


def _referring_columns(conn: sqlite3.Connection, target: str) -> list[tuple[str, str]]:
    """(table, column) of every foreign key to `target`, but the run's own links."""
    found = []
    tables = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'import_run_%'"
    ).fetchall()
    for (table,) in tables:
        for key in conn.execute("SELECT * FROM pragma_foreign_key_list(?)", (table,)):
            if key[2] == target:
                found.append((str(table), str(key[3])))
    return sorted(found)


# Rows that refer to a run's customer but are the run's own work, not a clerk's: the
# objection the import itself put back on an erased objector it re-added (GDPR Art.
# 21(3)), as long as nobody has withdrawn it or tied it to a request. It goes with the
# customer on undo (ON DELETE CASCADE); the erased person's objection stays recorded in
# `suppression` (keyed hashes), as before the import (docs/rules.md §6, "import runs").
_RUN_OWN = {
    "objections": f"NOT (channel = '{RESTORED_CHANNEL}' AND withdrawn_on IS NULL "
    "AND request_id IS NULL)",
}


def _clerks(table: str) -> str:
    """The condition that a row of `table` is clerks' work, not the run's own."""
    return f" AND {_RUN_OWN[table]}" if table in _RUN_OWN else ""


def _kept(conn: sqlite3.Connection, run_id: int) -> dict[str, int]:
    """What keeps the run's customers: how many a clerk changed since, and how many each
    table refers to (an order, an invoice, a request, ...)."""
    ids = "SELECT customer_id FROM import_run_customers WHERE run_id = ?"
    params: list[Any] = [run_id]
    kept: dict[str, int] = {}
    changed = conn.execute(
        f"SELECT count(*) FROM import_run_customers WHERE customer_id IN ({ids}) AND changed",
        params,
    ).fetchone()[0]
    if changed:
        kept["changed"] = int(changed)
    for table, column in _referring_columns(conn, "customers"):
        count = conn.execute(
            f"SELECT count(DISTINCT {column}) FROM {table} WHERE {column} IN ({ids})"
            f"{_clerks(table)}",
            params,
        ).fetchone()[0]
        if count:
            kept[table] = int(count)
    return kept


def _refusal(run_id: int, kept: dict[str, int]) -> Refused:
    where = ", ".join(f"{table} {count}" for table, count in kept.items())
    return Refused(
        t(
            "run: customers of import run {run_id} have been changed or referred "
            "to since the import ({where}); nothing removed: the clerks' work is kept, "
            "so the run cannot be undone as a whole",
            run_id=run_id,
            where=where,
        )
    )


def kept_notes(undone: "Undone") -> list[Message]:
    """What an undo kept because clerks worked on it: customers changed or referred to
    while it ran, organisations changed since the import."""
    notes = []
    if undone.kept:
        notes.append(
            tn(
                "import run {run_id}: {count} customer kept, changed or referred to by a "
                "clerk while the undo ran: {ids}",
                "import run {run_id}: {count} customers kept, changed or referred to by a "
                "clerk while the undo ran: {ids}",
                len(undone.kept),
                run_id=undone.run_id,
                count=len(undone.kept),
                ids=", ".join(str(i) for i in undone.kept),
            )
        )
    if undone.kept_organisations:
        notes.append(
            tn(
                "import run {run_id}: {count} organisation kept, changed by a clerk since "
                "the import: {ids}",
                "import run {run_id}: {count} organisations kept, changed by a clerk since "
                "the import: {ids}",
                len(undone.kept_organisations),
                run_id=undone.run_id,
                count=len(undone.kept_organisations),
                ids=", ".join(str(i) for i in undone.kept_organisations),
            )
        )
    return notes


def _kept_ids(conn: sqlite3.Connection, ids: list[int]) -> list[int]:
    """Which of `ids` a clerk has changed since the import or something refers to."""
    given = "SELECT value FROM json_each(?)"
    parts = [
        f"SELECT customer_id FROM import_run_customers WHERE customer_id IN ({given}) AND changed"
    ]
    parts += [
        f"SELECT {column} FROM {table} WHERE {column} IN ({given}){_clerks(table)}"
        for table, column in _referring_columns(conn, "customers")
    ]
    params = [json.dumps(ids)] * len(parts)
    return sorted(int(row[0]) for row in conn.execute(" UNION ".join(parts), params))


@dataclass(frozen=True)
class Undone:
    run_id: int
    customers: int
    organisations: int
    dry_run: bool
    # Customers a clerk changed or referred to while the undo ran: the clerks' now, kept.
    kept: tuple[int, ...] = ()
    # Organisations the run created that a clerk has changed since: kept, theirs now.
    kept_organisations: tuple[int, ...] = ()


def undo(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    run_id: int,
    *,
    dry_run: bool = False,
    batch_rows: int = BATCH_ROWS,
) -> Undone:
    """Remove every customer (and new organisation) the run stored, in batches.

    Refused up front, with nothing removed, when a clerk has changed one of them or added
    something that refers to one. A clerk who does so between two batches makes that
    customer the clerks': it is kept (and reported), the rest still go, and the run ends
    undone, so no run is left half undone for good (docs/rules.md §6, "import runs"). An
    undo stopped by a crash is finished by the next `--undo`, which keeps the same way
    what clerks have changed since."""
    from lautex_registry.platform.db import let_others_write, transaction

    with store_lock(conn):
        run = get(conn, run_id)
        if run.state == UNDONE:
            raise Refused(t("run: import run {run_id} is already undone", run_id=run_id))
        linked = int(
            conn.execute(
                "SELECT count(*) FROM import_run_customers WHERE run_id = ?", (run_id,)
            ).fetchone()[0]
        )
        started_before = int(
            conn.execute("SELECT removed FROM import_runs WHERE id = ?", (run_id,)).fetchone()[0]
        )
        kept = _kept(conn, run_id)
        if kept and not started_before:
            raise _refusal(run_id, kept)
        if dry_run:
            orgs = conn.execute(
                "SELECT count(*) FROM import_run_organisations WHERE run_id = ?", (run_id,)
            ).fetchone()[0]
            keeping: tuple[int, ...] = ()
            if kept:  # an undo half done: what clerks changed since stays
                all_ids = conn.execute(
                    "SELECT customer_id FROM import_run_customers WHERE run_id = ?", (run_id,)
                )
                keeping = tuple(_kept_ids(conn, [int(row[0]) for row in all_ids]))
            return Undone(run_id, linked - len(keeping), int(orgs), True, keeping)
        removed = 0
        kept_ids: list[int] = []
        while True:
            started = time.monotonic()
            with transaction(conn):
                ids = [
                    int(row[0])
                    for row in conn.execute(
                        "SELECT customer_id FROM import_run_customers WHERE run_id = ? "
                        "ORDER BY customer_id LIMIT ?",
                        (run_id, batch_rows),
                    )
                ]
                if not ids:
                    break
                # A clerk may have written between two batches: checked again under the
                # lock. What a clerk changed is theirs now: unlinked from the run, kept.
                keep = _kept_ids(conn, ids)
                if keep:
                    conn.execute(
                        "DELETE FROM import_run_customers "
                        "WHERE customer_id IN (SELECT value FROM json_each(?))",
                        (json.dumps(keep),),
                    )
                    kept_ids.extend(keep)
                    audit.record(
                        conn, actor, "customer import undo kept", "import_run", run_id,
                        {"kept": len(keep), "customer_ids": keep},
                    )  # fmt: skip
                gone = [i for i in ids if i not in set(keep)]
                if not gone:
                    continue
                conn.execute(
                    "DELETE FROM customers WHERE id IN (SELECT value FROM json_each(?))",
                    (json.dumps(gone),),
                )
                conn.execute(
                    "UPDATE import_runs SET removed = removed + ? WHERE id = ?", (len(gone), run_id)
                )
                audit.record(
                    conn, actor, "customer import undo", "import_run", run_id,
                    {"removed": len(gone), "first_id": gone[0], "last_id": gone[-1]},
                )  # fmt: skip
                removed += len(gone)
            let_others_write(time.monotonic() - started)  # a clerk's write goes next
        with transaction(conn):
            organisations, kept_organisations = _remove_organisations(conn, run_id)
            conn.execute(
                "UPDATE import_runs SET state = ?, undone_at = ? WHERE id = ?",
                (UNDONE, timestamp(), run_id),
            )
            audit.record(
                conn, actor, "customer import undone", "import_run", run_id,
                {"customers_removed": removed, "organisations_removed": organisations,
                 "customers_kept": len(kept_ids), "organisations_kept": kept_organisations},
            )  # fmt: skip
        return Undone(
            run_id, removed, organisations, False, tuple(kept_ids), tuple(kept_organisations)
        )


def _remove_organisations(conn: sqlite3.Connection, run_id: int) -> tuple[int, list[int]]:
    """Remove the organisations the run created that nothing refers to and no clerk has
    changed since; return how many went and the ids of those kept for a clerk's change.

    An organisation has no change marker of its own: a clerk's change to it (an edit,
    a marketing prohibition, lifted or not) is in the audit log under its id, beside
    the `org add` of its creation; and its row differs from what an import creates (no
    prohibition, not a sole trader) (docs/rules.md §6, "import runs")."""
    unused = " AND ".join(
        f"NOT EXISTS (SELECT 1 FROM {table} WHERE {column} = l.organisation_id)"
        for table, column in _referring_columns(conn, "organisations")
    )
    changed = (
        "SELECT l.organisation_id FROM import_run_organisations AS l "
        "JOIN organisations AS o ON o.id = l.organisation_id WHERE l.run_id = ? AND ("
        "o.marketing_prohibited_on IS NOT NULL OR o.sole_trader OR o.trader_id IS NOT NULL "
        "OR EXISTS (SELECT 1 FROM audit_log AS a WHERE a.entity = 'organisation' "
        "AND a.entity_id = CAST(l.organisation_id AS TEXT) AND a.action <> 'org add'))"
    )
    kept = sorted(int(row[0]) for row in conn.execute(changed, (run_id,)))
    cursor = conn.execute(
        "DELETE FROM organisations WHERE id IN (SELECT l.organisation_id "
        f"FROM import_run_organisations AS l WHERE l.run_id = ? AND {unused} "
        "AND l.organisation_id NOT IN (SELECT value FROM json_each(?)))",
        (run_id, json.dumps(kept)),
    )
    return int(cursor.rowcount), kept
