"""README "Input rules": every value a clerk or a file gives is checked before anything
is written; each refusal is one line naming the field, and the register is unchanged."""

from pathlib import Path

import pytest
from typer.testing import Result

from tests.conftest import Cli

HETU = "131052-308T"  # the Population Register Centre's published example


def dump(cli: Cli) -> list[str]:
    """Every row of the register, to show that a failed command changed nothing."""
    with cli.connect() as conn:
        return list(conn.iterdump())


def assert_refused(result: Result, code: int, *fragments: str) -> None:
    assert result.exit_code == code, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


@pytest.fixture
def register(cli: Cli) -> Cli:
    """Customer 1 (aino@example.fi) of organisation Puutalo Oy, recipient Laskutus Oy,
    and an open rectification request 1 of the customer."""
    cli.ok("org", "add", "Puutalo Oy", "--business-id", "1572860-0")
    cli.ok(
        "customer", "add", "--first-name", "Aino", "--last-name", "Äijälä",
        "--email", "aino@example.fi", "--phone", "040 123 4567", "--org", "Puutalo Oy",
        "--source", "web-store",
    )  # fmt: skip
    cli.ok("recipient", "add", "Laskutus Oy", "--kind", "processor", "--purpose", "billing",
           "--country", "FI")  # fmt: skip
    cli.ok("request", "add", "1", "--kind", "rectification", "--channel", "email")
    return cli


ADD = ("customer", "add", "--last-name", "X", "--source", "partner", "--first-name")

# Each command with a free-text value: the value goes last.
FREE_TEXT = [
    (ADD, "first_name"),
    (("customer", "add", "--first-name", "A", "--last-name", "X", "--source", "partner",
      "--notes"), "notes"),
    (("customer", "edit", "1", "--notes"), "notes"),
    (("customer", "edit", "1", "--source-detail"), "source_detail"),
    (("org", "add"), "name"),
    (("recipient", "add", "--kind", "processor", "--purpose", "billing", "--country", "FI",
      "--"), "name"),
    (("request", "add", "1", "--kind", "access", "--channel", "email", "--note"), "note"),
    (("request", "add", "--kind", "access", "--channel", "email", "--requester"),
     "requester"),
    (("request", "extend", "1", "--reason"), "reason"),
    (("request", "verify", "1", "--method"), "method"),
    (("request", "close", "1", "--outcome", "refused", "--reason"), "reason"),
    (("rectify", "1", "--reason", "moved", "--supplement"), "supplement"),
    (("rectify", "1", "--set", "city=Espoo", "--reason"), "reason"),
    (("restrict", "1", "--reason"), "reason"),
    (("consent", "1", "--email-marketing", "given", "--date", "2026-11-20", "--source"),
     "source"),
    (("order", "add", "1", "--number", "T-1", "--date", "2026-11-20", "--channel",
      "web-store", "--line"), "line 1 product"),
    (("user", "add", "maija", "--role", "system", "--full-name"), "full name"),
]  # fmt: skip


def _value(field: str, text: str) -> str:
    if field == "requester":
        return f"{text} <ville@example.org>"
    if field == "line 1 product":
        return f"{text};1;2.50"
    return text


@pytest.mark.parametrize(("command", "field"), FREE_TEXT, ids=[f for _c, f in FREE_TEXT])
@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Aino\x1b[2J", "control character ESC"),
        ("Ai\x07no", "control character BEL"),
        ("\x01Aino", "control character SOH"),
        ("Ai\x00no", "control character NUL"),
        ("Aino\u202eon", "control character U+202E"),
        (f"hetu {HETU}", "personal identity code (henkilötunnus)"),
        ("A" * 10_000, "at most"),
    ],
    ids=["ESC", "BEL", "SOH", "NUL", "RLO", "hetu", "10000-characters"],
)
def test_every_free_text_field_refuses_control_characters_identity_codes_and_length(
    register: Cli, command: tuple[str, ...], field: str, text: str, reason: str
) -> None:
    before = dump(register)
    result = register.run(*command, _value(field, text))
    assert result.exit_code == 2, result.output
    assert_refused(result, 2, reason)
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert HETU not in result.stderr
    assert len(result.stderr) < 300
    assert dump(register) == before


def test_request_notes_keep_plain_newlines(register: Cli) -> None:
    register.ok("request", "add", "1", "--kind", "access", "--channel", "email",
                "--note", "first line\nsecond line")  # fmt: skip
    with register.connect() as conn:
        note = conn.execute("SELECT note FROM requests WHERE id = 2").fetchone()[0]
    assert note == "first line\nsecond line"


def test_customer_notes_stay_one_line(register: Cli) -> None:
    before = dump(register)
    result = register.run("customer", "edit", "1", "--notes", "one\ntwo")
    assert_refused(result, 2, "notes: must be a single line")
    assert dump(register) == before


def test_an_import_row_with_a_henkilotunnus_or_a_control_character_is_refused(
    register: Cli, tmp_path: Path
) -> None:
    csv = tmp_path / "new.csv"
    csv.write_text(
        "first_name;last_name;notes;source\n"
        "Bertil;Åström;fine;partner\n"
        f"Cecilia;Berg;hetu {HETU};partner\n"
        "Dan;Ek\x1b[31m;;partner\n",
        encoding="utf-8",
    )
    before = dump(register)
    result = register.run("customer", "import", str(csv))
    assert result.exit_code == 2, result.output
    assert "line 3: notes: looks like a Finnish personal identity code" in result.stderr
    assert "line 4: last_name: control character ESC" in result.stderr
    assert HETU not in result.stderr and "\x1b" not in result.stderr
    assert dump(register) == before


def test_an_error_line_quotes_only_a_short_excerpt_of_a_bad_value(register: Cli) -> None:
    result = register.run("org", "add", "Kantti Oy", "--business-id", "9" * 5000)
    assert_refused(result, 2, "business_id: '99999999999999999999...' is not a valid")
    assert len(result.stderr) < 200


@pytest.mark.parametrize("phone", ["040 ABC 4567", "+1 800 FLOWERS", "O40 123 4567"])
def test_a_phone_number_with_letters_is_refused_not_read_as_a_keypad(
    register: Cli, phone: str
) -> None:
    before = dump(register)
    result = register.run("customer", "edit", "1", "--phone", phone)
    assert_refused(result, 2, "phone: digits only; letters are not allowed")
    assert dump(register) == before
