"""The real clock decides what is destroyed and when sessions, lockouts and audit rows
happen; LAUTEX_TODAY (the business date, for tests and rehearsals) can never move it."""

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lautex_registry.platform import clock
from lautex_registry.platform.sqlite import sqlite3
from tests.conftest import PASSWORD, Cli
from tests.helpers import iterdump

FUTURE = "2099-01-01"


def lautex(cli: Cli, *args: str, today: str | None, user: str | None = "admin",
           stdin: str | None = None) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """`lautex ...` as its own process, with LAUTEX_TODAY set to `today` (or unset)."""
    env = {**os.environ, "LAUTEX_DB": str(cli.db), "LAUTEX_HOME": str(cli.home)}
    env.pop("LAUTEX_TODAY", None)
    env.pop("LAUTEX_TOKEN", None)
    if today is not None:
        env["LAUTEX_TODAY"] = today
    if user is not None:
        env["LAUTEX_TOKEN"] = cli.tokens[user]
    return subprocess.run(
        [sys.executable, "-m", "lautex_registry", *args],
        env=env, input=stdin, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def a_customer_long_inactive(cli: Cli) -> None:
    with cli.connect() as conn:
        conn.execute(
            """INSERT INTO customers (first_name, last_name, email, source, language,
                   search_text, state, created_at, updated_at, last_activity)
               VALUES ('Ritva', 'Vanha', 'ritva.vanha@example.fi', 'web-store', 'fi',
                   'ritva vanha', 'active', '2019-01-01T10:00:00Z', '2019-01-01T10:00:00Z',
                   '2019-01-01')"""
        )
    sqlite3.connect(cli.db).execute("PRAGMA wal_checkpoint(TRUNCATE)").close()


def register_dump(cli: Cli) -> list[str]:
    conn = sqlite3.connect(cli.db)
    try:
        return list(iterdump(conn))
    finally:
        conn.close()


def test_a_real_retention_run_after_today_is_refused_and_changes_nothing(cli: Cli) -> None:
    a_customer_long_inactive(cli)
    before = register_dump(cli)
    result = cli.run("retention", "run", "--as-of", FUTURE, "--yes", user="bot")
    assert result.exit_code == 4
    assert result.stderr.startswith(f"error: as-of: {FUTURE} is after today (")
    assert result.stderr.count("\n") == 1
    assert register_dump(cli) == before
    # A dry run and `retention show` may look ahead.
    dry = cli.ok("retention", "run", "--as-of", FUTURE, "--dry-run", "-f", "json", user="bot")
    assert json.loads(dry.stdout)["counts"]["inactive-customers"] >= 1
    shown = cli.ok("retention", "show", "--as-of", FUTURE, "-f", "json", user="bot")
    assert any(row["policy"] == "vouchers" for row in json.loads(shown.stdout))


def test_a_run_on_the_real_today_goes_ahead(cli: Cli) -> None:
    a_customer_long_inactive(cli)
    real_today = clock.real_today().isoformat()
    summary = cli.ok("retention", "run", "--yes", "--as-of", real_today, "-f", "json", user="bot")
    assert json.loads(summary.stdout)["counts"]["inactive-customers"] == 1


def test_lautex_today_after_the_real_today_is_refused_by_every_command(cli: Cli) -> None:
    a_customer_long_inactive(cli)
    before = register_dump(cli)
    run = lautex(cli, "retention", "run", "--yes", "--format", "json", today=FUTURE, user="bot")
    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith(f"error: LAUTEX_TODAY: {FUTURE} is after today (")
    assert run.stdout == ""
    assert register_dump(cli) == before


def test_lautex_today_cannot_lift_a_lockout(cli: Cli) -> None:
    for attempt in range(5):
        cli.run("login", "clerk", "--password-stdin", user=None, input=f"wrong {attempt}\n")
    result = lautex(cli, "login", "clerk", "--password-stdin", today=FUTURE, user=None,
                    stdin=PASSWORD + "\n")  # fmt: skip
    assert result.returncode == 5 and "locked" in result.stderr, result.stderr
    with cli.connect() as conn:
        assert conn.execute("SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id "
                            "WHERE u.username = 'clerk'").fetchone()[0] == 0  # fmt: skip


def test_a_past_lautex_today_dates_neither_audit_rows_nor_sessions(cli: Cli) -> None:
    started = datetime.now(UTC).replace(microsecond=0)
    result = lautex(cli, "login", "clerk", "--password-stdin", today="2019-05-01", user=None,
                    stdin=PASSWORD + "\n")  # fmt: skip
    assert result.returncode == 0, result.stderr
    added = lautex(cli, "org", "add", "Puutalo Oy", today="2019-05-01", user="clerk")
    assert added.returncode == 0, added.stderr
    with cli.connect() as conn:
        audit_times = [
            r[0]
            for r in conn.execute(
                "SELECT at FROM audit_log WHERE at >= ?", (started.strftime("%Y-%m-%dT%H:%M:%SZ"),)
            )
        ]
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log ORDER BY id DESC "
                                              "LIMIT 2")]  # fmt: skip
        session = conn.execute("SELECT created_at, expires_at FROM sessions ORDER BY id DESC "
                               "LIMIT 1").fetchone()  # fmt: skip
    assert len(audit_times) >= 2 and actions == ["org add", "login"]
    created = datetime.strptime(session[0], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    expires = datetime.strptime(session[1], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert started <= created <= datetime.now(UTC)
    assert expires - created == timedelta(hours=8)


def test_the_demo_keeps_its_business_dates_and_audits_on_the_real_clock(
    cli: Cli, tmp_path: Path
) -> None:
    target = tmp_path / "demo.db"
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    cli.ok("demo", "--db", str(target), user=None)
    conn = sqlite3.connect(target)
    oldest_order = conn.execute("SELECT min(order_date) FROM orders").fetchone()[0]
    oldest_audit = conn.execute("SELECT min(at) FROM audit_log").fetchone()[0]
    conn.close()
    assert oldest_order < "2024-01-01"  # years of history on the business date
    assert oldest_audit >= started
    assert "LAUTEX_TODAY" not in os.environ or os.environ["LAUTEX_TODAY"] == "2026-11-25"
    assert cli.ok("--db", str(target), "audit", "verify", user=None).exit_code == 0


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)))
def test_the_real_today_is_the_date_in_helsinki(moment: datetime) -> None:
    """The summer-time rule, against the time-zone database as oracle."""
    utc = moment.replace(tzinfo=UTC)
    assert clock.finnish_offset(utc) == utc.astimezone(ZoneInfo("Europe/Helsinki")).utcoffset()


def test_the_real_today_does_not_follow_tz(cli: Cli) -> None:
    code = "from lautex_registry.platform import clock; print(clock.real_today())"
    dates = set()
    for zone in ("Pacific/Kiritimati", "Etc/GMT+12", "Europe/Helsinki"):
        env = {**os.environ, "TZ": zone}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True).stdout  # fmt: skip
        dates.add(date.fromisoformat(out.strip()))
    assert len(dates) == 1


@pytest.mark.parametrize("text", ["tomorrow", "2026-13-01"])
def test_a_malformed_lautex_today_is_one_line_exit_2(cli: Cli, text: str) -> None:
    result = lautex(cli, "retention", "show", today=text)
    assert result.returncode == 2
    assert result.stderr == f"error: LAUTEX_TODAY: {text!r} is not a date (YYYY-MM-DD)\n"
