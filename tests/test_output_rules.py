"""The output rules (README "Conventions": output), through the CLI and real processes:
tsv outside a terminal, a pager at one, --limit and --fields on lists, -q, closed pipes."""

import csv
import fcntl
import io
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

from tests.conftest import Cli


def _import(cli: Cli, tmp_path: Path, rows: list[str]) -> None:
    data = tmp_path / "people.csv"
    header = "first_name,last_name,email,street,postal_code,city,notes,source\n"
    data.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    cli.ok("customer", "import", str(data))


def _people(n: int) -> list[str]:
    return [
        f"Aino{i},Äijälä,aino{i}@example.fi,Kuja {i},00100,Helsinki,,web-store" for i in range(n)
    ]


def _env(cli: Cli, **extra: str) -> dict[str, str]:
    env = dict(os.environ, LAUTEX_DB=str(cli.db), LAUTEX_TOKEN=cli.tokens["admin"])
    env.update(extra)
    return env


def _lautex(*args: str) -> list[str]:
    return [sys.executable, "-m", "lautex_registry", *args]


def test_a_list_into_a_pipe_is_tab_separated_with_nothing_cut(cli: Cli, tmp_path: Path) -> None:
    long_org = "Jääskeläisen Rakennus- ja Puutavaraliike Osakeyhtiö"
    cli.ok("org", "add", long_org)
    cli.ok(
        "customer",
        "add",
        "--source",
        "web-store",
        "--first-name",
        "Aino",
        "--last-name",
        "Jääskeläinen",
        "--org",
        long_org,
        "--email",
        "aino@example.fi",
        "--notes",
        "a\\b",
    )
    child = subprocess.run(
        _lautex("customer", "list"), capture_output=True, env=_env(cli), timeout=120
    )
    assert child.returncode == 0, child.stderr
    lines = child.stdout.decode().splitlines()
    assert lines[0].split("\t")[:4] == ["id", "first_name", "last_name", "organisation"]
    assert lines[1].split("\t")[3] == long_org  # whole, no box drawing, no "Jääs…"
    assert "│" not in child.stdout.decode() and "…" not in child.stdout.decode()
    # An explicit --format table is still a table, as wide as its content.
    table = subprocess.run(
        _lautex("customer", "list", "-f", "table"), capture_output=True, env=_env(cli), timeout=120
    )
    assert long_org in table.stdout.decode() and "first name" in table.stdout.decode()


def test_tsv_escapes_tabs_newlines_and_backslashes(cli: Cli) -> None:
    cli.ok(
        "customer",
        "add",
        "--source",
        "web-store",
        "--first-name",
        "Aino",
        "--last-name",
        "Äijälä",
        "--email",
        "aino@example.fi",
        "--notes",
        "kaksi\\osaa",
    )
    out = cli.ok("customer", "list", "--fields", "id,notes", "-f", "tsv").stdout
    assert out.splitlines() == ["id\tnotes", "1\tkaksi\\\\osaa"]


def test_json_streams_the_same_document_as_before(cli: Cli, tmp_path: Path) -> None:
    _import(cli, tmp_path, _people(3))
    out = cli.ok("customer", "list", "-f", "json").stdout
    rows = json.loads(out)
    assert [r["email"] for r in rows] == [f"aino{i}@example.fi" for i in range(3)]
    assert out == json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    assert cli.ok("customer", "list", "--state", "anonymised", "-f", "json").stdout == "[]\n"


def test_limit_cuts_a_list_and_says_so_on_stderr(cli: Cli, tmp_path: Path) -> None:
    _import(cli, tmp_path, _people(12))
    result = cli.ok("customer", "list", "--limit", "5", "-f", "csv")
    assert len(result.stdout.splitlines()) == 1 + 5
    assert result.stderr == "5 of 12 shown; use --limit\n"
    search = cli.ok("customer", "search", "aijala", "--limit", "3", "-f", "jsonl")
    assert len(search.stdout.splitlines()) == 3
    assert search.stderr == "3 of 12 shown; use --limit\n"
    whole = cli.ok("customer", "search", "aijala", "-f", "jsonl")
    assert len(whole.stdout.splitlines()) == 12 and whole.stderr == ""
    assert cli.ok("-q", "customer", "list", "--limit", "5", "-f", "csv").stderr == ""


