"""Data subject requests as tracked cases: intake, deadlines, identity checks, closing.

Every request gets its due date from `deadlines` (GDPR Art. 12(3)); an extension
is possible only with reasons and only within the first month; a refusal needs
reasons (Art. 12(4)); a manifestly unfounded or excessive request may be refused
or charged only with a written justification (Art. 12(5)); the first copy of the
data is free (Art. 15(3)). A signature may be recorded but never blocks a
request; an identity check may be recorded (Art. 12(6)).

A request is completed only when the register shows it done (the export or
letter recorded for it, the erasure carried out, the rectification, restriction
or objection recorded with it) or the clerk says what was done by other means
(`done_outside`): a "completed" that nothing backs would tell the person their
right was honoured when it was not (GDPR Art. 12(3)).

Audit rows hold ids, kinds and field names, never the note, reasons or the
requester's name, email and address.
"""

import re
from datetime import date, timedelta
from typing import Any

from lautex_registry.platform import audit, db, journal, validation
from lautex_registry.platform.clock import timestamp, today
from lautex_registry.platform.errors import Conflict, InvalidInput, Message, Refused, t
from lautex_registry.platform.identity import register_id
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records import lookup
from lautex_registry.records.customer_state import refuse_if_anonymised
from lautex_registry.records.customers import LANGUAGES
from lautex_registry.records.lookup import customer_id_by_email, resolve_customer
from lautex_registry.records.objections import CHANNELS
from lautex_registry.rights import deadlines
from lautex_registry.rights.request_done import (
    erased_or_anonymised,
    how_to_do,
    refuse_completed_while_held,
    shown_done,
)

KINDS = (
    "access",
    "rectification",
    "erasure",
    "restriction",
    "objection",
    "portability",
    "publication-ban",
)
OUTCOMES = ("completed", "refused", "partially-refused")
REFUSALS = ("refused", "partially-refused")
# GDPR Art. 15(3): the copy of the data; the first one is free.
COPY_KINDS = ("access",)
TEXT_MAX = 4000

_REQUESTER = re.compile(r"^\s*(?P<name>[^<>]*?)\s*<(?P<email>[^<>]+)>\s*$")


def parse_requester(text: str) -> tuple[str, str]:
    """`"NAME <EMAIL>"` of a requester who is not in the register -> (name, normalised email)."""
    match = _REQUESTER.match(validation.required_text(text, "requester", max_length=500))
    if not match:
        raise InvalidInput(
            t('requester: write it as "NAME <EMAIL>", e.g. "Ville Vieras <v@ex.fi>"')
        )
    name = validation.required_text(match["name"], "requester name")
    email = validation.normalise_email(match["email"], "requester email")
    return name, email


# Lines of an address under the name, as Posti reads them: organisation, c/o, street or
# PO box, postal code and town, country (docs/rules.md §2 "Addresses"); with the name they
# fill the envelope's window at 10 pt.
ADDRESS_LINES = 6


def postal_address(text: str | None) -> str | None:
    """`"Kuusitie 3, 00100 Helsinki"` -> the lines of a letter's address, one per comma."""
    if text is None or not text.strip():
        return None
    lines = [
        # Each line is free text like the name (README "Input rules"): no control character,
        # no personal identity code.
        validation.checked_text(part.strip(), "requester-address", max_length=validation.NAME_MAX)
        for part in re.split(r"[,\n]", text)
        if part.strip()
    ]
    if len(lines) < 2:
        raise InvalidInput(
            t(
                'requester-address: write it as "STREET, POSTAL CODE AND CITY", e.g. '
                '"Kuusitie 3, 00100 Helsinki"'
            )
        )
    if len(lines) > ADDRESS_LINES:
        raise InvalidInput(
            t(
                "requester-address: at most {most} lines (one per comma), got {count}",
                most=ADDRESS_LINES,
                count=len(lines),
            )
        )
    value = "\n".join(lines)
    if len(value) > 500:
        raise InvalidInput(t("requester-address: at most 500 characters"))
    return value


def free_text(text: str | None, field: str) -> str | None:
    """Reasons, notes and justifications: trimmed, may span lines, None when empty."""
    return validation.multiline_text(text, field, max_length=TEXT_MAX)


