"""Legal holds: the data that must stay after an erasure request, each with its rule and end date.

A hold is dated, never forever (docs/privacy-statement.md P6; GDPR Art. 17(3)(b),(e)):

- voucher: every invoice is a voucher; its billing name and address are kept until
  the end of the 6th calendar year after the end of the financial year in which it
  was issued (Accounting Act 1336/1997 ch. 2 sec. 10). A 2024 invoice with a
  calendar financial year is kept to 31.12.2030 and may go on 1.1.2031.
- open-invoice: an unpaid invoice keeps its billing data until it is paid or
  written off. That end is open while the invoice is open, but not forever: the
  claim lapses 3 years after its due date or its last reminder (Limitation of
  Debts Act 728/2003 ss. 4, 5, 10 and 11), and a lapsed claim can no longer be
  "established, exercised or defended" (GDPR Art. 17(3)(e)). So the hold's end date
  is the lapse date, shown as "until paid, at most <lapse date>"; a new reminder
  moves it on, payment or write-off ends it at once (the voucher hold remains).
- claim-in-collection: a claim handed to collection is kept until it lapses, with
  the same lapse date.

Every date here is inclusive: the data is kept through the end date and may go
the next day. Periods in years keep the day number and fall back to the month's
last day when it does not exist (29 Feb + 1 year = 28 Feb; EU Reg. 1182/71 Art. 3).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from lautex_registry.platform.db import IN_LIST, json_list
from lautex_registry.platform.errors import InvalidInput, t
from lautex_registry.platform.settings import RETENTION_YEARS, section
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records.personal_data import personal_table

VOUCHER = "voucher"
OPEN_INVOICE = "open-invoice"
CLAIM_IN_COLLECTION = "claim-in-collection"

# The legal floors: the settings may keep data longer, never shorter.
MIN_VOUCHER_YEARS = 6  # Accounting Act 1336/1997 ch. 2 sec. 10
MIN_BOOKS_YEARS = 10  # Accounting Act 1336/1997 ch. 2 sec. 10
MIN_CLAIM_LAPSE_YEARS = 3  # Limitation of Debts Act 728/2003 sec. 4

LAW = {
    VOUCHER: "Accounting Act 1336/1997 ch. 2 sec. 10; GDPR Art. 17(3)(b)",
    OPEN_INVOICE: "Limitation of Debts Act 728/2003 ss. 4-5, 10-11; GDPR Art. 17(3)(e)",
    CLAIM_IN_COLLECTION: "Limitation of Debts Act 728/2003 ss. 4-5, 10-11; GDPR Art. 17(3)(e)",
}
_DEBTS_FI = "laki velan vanhentumisesta 728/2003 4-5 ja 10-11 §; tietosuoja-asetus 17 art. 3 e"
LAW_FI = {
    VOUCHER: "kirjanpitolaki 1336/1997 2 luku 10 §; tietosuoja-asetus 17 art. 3 b",
    OPEN_INVOICE: _DEBTS_FI,
    CLAIM_IN_COLLECTION: _DEBTS_FI,
}


# --- date arithmetic -----------------------------------------------------------------------


def parse_month_day(text: str, field: str = "retention.financial_year_end") -> tuple[int, int]:
    """A financial year end "MM-DD" (02-29 allowed: in other years it is 28 February)."""
    try:
        month_text, day_text = text.split("-")
        month, day = int(month_text), int(day_text)
        date(2000, month, day)  # a leap year accepts every real month-day
    except (ValueError, AttributeError) as exc:
        raise InvalidInput(
            t("{field}: {text!r} is not a month and day as MM-DD", field=field, text=text)
        ) from exc
    return month, day


def _clamped(year: int, month: int, day: int) -> date:
    """The date, or the month's last day when the day does not exist that year."""
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day, last))


def financial_year_end_of(day: date, financial_year_end: str) -> date:
    """The last day of the financial year that `day` belongs to."""
    month, mday = parse_month_day(financial_year_end)
    candidate = _clamped(day.year, month, mday)
    return candidate if candidate >= day else _clamped(day.year + 1, month, mday)


def voucher_retention_end(issued: date, financial_year_end: str, years: int) -> date:
    """The last day a voucher issued on `issued` must be kept.

    Accounting Act 1336/1997 ch. 2 sec. 10: `years` (6) years from the end of the
    calendar year in which the financial year ended.
    """
    fy_end = financial_year_end_of(issued, financial_year_end)
    return date(fy_end.year + years, 12, 31)


def voucher_expiry_cutoff(as_of: date, financial_year_end: str, years: int) -> date:
    """The latest issue date whose voucher retention has ended by `as_of`.

    voucher_retention_end(issued) < as_of  <=>  issued <= this date (the end is
    always 31 December, so it has passed when its year is before as_of's year).
    """
    month, mday = parse_month_day(financial_year_end)
    return _clamped(as_of.year - 1 - years, month, mday)


