"""Deadlines of data subject requests (docs/rules.md §2 "Deadlines").

GDPR Art. 12(3) gives the controller one month from receipt to answer, extendable
by two further months. Periods expressed in months are counted under EU
Regulation 1182/71 Art. 3(2)(c): the period ends on the day of the later month
with the same number as the day of receipt, or, when that day does not exist,
on the last day of that month. `relativedelta(months=n)` clamps exactly so;
`timedelta(days=30)` would be wrong for 31 January (due 28/29 February) and for
months of 31 days.

The register does not move a deadline that falls on a weekend or holiday to the
next working day (Reg. 1182/71 Art. 3(4) would allow it): answering earlier is
always in time, and one rule is easier for a clerk to trust.
"""

from datetime import date

from dateutil.relativedelta import relativedelta

FIRST_PERIOD_MONTHS = 1
# GDPR Art. 12(3): "may be extended by two further months" -> three months from receipt.
EXTENDED_PERIOD_MONTHS = 3


def request_due(received: date) -> date:
    """The answer's due date: one calendar month from receipt, clamped to the month's end.

    GDPR Art. 12(3); Reg. 1182/71 Art. 3(2)(c). 31 Jan -> 28 Feb (29 Feb in a
    leap year); 31 Mar -> 30 Apr; 15 Nov -> 15 Dec.
    """
    return received + relativedelta(months=FIRST_PERIOD_MONTHS)


def extended_due(received: date) -> date:
    """The due date after an extension: three months from receipt, same clamping.

    31 Jan -> 30 Apr; 30 Nov -> 28/29 Feb of the next year.
    """
    return received + relativedelta(months=EXTENDED_PERIOD_MONTHS)


def extension_deadline(received: date) -> date:
    """The last day on which an extension may be recorded: the end of the first month.

    GDPR Art. 12(3): the person is told of the extension and its reasons within
    one month of receipt.
    """
    return request_due(received)


def days_left(due: date, today: date) -> int:
    """Whole days until the due date: 0 on the due date itself, negative when overdue."""
    return (due - today).days


def is_overdue(due: date, today: date) -> bool:
    """Overdue from the day after the due date: the due date itself is still in time."""
    return today > due
