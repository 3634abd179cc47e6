"""Recording objections, publication bans, consents and organisations' prohibitions."""

import json
from contextlib import closing

import pytest

from tests.conftest import Cli
from tests.helpers import add_org, add_person, ban, dump, object_to


@pytest.fixture
def aino(cli: Cli) -> int:
    return add_person(cli, "Aino", "Äijälä", email="aino@example.fi", phone="040 123 4567")


def objections(cli: Cli, customer: int) -> list[dict[str, object]]:
    with closing(cli.connect()) as conn:
        rows = conn.execute(
            "SELECT * FROM objections WHERE customer_id = ? ORDER BY id", (customer,)
        ).fetchall()
    return [dict(row) for row in rows]


def audit_rows(cli: Cli, action: str) -> list[dict[str, object]]:
    with closing(cli.connect()) as conn:
        rows = conn.execute(
            "SELECT username, entity_id, details_json FROM audit_log WHERE action = ?",
            (action,),
        ).fetchall()
    return [dict(row) for row in rows]


def test_objection_is_recorded_with_date_and_channel(cli: Cli, aino: int) -> None:
    result = cli.ok(
        "object", "AINO@example.fi", "--purpose", "direct-advertising", "--purpose",
        "opinion-research", "--received", "20.11.2026", "--channel", "phone",
        user="clerk",
    )  # fmt: skip
    assert "in force at once" in result.stderr
    rows = objections(cli, aino)
    assert [(r["purpose"], r["received_on"], r["channel"], r["withdrawn_on"]) for r in rows] == [
        ("direct-advertising", "2026-11-20", "phone", None),
        ("opinion-research", "2026-11-20", "phone", None),
    ]
    [entry] = audit_rows(cli, "object")
    assert entry["username"] == "clerk" and entry["entity_id"] == str(aino)
    details = json.loads(str(entry["details_json"]))
    assert details["purposes"] == ["direct-advertising", "opinion-research"]
    assert "aino" not in str(entry["details_json"]).lower()


def test_an_objection_in_force_is_not_recorded_twice(cli: Cli, aino: int) -> None:
    object_to(cli, aino, "all", received="2026-11-01")
    result = cli.ok(
        "object", str(aino), "--purpose", "all", "--received", "2026-11-20", "--channel",
        "email", user="clerk",
    )  # fmt: skip
    assert "already in force" in result.stderr
    rows = objections(cli, aino)
    assert len(rows) == 1 and rows[0]["received_on"] == "2026-11-01"


def test_withdrawal_is_the_persons_request_and_history_stays(cli: Cli, aino: int) -> None:
    object_to(cli, aino, "direct-marketing", received="2026-10-01")
    result = cli.ok(
        "object", str(aino), "--purpose", "direct-marketing", "--withdraw", "--received",
        "2026-11-24", "--channel", "letter", user="clerk",
    )  # fmt: skip
    assert "withdrawn at the person's request" in result.stderr
    object_to(cli, aino, "direct-marketing", received="2026-11-25")
    rows = objections(cli, aino)
    assert [(r["received_on"], r["withdrawn_on"], r["withdrawn_channel"]) for r in rows] == [
        ("2026-10-01", "2026-11-24", "letter"),
        ("2026-11-25", None, None),
    ]
    details = [json.loads(str(r["details_json"])) for r in audit_rows(cli, "object")]
    assert [d["withdraw"] for d in details] == [False, True, False]


def test_withdrawing_what_is_not_in_force_changes_nothing(cli: Cli, aino: int) -> None:
    before = dump(cli)
    result = cli.run(
        "object", str(aino), "--purpose", "market-research", "--withdraw", "--received",
        "2026-11-24", "--channel", "email", user="clerk",
    )  # fmt: skip
    assert result.exit_code == 3
    assert result.stderr.strip().splitlines() == [
        f"error: purpose: customer {aino} has no objection in force to market-research"
    ]
    assert dump(cli) == before


def test_a_withdrawal_cannot_predate_the_objection(cli: Cli, aino: int) -> None:
    object_to(cli, aino, "direct-advertising", received="2026-11-20")
    before = dump(cli)
    result = cli.run(
        "object", str(aino), "--purpose", "direct-advertising", "--withdraw", "--received",
        "2026-11-01", "--channel", "email", user="clerk",
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.startswith("error: received:")
    assert dump(cli) == before


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("--purpose", "spam", "--received", "2026-11-20", "--channel", "email"), "purpose"),
        (("--purpose", "all", "--received", "2026-11-20", "--channel", "fax"), "channel"),
        (("--purpose", "all", "--received", "2026-11-26", "--channel", "email"), "received"),
        (("--purpose", "all", "--received", "yesterday", "--channel", "email"), "received"),
        (("--purpose", "publication", "--received", "2026-11-20", "--channel", "email"),
         "purpose"),
    ],
)  # fmt: skip
def test_bad_objection_input_exit_2_nothing_written(
    cli: Cli, aino: int, args: tuple[str, ...], field: str
) -> None:
    before = dump(cli)
    result = cli.run("object", str(aino), *args, user="clerk")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {field}:")
    assert dump(cli) == before


def test_unknown_customer_is_not_found(cli: Cli) -> None:
    result = cli.run(
        "object", "nobody@example.fi", "--purpose", "all", "--received", "2026-11-20",
        "--channel", "email", user="clerk",
    )  # fmt: skip
    assert result.exit_code == 3
    assert result.stderr.startswith("error: customer:")


def test_auditor_cannot_record_or_withdraw(cli: Cli, aino: int) -> None:
    result = cli.run(
        "object", str(aino), "--purpose", "all", "--received", "2026-11-20", "--channel",
        "email", user="auditor",
    )  # fmt: skip
    assert result.exit_code == 5
    assert objections(cli, aino) == []


