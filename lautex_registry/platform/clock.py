"""The register's two clocks: the real one and the business date.

The real clock (`real_now`, `real_today`, `real_timestamp`) stamps audit rows,
starts and ends sessions, runs the login lockout and limits a real retention run.
Nothing a user can set moves it: not LAUTEX_TODAY, not TZ. `real_today` is the
date in Finland, worked out from the UTC clock and the EU summer-time rule,
without the time-zone database (whose location an environment variable can also
change).

The business date (`today`) is the clerk's "today": receipts, due dates, the
default of `--date` and `--as-of`, and the date in a record's `created_at`
(`timestamp`). LAUTEX_TODAY may pin it to a date that is not after the real
today, for tests and rehearsals; the demo moves it in-process with `business_day`.

Test seam: in-process tests monkeypatch `real_now` (everything here reads the real
time through it), e.g. to run the retention job on a date years ahead.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta

from lautex_registry.platform.errors import InvalidInput, t

TODAY_ENV = "LAUTEX_TODAY"
_business_day: ContextVar[date | None] = ContextVar("business_day", default=None)


def real_now() -> datetime:
    """The current UTC time from the system clock (the test seam: see the module text)."""
    return datetime.now(UTC)


def _last_sunday(year: int, month: int) -> date:
    following = date(year + (month == 12), month % 12 + 1, 1)
    last = following - timedelta(days=1)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def finnish_offset(moment: datetime) -> timedelta:
    """UTC+3 in summer time, else UTC+2. Directive 2000/84/EC Art. 2-3: summer time runs
    from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October."""
    utc = moment.astimezone(UTC).replace(tzinfo=None)
    year = utc.year
    begins = datetime.combine(_last_sunday(year, 3), datetime.min.time()) + timedelta(hours=1)
    ends = datetime.combine(_last_sunday(year, 10), datetime.min.time()) + timedelta(hours=1)
    return timedelta(hours=3 if begins <= utc < ends else 2)


def real_today() -> date:
    """Today's date in Finland on the real clock."""
    moment = real_now()
    return (moment.astimezone(UTC) + finnish_offset(moment)).date()


# The years a date given to the register may be in. Retention counts up to 100 years from
# a date, back and forth (docs/rules.md §2): the calendar ends at year 9999, and a typo of
# 0001 or 9999 must be refused at the prompt, not crash a retention run.
FIRST_YEAR, LAST_YEAR = 1900, 2999


def _pinned_today() -> date | None:
    text = os.environ.get(TODAY_ENV)
    if not text:
        return None
    try:
        pinned = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            t("{today_env}: {text!r} is not a date (YYYY-MM-DD)", today_env=TODAY_ENV, text=text)
        ) from None
    if pinned.year < FIRST_YEAR:  # the years a date in the register may be in
        raise InvalidInput(
            t(
                "{today_env}: {pinned} is before {first}, the first year a register's date "
                "may be in",
                today_env=TODAY_ENV,
                pinned=pinned.isoformat(),
                first=FIRST_YEAR,
            )
        )
    # Dates decide what is destroyed (retention, holds that end): an environment
    # variable may replay the past, never bring a future day forward.
    if pinned > real_today():
        raise InvalidInput(
            t(
                "{today_env}: {pinned} is after today ({real_today}); it may only pin "
                "a date that has come",
                today_env=TODAY_ENV,
                pinned=pinned.isoformat(),
                real_today=real_today().isoformat(),
            )
        )
    return pinned


def today() -> date:
    """The business date: `business_day`'s, else LAUTEX_TODAY's, else the real today."""
    return _business_day.get() or _pinned_today() or real_today()


@contextmanager
def business_day(day: date) -> Iterator[None]:
    """Within the block the business date is `day` (the demo replays its history so).

    Audit times, sessions and the lockout keep the real clock.
    """
    token = _business_day.set(day)
    try:
        yield
    finally:
        _business_day.reset(token)


def now_utc() -> datetime:
    """The business date at the real time of day (UTC): when a record says it was made."""
    real = real_now().astimezone(UTC)
    day = today()
    return real.replace(year=day.year, month=day.month, day=day.day)


# The one text form of a moment in the register: ISO 8601, UTC, whole seconds, so that
# stored moments sort and compare as text (README "Conventions": dates are ISO 8601).
UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def utc_text(moment: datetime) -> str:
    """A moment in UTC as the register stores it (`2026-11-25T09:30:00Z`)."""
    return moment.strftime(UTC_FORMAT)


def parse_utc_text(text: str) -> datetime:
    """A stored moment back as an aware UTC datetime."""
    return datetime.strptime(text, UTC_FORMAT).replace(tzinfo=UTC)


def timestamp() -> str:
    """ISO 8601 UTC timestamp with seconds on the business date, as records store it."""
    return utc_text(now_utc())


def real_timestamp() -> str:
    """ISO 8601 UTC timestamp with seconds on the real clock: audit rows and sessions."""
    return utc_text(real_now().astimezone(UTC))
