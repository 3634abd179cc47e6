"""Objections, publication bans, marketing consents and organisations' marketing prohibitions.

What a person said about marketing is recorded as they said it, with the date and
the channel, and kept as history: a withdrawal is another dated fact recorded at
the person's own request, never a deletion and never an override.

- An objection (GDPR Art. 21(2)-(3); docs/privacy-statement.md P9) to direct advertising, distance
  selling, direct marketing, market research or opinion research, or to all of them,
  takes effect at once and is absolute: nothing in the register can set it aside.
- The publication ban (docs/privacy-statement.md P3) is stored as an objection with purpose
  'publication': it keeps the person out of every list and label export.
- Consent to email and SMS marketing (Act on Electronic Communications Services
  917/2014 sec. 200) is a dated history per channel; the latest entry is in force.
- An organisation may prohibit marketing to all its contacts
  (`organisations.marketing_prohibited_on`); one contact's objection covers only them.
"""

from dataclasses import dataclass
from datetime import date

from lautex_registry.platform import audit, validation
from lautex_registry.platform.clock import today
from lautex_registry.platform.errors import InvalidInput, NotFound, t
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records import lookup
from lautex_registry.records.customer_state import refuse_if_anonymised

# docs/privacy-statement.md P9: the purposes a person may forbid; 'all' covers every one of them.
PURPOSES = (
    "direct-advertising",
    "distance-selling",
    "direct-marketing",
    "market-research",
    "opinion-research",
    "all",
)
# docs/privacy-statement.md P3: the publication ban is an objection to publishing the person in
# lists.
PUBLICATION = "publication"
# How a person told the company: one set for objections, publication bans and data subject
# requests (docs/rules.md §6: one name per idea). docs/privacy-statement.md P3's customer service
# is recorded as the way it reached us (phone, counter, email, letter), as is a message passed on
# by the contact person. The requests table's CHECK constraint holds exactly these.
CHANNELS = ("letter", "email", "phone", "counter", "web")
# The channel of an objection put back from an erased person's suppression record.
RESTORED_CHANNEL = "suppression-record"
CONSENT_CHANNELS = ("email", "sms")
CONSENT_STATUSES = ("given", "withdrawn")

# The statement (docs/privacy-statement.md P9) lists direct advertising and distance selling as
# kinds of direct
# marketing, to which GDPR Art. 21(2)-(3) gives an absolute right to object; so
# an objection to 'direct-marketing' stops lists for both, and an objection to either
# stops a 'direct-marketing' list. Research is a purpose of its own: an objection to
# market research alone does not stop a direct-advertising list. When in doubt the
# objection wins.
_BLOCKED_BY: dict[str, frozenset[str]] = {
    "direct-advertising": frozenset({"direct-advertising", "direct-marketing"}),
    "distance-selling": frozenset({"distance-selling", "direct-marketing"}),
    "direct-marketing": frozenset({"direct-marketing", "direct-advertising", "distance-selling"}),
    "market-research": frozenset({"market-research"}),
    "opinion-research": frozenset({"opinion-research"}),
}
LIST_PURPOSES = tuple(_BLOCKED_BY)


def blocking_purposes(list_purpose: str) -> tuple[str, ...]:
    """The objection purposes that keep a person off a list made for `list_purpose`."""
    list_purpose = validation.choice(list_purpose, LIST_PURPOSES, "purpose")
    return tuple(sorted(_BLOCKED_BY[list_purpose] | {"all"}))


def _not_in_future(day: date, field: str) -> str:
    if day > today():
        raise InvalidInput(t("{field}: {day} is in the future", field=field, day=day.isoformat()))
    return day.isoformat()


def _customer_exists(conn: sqlite3.Connection, customer_id: int) -> None:
    """The customer is there and not anonymised (one rule for every write about a person)."""
    refuse_if_anonymised(customer_id, lookup.customer_row(conn, customer_id)["state"])


