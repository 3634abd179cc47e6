"""Legal holds: the date arithmetic (property-based) and the holds on a customer's invoices."""

from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from lautex_registry.erasure.holds import (
    CLAIM_IN_COLLECTION,
    OPEN_INVOICE,
    VOUCHER,
    RetentionPolicy,
    add_years,
    claim_lapse,
    financial_year_end_of,
    holds_of_invoice,
    lapsed_cutoff,
    period_cutoff,
    voucher_expiry_cutoff,
    voucher_retention_end,
)
from lautex_registry.platform.errors import InvalidInput

days = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))
month_days = st.dates(min_value=date(2000, 1, 1), max_value=date(2000, 12, 31)).map(
    lambda d: f"{d.month:02d}-{d.day:02d}"
)
years = st.integers(min_value=1, max_value=12)


# --- vouchers: Accounting Act 1336/1997 ch. 2 sec. 10 ------------------------------------------


def test_a_2024_invoice_with_a_calendar_financial_year_is_kept_to_the_end_of_2030() -> None:
    for issued in (date(2024, 1, 1), date(2024, 6, 15), date(2024, 12, 31)):
        assert voucher_retention_end(issued, "12-31", 6) == date(2030, 12, 31)


def test_a_non_calendar_financial_year_counts_from_the_year_it_ends() -> None:
    # Financial year 1.7.2023-30.6.2024 ends in 2024: kept to 31.12.2030.
    assert voucher_retention_end(date(2023, 7, 1), "06-30", 6) == date(2030, 12, 31)
    assert voucher_retention_end(date(2024, 6, 30), "06-30", 6) == date(2030, 12, 31)
    # 1.7.2024 starts the next financial year, which ends 30.6.2025.
    assert voucher_retention_end(date(2024, 7, 1), "06-30", 6) == date(2031, 12, 31)


def test_a_leap_day_financial_year_end_falls_back_to_28_february() -> None:
    assert financial_year_end_of(date(2023, 2, 28), "02-29") == date(2023, 2, 28)
    assert financial_year_end_of(date(2023, 3, 1), "02-29") == date(2024, 2, 29)
    assert financial_year_end_of(date(2024, 3, 1), "02-29") == date(2025, 2, 28)


@given(issued=days, fy_end=month_days, kept=years)
def test_the_voucher_is_kept_to_31_december_years_after_its_financial_year_ends(
    issued: date, fy_end: str, kept: int
) -> None:
    fy = financial_year_end_of(issued, fy_end)
    end = voucher_retention_end(issued, fy_end, kept)
    assert issued <= fy < issued + timedelta(days=366)
    assert (end.month, end.day) == (12, 31)
    assert end.year == fy.year + kept
    assert end >= issued + relativedelta(years=kept)


@given(issued=days, as_of=days, fy_end=month_days, kept=years)
def test_the_voucher_cutoff_agrees_with_the_retention_end(
    issued: date, as_of: date, fy_end: str, kept: int
) -> None:
    expired = voucher_retention_end(issued, fy_end, kept) < as_of
    assert (issued <= voucher_expiry_cutoff(as_of, fy_end, kept)) == expired


@given(a=days, b=days, fy_end=month_days)
def test_a_later_voucher_is_never_kept_for_a_shorter_time(a: date, b: date, fy_end: str) -> None:
    early, late = sorted((a, b))
    assert voucher_retention_end(early, fy_end, 6) <= voucher_retention_end(late, fy_end, 6)


# --- claims: Limitation of Debts Act 728/2003 ------------------------------------------------


def test_a_claim_lapses_three_years_after_the_due_date_or_the_last_reminder() -> None:
    assert claim_lapse(date(2024, 3, 15), None, 3) == date(2027, 3, 15)
    assert claim_lapse(date(2024, 3, 15), date(2025, 1, 10), 3) == date(2028, 1, 10)
    # A reminder dated before the due date does not shorten the period.
    assert claim_lapse(date(2024, 3, 15), date(2024, 3, 1), 3) == date(2027, 3, 15)
    # 29 February + 3 years: the month has no 29th, so its last day.
    assert claim_lapse(date(2024, 2, 29), None, 3) == date(2027, 2, 28)


@given(due=days, reminder=st.none() | days, kept=years)
def test_the_claim_lapses_on_the_same_day_number_years_after_its_anchor(
    due: date, reminder: date | None, kept: int
) -> None:
    lapse = claim_lapse(due, reminder, kept)
    anchor = max(due, reminder) if reminder else due
    assert lapse.year == anchor.year + kept
    assert lapse.month == anchor.month
    assert lapse.day == anchor.day or (anchor.month, anchor.day, lapse.day) == (2, 29, 28)


