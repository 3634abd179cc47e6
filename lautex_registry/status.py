"""`lautex status`: the register at a glance (counts only, no personal data)."""

import json
import sqlite3
from datetime import date, timedelta
from typing import Any

from lautex_registry.validation import format_money

DUE_SOON_DAYS = 7


def _counts_by(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> dict[str, int]:
    return {str(row[0]): int(row[1]) for row in conn.execute(sql, params)}


def _invoices(conn: sqlite3.Connection, as_of: date) -> dict[str, Any]:
    row = conn.execute(
        """SELECT
             COUNT(*) FILTER (WHERE state = 'open'),
             COALESCE(SUM(amount_cents) FILTER (WHERE state = 'open'), 0),
             COUNT(*) FILTER (WHERE state = 'open' AND due_on < ?),
             COALESCE(SUM(amount_cents) FILTER (WHERE state = 'open' AND due_on < ?), 0),
             COUNT(*) FILTER (WHERE state = 'in-collection'),
             COALESCE(SUM(amount_cents) FILTER (WHERE state = 'in-collection'), 0)
           FROM invoices""",
        (as_of.isoformat(), as_of.isoformat()),
    ).fetchone()
    return {
        "open": row[0],
        "open_amount": format_money(row[1]),
        "overdue": row[2],
        "overdue_amount": format_money(row[3]),
        "in_collection": row[4],
        "in_collection_amount": format_money(row[5]),
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
    by_state = _counts_by(conn, "SELECT state, COUNT(*) FROM customers GROUP BY state")
    return {
        "as_of": as_of.isoformat(),
        "customers": sum(by_state.values()),
        "customers_by_state": by_state,
        "organisations": conn.execute("SELECT COUNT(*) FROM organisations").fetchone()[0],
        "orders_this_year": conn.execute(
            "SELECT COUNT(*) FROM orders WHERE order_date >= ? AND order_date <= ?",
            (date(as_of.year, 1, 1).isoformat(), date(as_of.year, 12, 31).isoformat()),
        ).fetchone()[0],
        "invoices": _invoices(conn, as_of),
        "open_requests": _requests(conn, as_of),
        "last_retention_run": _last_retention_run(conn),
    }


def status_row(status: dict[str, Any]) -> dict[str, Any]:
    """The same facts as one flat row with the same columns every day (`--format csv`)."""
    from lautex_registry.customers import STATES

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
