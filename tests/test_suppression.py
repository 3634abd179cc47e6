"""An objection outlives erasure: keyed HMACs only, and a re-added objector gets it back."""

import hashlib
import hmac
import json
from contextlib import closing
from pathlib import Path

import pytest

from lautex_registry.platform import audit
from lautex_registry.platform.db import connect, transaction
from lautex_registry.records import suppression
from tests.conftest import Cli
from tests.helpers import add_person, ban, give_consent, listed_ids, object_to

EMAIL = "aino.aijala@example.fi"
PHONE = "+358401234567"


def simulate_erasure(cli: Cli, customer: int) -> int | None:
    """What `lautex erase` does for marketing: a suppression record, then the row goes."""
    with closing(connect(cli.db)) as conn, transaction(conn):
        record = suppression.record_suppression(conn, customer)
        conn.execute("DELETE FROM customers WHERE id = ?", (customer,))
    return record


def active(cli: Cli, customer: int) -> list[tuple[str, str]]:
    with closing(cli.connect()) as conn:
        rows = conn.execute(
            """SELECT purpose, channel FROM objections
               WHERE customer_id = ? AND withdrawn_on IS NULL ORDER BY purpose""",
            (customer,),
        ).fetchall()
    return [(r["purpose"], r["channel"]) for r in rows]


@pytest.fixture
def erased_objector(cli: Cli) -> int:
    """Aino objected to direct advertising and banned publication, then was erased."""
    aino = add_person(cli, "Aino", "Äijälä", email=EMAIL, phone="040 123 4567")
    object_to(cli, aino, "direct-advertising")
    ban(cli, aino)
    record = simulate_erasure(cli, aino)
    assert record is not None
    return record


def test_the_record_holds_keyed_hmacs_and_purposes_only(cli: Cli, erased_objector: int) -> None:
    with closing(cli.connect()) as conn:
        row = conn.execute("SELECT * FROM suppression").fetchone()
        secret = bytes.fromhex(
            conn.execute("SELECT value FROM meta WHERE key = 'secret'").fetchone()[0]
        )
        assert conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM objections").fetchone()[0] == 0
    assert json.loads(row["purposes"]) == ["direct-advertising", "publication"]
    keyed = hmac.new(secret, f"email:{EMAIL}".encode(), hashlib.sha256).hexdigest()
    assert row["email_hmac"] == keyed
    # A plain (unkeyed) hash of the address, which anyone could recompute, is not there.
    plain = {
        hashlib.sha256(value.encode()).hexdigest()
        for value in (EMAIL, f"email:{EMAIL}", PHONE, f"phone:{PHONE}")
    }
    stored = " ".join(str(value) for value in tuple(row))
    assert not any(digest in stored for digest in plain)
    assert EMAIL not in stored and "401234567" not in stored


def test_another_register_secret_gives_other_hmacs() -> None:
    assert suppression.email_hmac(b"a" * 32, EMAIL) != suppression.email_hmac(b"b" * 32, EMAIL)
    # The key is the normalised address: case and spaces do not matter.
    assert suppression.email_hmac(b"a" * 32, f"  {EMAIL.upper()} ") == suppression.email_hmac(
        b"a" * 32, EMAIL
    )
    assert suppression.phone_hmac(b"a" * 32, "040 123 4567") == suppression.phone_hmac(
        b"a" * 32, PHONE
    )


def test_readded_erased_objector_gets_the_objection_back(cli: Cli, erased_objector: int) -> None:
    result = cli.ok(
        "customer", "add", "--first-name", "Aino", "--last-name", "Äijälä", "--email",
        EMAIL.upper(), "--source", "reseller", "--street", "Kääpätie 5", "--postal-code",
        "63700", "--city", "Ähtäri", user="clerk",
    )  # fmt: skip
    again = int(result.stdout.strip())
    assert f"customer {again}: matches an erased person who objected" in result.stderr
    assert "direct-advertising, publication" in result.stderr
    assert active(cli, again) == [
        ("direct-advertising", "suppression-record"),
        ("publication", "suppression-record"),
    ]
    give_consent(cli, again)  # even a new consent does not bring them back
    for channel in ("email", "post"):
        assert again not in listed_ids(cli, "--purpose", "direct-advertising", "--channel", channel)
    assert "Äijälä" not in cli.ok("labels", "--format", "csv", user="clerk").stdout
    with closing(cli.connect()) as conn:
        entry = conn.execute(
            "SELECT entity_id, details_json FROM audit_log WHERE action = 'objection restore'"
        ).fetchone()
    assert entry["entity_id"] == str(again)
    details = json.loads(entry["details_json"])
    assert details["purposes"] == ["direct-advertising", "publication"]
    assert details["suppression_ids"] == [erased_objector]


