"""A library's or the machine's explanation in an error line reads in the clerk's language.

docs/translating.md, "A library's own words": email-validator's reason (by pattern),
phonenumbers' (by error_type), python-stdnum's (by class), SQLite's (by result code) and
the OS's strerror (by errno) are translated inside the Finnish line; the English line, and
every machine output, keep the library's words byte for byte.
"""

import ast
import errno
import json
import pickle
import re
from pathlib import Path

import email_validator
import phonenumbers
import pytest
from email_validator import EmailSyntaxError, validate_email
from stdnum import exceptions as stdnum_exceptions
from stdnum.fi import ytunnus

from lautex_registry.platform import library_reasons
from lautex_registry.platform.errors import os_reason, shown, sqlite_reason
from lautex_registry.platform.library_reasons import email_reason, phone_reason, stdnum_reason
from lautex_registry.platform.sqlite import sqlite3
from tests.conftest import Cli
from tests.helpers import both_languages


def customer_add(*option: str) -> tuple[str, ...]:
    return ("customer", "add", "--first-name", "Aino", "--last-name", "Äijälä",
            "--source", "web-store", *option)  # fmt: skip


# The whole line in each language. The English lines are those lautex printed before the
# explanations were translated: byte for byte the library's words.
@pytest.mark.parametrize(
    ("option", "finnish", "english"),
    [
        (("--email", "aino virtanen@example.fi"),
         "virhe: email: ei ole kelvollinen sähköpostiosoite (Sähköpostiosoitteen @-merkkiä "
         "edeltävässä osassa on merkkejä, jotka eivät kelpaa: välilyönti.)",
         "error: email: not a valid email address (The email address contains invalid "
         "characters before the @-sign: SPACE.)"),
        (("--email", "aino@" + "a" * 64 + ".fi"),
         "virhe: email: ei ole kelvollinen sähköpostiosoite (@-merkin jälkeen pisteiden välissä "
         "ei voi olla näin monta merkkiä (1 merkki liikaa).)",
         "error: email: not a valid email address (After the @-sign, periods cannot be "
         "separated by so many characters (1 character too many).)"),
        (("--phone", "+358"),
         "virhe: phone: ei ole puhelinnumero (Annettu numero on liian lyhyt puhelinnumeroksi.)",
         "error: phone: not a phone number ((3) The string supplied is too short to be a phone "
         "number.)"),
        (("--phone", "040 1234567890123456789"),
         "virhe: phone: ei ole puhelinnumero (Annettu numero on liian pitkä puhelinnumeroksi.)",
         "error: phone: not a phone number ((4) The string supplied is too long to be a phone "
         "number.)"),
    ],
)  # fmt: skip
def test_a_library_s_reason_is_finnish_in_the_finnish_line_and_unchanged_in_english(
    cli: Cli, no_locale: pytest.MonkeyPatch, option: tuple[str, ...], finnish: str, english: str
) -> None:
    fi, en = both_languages(cli, no_locale, *customer_add(*option), user="clerk")
    assert fi == (2, finnish + "\n")
    assert en == (2, english + "\n")
    with cli.connect() as conn:
        assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 0


def test_a_business_id_with_a_wrong_check_digit_says_so_in_finnish(
    cli: Cli, no_locale: pytest.MonkeyPatch
) -> None:
    fi, en = both_languages(
        cli, no_locale, "org", "add", "Puutalo Oy", "--business-id", "1572860-1"
    )
    assert fi == (2, "virhe: business_id: '1572860-1' ei ole kelvollinen y-tunnus (Tunnuksen "
                     "tarkistusmerkki ei täsmää.)\n")  # fmt: skip
    assert en == (2, "error: business_id: '1572860-1' is not a valid Finnish business ID (The "
                     "number's checksum or check digit is invalid.)\n")  # fmt: skip