def _check_request(
    conn: sqlite3.Connection, request_id: int | None, customer_id: int, purposes: list[str]
) -> None:
    """The request an objection or a publication ban answers: of that kind, of this person."""
    if request_id is None:
        return
    # An access request linked to an objection would show as answered (GDPR Art. 12(3))
    # while its copy was never made: the request must be of this kind.
    kind = "publication-ban" if purposes == [PUBLICATION] else "objection"
    lookup.request_for(conn, request_id, customer_id, kinds=(kind,), unlinked=True)


# --- objections and the publication ban ---------------------------------------------------


@dataclass(frozen=True)
class ObjectionChange:
    """What `record_objections` did, purpose by purpose."""

    recorded: tuple[str, ...] = ()  # new objections now in force
    already: tuple[str, ...] = ()  # already in force: nothing written for them
    withdrawn: tuple[str, ...] = ()  # withdrawn at the person's request
    not_in_force: tuple[str, ...] = ()  # asked to withdraw, but none was in force


def active_purposes(conn: sqlite3.Connection, customer_id: int) -> list[str]:
    """The purposes the customer objects to now (the publication ban included)."""
    rows = conn.execute(
        """SELECT DISTINCT purpose FROM objections
           WHERE customer_id = ? AND withdrawn_on IS NULL ORDER BY purpose""",
        (customer_id,),
    )
    return [str(row[0]) for row in rows]


def insert_objection(
    conn: sqlite3.Connection,
    customer_id: int,
    purpose: str,
    received_on: str,
    channel: str,
    request_id: int | None = None,
) -> int:
    """Store one objection row (no checks, no audit): for callers that did both."""
    cursor = conn.execute(
        """INSERT INTO objections (customer_id, purpose, received_on, channel, request_id)
           VALUES (?, ?, ?, ?, ?)""",
        (customer_id, purpose, received_on, channel, request_id),
    )
    return int(cursor.lastrowid or 0)


def record_objections(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    customer_id: int,
    purposes: list[str],
    received: date,
    channel: str,
    *,
    request_id: int | None = None,
    withdraw: bool = False,
) -> ObjectionChange:
    """Record that the customer objects to `purposes` (or a publication ban), or with
    `withdraw` the person's own request to withdraw them; in a transaction (checked).

    GDPR Art. 21(3): the objection is in force from the moment it is recorded. An
    objection already in force is left as it is (its original date stays). Only the
    person can lift their objection: the date and channel of their request are required
    and stored on the objection row; the history stays.
    """
    wanted = _validated_purposes(purposes)
    received_on = _not_in_future(received, "received")
    validation.choice(channel, CHANNELS, "channel")
    _customer_exists(conn, customer_id)
    _check_request(conn, request_id, customer_id, wanted)
    if withdraw:
        changed, ids = _withdraw(conn, customer_id, wanted, received_on, channel)
        change = ObjectionChange(
            withdrawn=tuple(changed), not_in_force=tuple(p for p in wanted if p not in changed)
        )
    else:
        in_force = set(active_purposes(conn, customer_id))
        changed = [p for p in wanted if p not in in_force]
        ids = [
            insert_objection(conn, customer_id, purpose, received_on, channel, request_id)
            for purpose in changed
        ]
        change = ObjectionChange(
            recorded=tuple(changed), already=tuple(p for p in wanted if p in in_force)
        )
    if changed:
        audit.record(
            conn,
            actor,
            _action(changed),
            "customer",
            customer_id,
            {"purposes": changed, "channel": channel, "objection_ids": ids, "withdraw": withdraw},
        )
    return change


def _withdraw(
    conn: sqlite3.Connection, customer_id: int, wanted: list[str], withdrawn_on: str, channel: str
) -> tuple[list[str], list[int]]:
    """Mark the objections in force to `wanted` withdrawn: the purposes and rows withdrawn."""
    withdrawn: list[str] = []
    ids: list[int] = []
    for purpose in wanted:
        rows = conn.execute(
            """SELECT id, received_on FROM objections
               WHERE customer_id = ? AND purpose = ? AND withdrawn_on IS NULL""",
            (customer_id, purpose),
        ).fetchall()
        for row in rows:
            if row["received_on"] > withdrawn_on:
                raise InvalidInput(
                    t(
                        "received: the withdrawal ({withdrawn_on}) is dated before the "
                        "objection to {purpose} ({received_on})",
                        withdrawn_on=withdrawn_on,
                        purpose=purpose,
                        received_on=row["received_on"],
                    )
                )
            ids.append(int(row["id"]))
        if rows:
            withdrawn.append(purpose)
    if not withdrawn:
        raise NotFound(
            t(
                "purpose: customer {customer_id} has no objection in force to {wanted}",
                customer_id=customer_id,
                wanted=", ".join(wanted),
            )
        )
    conn.executemany(
        "UPDATE objections SET withdrawn_on = ?, withdrawn_channel = ? WHERE id = ?",
        [(withdrawn_on, channel, objection_id) for objection_id in ids],
    )
    return withdrawn, ids