def test_a_match_by_phone_alone_is_enough(cli: Cli, erased_objector: int) -> None:
    again = add_person(cli, "Aino", "Äijälä", email="new.address@example.fi", phone=PHONE)
    assert [p for p, _ in active(cli, again)] == ["direct-advertising", "publication"]


def test_editing_in_the_erased_email_restores_the_objection(cli: Cli, erased_objector: int) -> None:
    other = add_person(cli, "Aino", "Äijälä", email="other@example.fi")
    assert active(cli, other) == []
    result = cli.ok("customer", "edit", str(other), "--email", EMAIL, user="clerk")
    assert "objection restored: direct-advertising, publication" in result.stderr
    assert [p for p, _ in active(cli, other)] == ["direct-advertising", "publication"]


@pytest.mark.parametrize(
    "command",
    [("customer", "edit", "{}", "--email", EMAIL),
     ("rectify", "{}", "--set", f"email={EMAIL}", "--reason", "new address"),
     ("rectify", "{}", "--set", "phone=040 123 4567", "--reason", "new number")],
    ids=["customer edit", "rectify email", "rectify phone"],
)  # fmt: skip
def test_every_command_writing_contact_data_reports_restored_objections_alike(
    cli: Cli, erased_objector: int, command: tuple[str, ...]
) -> None:
    other = add_person(cli, "Aino", "Äijälä", email="other@example.fi")
    result = cli.ok(*(arg.replace("{}", str(other)) for arg in command), user="clerk")
    assert (
        f"customer {other}: matches an erased person who objected; objection restored: "
        "direct-advertising, publication (GDPR Art. 21(3))"
    ) in result.stderr
    assert [p for p, _ in active(cli, other)] == ["direct-advertising", "publication"]


def test_someone_else_is_not_affected(cli: Cli, erased_objector: int) -> None:
    other = add_person(cli, "Aino", "Äijälä", email="someone.else@example.fi")
    assert active(cli, other) == []
    give_consent(cli, other)
    assert other in listed_ids(cli, "--purpose", "direct-advertising", "--channel", "email")


def test_objections_in_force_are_not_doubled(cli: Cli, erased_objector: int) -> None:
    with closing(connect(cli.db)) as conn, transaction(conn):
        cursor = conn.execute(
            """INSERT INTO customers (first_name, last_name, email, source, created_at,
               updated_at, last_activity) VALUES ('A', 'B', ?, 'web-store', 'x', 'x', 'x')""",
            (EMAIL,),
        )
        customer = int(cursor.lastrowid or 0)
        conn.execute(
            """INSERT INTO objections (customer_id, purpose, received_on, channel)
               VALUES (?, 'publication', '2026-11-01', 'email')""",
            (customer,),
        )
        actor = audit.Actor(None, "test")
        assert suppression.restore_objections(conn, actor, customer) == ["direct-advertising"]
        assert suppression.restore_objections(conn, actor, customer) == []
    assert active(cli, customer) == [
        ("direct-advertising", "suppression-record"),
        ("publication", "email"),
    ]


def test_no_record_without_an_objection_or_a_contact(cli: Cli) -> None:
    quiet = add_person(cli, "Ville", "Vaiti", email="ville@example.fi")
    no_contact = add_person(cli, "Outi", "Osoitteeton")
    object_to(cli, no_contact, "all")
    assert simulate_erasure(cli, quiet) is None
    assert simulate_erasure(cli, no_contact) is None
    with closing(cli.connect()) as conn:
        assert conn.execute("SELECT COUNT(*) FROM suppression").fetchone()[0] == 0


def test_withdrawn_objections_are_not_kept(cli: Cli) -> None:
    aino = add_person(cli, "Aino", "Äijälä", email=EMAIL)
    object_to(cli, aino, "direct-advertising")
    cli.ok(
        "object", str(aino), "--purpose", "direct-advertising", "--withdraw", "--received",
        "2026-11-24", "--channel", "email", user="clerk",
    )  # fmt: skip
    assert simulate_erasure(cli, aino) is None


