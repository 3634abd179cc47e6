"""Erasure and anonymisation: the one implementation behind `erase`, `anonymize`,
the retention job and the journal replay of `restore`.

GDPR Art. 17 and the privacy statement (docs/privacy-statement.md P6, P11): personal data is
destroyed on
request unless law, open invoices or collection prevent it. What must stay is
decided by `holds` (each hold dated, never forever); everything else goes now:

- erase, no hold: the customer row and every row that identifies the person go;
  orders stay for statistics with no link to a person; invoices past retention
  keep their amounts but lose their billing data.
- erase, with holds: the customer becomes `anonymised-with-holds`: every personal
  column is cleared, only the held invoices keep their billing name and address,
  and the retention job finishes the erasure when the last hold ends.
- anonymise: the customer row stays as a statistical unit (state `anonymised`,
  `anonymised_on` a dated marker, orders still grouped under it) with every
  personal column cleared; held invoices keep their billing data all the same.

Where personal data lives comes from `personal_data.PERSONAL_TABLES` only, so a
table added there is covered here without a second list: rows whose link to the
customer is NOT NULL (consents, objections, supplements, restrictions...) are
deleted; rows that may exist without a person (orders, requests, documents,
disclosures, notices) lose their personal columns and, on erasure, their link.
The audit trail is never touched: it holds no personal values.

A sole trader's business (`organisations.sole_trader`) is the person: its name and
business ID go with its trader (with no trader recorded, its last contact), whichever
way that person goes, and its other contacts are unlinked; a held invoice keeps its
billing organisation like the rest of its billing data.

Before anything is deleted, objections become a suppression record (keyed HMAC,
Art. 21(3)) and pending notices are recorded for every recipient the data was
disclosed to (Art. 19). Physically gone (docs/rules.md §5): every connection has
secure_delete on; after the transaction `physical_cleanup` merges any full-text
index and checkpoints the WAL with TRUNCATE.
"""

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lautex_registry.erasure.holds import Hold, RetentionPolicy, billing_columns, holds_for_many
from lautex_registry.platform import audit, journal, validation
from lautex_registry.platform.clock import timestamp
from lautex_registry.platform.errors import Conflict, InvalidInput
from lautex_registry.records import lookup
from lautex_registry.records.customers import ANONYMISED, WITH_HOLDS
from lautex_registry.records.organisations import (
    other_contacts,
    remove_sole_traders,
    sole_trader_businesses,
)
from lautex_registry.records.personal_data import PERSONAL_TABLES, PersonalTable, personal_table
from lautex_registry.rights.reply_contact import keep_reply_contact, replies_owed

ERASE = journal.ERASE
ANONYMISE = journal.ANONYMISE
MODES = (ERASE, ANONYMISE)

# Outcomes, as the customer's state after the operation ("erased": the row is gone).
ERASED = "erased"

# The table whose personal columns holds keep (vouchers); handled by the holds, not generically.
HELD_TABLE = "invoices"

# How the plan names a customer column to a clerk; a column missing here is shown by name.
_LABELS = {
    "first_name": "name",
    "last_name": "name",
    "street": "contact address",
    "postal_code": "contact address",
    "city": "contact address",
    "notes": "free-text notes",
    "search_text": "search index",
    "source_detail": "source detail",
}


@dataclass(frozen=True)
class PlanLine:
    """One kind of data and what happens to it."""

    data: str
    table: str
    rows: int
    how: str

    def as_dict(self) -> dict[str, Any]:
        return {"data": self.data, "table": self.table, "rows": self.rows, "how": self.how}


@dataclass
class ErasurePlan:
    """What an erasure or anonymisation of one customer does on `as_of`, before it is done."""

    customer_id: int
    mode: str
    as_of: date
    state: str
    created_at: str
    language: str
    holds: list[Hold]
    goes_now: list[PlanLine] = field(default_factory=list)
    notices: int = 0
    request_id: int | None = None
    checkpointed: bool = True  # False: a reader kept old page images in the -wal file

    @property
    def outcome(self) -> str:
        if self.mode == ANONYMISE:
            return ANONYMISED
        return WITH_HOLDS if self.holds else ERASED

    @property
    def last_hold_ends(self) -> date | None:
        return max((h.ends_on for h in self.holds), default=None)

    @property
    def request_outcome(self) -> str:
        """GDPR Art. 12(4): what could not be erased is a partial refusal, with reasons."""
        return "partially-refused" if self.holds else "completed"

    def reasons(self, language: str | None = None) -> str | None:
        if not self.holds:
            return None
        lang = language or self.language
        return "\n".join(hold.reason("fi" if lang == "fi" else "en") for hold in self.holds)

    def as_dict(self) -> dict[str, Any]:
        end = self.last_hold_ends
        return {
            "customer_id": self.customer_id,
            "mode": self.mode,
            "as_of": self.as_of.isoformat(),
            "state_before": self.state,
            "outcome": self.outcome,
            "last_hold_ends_on": end.isoformat() if end else None,
            "request_id": self.request_id,
            "request_outcome": self.request_outcome if self.request_id else None,
            "notices_to_recipients": self.notices,
            "goes_now": [line.as_dict() for line in self.goes_now],
            "stays": [hold.as_dict() for hold in self.holds],
        }

    def as_brief_dict(self) -> dict[str, Any]:
        """The same for a person at a terminal: the holds without their machine fields."""
        record = self.as_dict()
        if self.holds:
            record["stays"] = "billing name and address of these invoices:"
            record["holds"] = [
                {"rule": h.rule, "invoice": h.invoice_number, "until": h.until, "law": h.law}
                for h in self.holds
            ]
        return record


