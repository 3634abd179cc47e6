"""The retention job on a register built for the date arithmetic (CLI, in-process)."""

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from lautex_registry.platform.sqlite import sqlite3
from tests.conftest import Cli
from tests.helpers import every_table

PERSONAL = ("customers", "invoices", "orders", "requests", "consents", "objections", "documents")


pytestmark = pytest.mark.usefixtures("real_clock_in_2032")


@contextmanager
def on_day(monkeypatch: pytest.MonkeyPatch, day: str) -> Iterator[None]:
    """Run clerk commands as if it were `day` (the register records today's date)."""
    monkeypatch.setenv("LAUTEX_TODAY", day)
    try:
        yield
    finally:
        monkeypatch.setenv("LAUTEX_TODAY", "2026-11-25")


def customer(cli: Cli, name: str) -> int:
    result = cli.ok(
        "customer", "add", "--first-name", "Ritva", "--last-name", name,
        "--email", f"{name.lower()}@example.fi", "--street", "Katu 1", "--postal-code", "00100",
        "--city", "Helsinki", "--source", "web-store", user="clerk",
    )  # fmt: skip
    return int(result.stdout.strip())


def ordered_and_invoiced(cli: Cli, who: int, number: str, day: str, due: str) -> None:
    cli.ok("order", "add", str(who), "--number", f"T-{number}", "--date", day,
           "--channel", "web-store", "--line", "Plank;1;10", user="clerk")  # fmt: skip
    cli.ok("invoice", "add", f"T-{number}", "--number", number, "--issued", day, "--due", due,
           user="clerk")  # fmt: skip


def run(cli: Cli, as_of: str, *extra: str) -> dict[str, Any]:
    result = cli.ok(
        "retention", "run", "--yes", "--as-of", as_of, "--format", "json", *extra, user="bot"
    )
    summary: dict[str, Any] = json.loads(result.stdout)
    return summary


def state(cli: Cli, who: int) -> str | None:
    with cli.connect() as conn:
        row = conn.execute("SELECT state FROM customers WHERE id = ?", (who,)).fetchone()
        return None if row is None else str(row[0])


def billing_name(cli: Cli, number: str) -> str | None:
    with cli.connect() as conn:
        row = conn.execute("SELECT billing_name FROM invoices WHERE number = ?", (number,))
        value = row.fetchone()[0]
        return None if value is None else str(value)


def snapshot(cli: Cli) -> dict[str, list[tuple[Any, ...]]]:
    with cli.connect() as conn:
        tables = every_table(conn)
    return {name: rows for name, rows in tables.items() if name in PERSONAL}


