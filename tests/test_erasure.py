"""Erasure and anonymisation through the CLI: the plan, the holds, and bytes really gone."""

import json
import os
from pathlib import Path

import pytest

from lautex_registry.platform.sqlite import sqlite3
from tests.conftest import Cli
from tests.helpers import (
    EMAIL,
    STREET,
    SURNAME,
    add_invoice,
    add_order_on,
    add_quinta,
    assert_no_trace_in_files,
    assert_no_trace_in_tables,
    erasure_request,
    every_table,
)


@pytest.mark.usefixtures("real_clock_in_2032")
def test_a_customer_with_nothing_open_is_erased_and_no_byte_of_them_remains(cli: Cli) -> None:
    customer = add_quinta(cli)
    add_order_on(cli, customer, "T-1")
    cli.ok("consent", str(customer), "--email-marketing", "given", "--date", "2026-11-20",
           "--source", "web store checkbox", user="clerk")  # fmt: skip
    cli.ok("object", str(customer), "--purpose", "market-research", "--received", "2026-11-21",
           "--channel", "email", user="clerk")  # fmt: skip
    request = erasure_request(cli, customer)
    with cli.connect() as conn:
        audit_before = conn.execute("SELECT * FROM audit_log ORDER BY id").fetchall()

    result = cli.ok("erase", str(customer), "--request", str(request), "--yes", user="clerk")

    assert "erased completely" in result.stderr
    assert f"request {request} closed: completed" in result.stderr
    with cli.connect() as conn:
        assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 0
        order = conn.execute("SELECT customer_id FROM orders WHERE number = 'T-1'").fetchone()
        assert order["customer_id"] is None  # kept for statistics, no link to a person
        assert conn.execute("SELECT count(*) FROM order_lines").fetchone()[0] == 1
        closed = conn.execute("SELECT * FROM requests WHERE id = ?", (request,)).fetchone()
        assert (closed["state"], closed["outcome"], closed["note"]) == ("closed", "completed", None)
        # GDPR Art. 21(3): the objection outlives the person as a keyed HMAC.
        assert conn.execute("SELECT count(*) FROM suppression").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM consents").fetchone()[0] == 0
        # The audit trail is never touched, only appended to.
        audit_after = conn.execute("SELECT * FROM audit_log ORDER BY id").fetchall()
        assert [tuple(r) for r in audit_after[: len(audit_before)]] == [
            tuple(r) for r in audit_before
        ]
        # GDPR Art. 12(3), 17(3)(b): the reply still has to reach the person, so the request
        # keeps their name and (it came by email) email address, and nothing else does.
        kept = (closed["requester_name"], closed["requester_email"], closed["requester_address"])
        assert kept == (f"Quinta {SURNAME}", EMAIL, None)
        conn.execute(
            "UPDATE requests SET requester_name = NULL, requester_email = NULL WHERE id = ?",
            (request,),
        )
        assert_no_trace_in_tables(cli, conn)
        conn.rollback()
    # The kept contact goes with the request: the retention job purges it after its period.
    cli.ok("retention", "run", "--yes", "--as-of", "2030-01-01", user="bot")
    assert_no_trace_in_tables(cli)
    assert_no_trace_in_files(cli.db, Path(f"{cli.db}-wal"))
    backup = cli.db.parent / "after.bak"
    cli.ok("backup", str(backup))
    assert_no_trace_in_files(backup, cli.db, Path(f"{cli.db}-wal"))


def test_the_plan_names_what_goes_and_dry_run_changes_nothing(cli: Cli) -> None:
    customer = add_quinta(cli)
    add_order_on(cli, customer, "T-1")
    add_invoice(cli, "T-1", "2026-0001", "2026-11-20", "2026-12-04")
    cli.ok("consent", str(customer), "--email-marketing", "given", "--date", "2026-11-20",
           "--source", "web store checkbox", user="clerk")  # fmt: skip
    with cli.connect() as conn:
        before = every_table(conn)

    for command in ("erase", "anonymise"):
        result = cli.ok(command, str(customer), "--dry-run", "--format", "json", user="clerk")
        plan = json.loads(result.stdout)
        goes = {(line["data"], line["table"]) for line in plan["goes_now"]}
        assert {("email", "customers"), ("phone", "customers"), ("consents", "consents")} <= goes
        assert {hold["rule"] for hold in plan["stays"]} == {"open-invoice", "voucher"}
        assert "dry run: nothing was changed" in result.stderr

    with cli.connect() as conn:
        assert every_table(conn) == before
    assert not Path(f"{cli.db}.erasure-journal").exists()


