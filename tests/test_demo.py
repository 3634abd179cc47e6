"""lautex demo: a realistic register that a clerk can use straight away."""

import json
import shutil
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from stdnum.fi import ytunnus
from typer.testing import Result

from lautex_registry.platform.sqlite import sqlite3
from tests.conftest import TODAY, Cli, DemoTemplate
from tests.helpers import assert_one_line_error


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


def test_demo_refuses_to_overwrite_without_force(cli: Cli, demo: Path) -> None:
    target = demo  # a demo register lautex built
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


def test_the_billing_partner_received_the_data_of_a_billed_customer(cli: Cli, demo: Path) -> None:
    """The access export of the demo's disclosed customer shows orders, invoices and it."""
    target = demo
    with sqlite3.connect(target) as conn:
        [customer_id] = conn.execute(
            "SELECT customer_id FROM disclosures WHERE purpose = 'billing'"
        ).fetchone()
    result = cli.run("--db", str(target), "export", str(customer_id), user=None)
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)["counts"]
    assert counts["orders"] >= 1 and counts["invoices"] >= 1 and counts["disclosures"] >= 1


# --- a register to explore every feature on ------------------------------------------------

THREE_YEARS_AGO = (date.fromisoformat(TODAY) - timedelta(days=3 * 365)).isoformat()


def on(cli: Cli, target: Path) -> Callable[..., Result]:
    """A runner for commands on the demo at `target` as its admin (logged in by `demo`)."""

    def on_demo(*args: str, input: str | None = None) -> Result:
        return cli.run("--db", str(target), *args, user=None, input=input)

    return on_demo


def test_demo_status_shows_open_overdue_and_soon_due_requests(cli: Cli, demo: Path) -> None:
    on_demo = on(cli, demo)
    facts = json.loads(on_demo("status", "--format", "json").stdout)
    requests = facts["open_requests"]
    assert requests["overdue"] == 1 and requests["due_within_7_days"] == 1
    assert requests["due_later"] >= 5
    assert facts["customers_by_state"] == {"active": 199, "restricted": 1}
    assert facts["invoices"]["overdue"] >= 1 and facts["invoices"]["in_collection"] >= 1
    overdue = on_demo("request", "list", "--overdue", "--format", "json")
    assert overdue.exit_code == 0, overdue.output
    [row] = json.loads(overdue.stdout)
    assert row["status"] == "overdue" and row["kind"] == "access" and row["days_left"] < 0
    assert on_demo("request", "list", "--overdue", "--fail-if-any").exit_code == 4
    kinds = {r["kind"] for r in json.loads(on_demo("request", "list", "-f", "json").stdout)}
    assert {"access", "rectification", "erasure", "objection"} <= kinds


def test_demo_last_activity_comes_from_the_orders(cli: Cli, demo: Path) -> None:
    target = demo
    with sqlite3.connect(target) as conn:
        rows = conn.execute(
            """SELECT c.last_activity, substr(c.created_at, 1, 10), MAX(o.order_date)
               FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.id"""
        ).fetchall()
    for last_activity, created, last_order in rows:
        assert last_activity == max(created, last_order or created)
    inactive = [r for r in rows if r[0] < THREE_YEARS_AGO]
    assert 20 <= len(inactive) <= 50
    assert len({r[0] for r in rows}) > 150  # not everybody's last activity is today


def test_demo_retention_dry_run_finds_due_and_held_customers(cli: Cli, demo: Path) -> None:
    target = demo
    on_demo = on(cli, target)
    before = sqlite3.connect(target).execute("SELECT COUNT(*) FROM audit_log").fetchone()[0]
    shown = {r["policy"]: r for r in json.loads(on_demo("retention", "show", "-f", "json").stdout)}
    inactive = shown["inactive-customers"]
    assert inactive["due"] >= 20 and inactive["holding"] >= 3
    result = on_demo("retention", "run", "--dry-run", "--format", "json")
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)["counts"]
    assert counts["inactive-customers"] == inactive["due"]
    assert counts["vouchers"] >= 1 and counts["closed-requests"] == 1 and counts["documents"] == 1
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT COUNT(*) FROM retention_runs").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0] == before
        # Held: inactive people with an open invoice or a claim in collection kept alive by
        # a recent reminder, and one whose erasure request is open.
        held = dict(
            conn.execute(
                """SELECT i.state, COUNT(DISTINCT c.id) FROM customers c
                   JOIN invoices i ON i.customer_id = c.id
                   WHERE c.last_activity < ? AND i.state IN ('open', 'in-collection')
                     AND i.last_reminder_on > ? GROUP BY i.state""",
                (THREE_YEARS_AGO, THREE_YEARS_AGO),
            ).fetchall()
        )
        assert held.get("open", 0) >= 1 and held.get("in-collection", 0) >= 1
    run = on_demo("retention", "run", "--yes", "--format", "json")
    assert run.exit_code == 0, run.output
    facts = json.loads(on_demo("status", "-f", "json").stdout)
    assert facts["customers_by_state"]["anonymised"] == inactive["due"]
    assert facts["customers_by_state"]["active"] == 199 - inactive["due"]


