"""lautex demo: a realistic register that a clerk can use straight away."""

import json
import sqlite3
from pathlib import Path

from stdnum.fi import ytunnus

from tests.conftest import Cli
from tests.test_customers import assert_one_line_error


def test_demo_builds_a_register_logs_in_and_status_works(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "demo.db"
    result = cli.run("demo", "--db", str(target), user=None)
    assert result.exit_code == 0, result.output
    password = result.stdout.strip()
    assert len(password) >= 12
    assert "WARNING: this is a DEMO register" in result.stderr
    conn = sqlite3.connect(target)
    names = " ".join(
        r[0] + " " + r[1] for r in conn.execute("SELECT first_name, last_name FROM customers")
    )
    assert conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 200
    assert {"ä", "ö", "å"} <= set(names.lower())
    sources = {r[0] for r in conn.execute("SELECT DISTINCT source FROM customers")}
    assert sources == {"web-store", "reseller", "registration", "customer-service",
                       "subcontractor", "partner"}  # fmt: skip
    business_ids = [r[0] for r in conn.execute("SELECT business_id FROM organisations")]
    assert all(ytunnus.is_valid(b) for b in business_ids if b) and any(business_ids)
    states = {r[0] for r in conn.execute("SELECT DISTINCT state FROM invoices")}
    assert {"open", "paid", "in-collection"} <= states
    assert conn.execute("SELECT COUNT(*) FROM orders").fetchone()[0] > 100
    conn.close()
    # The demo admin is logged in through the session file: no token needed.
    status = cli.run("--db", str(target), "status", "--format", "json", user=None)
    assert status.exit_code == 0, status.output
    assert json.loads(status.stdout)["customers"] == 200
    found = cli.run("--db", str(target), "customer", "search", "aijala", "-f", "json", user=None)
    assert found.exit_code == 0 and json.loads(found.stdout)
    login = cli.run("--db", str(target), "login", "demo", "--password-stdin", user=None,
                    input=password + "\n")  # fmt: skip
    assert login.exit_code == 0, login.output


def test_demo_refuses_to_overwrite_without_force(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "demo.db"
    assert cli.run("demo", "--db", str(target), user=None).exit_code == 0
    before = target.read_bytes()
    assert_one_line_error(cli.run("demo", "--db", str(target), user=None), 6, "--force")
    assert target.read_bytes() == before
    assert cli.run("demo", "--db", str(target), "--force", user=None).exit_code == 0


def test_demo_default_path_is_data_demo_db(cli: Cli, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    assert cli.run("demo", user=None).exit_code == 0
    assert (tmp_path / "data" / "demo.db").exists()
    # $LAUTEX_DB (the fixture's register) was not touched
    with cli.connect() as conn:
        assert conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 0


def test_the_billing_partner_received_the_data_of_a_billed_customer(
    cli: Cli, tmp_path: Path
) -> None:
    """The access export of the demo's disclosed customer shows orders, invoices and it."""
    target = tmp_path / "demo.db"
    assert cli.run("demo", "--db", str(target), user=None).exit_code == 0
    with sqlite3.connect(target) as conn:
        [customer_id] = conn.execute(
            "SELECT customer_id FROM disclosures WHERE purpose = 'billing'"
        ).fetchone()
    result = cli.run("--db", str(target), "export", str(customer_id), user=None)
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)["counts"]
    assert counts["orders"] >= 1 and counts["invoices"] >= 1 and counts["disclosures"] >= 1
