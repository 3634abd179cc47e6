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

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from lautex_registry.platform import audit, validation
from lautex_registry.platform.clock import today
from lautex_registry.platform.sqlite import sqlite3
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


def _text(reason: str) -> str:
    """A reason as an SQL string literal (its key)."""
    return f"'{reason}'"


# A reason as a small number, its place in REASONS from 1: a marketing list reads the
# reason of every customer it leaves out (half the register or more), and a small
# integer reaches Python without a string being made for each row.
REASON_CODES = {reason: code for code, reason in enumerate(REASONS, 1)}


def _code(reason: str) -> str:
    """A reason as an SQL integer literal (its code in REASON_CODES)."""
    return str(REASON_CODES[reason])


# The rules every list and label export shares (state, restriction, objection, ban,
# prohibition), as one SQL expression: SQLite decides each customer's reason while it
# reads the row, and each probe is one index search (docs/rules.md §3). An objection
# and a publication ban are both rows of `objections`, so one probe finds either: MIN of
# `purpose = publication` over the rows in force is 0 when any blocking purpose is among
# them (an objection wins, as it is checked first), 1 when only the ban is, NULL when
# neither (a blocking purpose is never `publication`). `otherwise` is the reason when no
# shared rule applies. Parameters: the publication-ban purpose, the blocking purposes
# (`marks`), the publication-ban purpose again.
# `said` names a reason in SQL: its text (labels) or its code (marketing lists).
def _rule_case(marks: str, otherwise: str = "NULL", said: Callable[[str], str] = _text) -> str:
    anonymised = ", ".join(f"'{state}'" for state in ANONYMISED_STATES)
    return f"""CASE
    WHEN c.state IN ({anonymised}) THEN {said("anonymised")}
    WHEN c.state = 'restricted'
         OR EXISTS (SELECT 1 FROM restrictions r
                    WHERE r.customer_id = c.id AND r.lifted_on IS NULL) THEN {said("restricted")}
    ELSE CASE (SELECT MIN(j.purpose = ?) FROM objections j
               WHERE j.customer_id = c.id AND j.withdrawn_on IS NULL
                 AND j.purpose IN ({marks}, ?))
        WHEN 0 THEN {said("objection")}
        WHEN 1 THEN {said("publication-ban")}
        ELSE CASE WHEN o.marketing_prohibited_on IS NOT NULL THEN {said("organisation-prohibited")}
                  ELSE {otherwise} END END END"""


_CONSENT = """(SELECT k.status FROM consents k WHERE k.customer_id = c.id AND k.channel = ?
               ORDER BY k.recorded_on DESC, k.id DESC LIMIT 1)"""


def _rule_params(list_purpose: str) -> tuple[str, tuple[str, ...]]:
    blocking = blocking_purposes(list_purpose)
    return ", ".join("?" for _ in blocking), (PUBLICATION, *blocking, PUBLICATION)


def candidates(conn: sqlite3.Connection, list_purpose: str) -> sqlite3.Cursor:
    """Every customer with the address fields and the shared rules' `reason` (None: no
    rule keeps them off), in id order (streamed, one query)."""
    marks, params = _rule_params(list_purpose)
    return conn.execute(
        f"""SELECT c.id, c.first_name, c.last_name, c.email, c.phone, c.street,
               c.postal_code, c.city, c.country, c.language, c.organisation_id,
               o.name AS organisation,
               {_rule_case(marks)} AS reason
           FROM customers c LEFT JOIN organisations o ON o.id = c.organisation_id
           ORDER BY c.id""",
        params,
    )


def rule_reason(row: sqlite3.Row) -> str | None:
    """The reasons every list and label export shares: state, objection, ban, prohibition."""
    reason: str | None = row["reason"]
    return reason


def row_maker(columns: Sequence[str]) -> Callable[[Sequence[Any]], dict[str, Any]]:
    """A function making a listed customer's row, `{column: value}`, from the query's values
    in `columns` order (values past the last column, the reason, are left out).

    It is one dict display compiled for the list's columns: it builds a row in under half
    the time `dict(zip(columns, values))` takes, which was a fifth of a marketing list's
    CPU time at 10,000 customers (benchmarks/README.md). The names are the list's own
    column names (BASE_COLUMNS, CHANNEL_COLUMNS), never input.
    """
    if not all(name.isidentifier() for name in columns):
        raise ValueError(f"not column names: {columns!r}")
    display = ", ".join(f"{name!r}: values[{place}]" for place, name in enumerate(columns))
    make: Callable[[Sequence[Any]], dict[str, Any]] = eval(f"lambda values: {{{display}}}")
    return make


def has_postal_address(row: Mapping[str, Any]) -> bool:
    return all((row[name] or "").strip() for name in ("street", "postal_code", "city"))


class ListRun:
    """What a marketing list and a labels run share: the people listed, those left out
    and why, and the one read of the register that lists them."""

    def __init__(self, conn: sqlite3.Connection, purpose: str) -> None:
        self.conn = conn
        self.purpose = validation.choice(purpose, LIST_PURPOSES, "purpose")
        self.listed = 0
        self.left_out: Counter[str] = Counter()
        self._cursor: sqlite3.Cursor | None = None

    def left_out_counts(self) -> dict[str, int]:
        """Left-out counts per reason, in the documented order, zeros omitted."""
        return {reason: self.left_out[reason] for reason in REASONS if self.left_out[reason]}

    def end_read(self) -> None:
        """Close the list's read, finished or cut short by the reader of a pipe. Called
        before the audit's write transaction: BEGIN IMMEDIATE waits out another writer for
        the busy timeout only while this connection has no read open."""
        if self._cursor is not None:
            self._cursor.close()


