"""Carrying out an erasure or anonymisation: the one implementation behind `erase`,
`anonymise`, the retention job and the journal replay of `restore`.

What goes and what stays is `plan.plan_erasure`'s (and its module says why). Here the
rows go: before anything is deleted, objections become a suppression record (keyed
HMAC, GDPR Art. 21(3)) and pending notices are recorded for every recipient the data
was disclosed to (Art. 19); then owned rows are deleted and the rest cleared or
unlinked, the request is closed with its outcome and the erasure is journalled
(docs/rules.md §5). A held invoice keeps its billing organisation like the rest of its
billing data. The search index's triggers take the person's tokens out of its pages in
the same transaction (FTS5 `secure-delete`); after it `cleanup.physical_cleanup`
truncates the WAL, so no old page image keeps them (docs/rules.md §5).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from lautex_registry.erasure.cleanup import owe_merge_if_exposed, physical_cleanup
from lautex_registry.erasure.holds import Hold, RetentionPolicy, billing_columns, holds_for_many
from lautex_registry.erasure.plan import (
    ANONYMISE,
    ERASE,
    ERASED,
    MODES,
    ErasurePlan,
    linked_tables,
    plan_erasure,
    refuse_repeat,
)
from lautex_registry.platform import audit, journal, validation
from lautex_registry.platform.clock import timestamp
from lautex_registry.platform.db import IN_LIST, json_list, transaction
from lautex_registry.platform.identity import register_id
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records.customer_state import ANONYMISED, WITH_HOLDS
from lautex_registry.records.organisations import remove_sole_traders, sole_trader_businesses
from lautex_registry.records.personal_data import personal_table
from lautex_registry.records.suppression import record_suppression
from lautex_registry.rights.reply_contact import keep_reply_contact, replies_owed

# Notices (and the disclosures and customers they read) and requests are imported where
# a person with disclosures is erased or a request is closed: the retention job erases
# hundreds of people who have neither, and its whole process pays for every import
# (benchmarks/README.md, retention start-up; docs/rules.md §3).


def _record_suppressions(conn: sqlite3.Connection, ids_json: str) -> None:
    """GDPR Art. 21(3): an objection outlives the person as a keyed HMAC (before it is deleted)."""
    for (customer_id,) in conn.execute(
        f"SELECT DISTINCT customer_id FROM objections WHERE customer_id {IN_LIST}", (ids_json,)
    ).fetchall():
        record_suppression(conn, int(customer_id))


def _create_notices(conn: sqlite3.Connection, ids_json: str, request_id: int | None) -> set[int]:
    """GDPR Art. 19: a pending erasure notice for every recipient the data was disclosed to."""
    created: set[int] = set()
    for (customer_id,) in conn.execute(
        f"SELECT DISTINCT customer_id FROM disclosures WHERE customer_id {IN_LIST}", (ids_json,)
    ).fetchall():
        from lautex_registry.rights.notices import create_notices

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
    for entry, owned in linked_tables(conn):
        link = entry.customer_link
        if owned:
            conn.execute(f"DELETE FROM {entry.table} WHERE {link} {IN_LIST}", (ids_json,))
            continue
        spare = ""
        params: list[Any] = [ids_json]
        if entry.table == "notices" and keep_notices:
            # The notices just recorded are the clerk's to-do list: they keep their addressee.
            spare = f" AND id NOT {IN_LIST}"
            params.append(json_list(sorted(keep_notices)))
        if entry.columns:
            sets = ", ".join(f"{c} = NULL" for c in entry.columns)
            filled = " OR ".join(f"{c} IS NOT NULL" for c in entry.columns)
            conn.execute(
                f"UPDATE {entry.table} SET {sets} WHERE {link} {IN_LIST} AND ({filled}){spare}",
                params,
            )
        conn.execute(
            f"UPDATE {entry.table} SET {link} = NULL WHERE {link} {IN_LIST}", (erased_json,)
        )


def _clear_requests_by_email(conn: sqlite3.Connection, ids_json: str) -> None:
    """Requests the person made before they were linked to the register, found by email."""
    columns = personal_table("requests").columns
    sets = ", ".join(f"{c} = NULL" for c in columns)
    conn.execute(
        f"UPDATE requests SET {sets} WHERE customer_id IS NULL AND lower(requester_email) IN "
        f"(SELECT lower(email) FROM customers WHERE id {IN_LIST} AND email IS NOT NULL)",
        (ids_json,),
    )


def _remove_billing_data(conn: sqlite3.Connection, as_of: date, where: str, *params: Any) -> int:
    """Billing data no hold needs any longer goes; the invoice's amounts stay for the books."""
    sets = ", ".join(f"{c} = NULL" for c in billing_columns())
    cursor = conn.execute(
        f"UPDATE invoices SET {sets}, billing_data_removed_on = ? "
        f"WHERE {where} AND billing_data_removed_on IS NULL",
        (as_of.isoformat(), *params),
    )
    return cursor.rowcount