def test_demo_marketing_list_leaves_out_objectors_and_banned(cli: Cli, demo: Path) -> None:
    target = demo
    on_demo = on(cli, target)
    result = on_demo("marketing", "list", "--purpose", "direct-advertising", "--channel", "email",
                     "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    listed = {row["id"] for row in json.loads(result.stdout)}
    with sqlite3.connect(target) as conn:
        in_force = "SELECT customer_id FROM objections WHERE withdrawn_on IS NULL AND purpose = ?"
        objectors = {r[0] for r in conn.execute(in_force, ("direct-advertising",))}
        banned = {r[0] for r in conn.execute(in_force, ("publication",))}
        consenting = {
            r[0] for r in conn.execute("SELECT customer_id FROM consents WHERE status = 'given'")
        }
        prohibited = conn.execute(
            "SELECT COUNT(*) FROM organisations WHERE marketing_prohibited_on IS NOT NULL"
        ).fetchone()[0]
    assert len(objectors & consenting) >= 2 and len(banned & consenting) >= 2
    assert listed and not listed & (objectors | banned)
    for reason in ("restricted", "objection", "publication-ban", "organisation-prohibited",
                   "consent-withdrawn", "no-consent"):  # fmt: skip
        assert f"{reason} " in result.stderr, result.stderr
    assert prohibited == 1
    labels = on_demo("labels", "--format", "csv")
    assert labels.exit_code == 0, labels.output
    assert "objection" in labels.stderr and "publication-ban" in labels.stderr


VOLATILE = ("_at", "hash", "sha256")  # times of day, password and chain hashes
SECRET_TABLES = ("meta", "sessions", "users", "audit_log", "_sqlite_migrations")
# customer_search and its shadow tables: the search index, derived from customers.


def demo_content(path: Path) -> dict[str, list[tuple[object, ...]]]:
    content: dict[str, list[tuple[object, ...]]] = {}
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            if table in SECRET_TABLES or table.startswith(("sqlite_", "customer_search")):
                continue
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info('{table}')")]
            kept = [c for c in columns if not c.endswith(VOLATILE)]
            query = f"SELECT {', '.join(kept)} FROM '{table}' ORDER BY rowid"
            content[table] = conn.execute(query).fetchall()
        audit_rows = "SELECT action, entity, entity_id, details_json FROM audit_log ORDER BY id"
        content["audit_log"] = conn.execute(audit_rows).fetchall()
    return content


def test_the_demo_is_the_same_twice(cli: Cli, demo_template: DemoTemplate, tmp_path: Path) -> None:
    """A build here and the one the tests share, made earlier in its own folder."""
    cli.ok("demo", "--db", str(tmp_path / "two.db"), user=None)
    one, two = demo_content(demo_template.path), demo_content(tmp_path / "two.db")
    assert one == two
    assert len(one["customers"]) == 200 and one["objections"] and one["requests"]


def test_demo_numbers_stay_out_of_the_readme_examples(cli: Cli, demo: Path) -> None:
    target = demo
    with sqlite3.connect(target) as conn:
        orders = {r[0] for r in conn.execute("SELECT number FROM orders")}
        invoice_numbers = {r[0] for r in conn.execute("SELECT number FROM invoices")}
        names = {r[0] for r in conn.execute("SELECT name FROM organisations")}
        business_ids = {r[0] for r in conn.execute("SELECT business_id FROM organisations")}
        emails = {r[0] for r in conn.execute("SELECT email FROM customers")}
    assert not {"T-1001", "R-77", "T-9"} & orders
    assert "2026-0457" not in invoice_numbers and "Puutalo Oy" not in names
    assert "1572860-0" not in business_ids
    assert not {"aino@example.fi", "ville@example.org"} & emails


# The README's examples (register, requests, marketing, erasure and retention sections)
# that name ids the demo provides: customers 42 and 43, requests 7 to 10.
README_EXAMPLES = (
    'org add "Puutalo Oy" --business-id 1572860-0',
    'customer add --first-name Aino --last-name Äijälä --phone "040 123 4567" '
    '--email aino@example.fi --org "Puutalo Oy" --street "Kuusitie 3 B 12" '
    "--postal-code 00100 --city Helsinki --source web-store",
    "customer show 42 --format json",
    'customer edit 42 --phone "+358 50 765 4321" --clear org',
    'customer edit 42 --notes "Prefers calls after 16"',
    "order add 42 --number T-1001 --date 2026-11-20 --channel web-store "
    '--line "Koivulauta 2 m;10;12.50" --line "Ruuvit 100 kpl;1;4.90"',
    "order show T-1001 --format json",
    "invoice add T-1001 --number 2026-0457 --issued 2026-11-20 --due 2026-12-04",
    "invoice pay 2026-0457 --date 2026-11-24",
    "request add 42 --kind access --channel letter --received 2026-01-31 --language fi",
    'request add --requester "Ville Vieras <ville@example.org>" --kind access --channel email',
    'request extend 7 --reason "order history must be fetched from the archive"',
    'request verify 7 --method "driving licence shown at the counter"',
    "request show 7 --format json",
    "export 42 --request 7 --format html --output aino-2026-11.html",
    "request close 7 --outcome completed",
    'request close 8 --outcome refused --reason "invoice 2026-0457 is in collection"',
    'request close 9 --outcome refused --reason "repeats request 8" '
    '--manifestly-unfounded "the fifth identical request this week"',
    "request close 10 --outcome completed --fee 15 "
    '--done-outside "a further paper copy was posted"',
    "export 42 --request 7 --format html --lang fi --output aino-2026-11-fi.html",
    "request letter 7 --lang en --format html --output reply-7.html",
    "export 42 --portability --format csv --output aino.csv",
    "object 42 --purpose market-research --purpose opinion-research --received 20.11.2026 "
    "--channel phone",
    "object 42 --purpose market-research --withdraw --received 2026-11-24 --channel letter",
    "publication-ban 42 --received 2026-11-20 --channel counter",
    'consent 42 --email-marketing given --date 2026-11-20 --source "web store checkbox"',
    'org prohibit-marketing "Puutalo Oy" --received 2026-11-20',
    "marketing list --purpose direct-advertising --channel email --existing-customers",
    "labels --format pdf --output labels.pdf",
    "erase 42 --dry-run",
    "anonymise 43 --yes",
    "retention show --as-of 2031-01-01",
    "retention run --dry-run --format json",
)


def test_readme_examples_run_on_the_demo(
    cli: Cli, demo: Path, demo_template: DemoTemplate, tmp_path: Path
) -> None:
    import shlex

    on_demo = on(cli, demo)
    for example in README_EXAMPLES:
        result = on_demo(*shlex.split(example))
        assert result.exit_code == 0, f"lautex {example}\n{result.output}"
    # Customer 42's erasure requests are open on a fresh demo (the erasure section).
    shutil.copy2(demo_template.path, tmp_path / "fresh.db")
    fresh = on(cli, tmp_path / "fresh.db")
    result = fresh("restrict", "42", "--reason", "the customer contests the address",
                   "--request", "8")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert fresh("erase", "42", "--request", "8", "--dry-run").exit_code == 0


def test_demo_force_removes_the_old_registers_journal(cli: Cli, demo: Path) -> None:
    target = demo
    on_demo = on(cli, target)
    assert on_demo("retention", "run", "--yes", "--format", "json").exit_code == 0
    journal = demo.parent / "demo.db.erasure-journal"
    assert journal.exists()
    assert cli.run("demo", "--db", str(target), "--force", user=None).exit_code == 0
    assert not journal.exists()  # a new register: the old one's erasures are not its own


def test_demo_force_replaces_only_a_demo_register(cli: Cli, demo: Path, tmp_path: Path) -> None:
    cli.ok("customer", "add", "--first-name", "Aino", "--last-name", "Ö", "--source", "partner")
    notes = tmp_path / "notes.db"
    notes.write_text("not a register, but somebody's notes\n", encoding="utf-8")
    plain = tmp_path / "other-app.db"
    with sqlite3.connect(plain) as conn:
        conn.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    conn.close()
    for target in (cli.db, notes, plain):
        before = sorted(p.name for p in target.parent.iterdir())
        content = target.read_bytes()
        result = cli.run("demo", "--db", str(target), "--force", user=None)
        assert_one_line_error(result, 4, f"error: db: {target} is not a demo register")
        assert target.read_bytes() == content
        assert sorted(p.name for p in target.parent.iterdir()) == before  # no -wal, no -shm
    folder = tmp_path / "a-folder"
    folder.mkdir()
    result = cli.run("demo", "--db", str(folder), "--force", user=None)
    assert_one_line_error(result, 4, "is a folder, not a demo register")
    # A demo lautex built is replaced, also after a clerk has used it.
    on_demo = on(cli, demo)
    assert on_demo("customer", "add", "--first-name", "B", "--last-name", "C",
                   "--source", "partner").exit_code == 0  # fmt: skip
    assert cli.run("demo", "--db", str(demo), "--force", user=None).exit_code == 0
    with sqlite3.connect(demo) as conn:
        assert conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 200
    conn.close()
