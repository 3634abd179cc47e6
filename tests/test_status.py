"""lautex status: the register at a glance."""

import json
from pathlib import Path

from lautex_registry.platform.sqlite import sqlite3
from tests.conftest import Cli
from tests.helpers import add_aino, assert_one_line_error, dump, invoiced


def test_status_counts(cli: Cli) -> None:
    invoiced(cli, due="2026-11-21")  # overdue on 2026-11-25
    cli.ok("customer", "add", "--first-name", "B", "--last-name", "C", "--source", "partner")
    with cli.connect() as conn:
        conn.execute("UPDATE customers SET state = 'restricted' WHERE id = 2")
        for due in ("2026-11-20", "2026-11-28", "2027-01-10"):
            conn.execute(
                """INSERT INTO requests (kind, received_on, channel, language, due_on, created_at)
                   VALUES ('access', '2026-11-01', 'email', 'fi', ?, 'x')""",
                (due,),
            )
        conn.execute(
            """INSERT INTO retention_runs (started_at, finished_at, as_of, state, counts_json)
               VALUES ('2026-11-24T03:00:00Z', '2026-11-24T03:00:05Z', '2026-11-24', 'finished',
                       '{"anonymised": 3}')"""
        )
    facts = json.loads(cli.ok("status", "--format", "json", user="bot").stdout)
    assert facts["customers"] == 2
    assert facts["customers_by_state"] == {"active": 1, "restricted": 1}
    assert facts["organisations"] == 1
    assert facts["orders_this_year"] == 1
    assert facts["invoices"]["open"] == 1 and facts["invoices"]["open_amount"] == "129.90"
    assert facts["invoices"]["overdue"] == 1
    assert facts["open_requests"] == {
        "overdue": 1, "due_within_7_days": 1, "due_later": 1, "next_due_on": "2026-11-20",
    }  # fmt: skip
    assert facts["last_retention_run"]["counts"] == {"anonymised": 3}
    table = cli.ok("status", "-f", "table", user="auditor").stdout
    assert "customers restricted" in table and "129.90 EUR" in table


def test_status_as_of(cli: Cli) -> None:
    invoiced(cli, due="2026-11-21")
    facts = json.loads(cli.ok("status", "--as-of", "2026-11-21", "-f", "json").stdout)
    assert facts["invoices"]["overdue"] == 0
    assert facts["last_retention_run"] is None


def test_status_bad_date(cli: Cli) -> None:
    add_aino(cli)
    before = dump(cli)
    assert_one_line_error(cli.run("status", "--as-of", "someday"), 2, "as_of: ")
    assert dump(cli) == before


def test_status_csv_is_one_row_with_the_same_columns_every_day(cli: Cli) -> None:
    import csv
    import io

    empty = list(csv.DictReader(io.StringIO(cli.ok("status", "-f", "csv", user="bot").stdout)))
    invoiced(cli, due="2026-11-21")
    with cli.connect() as conn:
        conn.execute("UPDATE customers SET state = 'restricted'")
    [row] = list(csv.DictReader(io.StringIO(cli.ok("status", "-f", "csv", user="bot").stdout)))
    assert list(row) == list(empty[0])
    assert row["customers_restricted"] == "1" and row["customers_active"] == "0"
    assert row["invoices_overdue"] == "1" and row["invoices_open_amount"] == "129.90"
    assert row["open_requests_overdue"] == "0" and row["last_retention_run"] == ""


def recount(db: Path, as_of: str) -> dict[str, object]:
    """The facts of `status`, counted row by row the slow way."""
    with sqlite3.connect(db) as conn:
        by_state = dict(conn.execute("SELECT state, count(*) FROM customers GROUP BY state"))
        year = as_of[:4]
        invoices = conn.execute(
            """SELECT count(*) FILTER (WHERE state = 'open'),
                      count(*) FILTER (WHERE state = 'open' AND due_on < ?),
                      count(*) FILTER (WHERE state = 'in-collection'),
                      total(amount_cents) FILTER (WHERE state = 'open')
               FROM invoices""",
            (as_of,),
        ).fetchone()
        return {
            "customers": sum(by_state.values()),
            "customers_by_state": by_state,
            "organisations": conn.execute("SELECT count(*) FROM organisations").fetchone()[0],
            "orders_this_year": conn.execute(
                "SELECT count(*) FROM orders WHERE substr(order_date, 1, 4) = ?", (year,)
            ).fetchone()[0],
            "invoices": invoices[:3],
            "open_cents": int(invoices[3]),
        }


def test_status_matches_a_recount_after_a_demo_year_erasure_and_retention(
    cli: Cli, demo: Path
) -> None:
    """status reads counts kept by triggers; every way the register changes keeps them exact."""

    def on_demo(*args: str) -> str:
        result = cli.run("--db", str(demo), *args, user=None)
        assert result.exit_code == 0, result.output
        return result.stdout

    on_demo("erase", "3", "--yes")
    on_demo("anonymise", "4", "--yes")
    on_demo("retention", "run", "--as-of", "2026-11-25", "--yes")
    facts = json.loads(on_demo("status", "--format", "json"))
    expected = recount(demo, facts["as_of"])
    invoices = facts["invoices"]
    assert {key: facts[key] for key in ("customers", "customers_by_state", "organisations",
                                        "orders_this_year")} == {
        key: expected[key] for key in ("customers", "customers_by_state", "organisations",
                                       "orders_this_year")
    }  # fmt: skip
    assert (invoices["open"], invoices["overdue"], invoices["in_collection"]) == expected[
        "invoices"
    ]
    assert len(facts["customers_by_state"]) > 1 and facts["customers"] > 100