def test_fields_all_is_the_whole_export_with_the_address(cli: Cli, tmp_path: Path) -> None:
    cli.ok("org", "add", "Puutalo Oy")
    cli.ok(
        "customer",
        "add",
        "--source",
        "web-store",
        "--first-name",
        "Aino",
        "--last-name",
        "Äijälä",
        "--org",
        "Puutalo Oy",
        "--street",
        "Koivukuja 3",
        "--postal-code",
        "00100",
        "--city",
        "Helsinki",
        "--email",
        "aino@example.fi",
    )
    out = cli.ok("customer", "list", "--org", "Puutalo Oy", "--fields", "all", "-f", "csv").stdout
    [row] = list(csv.DictReader(io.StringIO(out)))
    assert (row["street"], row["postal_code"], row["city"]) == ("Koivukuja 3", "00100", "Helsinki")
    assert row["organisation"] == "Puutalo Oy" and row["country"] == "FI"
    picked = cli.ok("customer", "list", "--fields", "email, postal_code", "-f", "csv").stdout
    assert picked.splitlines() == ["email,postal_code", "aino@example.fi,00100"]
    bad = cli.run("customer", "list", "--fields", "salary")
    assert bad.exit_code == 2 and bad.stderr.startswith("error: fields: no field 'salary'")
    assert "street" in cli.ok("customer", "list", "-h").stdout


def test_list_fields_in_help_are_the_fields_the_service_gives(cli: Cli, demo: Path) -> None:
    """Each list writes its field names out for `-h`; they are exactly what its service
    gives (checked on the demo register, where every list has rows)."""
    from lautex_registry.cli.commands import (
        audit,
        customer,
        invoice,
        notice,
        order,
        org,
        recipient,
        request,
        user,
    )
    from lautex_registry.platform import accounts
    from lautex_registry.platform import audit as audit_trail
    from lautex_registry.platform.db import connect
    from lautex_registry.records import customers, invoices, orders, organisations, recipients
    from lautex_registry.rights import notices, requests

    assert customer.LIST_FIELDS == customers.LIST_FIELDS
    assert customer.LIST_COLUMNS == customers.LIST_COLUMNS
    target = demo
    conn = connect(target)
    try:
        for declared, rows in (
            (customer.LIST_FIELDS, customers.list_customers(conn)),
            (org.FIELDS, organisations.list_organisations(conn)),
            (order.FIELDS, orders.list_orders(conn)),
            (invoice.FIELDS, invoices.list_invoices(conn)),
            (request.FIELDS, requests.list_requests(conn)),
            (notice.NOTICE_FIELDS, notices.list_notices(conn, pending_only=False)),
            (recipient.RECIPIENT_FIELDS, recipients.list_recipients(conn)),
            (user.FIELDS, accounts.list_users(conn)),
            (audit.FIELDS, audit_trail.list_entries(conn, username=None, action=None, since=None)),
        ):
            first = next(iter(rows))
            assert tuple(first) == declared
    finally:
        conn.close()
    # --fields all through the CLI: the billing address of an invoice is there.
    out = cli.ok("--db", str(target), "invoice", "list", "--fields", "all", "--limit", "1",
                 "-f", "jsonl", user=None).stdout  # fmt: skip
    assert set(json.loads(out)) == set(invoice.FIELDS)


def test_customer_show_json_booleans_and_csv_is_refused(cli: Cli) -> None:
    cli.ok(
        "customer",
        "add",
        "--source",
        "web-store",
        "--first-name",
        "Aino",
        "--last-name",
        "Äijälä",
        "--email",
        "aino@example.fi",
    )
    cli.ok("request", "add", "1", "--kind", "access", "--channel", "email", "--signed")
    record = json.loads(cli.ok("customer", "show", "1", "-f", "json").stdout)
    assert record["requests"][0]["signed"] is True
    assert record["requests"][0]["manifestly_unfounded"] is False
    refused = cli.run("customer", "show", "1", "-f", "csv")
    assert refused.exit_code == 2 and "--format json" in refused.stderr
    tsv = cli.ok("customer", "show", "1", "-f", "tsv").stdout
    assert "first_name\tAino" in tsv.splitlines() and "\nrequests\nid\t" in tsv