def test_an_open_invoice_keeps_its_billing_data_and_the_refusal_is_recorded(cli: Cli) -> None:
    customer = add_quinta(cli)
    add_order_on(cli, customer, "T-1")
    add_invoice(cli, "T-1", "2026-0001", "2026-11-20", "2026-12-04")
    request = erasure_request(cli, customer)

    result = cli.ok(
        "erase", str(customer), "--request", str(request), "--yes", "--format", "json",
        user="clerk",
    )  # fmt: skip

    plan = json.loads(result.stdout)
    assert plan["outcome"] == "anonymised-with-holds"
    open_hold = next(h for h in plan["stays"] if h["rule"] == "open-invoice")
    assert open_hold["until"] == "until paid, at most 2029-12-04"
    assert open_hold["invoice"] == "2026-0001"
    assert "billing_name" in open_hold["keeps"]
    voucher = next(h for h in plan["stays"] if h["rule"] == "voucher")
    assert voucher["ends_on"] == "2032-12-31"
    with cli.connect() as conn:
        row = conn.execute("SELECT * FROM customers WHERE id = ?", (customer,)).fetchone()
        assert row["state"] == "anonymised-with-holds"
        assert row["anonymised_on"] == "2026-11-25"
        assert (row["email"], row["phone"], row["last_name"], row["street"]) == (None,) * 4
        invoice = conn.execute("SELECT * FROM invoices WHERE number = '2026-0001'").fetchone()
        assert invoice["billing_name"] == f"Quinta {SURNAME}"
        assert invoice["billing_street"] == STREET
        closed = conn.execute("SELECT * FROM requests WHERE id = ?", (request,)).fetchone()
        assert (closed["state"], closed["outcome"]) == ("closed", "partially-refused")
        assert "2026-0001" in closed["reasons"]
        assert "2029-12-04" in closed["reasons"]
        assert "Limitation of Debts Act 728/2003" in closed["reasons"]
        assert EMAIL not in closed["reasons"]
    assert f"request {request} closed: partially-refused" in result.stderr


def test_a_claim_in_collection_shows_its_lapse_date(cli: Cli) -> None:
    customer = add_quinta(cli)
    add_order_on(cli, customer, "T-1", "2026-01-10")
    add_invoice(cli, "T-1", "2026-0001", "2026-01-10", "2026-01-24")
    cli.ok("invoice", "remind", "2026-0001", "--date", "2026-02-15", user="clerk")
    cli.ok("recipient", "add", "Perintä Oy", "--kind", "third-party", "--purpose", "collection",
           "--country", "FI")  # fmt: skip
    cli.ok("invoice", "collect", "2026-0001", "--agency", "Perintä Oy", "--date", "2026-04-01",
           user="clerk")  # fmt: skip

    result = cli.ok("erase", str(customer), "--dry-run", user="clerk")

    # Limitation of Debts Act 728/2003: 3 years from the last reminder.
    assert "2029-02-15" in result.stdout
    shown = json.loads(cli.ok("erase", str(customer), "--dry-run", "-f", "json").stdout)
    claim = next(h for h in shown["stays"] if h["rule"] == "claim-in-collection")
    assert (claim["ends_on"], claim["until_paid"]) == ("2029-02-15", False)


def test_erasure_tells_every_recipient_the_data_was_disclosed_to(cli: Cli) -> None:
    customer = add_quinta(cli)
    cli.ok("recipient", "add", "Laskutuspalvelu Oy", "--kind", "processor", "--purpose",
           "billing", "--country", "FI")  # fmt: skip
    cli.ok("disclose", str(customer), "--to", "Laskutuspalvelu Oy", "--purpose", "billing",
           "--fields", "name,address,email", user="clerk")  # fmt: skip

    cli.ok("erase", str(customer), "--yes", user="clerk")

    with cli.connect() as conn:
        notices = conn.execute("SELECT * FROM notices").fetchall()
        assert [(n["kind"], n["addressee_kind"], n["sent_on"]) for n in notices] == [
            ("erasure", "recipient", None)
        ]
        disclosure = conn.execute("SELECT customer_id FROM disclosures").fetchone()
        assert disclosure["customer_id"] is None
    assert_no_trace_in_tables(cli)