def _validated_purposes(purposes: list[str]) -> list[str]:
    if not purposes:
        raise InvalidInput(t("purpose: give at least one purpose"))
    allowed = (*PURPOSES, PUBLICATION)
    unique: list[str] = []
    for purpose in purposes:
        validation.choice(purpose, allowed, "purpose")
        if purpose not in unique:
            unique.append(purpose)
    return unique


def _action(purposes: list[str]) -> str:
    """The audit action: the command that records it."""
    return "publication-ban" if purposes == [PUBLICATION] else "object"


# --- consent to email and SMS marketing ---------------------------------------------------


def record_consent(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    customer_id: int,
    channel: str,
    status: str,
    recorded: date,
    source: str,
) -> int:
    """Add a dated consent entry (given or withdrawn) for email or SMS; in a transaction (checked).

    917/2014 sec. 200: email and SMS marketing to a natural person needs prior consent.
    The latest entry per channel is the one in force; the history stays.
    """
    validation.choice(channel, CONSENT_CHANNELS, "channel")
    validation.choice(status, CONSENT_STATUSES, "status")
    recorded_on = _not_in_future(recorded, "date")
    text = validation.optional_text(source, "source")
    if not text:
        raise InvalidInput(t("source: say where the consent came from (e.g. 'web form')"))
    _customer_exists(conn, customer_id)
    cursor = conn.execute(
        """INSERT INTO consents (customer_id, channel, status, recorded_on, source)
           VALUES (?, ?, ?, ?, ?)""",
        (customer_id, channel, status, recorded_on, text),
    )
    consent_id = int(cursor.lastrowid or 0)
    audit.record(
        conn,
        actor,
        "consent",
        "customer",
        customer_id,
        {"channel": channel, "status": status, "consent_id": consent_id},
    )
    return consent_id


# --- organisations ------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationProhibition:
    organisation_id: int
    prohibited_on: str | None  # in force afterwards; None: no prohibition
    changed: bool
    contacts: int  # customers who represent the organisation


def set_organisation_prohibition(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    organisation_id: int,
    received: date | None,
    *,
    lift: bool = False,
) -> OrganisationProhibition:
    """Record (or, at the organisation's own request, lift) its prohibition of marketing.

    The prohibition covers every contact of the organisation; a contact's own objection
    is separate and stays whatever the organisation decides. In a transaction (checked).
    """
    row = conn.execute(
        "SELECT marketing_prohibited_on FROM organisations WHERE id = ?", (organisation_id,)
    ).fetchone()
    if row is None:
        raise NotFound(
            t("org: no organisation with id {organisation_id}", organisation_id=organisation_id)
        )
    current = row["marketing_prohibited_on"]
    on = _not_in_future(received or today(), "received")
    new_value = None if lift else (current or on)
    contacts = int(
        conn.execute(
            "SELECT COUNT(*) FROM customers WHERE organisation_id = ?", (organisation_id,)
        ).fetchone()[0]
    )
    if new_value == current:
        return OrganisationProhibition(organisation_id, current, False, contacts)
    conn.execute(
        "UPDATE organisations SET marketing_prohibited_on = ? WHERE id = ?",
        (new_value, organisation_id),
    )
    audit.record(
        conn,
        actor,
        "org prohibit-marketing",
        "organisation",
        organisation_id,
        {"prohibited": new_value is not None, "contacts": contacts},
    )
    return OrganisationProhibition(organisation_id, new_value, True, contacts)