def test_quiet_silences_success_but_never_errors(cli: Cli) -> None:
    added = cli.ok(
        "-q", "customer", "add", "--source", "web-store", "--first-name", "Aino", "--last-name", "Ä"
    )
    assert added.stdout == "1\n" and added.stderr == ""
    loud = cli.ok(
        "customer", "add", "--source", "web-store", "--first-name", "Eino", "--last-name", "Ä"
    )
    assert loud.stderr == "added customer 2\n"
    failed = cli.run("-q", "customer", "show", "99")
    assert failed.exit_code == 3 and failed.stderr.startswith("error: ")


def _closed_pipe(cli: Cli, *args: str) -> subprocess.CompletedProcess[bytes]:
    reading_end, writing_end = os.pipe()
    os.close(reading_end)
    try:
        return subprocess.run(
            _lautex(*args), stdout=writing_end, stderr=subprocess.PIPE, env=_env(cli), timeout=120
        )
    finally:
        os.close(writing_end)


def test_a_closed_pipe_exits_0_for_a_list_and_141_otherwise_in_every_format(cli: Cli) -> None:
    for args, code in (
        (("status", "-f", "table"), 141),
        (("status",), 141),
        (("user", "list", "-f", "table"), 0),
        (("user", "list"), 0),
        (("--version",), 141),
    ):
        child = _closed_pipe(cli, *args)
        assert (child.returncode, child.stderr) == (code, b""), args


def _terminal(rows: int = 24, columns: int = 100) -> tuple[int, int]:
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    return leader, follower


def _run_at_terminal(cli: Cli, args: list[str], **env: str) -> str:
    leader, follower = _terminal()
    child = subprocess.Popen(
        _lautex(*args),
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=_env(cli, **env),
        close_fds=True,
    )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    assert child.wait(timeout=120) == 0, seen.decode(errors="replace")
    os.close(leader)
    return seen.decode(errors="replace")


def test_a_long_list_at_a_terminal_goes_through_the_pager(cli: Cli, tmp_path: Path) -> None:
    _import(cli, tmp_path, _people(60))
    paged = tmp_path / "paged.txt"
    screen = _run_at_terminal(
        cli,
        ["customer", "list", "--fields", "id,email"],
        LAUTEX_PAGER=f"cat > {paged}",
        PAGER="false",
    )
    text = paged.read_text(encoding="utf-8")
    assert "aino0@example.fi" in text and "aino59@example.fi" in text and "email" in text
    assert "aino59@example.fi" not in screen  # the pager had it, not the terminal
    # --no-pager: straight to the terminal, as a table.
    paged.unlink()
    direct = _run_at_terminal(
        cli,
        ["--no-pager", "customer", "list", "--fields", "id,email"],
        LAUTEX_PAGER=f"cat > {paged}",
    )
    assert "aino59@example.fi" in direct and "email" in direct and not paged.exists()
    # A list shorter than the screen is printed as it is.
    short = _run_at_terminal(
        cli,
        ["customer", "list", "--limit", "3", "--fields", "email"],
        LAUTEX_PAGER=f"cat > {paged}",
    )
    assert "aino2@example.fi" in short and not paged.exists()


def test_retention_run_json_and_jsonl_carry_the_same_fields(cli: Cli) -> None:
    as_json = json.loads(cli.ok("retention", "run", "--dry-run", "-f", "json").stdout)
    [line] = cli.ok("retention", "run", "--dry-run", "-f", "jsonl").stdout.splitlines()
    assert set(json.loads(line)) == set(as_json) and "run_id" in as_json


def test_dash_means_stdout_for_every_output(cli: Cli, tmp_path: Path) -> None:
    cli.ok(
        "customer",
        "add",
        "--source",
        "web-store",
        "--first-name",
        "Aino",
        "--last-name",
        "Äijälä",
        "--email",
        "aino@example.fi",
    )
    cli.ok("request", "add", "1", "--kind", "access", "--channel", "email")
    for args in (
        ("export", "1", "-o", "-", "-f", "json"),
        ("statement", "-o", "-"),
        ("processing-record", "-o", "-"),
        ("export", "1", "--request", "1", "-f", "html", "-o", "-"),
        ("request", "letter", "1", "--type", "access-reply", "-o", "-"),
        ("labels", "--format", "csv", "-o", "-"),
        ("backup", "-"),
    ):
        result = cli.ok(*args)
        assert result.stdout and not (tmp_path / "-").exists(), args