def test_anonymise_keeps_statistics_and_a_dated_marker(cli: Cli) -> None:
    customer = add_quinta(cli)
    add_order_on(cli, customer, "T-1")
    add_order_on(cli, customer, "T-2")

    result = cli.ok("anonymise", str(customer), "--yes", user="clerk")

    assert "anonymised" in result.stderr
    with cli.connect() as conn:
        row = conn.execute("SELECT * FROM customers WHERE id = ?", (customer,)).fetchone()
        assert (row["state"], row["anonymised_on"], row["source"]) == (
            "anonymised",
            "2026-11-25",
            "web-store",
        )
        for column in ("first_name", "last_name", "email", "phone", "street", "search_text"):
            assert row[column] is None
        linked = conn.execute("SELECT count(*) FROM orders WHERE customer_id = ?", (customer,))
        assert linked.fetchone()[0] == 2
    assert_no_trace_in_tables(cli)
    again = cli.run("anonymise", str(customer), "--yes", user="clerk")
    assert again.exit_code == 6
    assert again.stderr.strip() == f"error: customer {customer} is already anonymised"


def test_the_journal_holds_ids_and_dates_only_and_is_private(cli: Cli) -> None:
    customer = add_quinta(cli)
    cli.ok("erase", str(customer), "--yes", user="clerk")

    path = Path(f"{cli.db}.erasure-journal")
    assert path.stat().st_mode & 0o777 == 0o600
    text = path.read_text()
    assert EMAIL not in text and SURNAME not in text
    entry = json.loads(text.splitlines()[0])
    assert entry["customer_id"] == customer
    assert entry["action"] == "erase"
    assert set(entry) == {
        "action", "customer_id", "customer_created_at", "on", "at", "register_id", "rule",
    }  # fmt: skip


def test_bad_input_leaves_the_register_unchanged(cli: Cli) -> None:
    customer = add_quinta(cli)
    access = cli.ok("request", "add", str(customer), "--kind", "access", "--channel", "email",
                    user="clerk").stdout.strip()  # fmt: skip
    with cli.connect() as conn:
        before = every_table(conn)

    cases = [
        (("erase", str(customer), "--request", access, "--yes"), 2, "not an erasure"),
        (("erase", "999", "--yes"), 3, "no customer with id 999"),
        (("erase", str(customer)), 2, "add --yes"),
    ]
    for args, code, message in cases:
        result = cli.run(*args, user="clerk")
        assert result.exit_code == code, result.output
        assert result.stderr.count("\n") == 1 and message in result.stderr
    denied = cli.run("erase", str(customer), "--yes", user="auditor")
    assert denied.exit_code == 5
    with cli.connect() as conn:
        assert every_table(conn) == before
    assert not os.path.exists(f"{cli.db}.erasure-journal")


# --- every personal column of personal_data.PERSONAL_TABLES, whichever way the person goes ---


