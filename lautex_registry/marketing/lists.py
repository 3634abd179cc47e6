"""Marketing lists that obey every objection, publication ban, prohibition and consent rule.

Who is left out of a list made for a purpose and a channel, and why (checked in this
order; the first reason that applies is the one counted):

- anonymised: the customer is anonymised or anonymised with holds (nobody to contact);
- restricted: processing is restricted (GDPR Art. 18(2): storage only);
- objection: an objection in force to the purpose, a purpose that covers it, or 'all'
  (GDPR Art. 21(3): absolute; no option, flag or role sets it aside);
- publication-ban: the statement's ban on lists (docs/privacy-statement.md P3); a marketing list is
such a list;
- organisation-prohibited: the organisation the person represents prohibited marketing;
- consent-withdrawn / no-consent: email and SMS to a natural person need prior consent
  (917/2014 sec. 200(1)); a person without an organisation is a natural person. With
  `existing_customers`, a customer with a past order may be offered the company's own
  similar products without consent (sec. 200(2)) unless they withdrew it (a refusal);
- no-past-order: with `existing_customers`, the list holds only customers who ordered;
- no-email / no-phone / no-postal-address: nothing to send it to.

Contacts of an organisation (business-to-business, 917/2014 sec. 202) need no consent,
but their own objections and their organisation's prohibition still apply.
"""

import sqlite3
from collections import Counter
from collections.abc import Iterator
from typing import Any

from lautex_registry.platform import audit, validation
from lautex_registry.platform.clock import today
from lautex_registry.records.customer_state import ANONYMISED_STATES
from lautex_registry.records.objections import LIST_PURPOSES, PUBLICATION, blocking_purposes

CHANNELS = ("email", "post", "phone", "sms")
CONSENT_CHANNEL = {"email": "email", "sms": "sms"}

BASE_COLUMNS = ("id", "first_name", "last_name", "organisation", "language")
CHANNEL_COLUMNS: dict[str, tuple[str, ...]] = {
    "email": ("email",),
    "sms": ("phone",),
    "phone": ("phone",),
    "post": ("street", "postal_code", "city", "country"),
}
# The order reasons are checked and reported in (stable keys for scripts).
REASONS = (
    "anonymised",
    "restricted",
    "objection",
    "publication-ban",
    "organisation-prohibited",
    "consent-withdrawn",
    "no-consent",
    "no-past-order",
    "no-email",
    "no-phone",
    "no-postal-address",
)
OPT_OUT_NOTICE = (
    "existing customers without consent are listed (917/2014 sec. 200(2)): offer only the "
    "company's own similar products, and every message must carry a free, easy opt-out"
)


def candidates(
    conn: sqlite3.Connection, list_purpose: str, consent_channel: str | None
) -> sqlite3.Cursor:
    """Every customer with what the rules need to know, in id order (streamed, one query)."""
    blocking = blocking_purposes(list_purpose)
    marks = ", ".join("?" for _ in blocking)
    return conn.execute(
        f"""SELECT c.id, c.first_name, c.last_name, c.email, c.phone, c.street,
               c.postal_code, c.city, c.country, c.language, c.state, c.organisation_id,
               o.name AS organisation,
               o.marketing_prohibited_on IS NOT NULL AS organisation_prohibited,
               EXISTS (SELECT 1 FROM restrictions r
                       WHERE r.customer_id = c.id AND r.lifted_on IS NULL) AS restricted,
               EXISTS (SELECT 1 FROM objections j
                       WHERE j.customer_id = c.id AND j.withdrawn_on IS NULL
                         AND j.purpose IN ({marks})) AS objected,
               EXISTS (SELECT 1 FROM objections b
                       WHERE b.customer_id = c.id AND b.withdrawn_on IS NULL
                         AND b.purpose = ?) AS banned,
               (SELECT k.status FROM consents k
                WHERE k.customer_id = c.id AND k.channel = ?
                ORDER BY k.recorded_on DESC, k.id DESC LIMIT 1) AS consent,
               EXISTS (SELECT 1 FROM orders d
                       WHERE d.customer_id = c.id AND d.order_date <= ?) AS ordered
           FROM customers c LEFT JOIN organisations o ON o.id = c.organisation_id
           ORDER BY c.id""",
        (*blocking, PUBLICATION, consent_channel, today().isoformat()),
    )