def get_request(conn: sqlite3.Connection, request_id: int) -> sqlite3.Row:
    return lookup.request_row(conn, request_id)


def handler_name(conn: sqlite3.Connection, row: sqlite3.Row, actor: audit.Actor) -> str:
    """The full name a reply is signed with: who closed the request, else who writes now."""
    user_id = row["handled_by"] if row["handled_by"] is not None else actor.user_id
    user = conn.execute("SELECT full_name FROM users WHERE id = ?", (user_id,)).fetchone()
    return str(user["full_name"]) if user else actor.username


def _require_open(row: sqlite3.Row, refusal: Message) -> None:
    """`refusal`: the whole sentence, with {id} and {outcome} to fill in."""
    if row["state"] != "open":
        raise Refused(refusal.filled(id=row["id"], outcome=row["outcome"]))


def _resolve_subject(
    conn: sqlite3.Connection, customer_ref: str | None, requester: str | None
) -> tuple[int | None, str | None, str | None, str | None]:
    """(customer_id, requester_name, requester_email, customer language) of a new request."""
    if customer_ref is None and requester is None:
        raise InvalidInput(
            t('customer: who is asking? give CUSTOMER (id or email) or --requester "NAME <EMAIL>"')
        )
    if customer_ref is not None and requester is not None:
        raise InvalidInput(
            t("customer: give either CUSTOMER (id or email) or --requester, not both")
        )
    if customer_ref is not None:
        customer = resolve_customer(conn, customer_ref)
        refuse_if_anonymised(int(customer["id"]), customer["state"])
        return int(customer["id"]), None, None, str(customer["language"])
    assert requester is not None
    name, email = parse_requester(requester)
    known_id = customer_id_by_email(conn, email)
    known = None if known_id is None else {"id": known_id}
    if known is not None:
        # A "no data held" answer to someone the register does hold would be false.
        raise Conflict(
            t(
                "requester: that email belongs to customer {id}: use `lautex request add {id} ...`",
                id=known["id"],
            )
        )
    return None, name, email, None


