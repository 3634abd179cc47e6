"""The register's clock, injectable for tests and for `--as-of` on jobs.

`LAUTEX_TODAY` (YYYY-MM-DD) pins the date; it exists for tests and rehearsals,
and jobs take `--as-of` instead.
"""

import os
from datetime import UTC, date, datetime


def today() -> date:
    pinned = os.environ.get("LAUTEX_TODAY")
    if pinned:
        return date.fromisoformat(pinned)
    return date.today()


def now_utc() -> datetime:
    """The current UTC time; with LAUTEX_TODAY set, that date at the real time of day."""
    real = datetime.now(UTC)
    pinned = os.environ.get("LAUTEX_TODAY")
    if pinned:
        day = date.fromisoformat(pinned)
        return real.replace(year=day.year, month=day.month, day=day.day)
    return real


def timestamp() -> str:
    """ISO 8601 UTC timestamp with seconds, as stored in the database."""
    return now_utc().strftime("%Y-%m-%dT%H:%M:%SZ")