# --- the schema as personal_data describes it ------------------------------------------------


def _link_is_required(conn: sqlite3.Connection, entry: PersonalTable) -> bool:
    """True when a row cannot exist without its customer (NOT NULL link): it is the person's."""
    for column in conn.execute(f"PRAGMA table_info({entry.table})"):
        if column["name"] == entry.customer_link:
            return bool(column["notnull"])
    raise InvalidInput(f"personal_data: {entry.table}.{entry.customer_link} is not in the schema")


def _linked_tables(conn: sqlite3.Connection) -> list[tuple[PersonalTable, bool]]:
    """Every table linked to a customer except the held one, with whether its rows are deleted."""
    return [
        (entry, _link_is_required(conn, entry))
        for entry in PERSONAL_TABLES
        if entry.customer_link is not None and entry.table != HELD_TABLE
    ]


_IDS = "(SELECT value FROM json_each(?))"


# --- planning --------------------------------------------------------------------------------


def check_request(conn: sqlite3.Connection, request_id: int, customer_id: int) -> None:
    """The request an erasure closes: an open erasure request of this customer (or unlinked)."""
    lookup.request_for(
        conn, request_id, customer_id, kinds=("erasure",), open_only=True, unlinked=True
    )


def _customer_lines(row: sqlite3.Row, mode: str, outcome: str) -> list[PlanLine]:
    how = "deleted with the customer row" if outcome == ERASED else "cleared"
    labels: list[str] = []
    for column in personal_table("customers").columns:
        label = _LABELS.get(column, column.replace("_", " "))
        if row[column] is not None and label not in labels:
            labels.append(label)
    lines = [PlanLine(label, "customers", 1, how) for label in labels]
    if row["organisation_id"] is not None:
        lines.append(PlanLine("organisation link", "customers", 1, how))
    if outcome == WITH_HOLDS and mode == ERASE and row["source"] != "anonymised":
        lines.append(PlanLine("source", "customers", 1, "replaced by 'anonymised'"))
    return lines


def _count(conn: sqlite3.Connection, sql: str, *params: Any) -> int:
    return int(conn.execute(sql, params).fetchone()[0])


def _table_lines(conn: sqlite3.Connection, customer_id: int, outcome: str) -> list[PlanLine]:
    lines = []
    for entry, owned in _linked_tables(conn):
        link = entry.customer_link
        total = _count(conn, f"SELECT count(*) FROM {entry.table} WHERE {link} = ?", customer_id)
        if not total:
            continue
        if owned:
            how = "deleted"
            if entry.table == "objections":
                how = "deleted; an objection in force stays as a suppression record (keyed HMAC)"
            lines.append(PlanLine(entry.table, entry.table, total, how))
            continue
        if entry.columns:
            filled = " OR ".join(f"{c} IS NOT NULL" for c in entry.columns)
            with_text = _count(
                conn,
                f"SELECT count(*) FROM {entry.table} WHERE {link} = ? AND ({filled})",
                customer_id,
            )
            if with_text:
                lines.append(PlanLine(", ".join(entry.columns), entry.table, with_text, "cleared"))
        if outcome == ERASED:
            lines.append(
                PlanLine("link to the person", entry.table, total, "unlinked; the rows stay")
            )
    return lines


