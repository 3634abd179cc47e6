"""Data subject requests through the CLI: intake, deadlines, extension, identity, closing."""

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import Result

from tests.conftest import Cli
from tests.helpers import add_customer, dump


def add_aino_speaking(cli: Cli, email: str = "aino@example.fi", language: str = "fi") -> str:
    """A customer who writes in this language: her id as the commands take it."""
    return str(add_customer(cli, "--first-name", "Aino", "--last-name", "Äijälä", "--email",
                            email, "--source", "web-store", "--language", language))  # fmt: skip


def add_request(cli: Cli, *args: str) -> str:
    return cli.ok("request", "add", *args, user="clerk").stdout.strip()


def request_json(cli: Cli, request_id: str) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(
        cli.ok("request", "show", request_id, "--format", "json", user="clerk").stdout
    )
    return record


def listed(cli: Cli, *args: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(
        cli.ok("request", "list", *args, "--format", "json", user="clerk").stdout
    )
    return rows


def test_request_received_31_january_is_due_on_the_last_day_of_february(cli: Cli) -> None:
    customer = add_aino_speaking(cli)
    first = add_request(cli, customer, "--kind", "access", "--received", "2026-01-31",
                        "--channel", "letter")  # fmt: skip
    leap = add_request(cli, customer, "--kind", "access", "--received", "2024-01-31",
                       "--channel", "email")  # fmt: skip
    assert request_json(cli, first)["due_on"] == "2026-02-28"
    assert request_json(cli, leap)["due_on"] == "2024-02-29"
    march = add_request(cli, customer, "--kind", "erasure", "--received", "31.3.2026",
                        "--channel", "phone")  # fmt: skip
    assert request_json(cli, march)["due_on"] == "2026-04-30"


def test_add_prints_the_id_and_the_due_date(cli: Cli) -> None:
    customer = add_aino_speaking(cli)
    result = cli.ok("request", "add", customer, "--kind", "access", "--channel", "email",
                    user="clerk")  # fmt: skip
    assert result.stdout.strip().isdigit()
    assert "due 2026-12-25" in result.stderr  # received today (2026-11-25)
    record = request_json(cli, result.stdout.strip())
    assert record["received_on"] == "2026-11-25"
    assert record["language"] == "fi"  # the customer's language
    assert record["signed"] is False


def test_add_by_email_and_unsigned_request_is_accepted(cli: Cli) -> None:
    add_aino_speaking(cli, "bo@example.se", language="sv")
    request_id = add_request(cli, "BO@example.se", "--kind", "rectification", "--channel", "web")
    record = request_json(cli, request_id)
    assert record["kind"] == "rectification"
    assert record["language"] == "sv"
    assert record["signed"] is False
    assert record["state"] == "open"


def test_requester_not_in_the_register_is_accepted(cli: Cli) -> None:
    request_id = add_request(cli, "--requester", "Ville Vieras <ville@example.org>",
                             "--kind", "access", "--channel", "email",
                             "--language", "en")  # fmt: skip
    record = request_json(cli, request_id)
    assert record["customer_id"] is None
    assert record["in_register"] is False
    assert record["requester_name"] == "Ville Vieras"
    assert record["requester_email"] == "ville@example.org"


def test_requester_who_is_a_customer_is_sent_to_the_customer(cli: Cli) -> None:
    customer = add_aino_speaking(cli)
    before = dump(cli)
    result = cli.run("request", "add", "--requester", "Aino <AINO@example.fi>", "--kind",
                     "access", "--channel", "email", user="clerk")  # fmt: skip
    assert result.exit_code == 6
    assert f"customer {customer}" in result.stderr
    assert dump(cli) == before


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (("--kind", "gossip", "--channel", "email"), 2, "kind"),
        (("--kind", "access", "--channel", "pigeon"), 2, "channel"),
        (("--kind", "access", "--channel", "email", "--received", "2026-02-30"), 2, "received"),
        (("--kind", "access", "--channel", "email", "--received", "2026-12-01"), 2, "future"),
        (("--kind", "access", "--channel", "email", "--language", "de"), 2, "language"),
        (("--kind", "access", "--channel", "email", "--requester", "x <y@example.org>"), 2,
         "not both"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_and_changes_nothing(
    cli: Cli, args: tuple[str, ...], code: int, needle: str
) -> None:
    customer = add_aino_speaking(cli)
    before = dump(cli)
    result = cli.run("request", "add", customer, *args, user="clerk")
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0]
    assert dump(cli) == before


def test_a_request_from_nobody_asks_who_is_asking(cli: Cli) -> None:
    add_aino_speaking(cli)
    before = dump(cli)
    result = cli.run("request", "add", "--kind", "access", "--channel", "email", user="clerk")
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and "--requester" in result.stderr
    assert "not both" not in result.stderr
    assert dump(cli) == before


def test_unknown_customer_and_request_are_not_found(cli: Cli) -> None:
    result = cli.run("request", "add", "999", "--kind", "access", "--channel", "email",
                     user="clerk")  # fmt: skip
    assert result.exit_code == 3
    assert cli.run("request", "show", "999", user="clerk").exit_code == 3
    assert cli.run("request", "extend", "999", "--reason", "x", user="clerk").exit_code == 3


def test_extension_in_time_moves_the_due_date_to_three_months(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAUTEX_TODAY", "2026-02-28")
    customer = add_aino_speaking(cli)
    request_id = add_request(cli, customer, "--kind", "access", "--received", "2026-01-31",
                             "--channel", "letter")  # fmt: skip
    result = cli.ok("request", "extend", request_id, "--reason", "archive search", user="clerk")
    assert "2026-04-30" in result.stderr
    record = request_json(cli, request_id)
    assert record["due_on"] == "2026-04-30"
    assert record["first_due_on"] == "2026-02-28"
    assert record["extended_on"] == "2026-02-28"
    assert record["extension_reason"] == "archive search"
    with cli.connect() as conn:
        details = conn.execute(
            "SELECT details_json FROM audit_log WHERE action = 'request extend'"
        ).fetchone()[0]
    assert "archive" not in details  # field names only, never the reasons


def test_extension_after_the_first_month_is_refused(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAUTEX_TODAY", "2026-03-01")
    customer = add_aino_speaking(cli)
    request_id = add_request(cli, customer, "--kind", "access", "--received", "2026-01-31",
                             "--channel", "letter")  # fmt: skip
    before = dump(cli)
    result = cli.run("request", "extend", request_id, "--reason", "busy", user="clerk")
    assert result.exit_code == 4
    assert "2026-02-28" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert dump(cli) == before
    assert request_json(cli, request_id)["due_on"] == "2026-02-28"


def test_extension_without_a_reason_or_twice_is_refused(cli: Cli) -> None:
    customer = add_aino_speaking(cli)
    request_id = add_request(cli, customer, "--kind", "erasure", "--channel", "email")
    before = dump(cli)
    assert cli.run("request", "extend", request_id, user="clerk").exit_code == 4
    assert cli.run("request", "extend", request_id, "--reason", "  ", user="clerk").exit_code == 4
    assert dump(cli) == before
    cli.ok("request", "extend", request_id, "--reason", "many orders", user="clerk")
    again = cli.run("request", "extend", request_id, "--reason", "more", user="clerk")
    assert again.exit_code == 4 and "already extended" in again.stderr


def test_verify_records_the_identity_check(cli: Cli) -> None:
    customer = add_aino_speaking(cli)
    request_id = add_request(cli, customer, "--kind", "access", "--channel", "counter")
    assert request_json(cli, request_id)["identity_checked"] is False
    cli.ok("request", "verify", request_id, "--method", "driving licence", user="clerk")
    record = request_json(cli, request_id)
    assert record["identity_checked"] is True
    assert record["identity_method"] == "driving licence"
    assert record["identity_checked_on"] == "2026-11-25"


def test_unsigned_unverified_request_can_be_closed(cli: Cli) -> None:
    customer = add_aino_speaking(cli)
    request_id = add_request(cli, customer, "--kind", "objection", "--channel", "phone")
    cli.ok("request", "close", request_id, "--outcome", "completed",
           "--done-outside", "the customer was told on the phone", user="clerk")  # fmt: skip
    record = request_json(cli, request_id)
    assert record["state"] == "closed"
    assert record["outcome"] == "completed"
    assert record["closed_on"] == "2026-11-25"
    assert record["handled_by"] == "clerk"


def test_refusal_needs_reasons(cli: Cli) -> None:
    customer = add_aino_speaking(cli)
    request_id = add_request(cli, customer, "--kind", "erasure", "--channel", "email")
    before = dump(cli)
    for outcome in ("refused", "partially-refused"):
        result = cli.run("request", "close", request_id, "--outcome", outcome, user="clerk")
        assert result.exit_code == 4
        assert "reason" in result.stderr and "12(4)" in result.stderr
    assert dump(cli) == before
    cli.ok("request", "close", request_id, "--outcome", "partially-refused",
           "--reason", "open invoice 2026-0457 must be kept", user="clerk")  # fmt: skip
    assert request_json(cli, request_id)["reasons"] == "open invoice 2026-0457 must be kept"


def test_manifestly_unfounded_needs_a_written_justification(cli: Cli) -> None:
    customer = add_aino_speaking(cli)
    request_id = add_request(cli, customer, "--kind", "access", "--channel", "email")
    before = dump(cli)
    result = cli.run("request", "close", request_id, "--outcome", "refused", "--reason", "x",
                     "--manifestly-unfounded", " ", user="clerk")  # fmt: skip
    assert result.exit_code == 4 and "12(5)" in result.stderr
    assert dump(cli) == before
    justification = "the fifth identical request this week"
    cli.ok("request", "close", request_id, "--outcome", "refused", "--reason", "repeated",
           "--manifestly-unfounded", justification, user="clerk")  # fmt: skip
    record = request_json(cli, request_id)
    assert record["manifestly_unfounded"] is True
    assert record["unfounded_justification"] == "the fifth identical request this week"


def test_first_copy_is_free_a_further_copy_may_be_charged(cli: Cli) -> None:
    customer = add_aino_speaking(cli)
    first = add_request(cli, customer, "--kind", "access", "--channel", "email")
    cli.ok("export", customer, "--request", first, "--format", "json", user="clerk")
    before = dump(cli)
    result = cli.run("request", "close", first, "--outcome", "completed", "--fee", "10",
                     user="clerk")  # fmt: skip
    assert result.exit_code == 4 and "first copy" in result.stderr and "15(3)" in result.stderr
    assert dump(cli) == before
    cli.ok("request", "close", first, "--outcome", "completed", user="clerk")
    second = add_request(cli, customer, "--kind", "access", "--channel", "email")
    cli.ok("export", customer, "--request", second, "--format", "json", user="clerk")
    cli.ok("request", "close", second, "--outcome", "completed", "--fee", "12,50", user="clerk")
    assert request_json(cli, second)["fee"] == "12.50"


def test_fee_on_other_kinds_needs_a_justification(cli: Cli) -> None:
    customer = add_aino_speaking(cli)
    request_id = add_request(cli, customer, "--kind", "rectification", "--channel", "email")
    result = cli.run("request", "close", request_id, "--outcome", "completed", "--fee", "5",
                     user="clerk")  # fmt: skip
    assert result.exit_code == 4 and "12(5)" in result.stderr
    bad = cli.run("request", "close", request_id, "--outcome", "completed", "--fee", "abc",
                  user="clerk")  # fmt: skip
    assert bad.exit_code == 2 and "fee" in bad.stderr


def test_closed_request_cannot_be_closed_or_extended_again(cli: Cli) -> None:
    customer = add_aino_speaking(cli)
    request_id = add_request(cli, customer, "--kind", "access", "--channel", "email")
    cli.ok("export", customer, "--request", request_id, "--format", "json", user="clerk")
    cli.ok("request", "close", request_id, "--outcome", "completed", user="clerk")
    before = dump(cli)
    again = cli.run("request", "close", request_id, "--outcome", "completed", user="clerk")
    assert again.exit_code == 4
    assert cli.run("request", "extend", request_id, "--reason", "x", user="clerk").exit_code == 4
    bad = cli.run("request", "close", "1", "--outcome", "maybe", user="clerk")
    assert bad.exit_code in (2, 4)
    assert dump(cli) == before


def test_list_shows_due_dates_and_filters(cli: Cli) -> None:
    customer = add_aino_speaking(cli)
    overdue = add_request(cli, customer, "--kind", "access", "--received", "2026-10-01",
                          "--channel", "letter")  # fmt: skip
    soon = add_request(cli, customer, "--kind", "erasure", "--received", "2026-10-30",
                       "--channel", "email")  # fmt: skip
    later = add_request(cli, customer, "--kind", "access", "--received", "2026-11-20",
                        "--channel", "email")  # fmt: skip
    done = add_request(cli, customer, "--kind", "objection", "--received", "2026-11-01",
                       "--channel", "email")  # fmt: skip
    cli.ok("request", "close", done, "--outcome", "completed", "--done-outside",
           "answered by letter", user="clerk")  # fmt: skip

    rows = listed(cli)
    assert [str(r["id"]) for r in rows] == [overdue, soon, later, done]
    assert all(r["due_on"] for r in rows)
    by_id = {str(r["id"]): r for r in rows}
    assert by_id[overdue]["overdue"] is True and by_id[overdue]["days_left"] == -24
    assert by_id[soon]["days_left"] == 5 and by_id[soon]["overdue"] is False
    assert by_id[done]["days_left"] is None

    assert [str(r["id"]) for r in listed(cli, "--open")] == [overdue, soon, later]
    assert [str(r["id"]) for r in listed(cli, "--overdue")] == [overdue]
    assert [str(r["id"]) for r in listed(cli, "--due-within", "7")] == [overdue, soon]
    assert [str(r["id"]) for r in listed(cli, "--kind", "access")] == [overdue, later]
    assert [str(r["id"]) for r in listed(cli, "--open", "--kind", "erasure")] == [soon]

    table = cli.ok("request", "list", "-f", "table", user="clerk").stdout
    assert "due on" in table and "2026-11-01" in table  # the due date on the table listing
    csv_text = cli.ok("request", "list", "--format", "csv", user="clerk").stdout
    assert csv_text.splitlines()[0].startswith("id,customer_id,kind,received_on,due_on")


def test_list_shows_no_personal_values(cli: Cli) -> None:
    add_request(cli, "--requester", "Ville Vieras <ville@example.org>", "--kind", "access",
                "--channel", "email", "--note", "called twice")  # fmt: skip
    out = cli.ok("request", "list", "--format", "json", user="clerk").stdout
    assert "Ville" not in out and "ville@" not in out and "called" not in out


def test_cron_check_exits_4_when_a_request_is_overdue(cli: Cli) -> None:
    customer = add_aino_speaking(cli)
    quiet = cli.run("request", "list", "--overdue", "--fail-if-any", user="bot")
    assert quiet.exit_code == 0, quiet.output
    request_id = add_request(cli, customer, "--kind", "access", "--received", "2026-10-24",
                             "--channel", "letter")  # fmt: skip
    # Due 2026-11-24: overdue on 2026-11-25.
    result = cli.run("request", "list", "--overdue", "--fail-if-any", "--format", "csv",
                     user="bot")  # fmt: skip
    assert result.exit_code == 4
    assert f"\n{request_id}," in result.stdout  # the list is printed for the mail
    assert "1 request(s) overdue" in result.stderr
    cli.ok("export", customer, "--request", request_id, "--format", "json", user="clerk")
    cli.ok("request", "close", request_id, "--outcome", "completed", user="clerk")
    assert cli.run("request", "list", "--overdue", "--fail-if-any", user="bot").exit_code == 0


def test_request_due_today_is_not_overdue(cli: Cli) -> None:
    customer = add_aino_speaking(cli)
    add_request(cli, customer, "--kind", "access", "--received", "2026-10-25", "--channel", "web")
    assert cli.run("request", "list", "--overdue", "--fail-if-any", user="bot").exit_code == 0


def test_show_is_audited_and_audit_rows_hold_no_personal_values(cli: Cli) -> None:
    request_id = add_request(cli, "--requester", "Ville Vieras <ville@example.org>", "--kind",
                             "access", "--channel", "email", "--note", "urgent-note")  # fmt: skip
    cli.ok("request", "verify", request_id, "--method", "passport-123", user="clerk")
    cli.ok("request", "close", request_id, "--outcome", "refused", "--reason", "secret-reason",
           user="clerk")  # fmt: skip
    request_json(cli, request_id)
    with cli.connect() as conn:
        rows = conn.execute(
            "SELECT action, details_json FROM audit_log WHERE entity = 'request'"
        ).fetchall()
    actions = [r["action"] for r in rows]
    assert actions == ["request add", "request verify", "request close", "request show"]
    text = " ".join(r["details_json"] for r in rows)
    for value in ("Ville", "ville@", "urgent-note", "passport-123", "secret-reason"):
        assert value not in text


def test_auditor_may_list_but_not_add(cli: Cli) -> None:
    customer = add_aino_speaking(cli)
    assert cli.run("request", "list", user="auditor").exit_code == 0
    result = cli.run("request", "add", customer, "--kind", "access", "--channel", "email",
                     user="auditor")  # fmt: skip
    assert result.exit_code == 5


# --- "completed" only when the register shows it done, or says what was done outside ---


def close_completed(cli: Cli, request_id: str, *extra: str) -> Result:
    return cli.run("request", "close", request_id, "--outcome", "completed", *extra,
                   user="clerk")  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "command"),
    [
        ("access", "lautex export {customer} --request {request}"),
        ("portability", "lautex export {customer} --portability --request {request}"),
        ("erasure", "lautex erase {customer} --request {request}"),
        ("rectification", "lautex rectify {customer} --set FIELD=VALUE"),
        ("restriction", "lautex restrict {customer} --reason TEXT --request {request}"),
        ("objection", "lautex object {customer} --purpose PURPOSE"),
        ("publication-ban", "lautex publication-ban {customer} --received DATE"),
    ],
)
def test_completing_a_request_nothing_was_done_for_is_refused_naming_the_command(
    cli: Cli, kind: str, command: str
) -> None:
    customer = add_aino_speaking(cli)
    request_id = add_request(cli, customer, "--kind", kind, "--channel", "email")
    before = dump(cli)

    result = close_completed(cli, request_id)

    assert result.exit_code == 4, result.output
    assert command.format(customer=customer, request=request_id) in result.stderr
    assert "--done-outside" in result.stderr and result.stderr.count("\n") == 1
    assert dump(cli) == before
    outside = "answered in the web shop's own customer system"
    cli.ok("request", "close", request_id, "--outcome", "completed", "--done-outside", outside,
           user="clerk")  # fmt: skip
    record = request_json(cli, request_id)
    assert (record["outcome"], record["done_outside"]) == ("completed", outside)


def test_a_request_is_completed_once_the_register_shows_the_work_done(cli: Cli) -> None:
    customer = add_aino_speaking(cli)
    access = add_request(cli, customer, "--kind", "access", "--channel", "email")
    erasure = add_request(cli, customer, "--kind", "erasure", "--channel", "email")
    objection = add_request(cli, customer, "--kind", "objection", "--channel", "email")
    stranger = add_request(cli, "--requester", "Ville Vieras <ville@example.org>",
                           "--kind", "access", "--channel", "email")  # fmt: skip
    for request_id in (access, erasure, objection, stranger):
        assert close_completed(cli, request_id).exit_code == 4
    no_data = close_completed(cli, stranger)
    assert f"lautex request letter {stranger} --type no-data" in no_data.stderr

    cli.ok("export", customer, "--request", access, "--format", "json", user="clerk")
    cli.ok("object", customer, "--purpose", "direct-advertising", "--received", "2026-11-25",
           "--channel", "email", "--request", objection, user="clerk")  # fmt: skip
    cli.ok("request", "letter", stranger, user="clerk")
    for request_id in (access, objection, stranger):
        cli.ok("request", "close", request_id, "--outcome", "completed", user="clerk")
    # Erased without naming the request: the request keeps the date, and may be completed.
    cli.ok("erase", customer, "--yes", user="clerk")
    cli.ok("request", "close", erasure, "--outcome", "completed", user="clerk")
    assert request_json(cli, erasure)["subject_erased_on"] == "2026-11-25"


_part = st.text(
    alphabet=st.characters(blacklist_characters=",\n", blacklist_categories=["Cs"]),
    min_size=1,
    max_size=30,
).filter(lambda text: text.strip() != "")


@given(parts=st.lists(_part, min_size=1, max_size=9))
def test_a_reply_address_is_whole_lines_or_refused(parts: list[str]) -> None:
    """Two to six lines (street, postal code and city at least; with the name they fill
    the envelope's window at 10 pt), else refused."""
    from lautex_registry.platform.errors import InvalidInput
    from lautex_registry.platform.validation import checked_text
    from lautex_registry.rights.requests import postal_address

    lines = [part.strip() for part in parts]

    def free_text(line: str) -> bool:
        try:
            checked_text(line, "line", max_length=200)
        except InvalidInput:
            return False
        return True

    # Each line is checked as free text is (controls, identity codes: refused).
    if len(lines) < 2 or len(lines) > 6 or not all(map(free_text, lines)):
        with pytest.raises(InvalidInput, match="requester-address"):
            postal_address(", ".join(parts))
        return
    assert postal_address(", ".join(parts)) == "\n".join(lines)
    assert postal_address("\n".join(parts)) == "\n".join(lines)