class MarketingList(ListRun):
    """One run of `marketing list`: the rows to send to, and who was left out and why."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        purpose: str,
        channel: str,
        *,
        existing_customers: bool = False,
    ) -> None:
        super().__init__(conn, purpose)
        self.channel = validation.choice(channel, CHANNELS, "channel")
        self.existing_customers = existing_customers
        self.columns = (*BASE_COLUMNS, *CHANNEL_COLUMNS[self.channel])
        # Counted by the reason's code while the rows stream (REASON_CODES; 0 unused).
        self._left_out_by_code = [0] * (len(REASONS) + 1)

    def _query(self) -> tuple[str, tuple[Any, ...]]:
        """One query giving each customer's reason to be left out as its code (REASON_CODES;
        the last value; NULL: listed), in the order of REASONS; only the postal address
        check (Python's whitespace) is left to `rows`."""
        marks, params = _rule_params(self.purpose)
        rest: list[str] = []  # the checks after consent, in the order of REASONS
        rest_params: tuple[Any, ...] = ()
        if self.existing_customers:
            rest.append(
                "WHEN NOT EXISTS (SELECT 1 FROM orders d"
                f" WHERE d.customer_id = c.id AND d.order_date <= ?) THEN {_code('no-past-order')}"
            )
            rest_params = (today().isoformat(),)
        if self.channel == "email":
            rest.append(f"WHEN c.email IS NULL OR c.email = '' THEN {_code('no-email')}")
        elif self.channel in ("sms", "phone"):
            rest.append(f"WHEN c.phone IS NULL OR c.phone = '' THEN {_code('no-phone')}")
        after = f"CASE {' '.join(rest)} END" if rest else "NULL"
        consent_channel = CONSENT_CHANNEL.get(self.channel)
        if consent_channel is None:
            reason = _rule_case(marks, after, _code)
            params = (*params, *rest_params)
        else:
            # The latest consent is read once. A withdrawn consent is a refusal of this
            # channel: neither the existing-customer rule nor the business-contact rule
            # undoes it; without consent a natural person is listed only as an existing
            # customer (917/2014 sec. 200).
            no_consent = after if self.existing_customers else _code("no-consent")
            reason = _rule_case(
                marks,
                f"""CASE {_CONSENT} WHEN 'withdrawn' THEN {_code("consent-withdrawn")}
                     WHEN 'given' THEN {after}
                     ELSE CASE WHEN c.organisation_id IS NULL THEN {no_consent}
                               ELSE {after} END END""",
                _code,
            )
            twice = rest_params * (1 if self.existing_customers else 0)
            params = (*params, consent_channel, *rest_params, *twice, *rest_params)
        fields = {
            "id": "c.id",
            "organisation": "o.name",
            **{name: f"c.{name}" for name in self.columns if name not in ("id", "organisation")},
        }
        inner = ", ".join(f"{fields[name]} AS {name}" for name in self.columns)
        # Half the register or more is left out of a list, and only its reason is read:
        # every other column of those rows (the id too) comes out NULL, so nothing but the
        # reason's small code is made into a Python object for them (a tenth of the list's
        # time at 1,000,000 customers went on their text). The reason is worked out once,
        # in a subquery SQLite runs as a co-routine, row by row; its OFFSET keeps SQLite
        # from flattening it into the outer query, which would repeat the reason's CASE
        # (and its probes) in every column.
        outer = ", ".join(f"IIF(reason IS NULL, {name}, NULL)" for name in self.columns)
        sql = f"""SELECT {outer}, reason FROM (
                  SELECT {inner}, {reason} AS reason
                  FROM customers c LEFT JOIN organisations o ON o.id = c.organisation_id
                  ORDER BY c.id LIMIT -1 OFFSET 0)"""
        return sql, params

    def rows(self) -> Iterator[dict[str, Any]]:
        """The customers on the list, streamed; counts what was left out as it goes."""
        sql, params = self._query()
        cursor = self.conn.cursor()
        cursor.row_factory = None  # plain tuples: the columns, then the reason's code
        self._cursor = cursor.execute(sql, params)
        post = self.channel == "post"
        make_row = row_maker(self.columns)
        by_code = self._left_out_by_code
        for values in cursor:
            code = values[-1]
            if code is None:
                row = make_row(values)
                if not post or has_postal_address(row):
                    self.listed += 1
                    yield row
                    continue
                code = REASON_CODES["no-postal-address"]
            by_code[code] += 1

    def left_out_counts(self) -> dict[str, int]:
        """Left-out counts per reason, in the documented order, zeros omitted."""
        for reason, code in REASON_CODES.items():
            self.left_out[reason] += self._left_out_by_code[code]
            self._left_out_by_code[code] = 0
        return super().left_out_counts()

    def record_audit(
        self,
        actor: audit.Actor,
        fmt: str,
        shown: int | None = None,
        fields: Sequence[str] | None = None,
    ) -> None:
        """Audit the export: who, which list, how many rows were handed out (`shown`, when
        --limit cut the list; else every one listed), which fields when chosen; counts
        and names only. In a transaction (checked), after `end_read`."""
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
                "rows": self.listed if shown is None else shown,
                "left_out": self.left_out_counts(),
                **({} if fields is None else {"fields": list(fields)}),
            },
        )