def fill_every_personal_column(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> int:
    """One person, made through the commands a clerk uses, with every column that
    `personal_data` lists filled in 2019; returns the customer's id."""
    monkeypatch.setenv("LAUTEX_TODAY", "2019-05-01")
    cli.ok("org", "add", "Puutalo Oy", user="clerk")
    customer = add_quinta(
        cli, "--org", "Puutalo Oy", "--source", "reseller", "--source-detail", f"Kauppa {SURNAME}"
    )
    add_order_on(cli, customer, "T-1", "2019-05-01")
    add_invoice(cli, "T-1", "2019-0001", "2019-05-01", "2019-05-15")
    cli.ok("invoice", "pay", "2019-0001", "--date", "2019-05-01", user="clerk")
    cli.ok("recipient", "add", "Laskutus Oy", "--kind", "processor", "--purpose", "billing",
           "--country", "FI")  # fmt: skip
    cli.ok("disclose", str(customer), "--to", "Laskutus Oy", "--purpose", "billing", "--fields",
           "name,address", "--legal-reference", f"sopimus {SURNAME}", user="clerk")  # fmt: skip
    cli.ok("consent", str(customer), "--email-marketing", "given", "--date", "2019-05-01",
           "--source", f"lomake {SURNAME}", user="clerk")  # fmt: skip
    cli.ok("object", str(customer), "--purpose", "market-research", "--received", "2019-05-01",
           "--channel", "email", user="clerk")  # fmt: skip
    cli.ok("rectify", str(customer), "--set", "city=Espoo", "--supplement", f"Lisäys {SURNAME}",
           "--reason", "muutti", user="clerk")  # fmt: skip
    cli.ok("restrict", str(customer), "--reason", f"kiistää {SURNAME}", user="clerk")
    cli.ok("unrestrict", str(customer), "--informed-on", "2019-05-01", user="clerk")
    access = erasure_request(cli, customer)  # an erasure request, answered as refused below
    cli.ok("request", "extend", str(access), "--reason", f"arkisto {SURNAME}", user="clerk")
    cli.ok("request", "verify", str(access), "--method", f"passi {SURNAME}", user="clerk")
    cli.ok("request", "close", str(access), "--outcome", "refused", "--reason", f"ei {SURNAME}",
           "--manifestly-unfounded", f"toistuva {SURNAME}", user="clerk")  # fmt: skip
    objection = cli.ok("request", "add", str(customer), "--kind", "objection", "--channel",
                       "phone", user="clerk").stdout.strip()  # fmt: skip
    cli.ok("request", "close", objection, "--outcome", "completed", "--done-outside",
           f"told {SURNAME} on the phone", user="clerk")  # fmt: skip
    cli.ok("export", str(customer), "--format", "md", "--output", "export.md", user="clerk")
    with cli.connect() as conn:
        conn.execute("UPDATE customers SET notes = ? WHERE id = ?", (f"soitti {SURNAME}", customer))
        # The request by email before the person was in the register (not linked by id).
        conn.execute(
            "INSERT INTO requests (requester_name, requester_email, requester_address, kind, "
            "received_on, channel, language, due_on, created_at) VALUES (?, ?, ?, 'access', "
            "'2019-04-01', 'email', 'fi', '2019-05-01', '2019-04-01T10:00:00Z')",
            (f"Quinta {SURNAME}", EMAIL, f"{STREET}\n00100 Helsinki"),
        )
    monkeypatch.setenv("LAUTEX_TODAY", "2026-11-25")
    return customer


def personal_values(conn: sqlite3.Connection) -> dict[str, int]:
    """How many rows hold a value in each personal column (the register holds one person),
    and how many rows each full-text index finds by the person's surname and email."""
    from lautex_registry.records.personal_data import PERSONAL_INDEXES, PERSONAL_TABLES

    counts = {
        f"{entry.table}.{column}": conn.execute(
            f'SELECT count(*) FROM "{entry.table}" WHERE "{column}" IS NOT NULL'
        ).fetchone()[0]
        for entry in PERSONAL_TABLES
        for column in entry.columns
    }
    for index in PERSONAL_INDEXES:
        if index.customer_link is not None:  # a B-tree of ours: the one person's rows
            counts[index.table] = conn.execute(f'SELECT count(*) FROM "{index.table}"').fetchone()[
                0
            ]
            continue
        for word in (SURNAME.lower(), EMAIL.split("@")[0]):
            grams = " AND ".join(f'"{word[i : i + 3]}"' for i in range(len(word) - 2))
            counts[f"{index.table} {word}"] = conn.execute(
                f'SELECT count(*) FROM "{index.table}" WHERE "{index.table}" MATCH ?', (grams,)
            ).fetchone()[0]
    return counts


@pytest.mark.parametrize(
    "command",
    [
        ("erase", "--yes"),
        ("anonymise", "--yes"),
        ("retention", "run", "--yes", "--as-of", "2026-11-25"),
    ],
)
def test_every_personal_column_is_cleared_by_erasure_anonymisation_and_retention(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    customer = fill_every_personal_column(cli, monkeypatch)
    with cli.connect() as conn:
        before = personal_values(conn)
    # A column added to personal_data must be filled above, so that this test covers it.
    assert [column for column, rows in before.items() if not rows] == []

    if command[0] == "retention":
        cli.ok(*command, user="bot")
    else:
        cli.ok(command[0], str(customer), *command[1:], user="clerk")

    with cli.connect() as conn:
        assert {column: rows for column, rows in personal_values(conn).items() if rows} == {}
        row = conn.execute("SELECT state FROM customers WHERE id = ?", (customer,)).fetchone()
        assert (row and row["state"]) == (None if command[0] == "erase" else "anonymised")
    assert_no_trace_in_tables(cli)


# Text columns of the personal tables that hold codes, not personal values (dates end in
# _on or _at). A new text column must be added either here or to personal_data.
CODE_COLUMNS = {
    "customers": {"country", "source", "language", "state", "last_activity"},
    "orders": {"number", "channel", "reseller", "order_date"},
    "invoices": {"number", "state", "collection_agency"},
    "requests": {"kind", "channel", "language", "state", "outcome"},
    "documents": {"kind", "language", "format", "sha256"},
    "disclosures": {"purpose", "fields"},
    "notices": {"kind", "addressee_kind", "fields", "method"},
    "objections": {"purpose", "channel", "withdrawn_channel"},
    "consents": {"channel", "status"},
}


def test_every_table_and_text_column_of_the_schema_is_in_the_personal_data_map(cli: Cli) -> None:
    from lautex_registry.records.personal_data import (
        NON_PERSONAL_TABLES,
        PERSONAL_INDEXES,
        PERSONAL_TABLES,
    )

    mapped = {entry.table: entry for entry in PERSONAL_TABLES}
    indexed = {name for index in PERSONAL_INDEXES for name in (index.table, *index.shadow_tables)}
    with cli.connect() as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        assert sorted(set(mapped) | set(NON_PERSONAL_TABLES) | indexed) == sorted(tables)
        assert set(mapped).isdisjoint(NON_PERSONAL_TABLES)
        assert indexed.isdisjoint(set(mapped) | set(NON_PERSONAL_TABLES))
        for index in PERSONAL_INDEXES:
            table, column = index.source.split(".")
            assert column in mapped[table].columns, index.source
        unmapped = []
        for table, entry in mapped.items():
            columns = {c["name"]: c["type"] for c in conn.execute(f'PRAGMA table_info("{table}")')}
            assert set(entry.columns) <= set(columns), table
            for name, kind in columns.items():
                personal = name in entry.columns or name == entry.customer_link
                dated = name.endswith(("_on", "_at"))
                if kind == "TEXT" and not (personal or dated or name in CODE_COLUMNS[table]):
                    unmapped.append(f"{table}.{name}")
        assert unmapped == []


def test_the_access_export_shows_every_personal_column_it_holds(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GDPR Art. 15: whatever erasure clears, the person can first see."""
    from lautex_registry.records.person import DERIVED_COLUMNS
    from lautex_registry.records.personal_data import PERSONAL_TABLES

    customer = fill_every_personal_column(cli, monkeypatch)
    export = cli.ok("export", str(customer), "--format", "json", user="clerk").stdout
    text = json.dumps(json.loads(export), ensure_ascii=False)
    missing = []
    with cli.connect() as conn:
        for entry in PERSONAL_TABLES:
            # search_text and its email key are folded copies of the name, email and
            # phone the export shows.
            for column in set(entry.columns) - DERIVED_COLUMNS:
                for (value,) in conn.execute(
                    f'SELECT "{column}" FROM "{entry.table}" WHERE "{column}" IS NOT NULL'
                ):
                    if json.dumps(value, ensure_ascii=False).strip('"') not in text:
                        missing.append(f"{entry.table}.{column}")
    assert missing == []


def test_an_erasure_request_is_not_completed_while_holds_keep_billing_data(cli: Cli) -> None:
    customer = add_quinta(cli)
    add_order_on(cli, customer, "T-1")
    add_invoice(cli, "T-1", "2026-0001", "2026-11-20", "2026-12-04")
    first, second = erasure_request(cli, customer), erasure_request(cli, customer)
    cli.ok("erase", str(customer), "--request", str(first), "--yes", user="clerk")
    with cli.connect() as conn:
        before = every_table(conn)

    for extra in ((), ("--done-outside", "told them by phone")):
        result = cli.run("request", "close", str(second), "--outcome", "completed", *extra,
                         user="clerk")  # fmt: skip

        assert result.exit_code == 4, result.output
        assert f"customer {customer} is anonymised with holds" in result.stderr
        assert f"lautex erase {customer} --request {second}" in result.stderr
        assert "--outcome partially-refused" in result.stderr
        assert result.stderr.count("\n") == 1
        with cli.connect() as conn:
            assert every_table(conn) == before

    cli.ok("erase", str(customer), "--request", str(second), "--yes", user="clerk")
    letter = cli.ok("request", "letter", str(second), "-o", "-", user="clerk").stdout
    assert "have erased" not in letter and "2026-0001" in letter
