"""Deadlines of data subject requests: GDPR Art. 12(3), Reg. 1182/71 Art. 3(2)(c)."""

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lautex_registry.rights.deadlines import (
    days_left,
    extended_due,
    extension_deadline,
    is_overdue,
    request_due,
)

DAYS = st.dates(min_value=date(1900, 1, 1), max_value=date(9999, 9, 30))


def months_later_oracle(received: date, months: int) -> date:
    """An independent oracle: the same day number `months` later, else that month's last day."""
    index = received.year * 12 + (received.month - 1) + months
    year, month = divmod(index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(received.day, last_day))


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2028, 1, 31), date(2028, 2, 29)),  # leap year
        (date(2026, 3, 31), date(2026, 4, 30)),
        (date(2026, 11, 25), date(2026, 12, 25)),
        (date(2026, 12, 31), date(2027, 1, 31)),
        (date(2026, 2, 28), date(2026, 3, 28)),
    ],
)
def test_request_due_examples(received: date, due: date) -> None:
    assert request_due(received) == due


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2026, 1, 31), date(2026, 4, 30)),
        (date(2026, 11, 30), date(2027, 2, 28)),
        (date(2027, 11, 30), date(2028, 2, 29)),
        (date(2026, 5, 31), date(2026, 8, 31)),
    ],
)
def test_extended_due_examples(received: date, due: date) -> None:
    assert extended_due(received) == due


@given(DAYS)
def test_request_due_matches_the_calendar_oracle(received: date) -> None:
    assert request_due(received) == months_later_oracle(received, 1)


@given(DAYS)
def test_extended_due_matches_the_calendar_oracle(received: date) -> None:
    assert extended_due(received) == months_later_oracle(received, 3)


@given(DAYS)
def test_due_date_lies_in_the_next_month_and_never_before_28_days(received: date) -> None:
    due = request_due(received)
    assert (due.year * 12 + due.month) - (received.year * 12 + received.month) == 1
    assert 28 <= (due - received).days <= 31
    assert due.day == received.day or due.day == calendar.monthrange(due.year, due.month)[1]


@given(DAYS)
def test_extension_is_later_and_must_be_recorded_within_the_first_month(received: date) -> None:
    assert extension_deadline(received) == request_due(received)
    assert extended_due(received) > request_due(received)
    assert 89 <= (extended_due(received) - received).days <= 92


@given(DAYS, st.integers(min_value=-400, max_value=400))
def test_overdue_only_after_the_due_date(due: date, offset: int) -> None:
    today = due + timedelta(days=offset)
    assert is_overdue(due, today) == (offset > 0)
    assert days_left(due, today) == -offset
