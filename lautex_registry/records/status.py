"""`lautex status`: the register at a glance (counts only, no personal data)."""

import json
from datetime import date, timedelta
from typing import Any

from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.platform.validation import format_money
from lautex_registry.records.customer_state import STATES

DUE_SOON_DAYS = 7


def _counts(conn: sqlite3.Connection) -> dict[str, tuple[int, int]]:
    """The counts the register keeps as it changes (name -> rows, cents)."""
    return {row[0]: (row[1], row[2]) for row in conn.execute("SELECT * FROM register_counts")}


def _invoices(
    conn: sqlite3.Connection, counts: dict[str, tuple[int, int]], as_of: date
) -> dict[str, Any]:
    open_count, open_cents = counts.get("invoices:open", (0, 0))
    collection_count, collection_cents = counts.get("invoices:in-collection", (0, 0))
    # Overdue depends on the day asked about: a range of the partial index of open invoices.
    overdue = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(amount_cents), 0) FROM invoices "
        "INDEXED BY invoices_open_due WHERE state = 'open' AND due_on < ?",
        (as_of.isoformat(),),
    ).fetchone()
    return {
        "open": open_count,
        "open_amount": format_money(open_cents),
        "overdue": overdue[0],
        "overdue_amount": format_money(overdue[1]),
        "in_collection": collection_count,
        "in_collection_amount": format_money(collection_cents),
    }


def _requests(conn: sqlite3.Connection, as_of: date) -> dict[str, Any]:
    """Open data subject requests by due date (GDPR Art. 12(3): one month, maybe extended)."""
    today_text = as_of.isoformat()
    soon = (as_of + timedelta(days=DUE_SOON_DAYS)).isoformat()
    row = conn.execute(
        """SELECT
             COUNT(*) FILTER (WHERE due_on < ?),
             COUNT(*) FILTER (WHERE due_on >= ? AND due_on <= ?),
             COUNT(*) FILTER (WHERE due_on > ?),
             MIN(due_on)
           FROM requests WHERE state = 'open'""",
        (today_text, today_text, soon, soon),
    ).fetchone()
    return {
        "overdue": row[0],
        f"due_within_{DUE_SOON_DAYS}_days": row[1],
        "due_later": row[2],
        "next_due_on": row[3],
    }


def _last_retention_run(conn: sqlite3.Connection) -> dict[str, Any] | None:
    row = conn.execute(
        """SELECT started_at, finished_at, as_of, dry_run, state, counts_json
           FROM retention_runs ORDER BY id DESC LIMIT 1"""
    ).fetchone()
    if row is None:
        return None
    return {
        "started_at": row["started_at"],
        "finished_at": row["finished_at"],
        "as_of": row["as_of"],
        "dry_run": bool(row["dry_run"]),
        "state": row["state"],
        "counts": json.loads(row["counts_json"] or "{}"),
    }


def register_status(conn: sqlite3.Connection, as_of: date) -> dict[str, Any]:
    """Customers by state, organisations, orders this year, claims, requests, retention."""
    counts = _counts(conn)
    by_state = {
        name.removeprefix("customers:"): n
        for name, (n, _cents) in sorted(counts.items())
        if name.startswith("customers:") and n
    }
    # Only the states customers move into are kept; the rest are active (see the migration).
    total = conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0]
    active = total - sum(by_state.values())
    by_state = {"active": active, **by_state} if active else by_state
    return {
        "as_of": as_of.isoformat(),
        "customers": total,
        "customers_by_state": by_state,
        "organisations": counts.get("organisations", (0, 0))[0],
        "orders_this_year": counts.get(f"orders:{as_of.year:04d}", (0, 0))[0],
        "invoices": _invoices(conn, counts, as_of),
        "open_requests": _requests(conn, as_of),
        "last_retention_run": _last_retention_run(conn),
    }


def status_row(status: dict[str, Any]) -> dict[str, Any]:
    """The same facts as one flat row with the same columns every day (`--format csv`)."""
    row: dict[str, Any] = {"as_of": status["as_of"], "customers": status["customers"]}
    for state in STATES:
        row[f"customers_{state.replace('-', '_')}"] = status["customers_by_state"].get(state, 0)
    row["organisations"] = status["organisations"]
    row["orders_this_year"] = status["orders_this_year"]
    row.update({f"invoices_{key}": value for key, value in status["invoices"].items()})
    row.update({f"open_requests_{key}": value for key, value in status["open_requests"].items()})
    run = status["last_retention_run"] or {}
    row["last_retention_run"] = run.get("started_at")
    row["last_retention_run_state"] = run.get("state")
    return row


def status_lines(status: dict[str, Any]) -> dict[str, Any]:
    """The same facts flattened to `label: value` pairs for a table."""
    flat: dict[str, Any] = {"as of": status["as_of"], "customers": status["customers"]}
    for state, count in sorted(status["customers_by_state"].items()):
        flat[f"customers {state}"] = count
    flat["organisations"] = status["organisations"]
    flat["orders this year"] = status["orders_this_year"]
    invoices = status["invoices"]
    flat["invoices open"] = f"{invoices['open']} ({invoices['open_amount']} EUR)"
    flat["invoices overdue"] = f"{invoices['overdue']} ({invoices['overdue_amount']} EUR)"
    flat["invoices in collection"] = (
        f"{invoices['in_collection']} ({invoices['in_collection_amount']} EUR)"
    )
    for key, value in status["open_requests"].items():
        flat[f"open requests {key.replace('_', ' ')}"] = value
    run = status["last_retention_run"]
    flat["last retention run"] = (
        "never"
        if run is None
        else f"{run['started_at']} ({run['state']}{', dry run' if run['dry_run'] else ''})"
    )
    return flat
