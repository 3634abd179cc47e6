"""A clerk, from a fresh install, works through the register: customers end to end."""

import json
from pathlib import Path

from tests.conftest import PASSWORD, Cli


def test_a_clerk_works_through_the_register_from_the_demo(
    cli: Cli, demo: Path, tmp_path: Path
) -> None:

    def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return cli.run("--db", str(demo), *args, user=None, input=input)

    def ok(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        result = run(*args, input=input)
        assert result.exit_code == 0, result.output
        return result

    ok("user", "add", "maija", "--full-name", "Maija Clerk", "--role", "clerk",
       "--password-stdin", input=PASSWORD + "\n")  # fmt: skip
    ok("login", "maija", "--password-stdin", input=PASSWORD + "\n")
    assert json.loads(ok("whoami", "-f", "json").stdout)["role"] == "clerk"

    # a customer with a Finnish phone number and an organisation
    ok("org", "add", "Höyläämö Lättähattu Oy", "--business-id", "0737546-2")
    customer_id = ok(
        "customer", "add", "--first-name", "Pirjo", "--last-name", "Kääriäinen-Lönnqvist",
        "--phone", "050 765 4321", "--org", "Höyläämö Lättähattu Oy", "--source",
        "customer-service",
    ).stdout.strip()  # fmt: skip

    # found by a part of the surname typed without accents
    found = json.loads(ok("customer", "search", "lonnqv", "-f", "json").stdout)
    assert [str(row["id"]) for row in found] == [customer_id]
    assert found[0]["phone"] == "+358507654321"

    # an order, an invoice, and the payment
    ok("order", "add", customer_id, "--number", "W-1", "--date", "2026-11-02", "--channel",
       "web-store", "--line", "Terassilauta;40;3.85")  # fmt: skip
    ok("invoice", "add", "W-1", "--number", "INV-1", "--issued", "2026-11-02", "--due",
       "2026-11-16")  # fmt: skip
    ok("invoice", "pay", "INV-1", "--date", "2026-11-10")
    person = json.loads(ok("customer", "show", customer_id, "-f", "json").stdout)
    assert person["orders"][0]["total"] == "154.00"
    assert (person["invoices"][0]["state"], person["invoices"][0]["amount"]) == ("paid", "154.00")

    # a CSV with one bad row: nothing written, the line reported; then --skip-invalid
    csv_file = tmp_path / "uudet.csv"
    csv_file.write_text(
        "first_name;last_name;email;phone;source\n"
        "Åke;Öström;ake@example.se;+46 70 123 45 67;partner\n"
        "Ville;Väänänen;ville@example.fi;not a phone;partner\n"
        "Sini;Sääski;sini@example.fi;044 987 6543;registration\n",
        encoding="utf-8",
    )
    before = json.loads(ok("status", "-f", "json").stdout)["customers"]
    failed = run("customer", "import", str(csv_file))
    assert failed.exit_code == 2
    assert "line 3: phone: " in failed.stderr
    assert json.loads(ok("status", "-f", "json").stdout)["customers"] == before
    imported = ok("customer", "import", str(csv_file), "--skip-invalid")
    assert "line 3: phone: " in imported.stderr and "2 customers stored" in imported.stderr
    assert json.loads(ok("status", "-f", "json").stdout)["customers"] == before + 2
    assert json.loads(ok("customer", "search", "ostrom", "-f", "json").stdout)[0]["phone"] == (
        "+46701234567"
    )