def add_years(day: date, years: int) -> date:
    """The same day `years` later (earlier when negative); 29 February on 28 February of a
    common year. What `dateutil`'s `relativedelta(years=years)` gives, without its import
    (4-5 ms of every retention run and erasure, benchmarks/README.md, retstart)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        if (day.month, day.day) != (2, 29):
            raise  # a year out of range
        return day.replace(year=day.year + years, day=28)


def claim_lapse(due: date, last_reminder: date | None, years: int) -> date:
    """The day an unpaid claim lapses: `years` (3) after the due date or the last reminder.

    Limitation of Debts Act 728/2003 ss. 4-5: the period runs from the due date;
    ss. 10-11: a reminder interrupts it and a new period of the same length begins.
    """
    anchor = max(due, last_reminder) if last_reminder is not None else due
    return add_years(anchor, years)


def period_cutoff(as_of: date, years: int) -> date:
    """The latest start date whose `years`-year period has ended by `as_of`.

    start + years <= as_of  <=>  start <= this date. Not simply as_of - years:
    29 Feb 2024 + 3 years is 28 Feb 2027, so on 28 Feb 2027 both 28 and 29 Feb
    2024 have run their period.
    """
    start = add_years(as_of, -years) - timedelta(days=2)
    while add_years(start + timedelta(days=1), years) <= as_of:
        start += timedelta(days=1)
    return start


def lapsed_cutoff(as_of: date, years: int) -> date:
    """The latest anchor (due date or last reminder) whose claim has lapsed before `as_of`.

    A claim's hold lasts through its lapse date; claim_lapse(anchor) < as_of <=>
    anchor <= this date.
    """
    return period_cutoff(as_of - timedelta(days=1), years)


# --- the policy from the settings ----------------------------------------------------------


@dataclass(frozen=True)
class RetentionPolicy:
    """The [retention] section of the settings, checked against the legal floors."""

    customer_inactive_years: int = 3
    financial_year_end: str = "12-31"
    voucher_years: int = 6
    books_years: int = 10
    claim_lapse_years: int = 3
    closed_requests_years: int = 3
    documents_years: int = 3
    # The longest a backup copy is kept, in days (docs/rules.md §2, Retention).
    backup_days: int = 100

    @classmethod
    def from_settings(cls, section: Mapping[str, Any]) -> "RetentionPolicy":
        defaults = cls()
        values: dict[str, Any] = {}
        for name in RETENTION_YEARS:
            value = section.get(name, getattr(defaults, name))
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
                raise InvalidInput(
                    t("retention.{name}: a whole number of years from 1 to 100", name=name)
                )
            values[name] = value
        days = section.get("backup_days", defaults.backup_days)
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3660:
            raise InvalidInput(t("retention.backup_days: a whole number of days from 1 to 3660"))
        values["backup_days"] = days
        fy_end = str(section.get("financial_year_end", defaults.financial_year_end))
        parse_month_day(fy_end)
        accounting_act = t("Accounting Act 1336/1997 ch. 2 sec. 10")
        for name, floor, law in (
            ("voucher_years", MIN_VOUCHER_YEARS, accounting_act),
            ("books_years", MIN_BOOKS_YEARS, accounting_act),
            ("claim_lapse_years", MIN_CLAIM_LAPSE_YEARS, t("Limitation of Debts Act 728/2003")),
        ):
            if values[name] < floor:
                raise InvalidInput(
                    t(
                        "retention.{name}: at least {floor} years ({law})",
                        name=name,
                        floor=floor,
                        law=law,
                    )
                )
        return cls(financial_year_end=fy_end, **values)

    @classmethod
    def of(cls, conn: sqlite3.Connection) -> "RetentionPolicy":
        return cls.from_settings(section(conn, "retention"))


# --- holds ---------------------------------------------------------------------------------


def billing_columns() -> tuple[str, ...]:
    """What a hold keeps: the voucher's billing name and address (personal_data's map)."""
    return personal_table("invoices").columns


@dataclass(frozen=True)
class Hold:
    """One reason why some data must stay: the rule, the invoice, what it keeps, until when."""

    rule: str
    invoice_id: int
    invoice_number: str
    customer_id: int | None
    keeps: tuple[str, ...]
    ends_on: date
    until_paid: bool = False

    @property
    def law(self) -> str:
        return LAW[self.rule]

    @property
    def until(self) -> str:
        """The end as a clerk reads it: an open invoice's end depends on its payment."""
        if self.until_paid:
            return f"until paid, at most {self.ends_on.isoformat()}"
        return self.ends_on.isoformat()

    def shown_until(self) -> str:
        """`until` in the interface's language, for the plan a clerk reads (docs/rules.md §6)."""
        if self.until_paid:
            return t("until paid, at most {day}", day=self.ends_on.isoformat()).translated()
        return self.ends_on.isoformat()

    def shown_law(self) -> str:
        """`law` in the interface's language: the Finnish statutes as the letters cite them."""
        from lautex_registry.platform import i18n

        return LAW_FI[self.rule] if i18n.language() == "fi" else self.law

    def reason(self, language: str = "en") -> str:
        """A line for the partial-refusal letter (GDPR Art. 12(4)): what stays, why, until when."""
        end = self.ends_on
        if language == "fi":
            day = f"{end.day}.{end.month}.{end.year}"
            law = LAW_FI[self.rule]
            if self.rule == VOUCHER:
                return (
                    f"Lasku {self.invoice_number} on kirjanpidon tosite: laskutusnimi ja -osoite "
                    f"säilytetään {day} asti ({law})."
                )
            if self.rule == OPEN_INVOICE:
                return (
                    f"Lasku {self.invoice_number} on maksamatta: laskutustiedot säilytetään, "
                    f"kunnes se on maksettu tai poistettu, enintään saatavan vanhentumiseen "
                    f"{day} asti ({law})."
                )
            return (
                f"Lasku {self.invoice_number} on perinnässä: laskutustiedot säilytetään "
                f"saatavan vanhentumiseen {day} asti ({law})."
            )
        if self.rule == VOUCHER:
            return (
                f"Invoice {self.invoice_number} is an accounting voucher: its billing name and "
                f"address are kept until {end.isoformat()} ({self.law})."
            )
        if self.rule == OPEN_INVOICE:
            return (
                f"Invoice {self.invoice_number} is unpaid: its billing data are kept until it is "
                f"paid or written off, at most until the claim lapses on {end.isoformat()} "
                f"({self.law})."
            )
        return (
            f"Invoice {self.invoice_number} is in collection: its billing data are kept until "
            f"the claim lapses on {end.isoformat()} ({self.law})."
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "invoice": self.invoice_number,
            "invoice_id": self.invoice_id,
            "keeps": list(self.keeps),
            "until": self.until,
            "ends_on": self.ends_on.isoformat(),
            "until_paid": self.until_paid,
            "law": self.law,
        }