def _strip_unheld_invoices(
    conn: sqlite3.Connection, ids_json: str, held: set[int], as_of: date
) -> None:
    """These customers' invoices that no hold keeps lose their billing data."""
    where = f"customer_id {IN_LIST} AND id NOT {IN_LIST}"
    _remove_billing_data(conn, as_of, where, ids_json, json_list(sorted(held)))


def strip_invoices(conn: sqlite3.Connection, invoice_ids: Sequence[int], as_of: date) -> int:
    """Remove the billing name and address of these invoices (vouchers past retention)."""
    return _remove_billing_data(conn, as_of, f"id {IN_LIST}", json_list(invoice_ids))


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
    params.append(json_list(ids))
    conn.execute(
        f"UPDATE customers SET {sets}, organisation_id = NULL, state = ?, anonymised_on = ?, "
        f"updated_at = ?{source_sql} WHERE id {IN_LIST}",
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
    """Erase or anonymise these customers; call inside a transaction (checked).

    One implementation for one person (`erase`) and for a batch of hundreds (the
    retention job): set-based statements over the batch, an audit row per person.
    Returns each person's outcome and the journal entries the caller appends just
    before committing.
    """
    mode = validation.choice(mode, MODES, "mode")
    policy = policy or RetentionPolicy.of(conn)
    rows = conn.execute(
        f"SELECT id, created_at FROM customers WHERE id {IN_LIST} ORDER BY id",
        (json_list(customer_ids),),
    ).fetchall()
    ids = [int(r["id"]) for r in rows]
    if not ids:
        return [], []
    ids_json = json_list(ids)
    old_texts = [
        r[0]
        for r in conn.execute(f"SELECT search_text FROM customers WHERE id {IN_LIST}", (ids_json,))
    ]
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
            f"UPDATE requests SET subject_erased_on = ? WHERE customer_id {IN_LIST} "
            "AND subject_erased_on IS NULL",
            (as_of.isoformat(), ids_json),
        )
    _clear_requests_by_email(conn, ids_json)
    _clear_linked_rows(conn, ids_json, json_list(erased), new_notices)
    held_invoices = {hold.invoice_id for person in holds.values() for hold in person}
    _strip_unheld_invoices(conn, ids_json, held_invoices, as_of)
    if mode == ERASE:
        conn.execute(
            f"UPDATE invoices SET customer_id = NULL WHERE customer_id {IN_LIST}",
            (json_list(erased),),
        )
        conn.execute(f"DELETE FROM customers WHERE id {IN_LIST}", (json_list(erased),))
        _update_customers(conn, held_people, WITH_HOLDS, as_of, "anonymised")
    else:
        _update_customers(conn, ids, ANONYMISED, as_of, None)
    remove_sole_traders(conn, {org for orgs in sole_traders.values() for org in orgs})
    for owed_request, contact in owed.items():
        keep_reply_contact(conn, owed_request, contact)
    # docs/rules.md §5: a term only these people held may still name a leaf page.
    owe_merge_if_exposed(conn, old_texts)

    outcomes = []
    entries = []
    audit_rows: list[tuple[str, int, dict[str, Any]]] = []
    register = register_id(conn)
    stamp = timestamp()
    created = {int(r["id"]): str(r["created_at"]) for r in rows}
    for cid in ids:
        person_holds = tuple(holds.get(cid, ()))
        outcome = ANONYMISED if mode == ANONYMISE else (WITH_HOLDS if person_holds else ERASED)
        outcomes.append(Outcome(cid, outcome, person_holds))
        audit_rows.append(
            (
                "customer",
                cid,
                {
                    **(details or {}),
                    "outcome": outcome,
                    **({"sole_trader_removed": sole_traders[cid]} if cid in sole_traders else {}),
                    "request_id": request_id,
                    "holds": [
                        {
                            "rule": h.rule,
                            "invoice_id": h.invoice_id,
                            "ends_on": h.ends_on.isoformat(),
                        }
                        for h in person_holds
                    ],
                },
            )
        )
        entries.append(
            journal.JournalEntry(
                mode, cid, created[cid], as_of.isoformat(), stamp, register, rule, request_id
            )
        )
    # One audit row per person, written together: one read of the chain's end and one
    # INSERT for a retention batch of hundreds (figures in benchmarks/README.md).
    audit.record_many(conn, actor, action, audit_rows)
    return outcomes, entries


def carry_out(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    customer_id: int,
    mode: str,
    as_of: date,
    *,
    request_id: int | None = None,
) -> ErasurePlan:
    """`erase` / `anonymise` one customer in one transaction: plan again under the write
    lock (a clerk may have changed something since the plan was shown), erase, close the
    request with its outcome and reasons, journal; then the physical clean-up."""
    db_file = journal.database_file(conn)
    with transaction(conn):
        fresh = plan_erasure(conn, customer_id, mode, as_of, request_id=request_id)
        refuse_repeat(fresh)
        _, entries = erase_customers(
            conn,
            actor,
            [customer_id],
            mode,
            as_of,
            action="erase" if mode == ERASE else "anonymise",
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