def test_2024_vouchers_lose_their_billing_data_on_1_january_2031_and_not_before(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    with on_day(monkeypatch, "2024-05-01"):
        buyer = customer(cli, "Tositteinen")
        ordered_and_invoiced(cli, buyer, "2024-0001", "2024-05-01", "2024-05-15")
        cli.ok("invoice", "pay", "2024-0001", "--date", "2024-05-01", user="clerk")

    first = run(cli, "2030-12-31")
    assert first["counts"]["vouchers"] == 0
    assert billing_name(cli, "2024-0001") == "Ritva Tositteinen"
    # Inactive since 2024-05-01: anonymised long ago, the voucher still keeps its billing data.
    assert state(cli, buyer) == "anonymised"

    second = run(cli, "2031-01-01")
    assert second["counts"]["vouchers"] == 1
    assert billing_name(cli, "2024-0001") is None
    with cli.connect() as conn:
        invoice = conn.execute("SELECT * FROM invoices WHERE number = '2024-0001'").fetchone()
        assert invoice["billing_data_removed_on"] == "2031-01-01"
        assert invoice["amount_cents"] == 1000  # the books keep their numbers
        assert invoice["billing_street"] is None


def test_inactive_customers_are_anonymised_on_the_day_their_period_ends(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    with on_day(monkeypatch, "2023-11-25"):
        quiet = customer(cli, "Hiljainen")
    with on_day(monkeypatch, "2024-02-29"):
        leap = customer(cli, "Karkaus")

    run(cli, "2026-11-24")
    assert state(cli, quiet) == "active"
    summary = run(cli, "2026-11-25")
    assert summary["counts"]["inactive-customers"] == 1
    assert state(cli, quiet) == "anonymised"
    with cli.connect() as conn:
        row = conn.execute("SELECT * FROM customers WHERE id = ?", (quiet,)).fetchone()
        assert (row["email"], row["last_name"], row["anonymised_on"]) == (None, None, "2026-11-25")

    # 29 Feb 2024 + 3 years is 28 Feb 2027 (no 29th that year).
    run(cli, "2027-02-27")
    assert state(cli, leap) == "active"
    run(cli, "2027-02-28")
    assert state(cli, leap) == "anonymised"


def test_a_customer_with_an_open_invoice_is_left_with_their_hold(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    with on_day(monkeypatch, "2023-11-25"):
        debtor = customer(cli, "Velallinen")
        ordered_and_invoiced(cli, debtor, "2023-0009", "2023-11-25", "2023-12-09")

    summary = run(cli, "2026-11-25")
    assert summary["counts"]["inactive-customers"] == 0
    assert state(cli, debtor) == "active"
    assert billing_name(cli, "2023-0009") == "Ritva Velallinen"
    shown = cli.ok("retention", "show", "--as-of", "2026-11-25", "-f", "json", user="bot")
    policies = {row["policy"]: row for row in json.loads(shown.stdout)}
    assert policies["inactive-customers"]["holding"] == 1
    assert policies["claims"]["holding"] == 1

    # The claim lapses on 2026-12-09 (Limitation of Debts Act: 3 years from the due date).
    run(cli, "2026-12-09")
    assert state(cli, debtor) == "active"
    run(cli, "2026-12-10")
    assert state(cli, debtor) == "anonymised"
    assert billing_name(cli, "2023-0009") == "Ritva Velallinen"  # the voucher still holds


def test_an_erasure_waiting_for_its_holds_is_finished_when_the_last_one_ends(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    with on_day(monkeypatch, "2024-05-01"):
        leaving = customer(cli, "Lähtijä")
        ordered_and_invoiced(cli, leaving, "2024-0002", "2024-05-01", "2024-05-15")
        cli.ok("invoice", "pay", "2024-0002", "--date", "2024-05-01", user="clerk")
    cli.ok("erase", str(leaving), "--yes", user="clerk")
    assert state(cli, leaving) == "anonymised-with-holds"

    assert run(cli, "2030-12-31")["counts"]["finished-erasures"] == 0
    summary = run(cli, "2031-01-01")

    assert summary["counts"]["finished-erasures"] == 1
    assert state(cli, leaving) is None
    with cli.connect() as conn:
        invoice = conn.execute("SELECT * FROM invoices WHERE number = '2024-0002'").fetchone()
        assert (invoice["customer_id"], invoice["billing_name"]) == (None, None)
        assert conn.execute("SELECT customer_id FROM orders").fetchone()[0] is None
    with open(f"{cli.db}.erasure-journal") as journal:
        entries = [json.loads(line) for line in journal]
    assert [(e["action"], e["rule"]) for e in entries] == [
        ("erase", "clerk"),
        ("erase", "finished-erasures"),
    ]


def test_closed_requests_and_letters_are_purged_after_their_period(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    with on_day(monkeypatch, "2023-01-10"):
        asker = customer(cli, "Kysyjä")
        request = cli.ok("request", "add", str(asker), "--kind", "access", "--channel", "email",
                         user="clerk").stdout.strip()  # fmt: skip
        cli.ok("request", "close", request, "--outcome", "completed", "--done-outside",
               "the copy was handed over at the counter", user="clerk")  # fmt: skip
    with cli.connect() as conn:
        conn.execute(
            "INSERT INTO documents (kind, request_id, customer_id, language, format, sha256, "
            "created_at) VALUES ('access-reply', ?, ?, 'fi', 'md', 'x', '2023-01-10T09:00:00Z')",
            (request, asker),
        )

    before = run(cli, "2026-01-09")["counts"]
    assert (before["closed-requests"], before["documents"]) == (0, 0)
    after = run(cli, "2026-01-10")["counts"]
    assert (after["closed-requests"], after["documents"]) == (1, 1)
    with cli.connect() as conn:
        assert conn.execute("SELECT count(*) FROM requests").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 0


def test_a_dry_run_counts_the_same_and_a_second_run_touches_nothing(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    with on_day(monkeypatch, "2022-03-01"):
        for name in ("Yksi", "Kaksi", "Kolme"):
            who = customer(cli, name)
            ordered_and_invoiced(cli, who, f"2022-{name}", "2022-03-01", "2022-03-15")
            cli.ok("invoice", "pay", f"2022-{name}", "--date", "2022-03-01", user="clerk")
    before = snapshot(cli)

    dry = run(cli, "2029-01-01", "--dry-run")

    assert snapshot(cli) == before
    with cli.connect() as conn:
        assert conn.execute("SELECT count(*) FROM retention_runs").fetchone()[0] == 0
    real = run(cli, "2029-01-01")
    assert real["counts"] == dry["counts"]
    assert real["counts"]["vouchers"] == 3 and real["counts"]["inactive-customers"] == 3
    after_first = snapshot(cli)
    again = run(cli, "2029-01-01")
    assert set(again["counts"].values()) == {0}
    assert snapshot(cli) == after_first
    with cli.connect() as conn:
        runs = conn.execute("SELECT state, counts_json FROM retention_runs ORDER BY id").fetchall()
        assert [r["state"] for r in runs] == ["finished", "finished"]
        assert json.loads(runs[0]["counts_json"]) == real["counts"]
        per_person = conn.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'retention run' AND entity = 'customer'"
        ).fetchone()[0]
        assert per_person == 3
    status = json.loads(cli.ok("status", "-f", "json").stdout)
    assert "2029-01-01" in json.dumps(status)


def test_cron_output_is_only_the_summary(cli: Cli) -> None:
    result = cli.ok("retention", "run", "--yes", "--format", "json", user="bot")
    assert result.stderr == ""
    summary = json.loads(result.stdout)
    assert summary["as_of"] == "2026-11-25" and summary["dry_run"] is False
    table = cli.ok("retention", "run", "--yes", user="bot")
    assert "inactive-customers" in table.stdout and table.stderr == ""
    denied = cli.run("retention", "run", "--yes", user="clerk")
    assert denied.exit_code == 5


def test_a_second_concurrent_run_exits_6_at_once(cli: Cli) -> None:
    lock = os.open(f"{cli.db}.retention.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = cli.run("retention", "run", "--yes", user="bot")
    finally:
        os.close(lock)
    assert result.exit_code == 6
    assert (
        result.stderr == "error: another retention run is in progress on this register: "
        "try again later\n"
    )
    with sqlite3.connect(cli.db) as conn:
        assert conn.execute("SELECT count(*) FROM retention_runs").fetchone()[0] == 0


def test_retention_show_lists_every_policy_with_its_period(cli: Cli) -> None:
    rows = json.loads(cli.ok("retention", "show", "-f", "json", user="auditor").stdout)
    policies = {row["policy"]: row for row in rows}
    assert set(policies) >= {
        "inactive-customers", "vouchers", "claims", "finished-erasures", "closed-requests",
        "documents", "suppression", "books",
    }  # fmt: skip
    assert policies["inactive-customers"]["period"].startswith("3 years")
    assert "12-31" in policies["vouchers"]["period"]
    assert policies["books"]["period"].startswith("10 years")


def test_the_reply_contact_kept_after_an_erasure_goes_when_the_request_is_purged(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    with on_day(monkeypatch, "2023-01-10"):
        asker = customer(cli, "Poistettava")
        request = cli.ok("request", "add", str(asker), "--kind", "erasure", "--channel", "letter",
                         user="clerk").stdout.strip()  # fmt: skip
        cli.ok("erase", str(asker), "--request", request, "--yes", user="clerk")
    with cli.connect() as conn:
        kept = conn.execute(
            "SELECT requester_name, requester_address FROM requests WHERE id = ?", (request,)
        ).fetchone()
    assert tuple(kept) == ("Ritva Poistettava", "Katu 1\n00100 Helsinki")

    assert run(cli, "2026-01-09")["counts"]["closed-requests"] == 0
    assert run(cli, "2026-01-10")["counts"]["closed-requests"] == 1

    with cli.connect() as conn:
        assert conn.execute("SELECT count(*) FROM requests").fetchone()[0] == 0
        for rows in every_table(conn).values():
            assert not any("Poistettava" in str(value) for row in rows for value in row)
