"""The plan of an erasure or anonymisation: what goes now and what holds keep, until when.

This is what `erase --dry-run` and `anonymise --dry-run` show, and what `erase.carry_out`
plans again under the write lock before it does anything. It only reads.

GDPR Art. 17 and the privacy statement (docs/privacy-statement.md P6, P11): personal data is
destroyed on request unless law, open invoices or collection prevent it. What must stay is
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
way that person goes, and its other contacts are unlinked.
"""

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lautex_registry.erasure.holds import Hold, RetentionPolicy, holds_for_many
from lautex_registry.platform import journal, validation
from lautex_registry.platform.errors import Conflict, InvalidInput, Message, shown, t
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records import lookup
from lautex_registry.records.customer_state import ANONYMISED, WITH_HOLDS
from lautex_registry.records.organisations import other_contacts, sole_trader_businesses
from lautex_registry.records.personal_data import PERSONAL_TABLES, PersonalTable, personal_table

ERASE = journal.ERASE
ANONYMISE = journal.ANONYMISE
MODES = (ERASE, ANONYMISE)

# Outcomes, as the customer's state after the operation ("erased": the row is gone).
ERASED = "erased"

# The table whose personal columns holds keep (vouchers); handled by the holds, not generically.
HELD_TABLE = "invoices"

# How the plan names a customer column to a clerk, in the interface's language
# (docs/rules.md §6); a column missing here is shown by name.
_LABELS = {
    "first_name": t("name"),
    "last_name": t("name"),
    "sort_first_name": t("name"),
    "sort_last_name": t("name"),
    "name_bucket": t("name"),
    "email": t("email"),
    "phone": t("phone"),
    "street": t("contact address"),
    "postal_code": t("contact address"),
    "city": t("contact address"),
    "notes": t("free-text notes"),
    "search_text": t("search index"),
    "search_email_key": t("search index"),
    "source_detail": t("source detail"),
}


@dataclass(frozen=True)
class PlanLine:
    """One kind of data and what happens to it."""

    # Messages: English in the JSON plan (as_dict), translated in the one a clerk reads.
    data: Message | str
    table: str
    rows: int
    how: Message

    def as_dict(self) -> dict[str, Any]:
        return {
            "data": str(self.data),
            "table": self.table,
            "rows": self.rows,
            "how": str(self.how),
        }

    def as_shown_dict(self) -> dict[str, Any]:
        return {**self.as_dict(), "data": shown(self.data), "how": shown(self.how)}


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
        record["goes_now"] = [line.as_shown_dict() for line in self.goes_now]
        if self.holds:
            record["stays"] = shown(t("billing name and address of these invoices:"))
            record["holds"] = [
                {
                    "rule": h.rule,
                    "invoice": h.invoice_number,
                    "until": h.shown_until(),
                    "law": h.shown_law(),
                }
                for h in self.holds
            ]
        return record


# --- the schema as personal_data describes it ------------------------------------------------


def link_is_required(conn: sqlite3.Connection, entry: PersonalTable) -> bool:
    """True when a row cannot exist without its customer (NOT NULL link): it is the person's."""
    for column in conn.execute(f"PRAGMA table_info({entry.table})"):
        if column["name"] == entry.customer_link:
            return bool(column["notnull"])
    raise InvalidInput(
        t(
            "personal_data: {table}.{customer_link} is not in the schema",
            table=entry.table,
            customer_link=entry.customer_link,
        )
    )


def linked_tables(conn: sqlite3.Connection) -> list[tuple[PersonalTable, bool]]:
    """Every table linked to a customer except the held one, with whether its rows are deleted."""
    return [
        (entry, link_is_required(conn, entry))
        for entry in PERSONAL_TABLES
        if entry.customer_link is not None and entry.table != HELD_TABLE
    ]


# --- planning --------------------------------------------------------------------------------


def check_request(conn: sqlite3.Connection, request_id: int, customer_id: int) -> None:
    """The request an erasure closes: an open erasure request of this customer (or unlinked)."""
    lookup.request_for(
        conn, request_id, customer_id, kinds=("erasure",), open_only=True, unlinked=True
    )


def _customer_lines(row: sqlite3.Row, mode: str, outcome: str) -> list[PlanLine]:
    how = t("deleted with the customer row") if outcome == ERASED else t("cleared")
    labels: list[Message | str] = []
    for column in personal_table("customers").columns:
        label = _LABELS.get(column, column.replace("_", " "))
        if row[column] is not None and label not in labels:
            labels.append(label)
    lines = [PlanLine(label, "customers", 1, how) for label in labels]
    if row["organisation_id"] is not None:
        lines.append(PlanLine(t("organisation link"), "customers", 1, how))
    if outcome == WITH_HOLDS and mode == ERASE and row["source"] != "anonymised":
        lines.append(PlanLine(t("source"), "customers", 1, t("replaced by 'anonymised'")))
    return lines


def _count(conn: sqlite3.Connection, sql: str, *params: Any) -> int:
    return int(conn.execute(sql, params).fetchone()[0])


def _table_lines(conn: sqlite3.Connection, customer_id: int, outcome: str) -> list[PlanLine]:
    lines = []
    for entry, owned in linked_tables(conn):
        link = entry.customer_link
        total = _count(conn, f"SELECT count(*) FROM {entry.table} WHERE {link} = ?", customer_id)
        if not total:
            continue
        if owned:
            how = t("deleted")
            if entry.table == "objections":
                how = t("deleted; an objection in force stays as a suppression record (keyed HMAC)")
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
                lines.append(
                    PlanLine(", ".join(entry.columns), entry.table, with_text, t("cleared"))
                )
        if outcome == ERASED:
            lines.append(
                PlanLine(t("link to the person"), entry.table, total, t("unlinked; the rows stay"))
            )
    return lines


def plan_erasure(
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
            PlanLine(
                t("billing name and address"), HELD_TABLE, len(expired), t("removed: no hold left")
            )
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
                PlanLine(t("requester name and email"), "requests", unlinked, t("cleared"))
            )
    owed = _count(
        conn, "SELECT count(*) FROM requests WHERE state = 'open' AND customer_id = ?", customer_id
    )
    if owed:
        result.goes_now.append(
            PlanLine(t("requester's name and one reply address"), "requests", owed,
                     t("kept on the open request for its reply (GDPR Art. 12(3), 17(3)(b)); "
                       "purged with the request"))
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
    lines = [PlanLine(t("sole trader's business: name and business ID"), "organisations",
                      len(businesses), t("deleted: the business is the person"))]  # fmt: skip
    others = other_contacts(conn, businesses, customer_id)
    if others:
        lines.append(PlanLine(t("link to the sole trader's business"), "customers", others,
                              t("unlinked: its other contacts stay customers")))  # fmt: skip
    return lines


def refuse_repeat(planned: ErasurePlan) -> None:
    """An anonymised customer has nothing left to anonymise (erase still finishes the job)."""
    if planned.mode == ANONYMISE and planned.state in (ANONYMISED, WITH_HOLDS):
        raise Conflict(
            t(
                "customer {customer_id} is already {state}",
                customer_id=planned.customer_id,
                state=planned.state,
            )
        )