def add_request(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    *,
    kind: str,
    channel: str,
    customer_ref: str | None = None,
    requester: str | None = None,
    received: str | None = None,
    language: str | None = None,
    signed: bool = False,
    note: str | None = None,
    requester_address: str | None = None,
) -> int:
    """Record a new request with its due date; returns its id. Call inside a transaction (checked).

    `requester_address` is the postal address the reply goes to, when the person wants
    it elsewhere than the register's address (or is not in the register)."""
    kind = validation.choice(kind, KINDS, "kind")
    channel = validation.choice(channel, CHANNELS, "channel")
    received_on = validation.date_or_today(received, "received")
    if received_on > today():
        raise InvalidInput(
            t("received: {received_on} is in the future", received_on=received_on.isoformat())
        )
    note_text = free_text(note, "note")
    address = postal_address(requester_address)
    customer_id, name, email, customer_language = _resolve_subject(conn, customer_ref, requester)
    lang = validation.choice(language or customer_language or "fi", LANGUAGES, "language")
    due = deadlines.request_due(received_on)
    cursor = conn.execute(
        """INSERT INTO requests (customer_id, requester_name, requester_email, requester_address,
               kind, received_on, channel, language, signed, due_on, note, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            customer_id,
            name,
            email,
            address,
            kind,
            received_on.isoformat(),
            channel,
            lang,
            int(signed),
            due.isoformat(),
            note_text,
            timestamp(),
        ),
    )
    request_id = int(cursor.lastrowid or 0)
    fields = ["kind", "received_on", "channel", "language", "signed", "due_on"]
    if customer_id is None:
        fields += ["requester_name", "requester_email"]
    if note_text:
        fields.append("note")
    if address:
        fields.append("requester_address")
    audit.record(
        conn,
        actor,
        "request add",
        "request",
        request_id,
        {"kind": kind, "customer_id": customer_id, "fields": fields},
    )
    return request_id


def extend_request(
    conn: sqlite3.Connection, actor: audit.Actor, request_id: int, reason: str | None
) -> date:
    """Extend to three months from receipt (GDPR Art. 12(3)); returns the new due date.

    Refused without a reason, after the first month, when already extended or closed.
    """
    row = get_request(conn, request_id)
    _require_open(row, t("request {id} is closed ({outcome}): cannot extend it"))
    reason_text = free_text(reason, "reason")
    if reason_text is None:
        raise Refused(
            t("reason: an extension must state its reasons, which the person is told (Art. 12(3))")
        )
    if row["extended_on"]:
        raise Refused(
            t(
                "request {request_id} was already extended on {extended_on}",
                request_id=request_id,
                extended_on=row["extended_on"],
            )
        )
    received_on = date.fromisoformat(row["received_on"])
    last_day = deadlines.extension_deadline(received_on)
    now = today()
    if now > last_day:
        raise Refused(
            t(
                "request {request_id}: an extension had to be recorded by {last_day} "
                "(within one month of receipt, GDPR Art. 12(3)); it is too late now",
                request_id=request_id,
                last_day=last_day.isoformat(),
            )
        )
    new_due = deadlines.extended_due(received_on)
    conn.execute(
        "UPDATE requests SET due_on = ?, extended_on = ?, extension_reason = ? WHERE id = ?",
        (new_due.isoformat(), now.isoformat(), reason_text, request_id),
    )
    audit.record(
        conn,
        actor,
        "request extend",
        "request",
        request_id,
        {"fields": ["due_on", "extended_on", "extension_reason"]},
    )
    return new_due


def verify_identity(
    conn: sqlite3.Connection, actor: audit.Actor, request_id: int, method: str
) -> None:
    """Record how the requester's identity was checked (Art. 12(6)); never a precondition."""
    row = get_request(conn, request_id)
    method_text = validation.required_text(method, "method")
    conn.execute(
        "UPDATE requests SET identity_method = ?, identity_checked_on = ? WHERE id = ?",
        (method_text, today().isoformat(), row["id"]),
    )
    audit.record(
        conn,
        actor,
        "request verify",
        "request",
        request_id,
        {"fields": ["identity_method", "identity_checked_on"]},
    )


def is_first_copy(conn: sqlite3.Connection, row: sqlite3.Row) -> bool:
    """True when no earlier access request of the same person was answered with a copy."""
    if row["customer_id"] is not None:
        who, value = "customer_id = ?", row["customer_id"]
    else:
        who, value = "requester_email = ? COLLATE NOCASE", row["requester_email"]
    earlier = conn.execute(
        f"""SELECT COUNT(*) FROM requests
            WHERE {who} AND id <> ? AND kind IN ({",".join("?" * len(COPY_KINDS))})
              AND state = 'closed' AND outcome IN ('completed', 'partially-refused')""",
        (value, row["id"], *COPY_KINDS),
    ).fetchone()[0]
    return int(earlier) == 0


def _check_fee(
    conn: sqlite3.Connection, row: sqlite3.Row, outcome: str, fee_cents: int, justified: bool
) -> None:
    if fee_cents <= 0:
        raise InvalidInput(t("fee: must be more than zero (leave it out when there is no fee)"))
    if outcome == "refused":
        raise Refused(t("fee: a refused request is not charged (Art. 12(5): charge or refuse)"))
    if row["kind"] in COPY_KINDS:
        if is_first_copy(conn, row):
            raise Refused(t("fee: the first copy of the data is always free (GDPR Art. 15(3))"))
        return
    if not justified:
        raise Refused(
            t(
                "fee: a {kind} request is free unless it is manifestly unfounded or "
                "excessive, with a written justification (--manifestly-unfounded, Art. "
                "12(5))",
                kind=row["kind"],
            )
        )


def _check_done(row: sqlite3.Row, conn: sqlite3.Connection, done_outside: str | None) -> None:
    """GDPR Art. 12(3): "completed" only when the register shows it done, or the clerk
    says what was done by other means."""
    if done_outside is None and not shown_done(conn, row):
        raise Refused(
            t(
                "request {id}: the register does not show this {kind} request done: "
                "run `{how_to_do}`, or close it with --done-outside TEXT saying what "
                "was done by other means",
                id=row["id"],
                kind=row["kind"],
                how_to_do=how_to_do(row),
            )
        )


def close_request(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    request_id: int,
    outcome: str,
    reasons: str | None = None,
    *,
    manifestly_unfounded_justification: str | None = None,
    fee_cents: int | None = None,
    closed_on: date | None = None,
    done_outside: str | None = None,
    require_done: bool = False,
    journal_closure: bool = True,
) -> None:
    """Close a request with its outcome. Call inside a transaction (checked).

    A refusal or partial refusal needs reasons (Art. 12(4)); calling a request
    manifestly unfounded or excessive needs a written justification (Art. 12(5));
    a fee is refused on the person's first copy (Art. 15(3)). The commands that carry a
    request out (erase, rectify, restrict) close it with this; `request close` with
    `require_done`: "completed" then needs the register to show the request done, or
    `done_outside` saying what was done by other means.
    `journal_closure=False` only for the restore's replay, which closes from the journal.
    """
    row = get_request(conn, request_id)
    _require_open(row, t("request {id} is closed ({outcome}): cannot close it again"))
    outcome = validation.choice(outcome, OUTCOMES, "outcome")
    reasons_text = free_text(reasons, "reason")
    outside = free_text(done_outside, "done-outside")
    if done_outside is not None and outside is None:
        raise InvalidInput(t("done-outside: empty: say what was done by other means"))
    if outcome in REFUSALS and reasons_text is None:
        raise Refused(
            t(
                "reason: a {outcome} request must be given reasons (GDPR Art. 12(4)): add --reason",
                outcome=outcome,
            )
        )
    justification = None
    if manifestly_unfounded_justification is not None:
        justification = free_text(manifestly_unfounded_justification, "manifestly-unfounded")
        if justification is None:
            raise Refused(
                t("manifestly-unfounded: needs a written justification (GDPR Art. 12(5))")
            )
    if fee_cents is not None:
        _check_fee(conn, row, outcome, fee_cents, justification is not None)
    if outcome == "completed":
        refuse_completed_while_held(conn, row)
        if require_done:
            _check_done(row, conn, outside)
    conn.execute(
        """UPDATE requests SET state = 'closed', outcome = ?, reasons = ?,
               manifestly_unfounded = ?, unfounded_justification = ?, fee_cents = ?,
               closed_on = ?, handled_by = ?, done_outside = ?
           WHERE id = ?""",
        (
            outcome,
            reasons_text,
            int(justification is not None),
            justification,
            fee_cents,
            (closed_on or today()).isoformat(),
            actor.user_id,
            outside,
            request_id,
        ),
    )
    fields = ["state", "outcome", "closed_on", "handled_by"]
    fields += [
        name
        for name, value in (
            ("reasons", reasons_text),
            ("unfounded_justification", justification),
            ("fee_cents", fee_cents),
            ("done_outside", outside),
        )
        if value is not None
    ]
    audit.record(
        conn,
        actor,
        "request close",
        "request",
        request_id,
        {"outcome": outcome, "late": today() > date.fromisoformat(row["due_on"]), "fields": fields},
    )
    if journal_closure:
        _journal_erasure_closure(conn, row, outcome, closed_on or today())


def _journal_erasure_closure(
    conn: sqlite3.Connection, row: sqlite3.Row, outcome: str, closed_on: date
) -> None:
    """GDPR Art. 12(3): an erasure request answered about a person who is erased or
    anonymised stays answered after a restore from an older backup, which replays the
    erasure journal: the closing goes there too (ids and outcome only), as the commit's
    last step."""
    if row["kind"] != "erasure" or not erased_or_anonymised(conn, row):
        return
    closure = journal.RequestClosure(
        int(row["id"]), str(row["created_at"]), outcome, closed_on.isoformat(), timestamp(),
        register_id(conn),
    )  # fmt: skip
    journal.append_and_record(conn, journal.database_file(conn), [closure])


def summary(row: sqlite3.Row, on: date | None = None) -> dict[str, Any]:
    """One request as a listing row: ids, kind, dates, due date and days left, no free text."""
    now = on or today()
    due = date.fromisoformat(row["due_on"])
    is_open = row["state"] == "open"
    overdue = is_open and deadlines.is_overdue(due, now)
    if not is_open:
        status = str(row["outcome"])
    else:
        status = "overdue" if overdue else ("extended" if row["extended_on"] else "open")
    return {
        "id": row["id"],
        "customer_id": row["customer_id"],
        "in_register": row["customer_id"] is not None,
        "kind": row["kind"],
        "received_on": row["received_on"],
        "channel": row["channel"],
        "language": row["language"],
        "due_on": row["due_on"],
        "days_left": deadlines.days_left(due, now) if is_open else None,
        "overdue": overdue,
        "status": status,
        "extended": row["extended_on"] is not None,
        "signed": bool(row["signed"]),
        "identity_checked": row["identity_checked_on"] is not None,
        "state": row["state"],
        "outcome": row["outcome"],
        "closed_on": row["closed_on"],
    }


# The table for a terminal: narrow enough for 80 columns. CSV gets LIST_COLUMNS.
TABLE_COLUMNS = ("id", "customer_id", "kind", "received_on", "due_on", "days_left", "status")
LIST_COLUMNS = (
    "id",
    "customer_id",
    "kind",
    "received_on",
    "due_on",
    "days_left",
    "overdue",
    "extended",
    "identity_checked",
    "state",
    "outcome",
    "status",
)


def list_requests(
    conn: sqlite3.Connection,
    *,
    open_only: bool = False,
    overdue: bool = False,
    due_within: int | None = None,
    kind: str | None = None,
    customer_id: int | None = None,
) -> list[dict[str, Any]]:
    """Requests, the most urgent first, each with its due date; filters combine with AND."""
    now = today()
    clauses: list[str] = []
    params: list[Any] = []
    if open_only or overdue or due_within is not None:
        clauses.append("state = 'open'")
    if overdue:
        clauses.append("due_on < ?")
        params.append(now.isoformat())
    if due_within is not None:
        if due_within < 0:
            raise InvalidInput(t("due-within: must be zero or more days"))
        clauses.append("due_on <= ?")
        params.append((now + timedelta(days=due_within)).isoformat())
    if kind is not None:
        clauses.append("kind = ?")
        params.append(validation.choice(kind, KINDS, "kind"))
    if customer_id is not None:
        clauses.append("customer_id = ?")
        params.append(customer_id)
    where = db.where(clauses)
    rows = conn.execute(
        f"SELECT * FROM requests {where} ORDER BY state = 'closed', due_on, id", params
    )
    return [summary(row, now) for row in rows]


def request_record(conn: sqlite3.Connection, request_id: int) -> dict[str, Any]:
    """Everything about one request, for `request show`: the case, its deadlines, its letters."""
    row = get_request(conn, request_id)
    received_on = date.fromisoformat(row["received_on"])
    handler = None
    if row["handled_by"] is not None:
        user = conn.execute(
            "SELECT username FROM users WHERE id = ?", (row["handled_by"],)
        ).fetchone()
        handler = user["username"] if user else None
    record = summary(row)
    record.update(
        {
            "requester_name": row["requester_name"],
            "requester_email": row["requester_email"],
            "requester_address": row["requester_address"],
            "subject_erased_on": row["subject_erased_on"],
            "done_outside": row["done_outside"],
            "first_due_on": deadlines.request_due(received_on).isoformat(),
            "extend_by": deadlines.extension_deadline(received_on).isoformat(),
            "extended_on": row["extended_on"],
            "extension_reason": row["extension_reason"],
            "identity_method": row["identity_method"],
            "identity_checked_on": row["identity_checked_on"],
            "reasons": row["reasons"],
            "manifestly_unfounded": bool(row["manifestly_unfounded"]),
            "unfounded_justification": row["unfounded_justification"],
            "fee": None if row["fee_cents"] is None else validation.format_money(row["fee_cents"]),
            "note": row["note"],
            "handled_by": handler,
            "created_at": row["created_at"],
            "documents": [
                dict(doc)
                for doc in conn.execute(
                    """SELECT id, kind, language, format, sha256, created_at FROM documents
                       WHERE request_id = ? ORDER BY id""",
                    (request_id,),
                )
            ],
        }
    )
    return record


def show_request(conn: sqlite3.Connection, actor: audit.Actor, request_id: int) -> dict[str, Any]:
    """`request_record`, audited: the details may hold personal data. Inside a transaction
    (checked)."""
    record = request_record(conn, request_id)
    audit.record(conn, actor, "request show", "request", request_id, {"rows": 1})
    return record