def test_publication_ban_and_its_withdrawal(cli: Cli, aino: int) -> None:
    result = cli.ok(
        "publication-ban", str(aino), "--received", "2026-11-20", "--channel",
        "counter", user="clerk",
    )  # fmt: skip
    assert "publication ban" in result.stderr
    [row] = objections(cli, aino)
    assert row["purpose"] == "publication" and row["channel"] == "counter"
    cli.ok(
        "publication-ban", str(aino), "--withdraw", "--received", "2026-11-25", "--channel",
        "email", user="clerk",
    )  # fmt: skip
    [row] = objections(cli, aino)
    assert row["withdrawn_on"] == "2026-11-25"
    assert len(audit_rows(cli, "publication-ban")) == 2


def test_objections_show_in_customer_show(cli: Cli, aino: int) -> None:
    ban(cli, aino)
    record = json.loads(cli.ok("customer", "show", str(aino), "--format", "json").stdout)
    assert [o["purpose"] for o in record["objections"]] == ["publication"]


def test_consent_history_per_channel(cli: Cli, aino: int) -> None:
    cli.ok(
        "consent", str(aino), "--email-marketing", "given", "--sms-marketing", "given",
        "--date", "2026-11-01", "--source", "web store checkbox", user="clerk",
    )  # fmt: skip
    result = cli.ok(
        "consent", str(aino), "--sms-marketing", "withdrawn", "--date", "2026-11-20",
        "--source", "reply STOP", user="clerk",
    )  # fmt: skip
    assert "sms marketing consent withdrawn on 2026-11-20" in result.stderr
    with closing(cli.connect()) as conn:
        rows = conn.execute(
            "SELECT channel, status, recorded_on, source FROM consents ORDER BY id"
        ).fetchall()
    assert [tuple(r) for r in rows] == [
        ("email", "given", "2026-11-01", "web store checkbox"),
        ("sms", "given", "2026-11-01", "web store checkbox"),
        ("sms", "withdrawn", "2026-11-20", "reply STOP"),
    ]
    details = [json.loads(str(r["details_json"])) for r in audit_rows(cli, "consent")]
    assert [d["status"] for d in details] == ["given", "given", "withdrawn"]
    assert all("source" not in d for d in details)  # free text stays out of the audit


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("--date", "2026-11-01", "--source", "web"), "consent"),
        (
            ("--email-marketing", "maybe", "--date", "2026-11-01", "--source", "web"),
            "email-marketing",
        ),
        (("--email-marketing", "given", "--date", "2026-11-01", "--source", " "), "source"),
        (("--email-marketing", "given", "--date", "2027-01-01", "--source", "web"), "date"),
    ],
)
def test_bad_consent_input_exit_2_nothing_written(
    cli: Cli, aino: int, args: tuple[str, ...], field: str
) -> None:
    before = dump(cli)
    result = cli.run("consent", str(aino), *args, user="clerk")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {field}:")
    assert dump(cli) == before


def test_organisation_prohibition_recorded_and_lifted(cli: Cli) -> None:
    org = add_org(cli, "Puutalo Oy")
    add_person(cli, "Eero", "Åström", org="Puutalo Oy")
    result = cli.ok(
        "org", "prohibit-marketing", "puutalo oy", "--received", "2026-11-02", user="clerk"
    )
    assert "marketing prohibited since 2026-11-02; 1 contacts" in result.stderr
    again = cli.ok("org", "prohibit-marketing", str(org), user="clerk")
    assert "(unchanged)" in again.stderr
    with closing(cli.connect()) as conn:
        assert (
            conn.execute("SELECT marketing_prohibited_on FROM organisations").fetchone()[0]
            == "2026-11-02"
        )
    cli.ok("org", "prohibit-marketing", str(org), "--withdraw", user="clerk")
    with closing(cli.connect()) as conn:
        assert (
            conn.execute("SELECT marketing_prohibited_on FROM organisations").fetchone()[0] is None
        )
    assert len(audit_rows(cli, "org prohibit-marketing")) == 2


def test_prohibiting_an_unknown_organisation_is_not_found(cli: Cli) -> None:
    result = cli.run("org", "prohibit-marketing", "Ei Ole Oy", user="clerk")
    assert result.exit_code == 3
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("command", "kind", "wrong", "extra"),
    [
        ("object", "objection", "access", ("--purpose", "direct-marketing")),
        ("object", "objection", "publication-ban", ("--purpose", "direct-marketing")),
        ("publication-ban", "publication-ban", "objection", ()),
    ],
)
def test_a_request_of_another_kind_is_refused_and_nothing_is_linked(
    cli: Cli, aino: int, command: str, kind: str, wrong: str, extra: tuple[str, ...]
) -> None:
    def request(of_kind: str) -> str:
        return cli.ok("request", "add", str(aino), "--kind", of_kind, "--channel", "email",
                      user="clerk").stdout.strip()  # fmt: skip

    other = request(wrong)
    args = (command, str(aino), *extra, "--received", "2026-11-20", "--channel", "email")
    before = dump(cli)

    result = cli.run(*args, "--request", other, user="clerk")

    assert result.exit_code == 2, result.output  # as every --request of the wrong kind

    def a(word: str) -> str:
        return f"an {word}" if word[0] in "aeiou" else f"a {word}"

    assert result.stderr == (
        f"error: request: {other} is {a(wrong)} request, not {a(kind)} request\n"
    )
    assert dump(cli) == before
    right = request(kind)
    cli.ok(*args, "--request", right, user="clerk")
    assert [row["request_id"] for row in objections(cli, aino)] == [int(right)]
