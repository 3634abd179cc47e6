"""README "Input rules": every value a clerk or a file gives is checked before anything
is written; each refusal is one line naming the field, and the register is unchanged."""

import shutil
from pathlib import Path

import pytest
from typer.testing import Result

from lautex_registry.platform import migrations
from tests.conftest import Cli, RegisterTemplate, roll_back_migrations
from tests.helpers import build_once, dump

HETU = "131052-308T"  # the Population Register Centre's published example


def assert_refused(result: Result, code: int, *fragments: str) -> None:
    assert result.exit_code == code, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def build_register(cli: Cli) -> None:
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


@pytest.fixture(scope="module")
def built_register(
    register_template: RegisterTemplate, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The register above, built once per module; each test gets its own copy."""
    return build_once(register_template, tmp_path_factory, build_register)[0]


@pytest.fixture
def register(cli: Cli, built_register: Path) -> Cli:
    shutil.copy2(built_register, cli.db)
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
        ("Ai\u200bno", "control character U+200B"),
        (f"hetu {HETU}", "personal identity code (henkilötunnus)"),
        ("hetu 131052\u2010308T", "personal identity code (henkilötunnus)"),
        ("A" * 10_000, "at most"),
    ],
    ids=["ESC", "BEL", "SOH", "NUL", "RLO", "ZWSP", "hetu", "hetu-hyphen", "10000-characters"],
)
def test_every_free_text_field_refuses_control_characters_identity_codes_and_length(
    register: Cli, command: tuple[str, ...], field: str, text: str, reason: str
) -> None:
    before = dump(register)
    result = register.run(*command, _value(field, text))
    assert result.exit_code == 2, result.output
    assert_refused(result, 2, reason)
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert HETU not in result.stderr and "308T" not in result.stderr
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


# --- ids and counts -------------------------------------------------------------------------

BIG = "9" * 30
ID_COMMANDS = [
    ("customer", "show", "{}"),
    ("customer", "edit", "{}", "--city", "Espoo"),
    ("customer", "search", "aino", "--limit", "{}"),
    ("org", "show", "{}"),
    ("order", "list", "--customer", "{}"),
    ("request", "show", "{}"),
    ("request", "extend", "{}", "--reason", "archive"),
    ("request", "verify", "{}", "--method", "passport"),
    ("request", "close", "{}", "--outcome", "completed"),
    ("request", "letter", "{}"),
    ("request", "certificate", "{}"),
    ("request", "list", "--due-within", "{}"),
    ("request", "add", "{}", "--kind", "access", "--channel", "email"),
    ("notice", "sent", "{}", "--method", "letter"),
    ("export", "1", "--request", "{}"),
    ("rectify", "1", "--set", "city=Espoo", "--reason", "moved", "--request", "{}"),
    ("restrict", "1", "--reason", "contested", "--request", "{}"),
    ("object", "1", "--purpose", "direct-advertising", "--channel", "email", "--request", "{}"),
    ("erase", "1", "--dry-run", "--request", "{}"),
    ("disclose", "1", "--to", "{}", "--purpose", "billing", "--fields", "name"),
    ("audit", "verify", "--anchor", "{}:" + "0" * 64),
]


@pytest.mark.parametrize("command", ID_COMMANDS, ids=lambda c: " ".join(c[:2]))
@pytest.mark.parametrize(
    ("written", "reason"),
    [("１", "is not a number (digits 0-9 only)"), ("²", "is not a number (digits 0-9 only)"),
     (BIG, "is out of range (1 to 9223372036854775807)")],
    ids=["full-width", "superscript", "30-digits"],
)  # fmt: skip
def test_ids_are_ascii_digits_within_range_on_every_command(
    register: Cli, command: tuple[str, ...], written: str, reason: str
) -> None:
    args = [arg.replace("{}", written) for arg in command]
    if command[:2] == ("request", "list") and written == BIG:
        reason = "out of range (0 to 3650)"
    before = dump(register)
    result = register.run(*args)
    assert_refused(result, 2, reason)
    assert result.stdout == ""
    assert dump(register) == before


def test_a_full_width_id_never_finds_the_customer_with_that_number(register: Cli) -> None:
    result = register.run("customer", "show", "１", "--format", "json")
    assert_refused(result, 2, "customer: '１' is not a number")
    assert "Äijälä" not in result.output


def test_an_org_column_of_other_digits_is_a_bad_row_of_the_import(
    register: Cli, tmp_path: Path
) -> None:
    csv = tmp_path / "new.csv"
    csv.write_text("first_name,last_name,org,source\nBertil,Åström,１,partner\n", "utf-8")
    before = dump(register)
    result = register.run("customer", "import", str(csv))
    assert result.exit_code == 2, result.output
    assert "line 2: org: '１' is not a number" in result.stderr
    assert dump(register) == before


# --- order totals ---------------------------------------------------------------------------


def test_an_order_whose_lines_sum_past_the_largest_amount_is_refused(register: Cli) -> None:
    lines = [arg for _ in range(10) for arg in ("--line", "Saw mill;1000000;9999999999.99")]
    before = dump(register)
    result = register.run("order", "add", "1", "--number", "T-1", "--date", "2026-11-20",
                          "--channel", "web-store", *lines)  # fmt: skip
    assert_refused(result, 2, "line: the order's total is more than 9999999999.99 euros")
    assert dump(register) == before
    register.ok("order", "list", "--format", "json")


def test_an_order_just_below_the_largest_total_is_billed(register: Cli) -> None:
    register.ok("order", "add", "1", "--number", "T-1", "--date", "2026-11-20",
                "--channel", "web-store", "--line", "Forest;1;9999999999.99")  # fmt: skip
    register.ok("invoice", "add", "T-1", "--number", "2026-1", "--issued", "2026-11-20",
                "--due", "2026-12-04")  # fmt: skip
    assert "9999999999.99" in register.ok("order", "show", "T-1", "--format", "json").stdout


# --- files and environment ------------------------------------------------------------------


def test_importing_a_folder_says_it_is_a_folder(register: Cli, tmp_path: Path) -> None:
    (tmp_path / "exports").mkdir()
    result = register.run("customer", "import", "exports")
    assert_refused(result, 2, "file: 'exports' is a folder")


def test_importing_an_empty_file_says_the_file_is_empty(register: Cli, tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    result = register.run("customer", "import", "empty.csv")
    assert_refused(result, 2, "header: the file is empty")


def test_loading_settings_from_a_binary_file_or_a_folder_is_refused(
    register: Cli, tmp_path: Path
) -> None:
    binary = tmp_path / "register.toml"
    binary.write_bytes(b"[statement]\n\xff\xfe\x00\x01")
    before = dump(register)
    assert_refused(register.run("settings", "load", str(binary)), 2, "is not UTF-8 text")
    assert_refused(register.run("settings", "load", str(tmp_path)), 2, "is a folder")
    assert dump(register) == before


def test_a_password_that_is_not_utf8_is_refused(register: Cli) -> None:
    before = dump(register)
    result = register.runner.invoke(
        __import__("lautex_registry.cli.app", fromlist=["app"]).app,
        ["user", "add", "maija", "--full-name", "Maija M", "--role", "clerk",
         "--password-stdin"],
        input=b"long enough \xff\xfe password\n",
        env={"LAUTEX_TOKEN": register.tokens["admin"]},
    )  # fmt: skip
    assert_refused(result, 2, "password: ")
    assert dump(register) == before


def test_a_backup_where_no_file_can_be_made_is_a_clean_error(register: Cli) -> None:
    result = register.run("backup", "/proc/x.db")
    assert_refused(result, 7, "backup: cannot write /proc/x.db")


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [("LAUTEX_RETENTION_BATCH", "x", "is not a number"),
     ("LAUTEX_RETENTION_BATCH", "0", "out of range"),
     ("LAUTEX_RETENTION_BATCH", BIG, "out of range"),
     ("LAUTEX_RETENTION_PAUSE", "nan", "is not a number of seconds"),
     ("LAUTEX_RETENTION_PAUSE", "-1", "is not a number of seconds"),
     ("LAUTEX_RETENTION_PAUSE", "1e999", "is not a number of seconds")],
)  # fmt: skip
def test_retention_batch_and_pause_variables_are_checked(
    register: Cli, monkeypatch: pytest.MonkeyPatch, name: str, value: str, reason: str
) -> None:
    monkeypatch.setenv(name, value)
    before = dump(register)
    result = register.run("retention", "run", "--yes")
    assert_refused(result, 2, f"{name}: ", reason)
    assert dump(register) == before


# --- one rule for anonymised customers ------------------------------------------------------

WRITES_ABOUT_A_PERSON = [
    ("customer", "edit", "1", "--city", "Espoo"),
    ("rectify", "1", "--set", "city=Espoo", "--reason", "moved"),
    ("restrict", "1", "--reason", "contested"),
    ("disclose", "1", "--to", "Laskutus Oy", "--purpose", "billing", "--fields", "name"),
    ("consent", "1", "--email-marketing", "given", "--date", "2026-11-20", "--source", "web"),
    ("object", "1", "--purpose", "direct-advertising", "--channel", "email", "--received",
     "2026-11-20"),
    ("object", "1", "--purpose", "direct-advertising", "--channel", "email", "--withdraw",
     "--received", "2026-11-20"),
    ("publication-ban", "1", "--channel", "counter", "--received", "2026-11-20"),
    ("request", "add", "1", "--kind", "access", "--channel", "email"),
    ("order", "add", "1", "--number", "T-9", "--date", "2026-11-20", "--channel", "web-store",
     "--line", "Lauta;1;2.50"),
]  # fmt: skip


@pytest.mark.parametrize("command", WRITES_ABOUT_A_PERSON, ids=lambda c: " ".join(c[:2]))
def test_every_write_about_an_anonymised_customer_is_refused_alike(
    register: Cli, command: tuple[str, ...]
) -> None:
    register.ok("request", "close", "1", "--outcome", "completed",
                "--done-outside", "answered by phone")  # fmt: skip
    register.ok("anonymise", "1", "--yes")
    before = dump(register)
    result = register.run(*command)
    assert_refused(result, 4, "customer 1 is anonymised: nothing new can be recorded")
    assert dump(register) == before


# --- duplicates that differ only in Unicode case or normalisation --------------------------


def _nfd(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFD", text)


def test_an_email_in_non_ascii_capitals_is_the_same_address(cli: Cli) -> None:
    added = cli.ok("customer", "add", "--first-name", "Aino", "--last-name", "Äijälä",
                   "--email", "äijälä@example.fi", "--source", "partner")  # fmt: skip
    first = added.stdout.strip()
    before = dump(cli)
    result = cli.run("customer", "add", "--first-name", "A", "--last-name", "Ä",
                     "--email", "ÄIJÄLÄ@example.fi", "--source", "partner")  # fmt: skip
    assert_refused(result, 6, f"email: customer {first} already has this email address")
    assert dump(cli) == before
    shown = cli.ok("customer", "show", "ÄIJÄLÄ@EXAMPLE.FI", "--format", "json").stdout
    assert "äijälä@example.fi" in shown
    result = cli.run("request", "add", "--kind", "access", "--channel", "email",
                     "--requester", "Aino Ä <ÄIJÄLÄ@example.fi>")  # fmt: skip
    assert_refused(result, 6, f"that email belongs to customer {first}")


def test_an_nfd_or_upper_case_organisation_name_is_the_same_organisation(cli: Cli) -> None:
    cli.ok("org", "add", "Kärkkäinen Oy")
    before = dump(cli)
    for spelling in (_nfd("Kärkkäinen Oy"), "KÄRKKÄINEN OY"):
        assert_refused(cli.run("org", "add", spelling), 6, "name: organisation 1 already has")
    assert dump(cli) == before
    cli.ok("customer", "add", "--first-name", "A", "--last-name", "B", "--source", "partner",
           "--org", _nfd("KÄRKKÄINEN oy"))  # fmt: skip
    with cli.connect() as conn:
        assert conn.execute("SELECT organisation_id FROM customers").fetchone()[0] == 1


def test_a_recipient_in_capitals_is_the_same_recipient(cli: Cli) -> None:
    cli.ok("recipient", "add", "Perintä Äijälä Oy", "--kind", "third-party",
           "--purpose", "collection", "--country", "FI")  # fmt: skip
    before = dump(cli)
    result = cli.run("recipient", "add", _nfd("PERINTÄ ÄIJÄLÄ OY"), "--kind", "third-party",
                     "--purpose", "collection", "--country", "FI")  # fmt: skip
    assert_refused(result, 6, "already exists (id 1)")
    assert dump(cli) == before


def test_import_compares_emails_and_organisations_in_full_unicode(cli: Cli, tmp_path: Path) -> None:
    cli.ok("org", "add", "Kärkkäinen Oy")
    cli.ok("customer", "add", "--first-name", "Aino", "--last-name", "Äijälä",
           "--email", "äijälä@example.fi", "--source", "partner")  # fmt: skip
    csv = tmp_path / "new.csv"
    csv.write_text(
        "first_name;last_name;email;org;source\n"
        f"Aino;Äijälä;ÄIJÄLÄ@example.fi;;partner\n"
        f"Örjan;Öst;örjan@example.fi;{_nfd('KÄRKKÄINEN OY')};partner\n"
        f"Örjan;Öst;{_nfd('ÖRJAN')}@example.fi;Uusi Öljy Oy;partner\n"
        f"Eeva;Öljy;eeva@example.fi;UUSI ÖLJY OY;partner\n",
        encoding="utf-8",
    )
    result = cli.run("customer", "import", str(csv))
    assert result.exit_code == 0, result.output
    assert "line 2: email: customer 1 already has this email address" in result.stderr
    assert "line 4: email: the same address is on line 3" in result.stderr
    assert "2 customers stored, 1 organisations created" in result.stderr
    with cli.connect() as conn:
        orgs = conn.execute("SELECT name FROM organisations ORDER BY id").fetchall()
        stored = conn.execute("SELECT email, organisation_id FROM customers ORDER BY id").fetchall()
    assert [o[0] for o in orgs] == ["Kärkkäinen Oy", "Uusi Öljy Oy"]
    assert [tuple(r) for r in stored] == [
        ("äijälä@example.fi", None), ("örjan@example.fi", 1), ("eeva@example.fi", 2),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "invisible", ["\u200b", "\u200f", "\u061c", "\ufeff", "\u00ad", "\u2060"],
    ids=["ZWSP", "RLM", "ALM", "BOM", "SHY", "WJ"],
)  # fmt: skip
def test_an_invisible_character_cannot_make_a_second_organisation(cli: Cli, invisible: str) -> None:
    cli.ok("org", "add", "Strasse Oy")
    before = dump(cli)
    result = cli.run("org", "add", f"Strasse{invisible} Oy")
    code = f"U+{ord(invisible):04X}"
    assert_refused(result, 2, f"name: control character {code} at position 8")
    assert invisible not in result.stderr
    assert dump(cli) == before


def test_a_no_break_space_or_doubled_space_is_the_same_name(cli: Cli) -> None:
    cli.ok("org", "add", "Strasse Oy")
    cli.ok("org", "add", "Puu\u00a0Talo Oy")
    cli.ok("recipient", "add", "Laskutus Oy", "--kind", "processor", "--purpose", "billing",
           "--country", "FI")  # fmt: skip
    before = dump(cli)
    for spelling in ("Strasse\u00a0Oy", "Strasse  Oy", "STRASSE \u00a0 OY"):
        assert_refused(cli.run("org", "add", spelling), 6, "name: organisation 1 already has")
    assert_refused(cli.run("org", "add", "puu talo oy"), 6, "name: organisation 2 already has")
    result = cli.run("recipient", "add", "Laskutus\u00a0Oy", "--kind", "processor",
                     "--purpose", "billing", "--country", "FI")  # fmt: skip
    assert_refused(result, 6, "already exists (id 1)")
    assert dump(cli) == before


def test_a_spelling_that_folds_to_a_stored_ascii_one_is_the_same(cli: Cli) -> None:
    added = cli.ok("customer", "add", "--first-name", "S", "--last-name", "T",
                   "--email", "strasse@example.fi", "--source", "partner")  # fmt: skip
    first = added.stdout.strip()
    cli.ok("org", "add", "Strasse Oy")
    cli.ok("org", "add", "Fiskari Oy")
    cli.ok("recipient", "add", "Strasse Data Oy", "--kind", "processor", "--purpose",
           "billing", "--country", "FI")  # fmt: skip
    before = dump(cli)
    result = cli.run("customer", "add", "--first-name", "S", "--last-name", "T",
                     "--email", "STRAßE@example.fi", "--source", "partner")  # fmt: skip
    assert_refused(result, 6, f"email: customer {first} already has this email address")
    assert_refused(cli.run("org", "add", "STRAßE OY"), 6, "name: organisation 1 already has")
    assert_refused(cli.run("org", "add", "ﬁskari oy"), 6, "name: organisation 2 already has")
    result = cli.run("recipient", "add", "STRAßE DATA OY", "--kind", "processor",
                     "--purpose", "billing", "--country", "FI")  # fmt: skip
    assert_refused(result, 6, "already exists (id 1)")
    assert dump(cli) == before
    shown = cli.ok("customer", "show", "STRAßE@example.fi", "--format", "json").stdout
    assert "strasse@example.fi" in shown


def test_import_finds_a_folded_spelling_of_a_stored_or_earlier_ascii_one(
    cli: Cli, tmp_path: Path
) -> None:
    cli.ok("org", "add", "Strasse Oy")
    cli.ok("customer", "add", "--first-name", "S", "--last-name", "T",
           "--email", "strasse@example.fi", "--source", "partner")  # fmt: skip
    csv = tmp_path / "new.csv"
    csv.write_text(
        "first_name;last_name;email;org;source\n"
        "A;B;STRAßE@example.fi;;partner\n"
        "C;D;weiss@example.fi;STRAßE OY;partner\n"
        "E;F;WEIß@example.fi;;partner\n",
        encoding="utf-8",
    )
    for dry_run in (("--dry-run",), ()):
        result = cli.run("customer", "import", str(csv), *dry_run)
        assert result.exit_code == 0, result.output
        assert "line 2: email: customer 1 already has this email address" in result.stderr
        assert "line 4: email: the same address is on line 3" in result.stderr
    assert result.stderr.endswith("1 customers stored (import run 1 finished, 1 in all)\n")
    with cli.connect() as conn:
        assert conn.execute("SELECT count(*) FROM organisations").fetchone()[0] == 1
        row = conn.execute("SELECT organisation_id FROM customers WHERE id = 2").fetchone()
    assert row[0] == 1


def test_a_bad_row_import_still_finds_a_folded_repeat_across_chunks(
    cli: Cli, tmp_path: Path
) -> None:
    csv = tmp_path / "new.csv"
    filler = "".join(f"N{i};M;n{i}@example.fi;partner\n" for i in range(2100))
    csv.write_text(
        "first_name;last_name;email;source\n"
        "A;B\x1b;bad@example.fi;partner\n"
        "C;D;weiss@example.fi;partner\n"
        f"{filler}"
        "E;F;WEIß@example.fi;partner\n",
        encoding="utf-8",
    )
    result = cli.run("customer", "import", str(csv))
    assert result.exit_code == 2, result.output
    assert "line 2104: email: the same address is on line 3" in result.stderr


def test_a_dry_run_import_reports_unicode_case_repeats_too(cli: Cli, tmp_path: Path) -> None:
    csv = tmp_path / "new.csv"
    csv.write_text(
        "first_name,last_name,email,source\nA,B,åsa@example.se,partner\nC,D,ÅSA@example.se,partner\n",
        encoding="utf-8",
    )
    result = cli.run("customer", "import", str(csv), "--dry-run")
    assert "line 3: email: the same address is on line 2" in result.stderr


def test_migrate_keeps_unicode_case_duplicates_stored_before_and_refuses_new_ones(
    cli: Cli,
) -> None:
    from lautex_registry.platform.sqlite import sqlite3

    roll_back_migrations(cli.db, to=migrations.named("m0008_unicode_names").number - 1)
    conn = sqlite3.connect(cli.db)
    for email in ("äijälä@example.fi", "ÄIJÄLÄ@example.fi"):
        conn.execute(
            "INSERT INTO customers (first_name, last_name, email, source, created_at, "
            "updated_at, last_activity) VALUES ('A', 'B', ?, 'partner', 'x', 'x', '2026-01-01')",
            (email,),
        )
    conn.commit()
    conn.close()
    assert cli.run("whoami").exit_code == 4  # the schema asks for `lautex migrate`
    cli.ok("migrate")
    with cli.connect() as check:
        assert check.execute("SELECT count(*) FROM customers").fetchone()[0] == 2
    result = cli.run("customer", "add", "--first-name", "C", "--last-name", "D",
                     "--email", "Äijälä@example.fi", "--source", "partner")  # fmt: skip
    assert_refused(result, 6, "already has this email address")


def test_a_new_organisation_named_on_several_rows_is_created_once(cli: Cli, tmp_path: Path) -> None:
    csv = tmp_path / "new.csv"
    rows = "".join(f"Aino{i},Äijälä,Puutalo Oy,partner\n" for i in range(5))
    csv.write_text(f"first_name,last_name,org,source\n{rows}", encoding="utf-8")
    result = cli.run("customer", "import", str(csv))
    assert result.exit_code == 0, result.output
    assert "5 customers stored, 1 organisations created" in result.stderr
    with cli.connect() as conn:
        assert conn.execute("SELECT count(*) FROM organisations").fetchone()[0] == 1


def test_an_identity_code_stored_before_the_rules_must_go_before_other_edits(
    register: Cli,
) -> None:
    with register.connect() as conn:
        conn.execute("UPDATE customers SET notes = ? WHERE id = 1", (f"hetu {HETU}",))
    before = dump(register)
    result = register.run("customer", "edit", "1", "--language", "en")
    assert_refused(result, 2, "notes: looks like a Finnish personal identity code")
    assert dump(register) == before
    register.ok("customer", "edit", "1", "--clear", "notes")
    register.ok("customer", "edit", "1", "--source-detail", "shop")


def test_hostile_numbers_dates_and_bytes_are_refused_in_one_line(cli: Cli) -> None:
    """Ids of thousands of digits, dates at the ends of the calendar, a search holding
    bytes that are not UTF-8 and a skip written as a decimal: exit 2, one line, in the
    register's words, nothing changed (they were tracebacks, "unexpected" exit 1, or
    Typer's wording)."""
    before = dump(cli)
    assert_refused(cli.run("customer", "show", "9" * 5000), 2, "out of range")
    assert_refused(cli.run("customer", "list", "--limit", "9" * 5000), 2, "limit: ", "out of range")
    for day in ("0001-01-01", "9999-12-31", "31.12.1899"):
        assert_refused(
            cli.run("retention", "show", "--as-of", day), 2, "as-of: ", "years 1900 to 2999"
        )
    assert_refused(cli.run("customer", "search", "a\udcff"), 2, "text: ", "is not UTF-8 text")
    for command in (
        ("customer", "show", "Ai\udcffno@x.fi"),
        ("org", "show", "Ai\udcffno"),
        ("customer", "list", "--org", "Ai\udcffno"),
        ("order", "show", "Ai\udcffno"),
        ("request", "add", "Ai\udcffno@x.fi", "--kind", "access", "--channel", "email"),
    ):
        assert_refused(cli.run(*command), 2, "is not UTF-8 text")
    assert_refused(
        cli.run("labels", "--format", "csv", "--skip", "2.0"), 2, "skip: '2.0' is not a number"
    )
    assert dump(cli) == before


def test_a_requester_address_is_free_text_like_the_name(cli: Cli) -> None:
    """Each line of `--requester-address` is checked as the requester's name is: a
    personal identity code or a control character is refused, nothing recorded."""
    before = dump(cli)
    for address in (f"Kuusitie 3 {HETU}, 00100 Helsinki", "Kuusitie\x1b[2J 3, 00100 Helsinki"):
        result = cli.run("request", "add", "--requester", "Ville Vieras <v@example.org>",
                         "--kind", "access", "--channel", "letter",
                         "--requester-address", address)  # fmt: skip
        assert_refused(result, 2, "requester-address: ")
    assert dump(cli) == before


def test_a_pinned_today_before_the_registers_years_is_refused(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LAUTEX_TODAY in year 1 would send retention's hundred years off the calendar."""
    monkeypatch.setenv("LAUTEX_TODAY", "0001-01-10")
    assert_refused(
        cli.run("retention", "run", "--dry-run"), 2, "LAUTEX_TODAY: 0001-01-10 is before 1900"
    )


def test_a_settings_date_may_be_toml_s_own_and_is_a_date_of_the_register(
    cli: Cli, tmp_path: Path
) -> None:
    """`statement_date = 2018-01-04` unquoted (TOML's date) loads, and the statement says
    that date; a date outside the register's years is refused like any typed date."""
    from lautex_registry.platform.settings import default_settings_text

    text = default_settings_text()
    assert 'statement_date = "2018-01-04"' in text
    unquoted = tmp_path / "unquoted.toml"
    unquoted.write_text(
        text.replace('statement_date = "2018-01-04"', "statement_date = 2018-02-05")
    )
    cli.ok("settings", "load", "--yes", str(unquoted))
    assert "5.2.2018" in cli.ok("statement", "--lang", "fi").stdout
    before = dump(cli)
    ancient = tmp_path / "ancient.toml"
    ancient.write_text(
        text.replace('statement_date = "2018-01-04"', 'statement_date = "0001-01-01"')
    )
    assert_refused(
        cli.run("settings", "load", "--yes", str(ancient)), 2, "statement_date", "out of range"
    )
    assert dump(cli) == before