def test_reimported_erased_objector_gets_the_objection_back(cli: Cli) -> None:
    """The issue's end-to-end case: object, `lautex erase`, then `customer import` again."""
    aino = add_person(cli, "Aino", "Äijälä", email=EMAIL, phone="040 123 4567")
    object_to(cli, aino, "direct-marketing")
    cli.ok("erase", str(aino), "--yes", user="clerk")
    with closing(cli.connect()) as conn:
        assert (
            conn.execute("SELECT COUNT(*) FROM customers WHERE email IS NOT NULL").fetchone()[0]
            == 0
        )
        assert conn.execute("SELECT COUNT(*) FROM suppression").fetchone()[0] == 1
    Path("again.csv").write_text(
        "first_name;last_name;email;phone;source\n"
        "Ville;Virtanen;ville@example.fi;;reseller\n"
        f"Aino;Äijälä;{EMAIL.upper()};;reseller\n",
        encoding="utf-8",
    )
    result = cli.ok("customer", "import", "again.csv", user="clerk")
    with closing(cli.connect()) as conn:
        again = conn.execute(
            "SELECT id FROM customers WHERE email = ? COLLATE NOCASE", (EMAIL,)
        ).fetchone()[0]
        ville = conn.execute(
            "SELECT id FROM customers WHERE email = 'ville@example.fi'"
        ).fetchone()[0]
    assert f"customer {again}: matches an erased person who objected" in result.stderr
    assert "objection restored: direct-marketing" in result.stderr
    assert active(cli, again) == [("direct-marketing", "suppression-record")]
    assert active(cli, ville) == []
    give_consent(cli, again)
    give_consent(cli, ville)
    assert listed_ids(cli, "--purpose", "direct-advertising", "--channel", "email") == {ville}


def test_the_returning_persons_own_withdrawal_is_not_undone_by_the_record(
    cli: Cli, erased_objector: int
) -> None:
    """Only the person lifts an objection; once they did, a later edit must not restore it."""
    again = add_person(cli, "Aino", "Äijälä", email=EMAIL)
    assert [p for p, _ in active(cli, again)] == ["direct-advertising", "publication"]
    cli.ok("object", str(again), "--purpose", "direct-advertising", "--withdraw",
           "--received", "2026-11-25", "--channel", "letter", user="clerk")  # fmt: skip

    result = cli.ok("customer", "edit", str(again), "--phone", "040 123 4567", user="clerk")

    assert "objection restored" not in result.stderr
    assert [p for p, _ in active(cli, again)] == ["publication"]


def test_an_erased_objector_spelt_with_sharp_s_gets_the_objection_back(cli: Cli) -> None:
    """`WEISS@` is the same person as `weiß@` (README "Input rules"), erased or not."""
    weiss = add_person(cli, "Wilhelm", "Weiß", email="weiß@example.fi")
    add_again = ("customer", "add", "--first-name", "W", "--last-name", "W",
                 "--email", "WEISS@example.fi", "--source", "partner")  # fmt: skip
    refused = cli.run(*add_again, user="clerk")
    assert refused.exit_code == 6, refused.output
    object_to(cli, weiss, "direct-advertising")
    cli.ok("erase", str(weiss), "--yes", user="clerk")
    result = cli.ok(*add_again, user="clerk")
    again = int(result.stdout.strip())
    assert "objection restored: direct-advertising" in result.stderr
    assert active(cli, again) == [("direct-advertising", "suppression-record")]


def test_a_record_keyed_before_the_comparison_key_still_matches(cli: Cli) -> None:
    """Records made by earlier versions were keyed over NFC + lower(): an HMAC cannot be
    re-keyed, so the register still tries that form too."""
    with closing(cli.connect()) as conn:
        secret = bytes.fromhex(
            conn.execute("SELECT value FROM meta WHERE key = 'secret'").fetchone()[0]
        )
        legacy = hmac.new(secret, "email:weiß@example.fi".encode(), hashlib.sha256).hexdigest()
        conn.execute(
            "INSERT INTO suppression (email_hmac, phone_hmac, purposes, created_on) "
            "VALUES (?, NULL, '[\"direct-advertising\"]', '2026-01-01')",
            (legacy,),
        )
        conn.commit()
    result = cli.ok("customer", "add", "--first-name", "W", "--last-name", "W",
                    "--email", "WEIß@example.fi", "--source", "partner", user="clerk")  # fmt: skip
    assert "objection restored: direct-advertising" in result.stderr
    with closing(cli.connect()) as conn:
        assert conn.execute("SELECT COUNT(*) FROM objections").fetchone()[0] == 1