def holds_of_invoice(
    invoice: Mapping[str, Any], as_of: date, policy: RetentionPolicy
) -> list[Hold]:
    """The holds on one invoice row still in force on `as_of` (ends_on >= as_of)."""
    if invoice["billing_data_removed_on"] is not None:
        return []  # nothing left to hold
    keeps = billing_columns()
    base = {
        "invoice_id": int(invoice["id"]),
        "invoice_number": str(invoice["number"]),
        "customer_id": invoice["customer_id"],
        "keeps": keeps,
    }
    holds = []
    state = invoice["state"]
    if state in ("open", "in-collection"):
        reminder = invoice["last_reminder_on"]
        lapse = claim_lapse(
            date.fromisoformat(invoice["due_on"][:10]),
            date.fromisoformat(reminder[:10]) if reminder else None,
            policy.claim_lapse_years,
        )
        if lapse >= as_of:
            if state == "open":
                holds.append(Hold(OPEN_INVOICE, ends_on=lapse, until_paid=True, **base))
            else:
                holds.append(Hold(CLAIM_IN_COLLECTION, ends_on=lapse, **base))
    voucher_end = voucher_retention_end(
        date.fromisoformat(invoice["issued_on"][:10]),
        policy.financial_year_end,
        policy.voucher_years,
    )
    if voucher_end >= as_of:
        holds.append(Hold(VOUCHER, ends_on=voucher_end, **base))
    return holds


_INVOICE_COLUMNS = (
    "id, number, customer_id, issued_on, due_on, state, last_reminder_on, billing_data_removed_on"
)


def holds_for_many(
    conn: sqlite3.Connection,
    customer_ids: Iterable[int],
    as_of: date,
    policy: RetentionPolicy | None = None,
) -> dict[int, list[Hold]]:
    """The holds of each customer on `as_of` (customers with none are absent)."""
    policy = policy or RetentionPolicy.of(conn)
    result: dict[int, list[Hold]] = {}
    rows = conn.execute(
        f"SELECT {_INVOICE_COLUMNS} FROM invoices "
        f"WHERE customer_id {IN_LIST} "
        "AND billing_data_removed_on IS NULL ORDER BY id",
        (json_list(customer_ids),),
    )
    for row in rows:
        holds = holds_of_invoice(dict(zip(row.keys(), row, strict=True)), as_of, policy)
        if holds:
            result.setdefault(int(row["customer_id"]), []).extend(holds)
    return result


def live_claim_sql(alias: str = "c", param: str = ":lapsed") -> str:
    """SQL: customer `alias` has a claim whose hold is in force.

    `param` names the lapsed cutoff (`lapsed_cutoff`): a claim is live while its
    anchor (due date or last reminder) is after it. The probe uses the partial
    index on open claims (docs/rules.md §3: a probe per customer, not a scan).
    """
    return (
        f"EXISTS (SELECT 1 FROM invoices i WHERE i.customer_id = {alias}.id "
        "AND i.state IN ('open', 'in-collection') AND i.billing_data_removed_on IS NULL "
        f"AND {claim_anchor_sql('i')} > {param})"
    )


def claim_anchor_sql(alias: str = "i") -> str:
    """SQL: the date a claim's limitation period runs from (due date or last reminder)."""
    return (
        f"max(substr({alias}.due_on, 1, 10), "
        f"substr(coalesce({alias}.last_reminder_on, {alias}.due_on), 1, 10))"
    )