def plan(
    conn: sqlite3.Connection,
    customer_id: int,
    mode: str,
    as_of: date,
    *,
    request_id: int | None = None,
    policy: RetentionPolicy | None = None,
) -> ErasurePlan:
    """What erasing or anonymising the customer on `as_of` removes now and what stays, why,
    until when. Reads only."""
    mode = validation.choice(mode, MODES, "mode")
    row = lookup.customer_row(conn, customer_id)
    if request_id is not None:
        check_request(conn, request_id, customer_id)
    policy = policy or RetentionPolicy.of(conn)
    holds = holds_for_many(conn, [customer_id], as_of, policy).get(customer_id, [])
    result = ErasurePlan(
        customer_id,
        mode,
        as_of,
        str(row["state"]),
        str(row["created_at"]),
        str(row["language"]),
        holds,
        request_id=request_id,
    )
    outcome = result.outcome
    result.goes_now = _customer_lines(row, mode, outcome) + _table_lines(conn, customer_id, outcome)
    held = {hold.invoice_id for hold in holds}
    expired = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM invoices WHERE customer_id = ? AND billing_data_removed_on IS NULL",
            (customer_id,),
        )
        if r[0] not in held
    ]
    if expired:
        result.goes_now.append(
            PlanLine("billing name and address", HELD_TABLE, len(expired), "removed: no hold left")
        )
    if row["email"]:
        unlinked = _count(
            conn,
            "SELECT count(*) FROM requests WHERE customer_id IS NULL "
            "AND lower(requester_email) = lower(?)",
            row["email"],
        )
        if unlinked:
            result.goes_now.append(
                PlanLine("requester name and email", "requests", unlinked, "cleared")
            )
    owed = _count(
        conn, "SELECT count(*) FROM requests WHERE state = 'open' AND customer_id = ?", customer_id
    )
    if owed:
        result.goes_now.append(
            PlanLine("requester's name and one reply address", "requests", owed,
                     "kept on the open request for its reply (GDPR Art. 12(3), 17(3)(b)); "
                     "purged with the request")
        )  # fmt: skip
    result.goes_now += _sole_trader_lines(conn, customer_id)
    result.notices = _count(
        conn,
        "SELECT count(DISTINCT recipient_id) FROM disclosures WHERE customer_id = ?",
        customer_id,
    )
    return result


def _sole_trader_lines(conn: sqlite3.Connection, customer_id: int) -> list[PlanLine]:
    """GDPR Art. 4(1): the sole traders' businesses that are this person go with them."""
    businesses = sole_trader_businesses(conn, json.dumps([customer_id])).get(customer_id, [])
    if not businesses:
        return []
    lines = [PlanLine("sole trader's business: name and business ID", "organisations",
                      len(businesses), "deleted: the business is the person")]  # fmt: skip
    others = other_contacts(conn, businesses, customer_id)
    if others:
        lines.append(PlanLine("link to the sole trader's business", "customers", others,
                              "unlinked: its other contacts stay customers"))  # fmt: skip
    return lines


def refuse_repeat(planned: ErasurePlan) -> None:
    """An anonymised customer has nothing left to anonymise (erase still finishes the job)."""
    if planned.mode == ANONYMISE and planned.state in (ANONYMISED, WITH_HOLDS):
        raise Conflict(f"customer {planned.customer_id} is already {planned.state}")


# --- doing it --------------------------------------------------------------------------------


def _record_suppressions(conn: sqlite3.Connection, ids_json: str) -> None:
    """GDPR Art. 21(3): an objection outlives the person as a keyed HMAC (before it is deleted)."""
    from lautex_registry.records.suppression import record_suppression

    for (customer_id,) in conn.execute(
        f"SELECT DISTINCT customer_id FROM objections WHERE customer_id IN {_IDS}", (ids_json,)
    ).fetchall():
        record_suppression(conn, int(customer_id))


def _create_notices(conn: sqlite3.Connection, ids_json: str, request_id: int | None) -> set[int]:
    """GDPR Art. 19: a pending erasure notice for every recipient the data was disclosed to."""
    from lautex_registry.rights.notices import create_notices

    created: set[int] = set()
    for (customer_id,) in conn.execute(
        f"SELECT DISTINCT customer_id FROM disclosures WHERE customer_id IN {_IDS}", (ids_json,)
    ).fetchall():
        # Art. 19 names recipients; the source is not told of an erasure (and its label
        # would keep the customer's source detail).
        created.update(
            create_notices(
                conn, int(customer_id), "erasure", None, request_id=request_id, include_source=False
            )
        )
    return created


