"""The backup policy's services: rotation, encryption, verification, restore, retention."""

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyrage import x25519

from lautex_registry.erasure.backup_copies import (
    BackupPolicy,
    Copy,
    copies_in,
    copy_offsite,
    expire_copies,
    expired,
    make_policy_copy,
    read_identities,
    restore_copy,
    to_keep,
    verify_copy,
)
from lautex_registry.erasure.backups import fingerprint
from lautex_registry.platform import audit, clock
from lautex_registry.platform.db import connect, transaction
from lautex_registry.platform.errors import AuthError, InvalidInput, Refused
from lautex_registry.platform.settings import section, store_settings
from lautex_registry.platform.sqlite import sqlite3
from tests.conftest import Cli
from tests.helpers import EMAIL, add_quinta, every_table, needles

ADMIN = audit.Actor(1, "admin")


@pytest.fixture
def conn(cli: Cli) -> Iterator[sqlite3.Connection]:
    connection = connect(cli.db)
    yield connection
    connection.close()


def set_policy(conn: sqlite3.Connection, keep_days: int | None = None, **backup: object) -> None:
    with transaction(conn):
        store_settings(conn, {"backup": {**section(conn, "backup"), **backup}})
        if keep_days is not None:
            store_settings(conn, {"retention": {**section(conn, "retention"),
                                                "backup_days": keep_days}})  # fmt: skip