@given(anchor=days, as_of=days, kept=years)
def test_the_lapsed_cutoff_agrees_with_the_lapse_date(anchor: date, as_of: date, kept: int) -> None:
    assert (anchor <= lapsed_cutoff(as_of, kept)) == (claim_lapse(anchor, None, kept) < as_of)


@given(start=days, as_of=days, kept=years)
def test_a_period_has_run_exactly_when_its_start_is_on_or_before_the_cutoff(
    start: date, as_of: date, kept: int
) -> None:
    assert (start <= period_cutoff(as_of, kept)) == (start + relativedelta(years=kept) <= as_of)


def test_on_28_february_both_28_and_29_february_three_years_back_have_run() -> None:
    assert period_cutoff(date(2027, 2, 28), 3) == date(2024, 2, 29)
    assert period_cutoff(date(2028, 2, 29), 3) == date(2025, 2, 28)


# --- the policy from the settings ------------------------------------------------------------


def test_the_policy_refuses_periods_below_the_legal_floor() -> None:
    with pytest.raises(InvalidInput, match="voucher_years: at least 6"):
        RetentionPolicy.from_settings({"voucher_years": 5})
    with pytest.raises(InvalidInput, match="claim_lapse_years: at least 3"):
        RetentionPolicy.from_settings({"claim_lapse_years": 2})
    with pytest.raises(InvalidInput, match="financial_year_end"):
        RetentionPolicy.from_settings({"financial_year_end": "13-01"})
    with pytest.raises(InvalidInput, match="customer_inactive_years"):
        RetentionPolicy.from_settings({"customer_inactive_years": "three"})
    assert RetentionPolicy.from_settings({}) == RetentionPolicy()


# --- the holds on one invoice ----------------------------------------------------------------


def _invoice(state: str, **changes: str | None) -> dict[str, object]:
    row: dict[str, object] = {
        "id": 7,
        "number": "2024-0007",
        "customer_id": 3,
        "issued_on": "2024-03-01",
        "due_on": "2024-03-15",
        "state": state,
        "last_reminder_on": None,
        "billing_data_removed_on": None,
    }
    row.update(changes)
    return row


def _rules(invoice: dict[str, object], on: date) -> dict[str, date]:
    return {h.rule: h.ends_on for h in holds_of_invoice(invoice, on, RetentionPolicy())}


def test_an_open_invoice_holds_until_paid_at_most_until_its_claim_lapses() -> None:
    holds = holds_of_invoice(_invoice("open"), date(2026, 11, 25), RetentionPolicy())
    open_hold = next(h for h in holds if h.rule == OPEN_INVOICE)
    assert open_hold.ends_on == date(2027, 3, 15)
    assert open_hold.until == "until paid, at most 2027-03-15"
    assert "Limitation of Debts Act 728/2003" in open_hold.law
    assert "2027-03-15" in open_hold.reason("en")
    assert "15.3.2027" in open_hold.reason("fi")
    # A reminder starts a new period.
    reminded = _rules(_invoice("open", last_reminder_on="2025-02-01"), date(2026, 11, 25))
    assert reminded[OPEN_INVOICE] == date(2028, 2, 1)


def test_a_claim_in_collection_holds_until_it_lapses_then_only_the_voucher_holds() -> None:
    invoice = _invoice("in-collection")
    assert _rules(invoice, date(2027, 3, 15)) == {
        CLAIM_IN_COLLECTION: date(2027, 3, 15),
        VOUCHER: date(2030, 12, 31),
    }
    assert _rules(invoice, date(2027, 3, 16)) == {VOUCHER: date(2030, 12, 31)}


def test_a_paid_voucher_holds_to_the_end_of_2030_and_nothing_after() -> None:
    assert _rules(_invoice("paid"), date(2030, 12, 31)) == {VOUCHER: date(2030, 12, 31)}
    assert _rules(_invoice("paid"), date(2031, 1, 1)) == {}
    assert _rules(_invoice("paid", billing_data_removed_on="2031-01-01"), date(2026, 1, 1)) == {}


@given(
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
    st.integers(min_value=-30, max_value=30),
)
def test_adding_years_is_what_relativedelta_gives(day: date, years: int) -> None:
    """29 February becomes 28 February in a common year; a year out of range fails alike."""
    try:
        expected: date | str = day + relativedelta(years=years)
    except ValueError as exc:
        expected = str(exc)
    try:
        got: date | str = add_years(day, years)
    except ValueError as exc:
        got = str(exc)
    assert got == expected


def test_adding_years_to_a_leap_day() -> None:
    assert add_years(date(2024, 2, 29), 3) == date(2027, 2, 28)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    assert add_years(date(2024, 2, 29), -1) == date(2023, 2, 28)
    with pytest.raises(ValueError):
        add_years(date(9999, 12, 31), 1)