def _clear_linked_rows(
    conn: sqlite3.Connection, ids_json: str, erased_json: str, keep_notices: set[int]
) -> None:
    """Every table personal_data links to a customer: delete owned rows, clear the rest."""
    for entry, owned in _linked_tables(conn):
        link = entry.customer_link
        if owned:
            conn.execute(f"DELETE FROM {entry.table} WHERE {link} IN {_IDS}", (ids_json,))
            continue
        spare = ""
        params: list[Any] = [ids_json]
        if entry.table == "notices" and keep_notices:
            # The notices just recorded are the clerk's to-do list: they keep their addressee.
            spare = f" AND id NOT IN {_IDS}"
            params.append(json.dumps(sorted(keep_notices)))
        if entry.columns:
            sets = ", ".join(f"{c} = NULL" for c in entry.columns)
            filled = " OR ".join(f"{c} IS NOT NULL" for c in entry.columns)
            conn.execute(
                f"UPDATE {entry.table} SET {sets} WHERE {link} IN {_IDS} AND ({filled}){spare}",
                params,
            )
        conn.execute(
            f"UPDATE {entry.table} SET {link} = NULL WHERE {link} IN {_IDS}", (erased_json,)
        )


def _clear_requests_by_email(conn: sqlite3.Connection, ids_json: str) -> None:
    """Requests the person made before they were linked to the register, found by email."""
    columns = personal_table("requests").columns
    sets = ", ".join(f"{c} = NULL" for c in columns)
    conn.execute(
        f"UPDATE requests SET {sets} WHERE customer_id IS NULL AND lower(requester_email) IN "
        f"(SELECT lower(email) FROM customers WHERE id IN {_IDS} AND email IS NOT NULL)",
        (ids_json,),
    )


def _strip_unheld_invoices(
    conn: sqlite3.Connection, ids_json: str, held: set[int], as_of: date
) -> None:
    """Billing data no hold needs any longer goes; the invoice's amounts stay for the books."""
    sets = ", ".join(f"{c} = NULL" for c in billing_columns())
    conn.execute(
        f"UPDATE invoices SET {sets}, billing_data_removed_on = ? "
        f"WHERE customer_id IN {_IDS} AND billing_data_removed_on IS NULL AND id NOT IN {_IDS}",
        (as_of.isoformat(), ids_json, json.dumps(sorted(held))),
    )


def strip_invoices(conn: sqlite3.Connection, invoice_ids: Sequence[int], as_of: date) -> int:
    """Remove the billing name and address of these invoices (vouchers past retention)."""
    sets = ", ".join(f"{c} = NULL" for c in billing_columns())
    cursor = conn.execute(
        f"UPDATE invoices SET {sets}, billing_data_removed_on = ? "
        f"WHERE id IN {_IDS} AND billing_data_removed_on IS NULL",
        (as_of.isoformat(), json.dumps(list(invoice_ids))),
    )
    return cursor.rowcount


def _update_customers(
    conn: sqlite3.Connection, ids: Sequence[int], state: str, as_of: date, source: str | None
) -> None:
    if not ids:
        return
    sets = ", ".join(f"{c} = NULL" for c in personal_table("customers").columns)
    source_sql = ", source = ?" if source else ""
    params: list[Any] = [state, as_of.isoformat(), timestamp()]
    if source:
        params.append(source)
    params.append(json.dumps(list(ids)))
    conn.execute(
        f"UPDATE customers SET {sets}, organisation_id = NULL, state = ?, anonymised_on = ?, "
        f"updated_at = ?{source_sql} WHERE id IN {_IDS}",
        params,
    )


@dataclass(frozen=True)
class Outcome:
    customer_id: int
    outcome: str
    holds: tuple[Hold, ...]