def rule_reason(row: sqlite3.Row) -> str | None:
    """The reasons every list and label export shares: state, objection, ban, prohibition."""
    if row["state"] in ANONYMISED_STATES:
        return "anonymised"
    if row["state"] == "restricted" or row["restricted"]:
        return "restricted"
    if row["objected"]:
        return "objection"
    if row["banned"]:
        return "publication-ban"
    if row["organisation_prohibited"]:
        return "organisation-prohibited"
    return None


def has_postal_address(row: sqlite3.Row) -> bool:
    return all((row[name] or "").strip() for name in ("street", "postal_code", "city"))


class MarketingList:
    """One run of `marketing list`: the rows to send to, and who was left out and why."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        purpose: str,
        channel: str,
        *,
        existing_customers: bool = False,
    ) -> None:
        purpose = validation.choice(purpose, LIST_PURPOSES, "purpose")
        channel = validation.choice(channel, CHANNELS, "channel")
        self.conn = conn
        self.purpose = purpose
        self.channel = channel
        self.existing_customers = existing_customers
        self.columns = (*BASE_COLUMNS, *CHANNEL_COLUMNS[channel])
        self.listed = 0
        self.left_out: Counter[str] = Counter()
        self._cursor: sqlite3.Cursor | None = None

    def rows(self) -> Iterator[dict[str, Any]]:
        """The customers on the list, streamed; counts what was left out as it goes."""
        self._cursor = candidates(self.conn, self.purpose, CONSENT_CHANNEL.get(self.channel))
        for row in self._cursor:
            reason = self.reason_left_out(row)
            if reason is not None:
                self.left_out[reason] += 1
                continue
            self.listed += 1
            yield {name: row[name] for name in self.columns}

    def reason_left_out(self, row: sqlite3.Row) -> str | None:
        reason = rule_reason(row)
        if reason is not None:
            return reason
        if self.channel in CONSENT_CHANNEL:
            if row["consent"] == "withdrawn":
                # A withdrawn consent is a refusal of this channel: neither the
                # existing-customer rule nor the business-contact rule undoes it.
                return "consent-withdrawn"
            natural_person = row["organisation_id"] is None
            if natural_person and row["consent"] != "given" and not self.existing_customers:
                return "no-consent"
        if self.existing_customers and not row["ordered"]:
            return "no-past-order"
        return self._missing_contact(row)

    def _missing_contact(self, row: sqlite3.Row) -> str | None:
        if self.channel == "email" and not row["email"]:
            return "no-email"
        if self.channel in ("sms", "phone") and not row["phone"]:
            return "no-phone"
        if self.channel == "post" and not has_postal_address(row):
            return "no-postal-address"
        return None

    def left_out_counts(self) -> dict[str, int]:
        """Left-out counts per reason, in the documented order, zeros omitted."""
        return {reason: self.left_out[reason] for reason in REASONS if self.left_out[reason]}

    def end_read(self) -> None:
        """Close the list's read, finished or cut short by the reader of a pipe. Called
        before the audit's write transaction: BEGIN IMMEDIATE waits out another writer for
        the busy timeout only while this connection has no read open."""
        if self._cursor is not None:
            self._cursor.close()

    def record_audit(self, actor: audit.Actor, fmt: str) -> None:
        """Audit the export: who, which list, how many rows; counts only. In a transaction
        (checked), after `end_read`."""
        audit.record(
            self.conn,
            actor,
            "marketing list",
            "customer",
            None,
            {
                "purpose": self.purpose,
                "channel": self.channel,
                "existing_customers": self.existing_customers,
                "format": fmt,
                "rows": self.listed,
                "left_out": self.left_out_counts(),
            },
        )