def test_a_file_that_is_no_database_is_named_in_finnish_words_of_sqlite(
    cli: Cli, no_locale: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    junk = tmp_path / "notes.db"
    junk.write_bytes(b"these are my notes, not a register\n" * 200)
    fi, en = both_languages(cli, no_locale, "--db", str(junk), "status")
    assert fi == (2, "virhe: tiedosto ei ole käyttökelpoinen lautex-rekisteri: tiedosto ei ole "
                     "tietokanta\n")  # fmt: skip
    assert en == (2, "error: the file is not a usable lautex register: file is not a database\n")


def test_a_config_file_that_is_a_folder_is_named_in_finnish_words_of_the_os(
    cli: Cli, no_locale: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "config" / "lautex" / "config.toml"
    config.mkdir(parents=True)
    no_locale.delenv("LAUTEX_DB")  # the config file is read only when no register is named
    fi, en = both_languages(cli, no_locale, "status")
    assert fi == (2, f"virhe: config: tiedostoa {config} ei voi lukea: se on kansio\n")
    assert en == (2, f"error: config: cannot read {config}: Is a directory\n")


# --- email-validator: every message the installed version raises is in the table ---------

_PACKAGE = Path(email_validator.__file__).parent
_RAISED = frozenset({"EmailSyntaxError", "EmailUndeliverableError"})
_ANY = "\x00"  # a part of a message filled in at run time


def _shape(node: ast.expr) -> str:
    """The message a raise builds, its run-time parts as _ANY."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            _shape(part) if isinstance(part, ast.Constant) else _ANY for part in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _shape(node.left) + _shape(node.right)
    return _ANY


def email_validator_messages() -> list[str]:
    """Every message the installed email-validator can raise, as shapes: each raise of
    EmailSyntaxError or EmailUndeliverableError, and each sentence check_dot_atom fills in
    (`An email address cannot start with a {}.` with `period` or `hyphen`)."""
    shapes: list[str] = []
    for path in sorted(_PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            if node.func.id in _RAISED and node.args:
                argument = node.args[0]
                is_filled_sentence = isinstance(argument, ast.Call) and isinstance(
                    argument.func, ast.Attribute
                )  # start_descr.format(...): the sentences are the check_dot_atom calls
                if not is_filled_sentence:
                    shapes.append(_shape(argument))
            elif node.func.id == "check_dot_atom" and len(node.args) == 3:
                hostname = next(k.value for k in node.keywords if k.arg == "is_hostname")
                assert isinstance(hostname, ast.Constant), ast.dump(hostname)
                words = ("period", "hyphen") if hostname.value else ("period",)
                for argument in node.args[1:3]:
                    assert isinstance(argument, ast.Constant), ast.dump(argument)
                    assert isinstance(argument.value, str)
                    shapes.extend(argument.value.format(word) for word in words)
    return shapes


def _english_forms() -> list[str]:
    forms = []
    for message in library_reasons._EMAIL:
        forms.append(message.template)
        if message.plural is not None:
            forms.append(message.plural)
    return forms


def test_the_scan_finds_the_messages_of_email_validator() -> None:
    shapes = email_validator_messages()
    assert "An email address must have an @-sign." in shapes
    assert f"The email address is too long before the @-sign {_ANY}." in shapes
    assert f"After Unicode normalization: {_ANY}" in shapes
    assert "An email address cannot end with a hyphen." in shapes
    assert len(set(shapes)) >= 50


def test_every_message_email_validator_can_raise_is_in_the_table() -> None:
    """A newer email-validator with a new message fails here: add its template and its
    translation (docs/translating.md, "A library's own words")."""
    forms = _english_forms()
    missing = []
    for shape in sorted(set(email_validator_messages())):
        assert shape.strip(_ANY), "a message the scan cannot read: read the source"
        pattern = re.compile(".+".join(re.escape(piece) for piece in shape.split(_ANY)), re.S)
        if not any(pattern.fullmatch(form) for form in forms):
            missing.append(shape.replace(_ANY, "{...}"))
    assert missing == []


def test_a_period_or_hyphen_sentence_is_only_what_email_validator_raises() -> None:
    """check_dot_atom is called without hyphens for the part before the @-sign."""
    forms = set(_english_forms())
    assert "An email address cannot start with a period." in forms
    assert "An email address cannot end with a hyphen." in forms


# Names the Finnish sentences keep: the standards' and the encodings'.
_NAMES = {"unicode", "punycode"}


def _words(text: str) -> set[str]:
    """The words of a sentence, less what is quoted or in brackets and less abbreviations
    (IDNA, IPv6)."""
    plain = re.sub(r"\([^()]*(\([^()]*\))?[^()]*\)|'[^']*'", "", text)
    words = {w.lower() for w in re.findall(r"[^\W\d_]+", plain) if w[1:].islower() or len(w) == 1}
    return words - _NAMES


# Real addresses, each refused for another reason (the tests' examples of the table).
REFUSED_ADDRESSES = [
    "aino@@example.fi", "aino virtanen@example.fi", "aino\u00a0virtanen@example.fi",
    "x@" + "a" * 300, "x@" + "a" * 254, "a" * 300 + "@x.fi", "a" * 60 + "ä" * 100 + "@x.com",
    '"a"b@x.fi', '"a"@x.fi', "a@b", "a@x.123", "a@localhost.test", "a@" + "b" * 70 + ".fi",
    "a@[1.2.3]", "a@[IPv6:zz]", "a@[x:y]", "a@[x y]", "äö@xn--zz.fi", "a@\u2488com",
    ".a@x.fi", "a.@x.fi", "a..b@x.fi", "a@x.fi.", "a@.x.fi", "a@-x.fi", "a@x.fi-", "a@x-.fi",
    "a@ab--c.fi", "abc", "@x.fi", "a@", "a@x.fi>", "Aino <a@x.fi", "Aino <a@x.fi> z",
    "Ai.no <a@x.fi>", "a\uff20x.fi", "a\ufe6bx.fi", "a\u200b@x.fi", "a@x.\u00adfi",
]  # fmt: skip


@pytest.mark.parametrize("address", REFUSED_ADDRESSES)
def test_a_refused_address_s_reason_is_found_finnish_and_its_english_kept(
    no_locale: pytest.MonkeyPatch, address: str
) -> None:
    with pytest.raises(email_validator.EmailNotValidError) as raised:
        validate_email(address, check_deliverability=False)
    english = str(raised.value)
    reason = email_reason(raised.value)
    assert str(reason) == english
    assert reason.meaning() is not None, english
    no_locale.setenv("LAUTEX_LANG", "fi")
    finnish = reason.translated()
    assert finnish != english
    # Only the characters quoted and the other libraries' words in brackets stay as given.
    assert not _words(english) & _words(finnish), finnish
    no_locale.setenv("LAUTEX_LANG", "en")
    assert reason.translated() == english


def test_a_reason_found_after_unicode_normalization_is_one_finnish_sentence(
    no_locale: pytest.MonkeyPatch,
) -> None:
    words = "After Unicode normalization: An email address cannot end with a period."
    reason = email_reason(EmailSyntaxError(words))
    assert str(reason) == words
    no_locale.setenv("LAUTEX_LANG", "fi")
    assert reason.translated() == (
        "Unicode-normalisoinnin jälkeen: Sähköpostiosoite ei voi päättyä pisteeseen."
    )


def test_a_message_of_a_newer_email_validator_stays_english(no_locale: pytest.MonkeyPatch) -> None:
    reason = email_reason(EmailSyntaxError("The email address is from the future."))
    no_locale.setenv("LAUTEX_LANG", "fi")
    assert reason.translated() == "The email address is from the future."
    # A template that matches but would not give back the very words is not used.
    odd = email_reason(EmailSyntaxError("The email address is too long (01 characters too many)."))
    assert odd.meaning() is None


def test_a_reason_crosses_to_an_import_worker_and_back(no_locale: pytest.MonkeyPatch) -> None:
    """A bulk import validates in other processes: the reason travels pickled."""
    with pytest.raises(email_validator.EmailNotValidError) as raised:
        validate_email("aino virtanen@example.fi", check_deliverability=False)
    reason = pickle.loads(pickle.dumps(email_reason(raised.value)))
    no_locale.setenv("LAUTEX_LANG", "fi")
    assert reason.translated() == (
        "Sähköpostiosoitteen @-merkkiä edeltävässä osassa on merkkejä, jotka eivät kelpaa: "
        "välilyönti."
    )


# --- phonenumbers and python-stdnum: by error_type and by class ---------------------------


@pytest.mark.parametrize(
    ("number", "error_type"),
    [("+", 1), ("1", 1), ("00 1", 2), ("+358", 3), ("040 1234567890123456789", 4)],
)
def test_each_phone_parse_error_is_translated_by_its_type(
    no_locale: pytest.MonkeyPatch, number: str, error_type: int
) -> None:
    with pytest.raises(phonenumbers.NumberParseException) as raised:
        phonenumbers.parse(number, "FI")
    assert raised.value.error_type == error_type
    reason = phone_reason(raised.value)
    assert str(reason) == str(raised.value)
    no_locale.setenv("LAUTEX_LANG", "fi")
    assert reason.translated() not in (str(raised.value), raised.value._msg)


def test_all_five_phone_error_types_have_a_finnish_sentence(no_locale: pytest.MonkeyPatch) -> None:
    no_locale.setenv("LAUTEX_LANG", "fi")
    kinds = [0, 1, 2, 3, 4]
    # By type, not by text: the words phonenumbers chose do not matter.
    shown = [
        phone_reason(phonenumbers.NumberParseException(k, "new words")).translated() for k in kinds
    ]
    assert "new words" not in shown and len(set(shown)) == 5
    assert phone_reason(phonenumbers.NumberParseException(9, "new kind")).translated() == (
        "(9) new kind"
    )


@pytest.mark.parametrize(
    ("value", "finnish"),
    [("1572860-1", "Tunnuksen tarkistusmerkki ei täsmää."),
     ("1572860/0", "Tunnus on väärää muotoa."),
     ("157286-0", "Tunnus on väärän pituinen."),
     ("A572860-0", "Tunnus on väärää muotoa.")],
)  # fmt: skip
def test_a_business_id_s_reason_is_translated_by_its_class(
    no_locale: pytest.MonkeyPatch, value: str, finnish: str
) -> None:
    with pytest.raises(stdnum_exceptions.ValidationError) as raised:
        ytunnus.validate(value)
    reason = stdnum_reason(raised.value)
    assert str(reason) == str(raised.value)
    no_locale.setenv("LAUTEX_LANG", "fi")
    assert reason.translated() == finnish
    component = stdnum_reason(stdnum_exceptions.InvalidComponent("The county is unknown."))
    assert component.translated() == "Jokin tunnuksen osista on virheellinen tai tuntematon."


# --- SQLite by result code, the OS by errno ---------------------------------------------------


def test_sqlite_s_words_are_translated_by_its_code(
    no_locale: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "x.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (k TEXT UNIQUE)")
        conn.execute("INSERT INTO t VALUES ('a')")
        with pytest.raises(sqlite3.IntegrityError) as duplicate:
            conn.execute("INSERT INTO t VALUES ('a')")
    readonly = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as refused:
        readonly.execute("INSERT INTO t VALUES ('b')")
    readonly.close()
    reasons = [sqlite_reason(duplicate.value), sqlite_reason(refused.value)]
    assert [str(r) for r in reasons] == [
        "UNIQUE constraint failed: t.k",
        "attempt to write a readonly database",
    ]
    no_locale.setenv("LAUTEX_LANG", "fi")
    assert [r.translated() for r in reasons] == [
        "sama arvo on jo rekisterissä (UNIQUE): t.k",
        "yritys kirjoittaa vain luettavaan tietokantaan",
    ]
    # By the code, not the text: SQLite's words for a code may change.
    busy = sqlite3.OperationalError("database is locked (waited 5 s)")
    busy.sqlite_errorcode = 5
    assert sqlite_reason(busy).translated() == "tietokanta on lukittu"
    assert sqlite_reason(sqlite3.OperationalError("no such table: x")).translated() == (
        "no such table: x"
    )


def test_the_os_s_words_are_translated_by_errno(
    no_locale: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with pytest.raises(IsADirectoryError) as folder:
        tmp_path.read_bytes()
    with pytest.raises(FileNotFoundError) as missing:
        (tmp_path / "gone").read_bytes()
    reasons = [os_reason(folder.value), os_reason(missing.value)]
    assert [str(r) for r in reasons] == ["Is a directory", "No such file or directory"]
    no_locale.setenv("LAUTEX_LANG", "fi")
    assert [shown(r) for r in reasons] == ["se on kansio", "tiedostoa tai kansiota ei ole"]
    # An errno without a sentence, an error without a strerror: the words as they are.
    assert shown(os_reason(OSError(errno.ECHILD, "No child processes"))) == "No child processes"
    assert shown(os_reason(OSError("no errno"))) == "no errno"


def test_an_import_s_bad_rows_read_in_finnish_and_its_json_report_stays_english(
    cli: Cli, no_locale: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Each bad row's line, the explanation of email-validator included, is Finnish; the
    reasons of the JSON report are the library's English words (docs/rules.md §6)."""
    path = tmp_path / "asiakkaat.csv"
    path.write_text(
        "first_name,last_name,email,source\nAino,Aalto,aino aalto@example.fi,partner\nOlli\n",
        encoding="utf-8",
    )
    args = ("customer", "import", str(path), "--dry-run", "--skip-invalid")
    fi, en = both_languages(cli, no_locale, *args, user="clerk")
    assert fi[0] == en[0] == 0
    assert fi[1].splitlines()[:2] == [
        "rivi 2: email: ei ole kelvollinen sähköpostiosoite (Sähköpostiosoitteen @-merkkiä "
        "edeltävässä osassa on merkkejä, jotka eivät kelpaa: välilyönti.)",
        "rivi 3: kenttiä pitäisi olla 4, niitä on 1",
    ]
    assert en[1].splitlines()[:2] == [
        "line 2: email: not a valid email address (The email address contains invalid "
        "characters before the @-sign: SPACE.)",
        "line 3: expected 4 fields, found 1",
    ]
    no_locale.setenv("LAUTEX_LANG", "fi")
    report = json.loads(cli.run(*args, "-f", "json", user="clerk").stdout)
    assert [p["reason"] for p in report["problems"]] == [
        "email: not a valid email address (The email address contains invalid characters "
        "before the @-sign: SPACE.)",
        "expected 4 fields, found 1",
    ]