def erase_customers(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    customer_ids: Sequence[int],
    mode: str,
    as_of: date,
    *,
    action: str,
    rule: str,
    policy: RetentionPolicy | None = None,
    request_id: int | None = None,
    notify: bool = True,
    details: dict[str, Any] | None = None,
) -> tuple[list[Outcome], list[journal.JournalEntry]]:
    """Erase or anonymise these customers; call inside a transaction.

    One implementation for one person (`erase`) and for a batch of hundreds (the
    retention job): set-based statements over the batch, an audit row per person.
    Returns each person's outcome and the journal entries the caller appends just
    before committing.
    """
    mode = validation.choice(mode, MODES, "mode")
    policy = policy or RetentionPolicy.of(conn)
    rows = conn.execute(
        f"SELECT id, created_at FROM customers WHERE id IN {_IDS} ORDER BY id",
        (json.dumps(list(customer_ids)),),
    ).fetchall()
    ids = [int(r["id"]) for r in rows]
    if not ids:
        return [], []
    ids_json = json.dumps(ids)
    holds = holds_for_many(conn, ids, as_of, policy)
    held_people = [cid for cid in ids if cid in holds]
    free_people = [cid for cid in ids if cid not in holds]
    erased = free_people if mode == ERASE else []

    sole_traders = sole_trader_businesses(conn, ids_json)
    owed = replies_owed(conn, ids_json)
    _record_suppressions(conn, ids_json)
    new_notices = _create_notices(conn, ids_json, request_id) if notify else set()
    if mode == ERASE:
        # The requests stay (their own retention) without a link: they keep the date the
        # person was erased, so a request is not mistaken for one from a stranger.
        conn.execute(
            f"UPDATE requests SET subject_erased_on = ? WHERE customer_id IN {_IDS} "
            "AND subject_erased_on IS NULL",
            (as_of.isoformat(), ids_json),
        )
    _clear_requests_by_email(conn, ids_json)
    _clear_linked_rows(conn, ids_json, json.dumps(erased), new_notices)
    held_invoices = {hold.invoice_id for person in holds.values() for hold in person}
    _strip_unheld_invoices(conn, ids_json, held_invoices, as_of)
    if mode == ERASE:
        conn.execute(
            f"UPDATE invoices SET customer_id = NULL WHERE customer_id IN {_IDS}",
            (json.dumps(erased),),
        )
        conn.execute(f"DELETE FROM customers WHERE id IN {_IDS}", (json.dumps(erased),))
        _update_customers(conn, held_people, WITH_HOLDS, as_of, "anonymised")
    else:
        _update_customers(conn, ids, ANONYMISED, as_of, None)
    remove_sole_traders(conn, {org for orgs in sole_traders.values() for org in orgs})
    for owed_request, contact in owed.items():
        keep_reply_contact(conn, owed_request, contact)

    outcomes = []
    entries = []
    register_id = _register_id(conn)
    stamp = timestamp()
    created = {int(r["id"]): str(r["created_at"]) for r in rows}
    for cid in ids:
        person_holds = tuple(holds.get(cid, ()))
        outcome = ANONYMISED if mode == ANONYMISE else (WITH_HOLDS if person_holds else ERASED)
        outcomes.append(Outcome(cid, outcome, person_holds))
        audit.record(
            conn,
            actor,
            action,
            "customer",
            cid,
            {
                **(details or {}),
                "outcome": outcome,
                **({"sole_trader_removed": sole_traders[cid]} if cid in sole_traders else {}),
                "request_id": request_id,
                "holds": [
                    {"rule": h.rule, "invoice_id": h.invoice_id, "ends_on": h.ends_on.isoformat()}
                    for h in person_holds
                ],
            },
        )
        entries.append(
            journal.JournalEntry(
                mode, cid, created[cid], as_of.isoformat(), stamp, register_id, rule, request_id
            )
        )
    return outcomes, entries


def _register_id(conn: sqlite3.Connection) -> str:
    from lautex_registry.platform.identity import register_id

    return register_id(conn)


def physical_cleanup(conn: sqlite3.Connection) -> bool:
    """docs/rules.md §5: merge full-text indexes (no old token survives) and truncate the WAL.

    Returns False when a reader kept the checkpoint from finishing (it is safe to
    run again; the next erasure or retention run does).
    """
    tables = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' "
        "AND lower(sql) LIKE 'create virtual table%using fts%'"
    ).fetchall()
    if tables:
        from lautex_registry.platform.db import transaction

        with transaction(conn):
            for (name,) in tables:
                conn.execute(f'INSERT INTO "{name}"("{name}") VALUES (\'optimize\')')
    busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return not (busy and busy[0])


def carry_out(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    customer_id: int,
    mode: str,
    as_of: date,
    *,
    request_id: int | None = None,
) -> ErasurePlan:
    """`erase` / `anonymize` one customer in one transaction: plan again under the write
    lock (a clerk may have changed something since the plan was shown), erase, close the
    request with its outcome and reasons, journal; then the physical clean-up."""
    from lautex_registry.platform.db import transaction

    db_file = journal.database_file(conn)
    with transaction(conn):
        fresh = plan(conn, customer_id, mode, as_of, request_id=request_id)
        refuse_repeat(fresh)
        _, entries = erase_customers(
            conn,
            actor,
            [customer_id],
            mode,
            as_of,
            action="erase" if mode == ERASE else "anonymize",
            rule="request" if request_id is not None else "clerk",
            request_id=request_id,
        )
        if request_id is not None:
            from lautex_registry.rights.requests import close_request, get_request

            language = str(get_request(conn, request_id)["language"])
            close_request(conn, actor, request_id, fresh.request_outcome, fresh.reasons(language))
        journal.append_and_record(conn, db_file, entries)
    fresh.checkpointed = physical_cleanup(conn)
    return fresh