def at(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    monkeypatch.setattr(clock, "real_now", lambda: moment)


def names(folder: Path) -> list[str]:
    return sorted(c.path.name for c in copies_in(folder))


def night(day: str) -> str:
    return f"lautex-{day.replace('-', '')}T013000Z.db"


def test_the_nightly_job_keeps_exactly_the_configured_copies_over_a_simulated_month(
    cli: Cli, conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_quinta(cli)
    set_policy(conn, keep_days=62, daily=3, weekly=2, monthly=2)
    folder = BackupPolicy.of(conn).directory
    start = datetime(2026, 10, 20, 1, 30, tzinfo=UTC)
    for n in range(37):  # 20 October ... 25 November, one copy a night
        at(monkeypatch, start + timedelta(days=n))
        made = make_policy_copy(conn, ADMIN)
        assert made.verified
        assert len(copies_in(folder)) <= 3 + 2 + 2
        if (start + timedelta(days=n)).date() == date(2026, 11, 2):  # a Monday
            # days 2.11, 1.11, 31.10; ISO weeks 45 (2.11) and 44 (1.11); months 11 and 10 (31.10)
            assert names(folder) == [night("2026-10-31"), night("2026-11-01"), night("2026-11-02")]
    # Wednesday 25.11: days 25, 24, 23; weeks 48 (25) and 47 (Sunday 22); months 11 and 10 (31.10)
    kept = ("2026-10-31", "2026-11-22", "2026-11-23", "2026-11-24", "2026-11-25")
    assert names(folder) == [night(d) for d in kept]
    live = conn.execute(
        "SELECT file_name FROM backups WHERE deleted_at IS NULL ORDER BY file_name"
    ).fetchall()
    assert [r[0] for r in live] == names(folder)
    assert conn.execute("SELECT count(*) FROM backups").fetchone()[0] == 37
    deletions = conn.execute(
        "SELECT details_json FROM audit_log WHERE action = 'backup delete'"
    ).fetchall()
    assert sum(json.loads(r[0])["deleted"] for r in deletions) == 37 - 5


def test_an_encrypted_backup_holds_none_of_a_known_customers_values(
    cli: Cli, conn: sqlite3.Connection
) -> None:
    add_quinta(cli)
    key = x25519.Identity.generate()
    set_policy(conn, recipients=[str(key.to_public())])
    made = make_policy_copy(conn, ADMIN)
    assert made.copy.path is not None and made.copy.path.name.endswith(".db.age")
    data = made.copy.path.read_bytes()
    assert data.startswith(b"age-encryption.org/v1\n")
    for needle in [*needles(), b"SQLite format 3", b"Quinta"]:
        assert needle not in data
    assert made.copy.path.stat().st_mode & 0o777 == 0o600
    # Nothing plain is left beside the register or in the folder.
    assert [p.name for p in made.copy.path.parent.iterdir()] == [made.copy.path.name]
    assert sorted(p.name for p in cli.db.parent.iterdir() if "partial" in p.name) == []
    # And it does hold the register: the key opens it.
    result = verify_copy(conn, ADMIN, made.copy.path, [key])
    assert result.customers == 1 and result.sha256_recorded


def test_verify_catches_a_truncated_or_altered_copy(cli: Cli, conn: sqlite3.Connection) -> None:
    add_quinta(cli)
    key = x25519.Identity.generate()
    plain = make_policy_copy(conn, ADMIN).copy.path
    assert plain is not None
    assert verify_copy(conn, ADMIN, plain, None).customers == 1
    data = plain.read_bytes()
    # One byte of a stored value changed: SQLite's integrity check may still pass; the hash not.
    at = data.index(EMAIL.encode())
    plain.write_bytes(data[:at] + b"X" + data[at + 1 :])
    with pytest.raises(Refused, match="not what was recorded"):
        verify_copy(conn, ADMIN, plain, None)
    # A copy the register never recorded, cut in half: the integrity check fails.
    stray = cli.db.parent / "stray.db"
    stray.write_bytes(data[: len(data) // 2])
    with pytest.raises(Refused, match="backup verify"):
        verify_copy(conn, ADMIN, stray, None)
    set_policy(conn, recipients=[str(key.to_public())])
    sealed = make_policy_copy(conn, ADMIN).copy.path
    assert sealed is not None
    cut = cli.db.parent / "carried.db.age"  # a copy the register has no record of
    cut.write_bytes(sealed.read_bytes()[:-100])
    with pytest.raises(Refused, match="damaged or cut short"):
        verify_copy(conn, ADMIN, cut, [key])
    assert verify_copy(conn, ADMIN, None, [key]).path == sealed  # the newest, by default


def test_a_copy_onto_which_the_journal_cannot_be_replayed_fails_verification(
    cli: Cli, conn: sqlite3.Connection
) -> None:
    customer = add_quinta(cli)
    copy = make_policy_copy(conn, ADMIN).copy.path
    cli.ok("erase", str(customer), "--yes", user="clerk")
    Path(f"{cli.db}.erasure-journal").write_text("")  # the journal cut to nothing
    with pytest.raises(Refused, match="erasure journal cannot be replayed"):
        verify_copy(conn, ADMIN, copy, None)


def test_restore_with_the_wrong_identity_is_refused_and_changes_nothing(
    cli: Cli, conn: sqlite3.Connection
) -> None:
    add_quinta(cli)
    key, other = x25519.Identity.generate(), x25519.Identity.generate()
    set_policy(conn, recipients=[str(key.to_public())])
    sealed = make_policy_copy(conn, ADMIN).copy.path
    assert sealed is not None
    add_quinta(cli, email="later@example.fi", last="Myöhäinen", phone="040 111 3333")
    before = every_table(conn)
    with pytest.raises(AuthError, match="encrypted to other keys"):
        restore_copy(conn, ADMIN, sealed, date(2026, 11, 25), identities=[other])
    with pytest.raises(InvalidInput, match="is encrypted"):
        restore_copy(conn, ADMIN, sealed, date(2026, 11, 25), identities=None)
    assert every_table(conn) == before
    assert not [p for p in cli.db.parent.iterdir() if "partial" in p.name or "restoring" in p.name]


def test_a_person_erased_after_an_encrypted_backup_is_gone_again_after_restoring_it(
    cli: Cli, conn: sqlite3.Connection
) -> None:
    customer = add_quinta(cli)
    keeper = add_quinta(cli, email="keeper@example.fi", last="Pysyvä", phone="040 111 2222")
    key = x25519.Identity.generate()
    set_policy(conn, recipients=[str(key.to_public())])
    sealed = make_policy_copy(conn, ADMIN).copy.path
    assert sealed is not None
    cli.ok("erase", str(customer), "--yes", user="clerk")
    done = restore_copy(conn, ADMIN, sealed, date(2026, 11, 25), identities=[key])
    assert done.replayed_customers == [customer] and done.backup == sealed
    ids = [r[0] for r in conn.execute("SELECT id FROM customers ORDER BY id")]
    assert ids == [keeper]
    row = conn.execute(
        "SELECT details_json FROM audit_log WHERE action = 'restore' ORDER BY id DESC"
    ).fetchone()
    # The register still knows the copy it was restored from (the current rows, not the copy's).
    recorded = [r[0] for r in conn.execute("SELECT sha256 FROM backups WHERE deleted_at IS NULL")]
    assert recorded == [fingerprint(sealed, sealed).sha256]
    assert json.loads(row[0])["sha256"] == fingerprint(sealed, sealed).sha256


def test_retention_deletes_copies_past_the_period_even_when_the_backup_job_has_not_run(
    cli: Cli, conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    policy = BackupPolicy.of(conn)
    assert policy.keep_days == 100
    at(monkeypatch, datetime(2026, 8, 17, 1, 30, tzinfo=UTC))  # 100 days before 25.11.
    old = make_policy_copy(conn, ADMIN).copy.path
    offsite = tmp_path / "offsite"
    offsite.mkdir()
    copy_offsite(conn, ADMIN, offsite, allow_plain=True)
    at(monkeypatch, datetime(2026, 8, 18, 1, 30, tzinfo=UTC))  # 99 days: its last day
    kept = make_policy_copy(conn, ADMIN).copy.path
    assert old is not None and kept is not None and old.exists()
    at(monkeypatch, datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
    result = expire_copies(conn, ADMIN, date(2026, 11, 25))
    assert result.deleted == 2 and result.unreachable == []
    assert not old.exists() and not (offsite / old.name).exists()
    assert kept.exists()


def test_an_unencrypted_copy_does_not_leave_the_machine_without_allow_plain(
    cli: Cli, conn: sqlite3.Connection, tmp_path: Path
) -> None:
    make_policy_copy(conn, ADMIN)
    offsite = tmp_path / "usb"
    offsite.mkdir()
    with pytest.raises(Refused, match="not encrypted"):
        copy_offsite(conn, ADMIN, offsite, allow_plain=False)
    assert list(offsite.iterdir()) == []
    key = x25519.Identity.generate()
    set_policy(conn, recipients=[str(key.to_public())])
    sealed = make_policy_copy(conn, ADMIN).copy.path
    assert sealed is not None
    done = copy_offsite(conn, ADMIN, offsite, allow_plain=False)
    assert done.copied and (offsite / sealed.name).read_bytes() == sealed.read_bytes()
    assert not copy_offsite(conn, ADMIN, offsite, allow_plain=False).copied  # there already


def test_a_rotation_that_outlives_the_retention_period_is_refused(
    conn: sqlite3.Connection,
) -> None:
    register = Path("data/lautex.db")
    with pytest.raises(InvalidInput, match="at least 93"):
        BackupPolicy.from_settings(
            {"directory": "b", "daily": 7, "weekly": 4, "monthly": 3}, 92, register
        )
    with pytest.raises(InvalidInput, match=r"backup\.recipients\[0\]"):
        BackupPolicy.from_settings(
            {"directory": "b", "daily": 7, "weekly": 0, "monthly": 0, "recipients": ["age1xyz"]},
            7,
            register,
        )
    with pytest.raises(InvalidInput, match="line 2 is not an age identity"):
        read_identities(b"# a comment\nAGE-SECRET-KEY-1NOTAKEY\n")


moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)).map(
    lambda d: d.replace(microsecond=0, tzinfo=UTC)
)


@given(
    made=st.lists(moments, min_size=1, max_size=60, unique=True),
    daily=st.integers(1, 10),
    weekly=st.integers(0, 6),
    monthly=st.integers(0, 4),
    extra=st.integers(0, 30),
)
def test_the_rotation_keeps_the_newest_and_never_more_than_its_counts_nor_past_the_period(
    made: list[datetime], daily: int, weekly: int, monthly: int, extra: int
) -> None:
    keep_days = max(daily, 7 * weekly, 31 * monthly) + extra
    policy = BackupPolicy(Path("b"), daily, weekly, monthly, (), keep_days)
    copies = sorted((Copy(Path(f"{m.isoformat()}.db"), m, False) for m in made),
                    key=lambda c: c.made_at, reverse=True)  # fmt: skip
    today = copies[0].day
    kept = to_keep(copies, policy, today)
    assert copies[0].path in kept
    assert len(kept) <= daily + weekly + monthly
    for copy in copies:
        if copy.path in kept:
            assert not expired(copy, today, keep_days)
    # Every day among the newest `daily` days with copies keeps its newest copy.
    days = sorted({c.day for c in copies}, reverse=True)[:daily]
    for day in days:
        newest = max((c for c in copies if c.day == day), key=lambda c: c.made_at)
        assert newest.path in kept or expired(newest, today, keep_days)


@given(day=st.dates(date(2000, 1, 1), date(2100, 1, 1)), keep=st.integers(1, 3660),
       age=st.integers(0, 4000))  # fmt: skip
def test_a_copy_is_kept_exactly_its_retention_period_in_days(
    day: date, keep: int, age: int
) -> None:
    copy = Copy(Path("x"), datetime(day.year, day.month, day.day, tzinfo=UTC), False)
    assert expired(copy, day + timedelta(days=age), keep) == (age >= keep)


def test_retention_run_deletes_a_copy_older_than_the_backup_retention_and_show_counts_it(
    cli: Cli, conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    at(monkeypatch, datetime(2026, 8, 20, 1, 30, tzinfo=UTC))
    old = make_policy_copy(conn, ADMIN).copy.path
    at(monkeypatch, datetime(2026, 11, 20, 1, 30, tzinfo=UTC))  # the last night the job ran
    new = make_policy_copy(conn, ADMIN).copy.path
    assert old is not None and new is not None and old.exists()  # August's monthly copy
    at(monkeypatch, datetime(2026, 11, 28, 12, 0, tzinfo=UTC))  # 100 days after 20.8.
    day = ("--as-of", "2026-11-28")
    shown = json.loads(cli.ok("retention", "show", *day, "--format", "json").stdout)
    (row,) = [r for r in shown if r["policy"] == "backups"]
    assert (row["period"], row["due"], row["holding"]) == ("100 days after the copy was made", 1, 1)
    dry = json.loads(cli.ok("retention", "run", *day, "--dry-run", "--format", "json").stdout)
    assert dry["counts"]["backups"] == 1 and old.exists()
    done = json.loads(
        cli.ok("retention", "run", *day, "--yes", "--format", "json", user="bot").stdout
    )
    assert done["counts"]["backups"] == 1
    assert not old.exists() and new.exists()
    reason = conn.execute(
        "SELECT deleted_reason FROM backups WHERE file_name = ?", (old.name,)
    ).fetchone()[0]
    assert reason == "retention"


@given(
    daily=st.integers(-2, 400),
    weekly=st.integers(-2, 600),
    monthly=st.integers(-2, 130),
    keep_days=st.integers(1, 5000),
)
def test_a_backup_policy_is_accepted_exactly_when_its_counts_are_in_range_and_fit_the_period(
    daily: int, weekly: int, monthly: int, keep_days: int
) -> None:
    settings = {"directory": "backups", "daily": daily, "weekly": weekly, "monthly": monthly}
    in_range = 1 <= daily <= 366 and 0 <= weekly <= 520 and 0 <= monthly <= 120
    fits = keep_days >= max(daily, 7 * weekly, 31 * monthly)
    try:
        policy = BackupPolicy.from_settings(settings, keep_days, Path("/srv/lautex/data/x.db"))
    except InvalidInput:
        assert not (in_range and fits)
    else:
        assert in_range and fits
        assert policy.directory == Path("/srv/lautex/data/backups")
