"""The domain's messages (`messages` catalogue) reach a Finnish clerk in Finnish.

docs/rules.md §6 "Language of the interface": an error raised below the command line is a
whole sentence whose values are filled in after translation; its English text, what scripts
and machine outputs see, does not change with the locale, nor does the exit code.
"""

import errno
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from lautex_registry.platform import db
from lautex_registry.platform.errors import (
    EnvironmentRefused,
    InvalidInput,
    NotFound,
    Refused,
    bad_path,
    environment_refused,
    register_error,
    t,
)
from lautex_registry.platform.register_location import RegisterLocation
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records import recipients
from tests.conftest import Cli
from tests.helpers import (
    add_invoice,
    add_order_on,
    add_quinta,
    both_languages,
    erasure_request,
    insert_org,
)


def test_customer_not_found_is_finnish_with_its_id(cli: Cli, no_locale: pytest.MonkeyPatch) -> None:
    finnish, english = both_languages(cli, no_locale, "customer", "show", "4711")
    assert finnish == (3, "virhe: customer: ei asiakasta tunnuksella 4711\n")
    assert english == (3, "error: customer: no customer with id 4711\n")


def test_an_invalid_email_on_customer_add_is_finnish_and_adds_nobody(
    cli: Cli, no_locale: pytest.MonkeyPatch
) -> None:
    args = ("customer", "add", "--first-name", "Aino", "--last-name", "Äijälä",
            "--email", "aino@@example.fi", "--source", "web-store")  # fmt: skip
    finnish, english = both_languages(cli, no_locale, *args, user="clerk")
    assert finnish[0] == english[0] == 2
    # The field before the colon is what the clerk typed; the reason is translated, and so
    # is email-validator's explanation in brackets (platform/library_reasons.py).
    assert finnish[1] == (
        "virhe: email: ei ole kelvollinen sähköpostiosoite (Sähköpostiosoitteen @-merkin "
        "jälkeisessä osassa on merkkejä, jotka eivät kelpaa: '@'.)\n"
    )
    assert english[1] == (
        "error: email: not a valid email address (The part after the @-sign contains invalid "
        "characters: '@'.)\n"
    )
    with cli.connect() as conn:
        assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 0


@pytest.mark.parametrize(
    ("option", "value", "finnish", "english"),
    [
        ("--phone", "040 ABC 4567", "phone: vain numeroita; puhelinnumerossa ei saa olla kirjaimia",
         "phone: digits only; letters are not allowed in a phone number"),
        ("--postal-code", "123", "postal_code: suomalainen postinumero on tasan viisi numeroa",
         "postal_code: a Finnish postal code is exactly five digits"),
        ("--country", "ZZ", "country: ZZ ei ole ISO 3166-1 -maatunnus",
         "country: ZZ is not an ISO 3166-1 country code"),
        ("--first-name", "Aino\x1b", "first_name: ohjausmerkki ESC kohdassa 5 ei ole sallittu",
         "first_name: control character ESC at position 5 is not allowed"),
    ],
)  # fmt: skip
def test_a_validator_speaks_finnish_with_the_value_filled_in(
    cli: Cli, no_locale: pytest.MonkeyPatch, option: str, value: str, finnish: str, english: str
) -> None:
    args = ["customer", "add", "--first-name", "Aino", "--last-name", "Äijälä",
            "--source", "web-store", option, value]  # fmt: skip
    fi, en = both_languages(cli, no_locale, *args, user="clerk")
    assert fi[0] == en[0] == 2
    assert fi[1].startswith(f"virhe: {finnish}"), fi[1]
    assert en[1].startswith(f"error: {english}"), en[1]


def test_a_refused_erasure_request_with_a_hold_is_finnish(
    cli: Cli, no_locale: pytest.MonkeyPatch
) -> None:
    customer = add_quinta(cli)
    add_order_on(cli, customer, "T-1")
    add_invoice(cli, "T-1", "2026-0001", "2026-11-20", "2026-12-04")
    first, second = erasure_request(cli, customer), erasure_request(cli, customer)
    cli.ok("erase", str(customer), "--request", str(first), "--yes", user="clerk")

    args = ("request", "close", str(second), "--outcome", "completed")
    (fi_code, fi_err), (en_code, en_err) = both_languages(cli, no_locale, *args, user="clerk")

    assert fi_code == en_code == 4
    assert fi_err == (
        f"virhe: pyyntö {second}: asiakas {customer} on anonymisoitu säilytysvelvoittein "
        "(laskutustiedot säilytetään velvoitteiden päättymiseen asti), joten poisto ei ole "
        f"valmis: aja `lautex erase {customer} --request {second}`, joka sulkee pyynnön "
        "osittain hylättynä (partially-refused) ja perustelee sen säilytysvelvoitteilla, tai "
        "sulje se valitsimilla --outcome partially-refused --reason TEXT\n"
    )
    assert en_err.startswith(
        f"error: request {second}: customer {customer} is anonymised with holds"
    )


def test_an_invoice_in_the_wrong_state_names_the_action_refused_in_finnish(
    cli: Cli, no_locale: pytest.MonkeyPatch
) -> None:
    customer = add_quinta(cli)
    add_order_on(cli, customer, "T-1")
    add_invoice(cli, "T-1", "2026-0001", "2026-11-20", "2026-12-04")
    cli.ok("invoice", "pay", "2026-0001", "--date", "2026-11-25", user="clerk")
    fi, en = both_languages(
        cli, no_locale, "invoice", "remind", "2026-0001", "--date", "2026-11-26", user="clerk"
    )
    assert fi == (4, "virhe: lasku 2026-0001 on tilassa paid: siitä ei voi lähettää "
                     "maksumuistutusta\n")  # fmt: skip
    assert en == (4, "error: invoice 2026-0001 is paid: it cannot be reminded\n")


def test_a_request_of_the_wrong_kind_is_one_finnish_sentence(
    cli: Cli, no_locale: pytest.MonkeyPatch
) -> None:
    customer = add_quinta(cli)
    added = cli.ok("request", "add", str(customer), "--kind", "access", "--channel", "email",
                   user="clerk")  # fmt: skip
    access = int(added.stdout)
    args = ("rectify", str(customer), "--set", "city=Espoo", "--reason", "moved",
            "--request", str(access))  # fmt: skip
    fi, en = both_languages(cli, no_locale, *args, user="clerk")
    assert fi == (2, f"virhe: request: pyyntö {access} on access-pyyntö, ei "
                     "rectification-pyyntö\n")  # fmt: skip
    assert en == (2, f"error: request: {access} is an access request, not a rectification "
                     "request\n")  # fmt: skip


@contextmanager
def write_lock_held(cli: Cli) -> Iterator[None]:
    holder = sqlite3.connect(cli.db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_busy_register_says_so_in_finnish_and_exits_6(
    cli: Cli, no_locale: pytest.MonkeyPatch
) -> None:
    no_locale.setattr(db, "BUSY_TIMEOUT_MS", 100)
    args = ("customer", "add", "--first-name", "Aino", "--last-name", "Äijälä",
            "--source", "web-store")  # fmt: skip
    with write_lock_held(cli):
        fi, en = both_languages(cli, no_locale, *args, user="clerk")
    assert fi == (6, "virhe: rekisteri on varattu (tietokanta on lukittu): yritä hetken "
                     "kuluttua uudelleen\n")  # fmt: skip
    assert en == (6, "error: the register is busy (database is locked): try again in a "
                     "moment\n")  # fmt: skip
    with cli.connect() as conn:
        assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 0


def test_a_clause_inside_a_sentence_is_shown_in_the_same_language(
    no_locale: pytest.MonkeyPatch,
) -> None:
    """The machine's reason and what was being done are Messages inside the sentence."""
    exc = OSError(28, "No space left on device")
    error = environment_refused(exc, t("{field}: cannot write {target}", field="output",
                                       target="/tmp/x.csv"))  # fmt: skip
    assert isinstance(error, EnvironmentRefused)
    no_locale.setenv("LAUTEX_LANG", "fi")
    assert error.shown() == (
        "ympäristö: levy on täynnä: output: tiedostoon /tmp/x.csv ei voi kirjoittaa "
        "(laitteella ei ole tilaa); rekisteri on ennallaan"
    )
    # str() is English under any locale: logs and JSON reports carry it.
    assert str(error) == (
        "environment: the disk is full: output: cannot write /tmp/x.csv "
        "(No space left on device); the register is as it was"
    )
    full = register_error(sqlite3.OperationalError("database or disk is full"))
    assert full is not None and full.shown() == (
        "ympäristö: levy on täynnä (tietokanta tai levy on täynnä); rekisteri on ennallaan"
    )
    no_locale.setenv("LAUTEX_LANG", "en")
    assert error.shown() == str(error)


def test_an_error_inside_a_sentence_is_shown_translated(no_locale: pytest.MonkeyPatch) -> None:
    inner = InvalidInput(t("{field}: must not be empty", field="name"))
    outer = Refused(t("backup verify: {shown}: {reason}", shown="copy.db", reason=inner))
    no_locale.setenv("LAUTEX_LANG", "fi")
    assert outer.shown() == "backup verify: copy.db: name: ei saa olla tyhjä"
    assert str(outer) == "backup verify: copy.db: name: must not be empty"


def test_a_refusal_returned_by_a_service_is_a_translatable_sentence(
    no_locale: pytest.MonkeyPatch,
) -> None:
    refusal = recipients.transfer_refusal("Acme Inc", "US", None)
    assert refusal is not None
    assert str(refusal).startswith("Acme Inc is in US, outside the EU/EEA")
    no_locale.setenv("LAUTEX_LANG", "fi")
    assert refusal.translated().startswith("Acme Inc sijaitsee maassa US, EU:n/ETA:n ulkopuolella")


def test_the_erasure_plan_a_clerk_reads_is_finnish_and_the_json_plan_is_not(
    cli: Cli, no_locale: pytest.MonkeyPatch
) -> None:
    customer = add_quinta(cli)
    add_order_on(cli, customer, "T-1")
    add_invoice(cli, "T-1", "2026-0001", "2026-11-20", "2026-12-04")
    table = ("erase", str(customer), "--dry-run", "-f", "table")
    json_plan = ("erase", str(customer), "--dry-run", "-f", "json")

    no_locale.setenv("LAUTEX_LANG", "fi")
    no_locale.setenv("COLUMNS", "200")
    finnish = cli.run(*table, user="clerk")
    finnish_json = cli.run(*json_plan, user="clerk")
    no_locale.setenv("LAUTEX_LANG", "en")
    english = cli.run(*table, user="clerk")
    english_json = cli.run(*json_plan, user="clerk")

    assert finnish.exit_code == english.exit_code == 0
    for words in ("sähköposti", "yhteysosoite", "tyhjennetty",
                  "näiden laskujen laskutusnimi ja -osoite:", "kunnes maksettu, enintään",
                  "laki velan vanhentumisesta 728/2003"):  # fmt: skip
        assert words in finnish.stdout, words
        assert words not in english.stdout, words
    for words in ("contact address", "cleared", "until paid, at most",
                  "Limitation of Debts Act 728/2003"):  # fmt: skip
        assert words in english.stdout, words
    # The JSON plan is a machine format: English words, byte for byte, in any language.
    assert finnish_json.stdout == english_json.stdout
    assert '"how": "cleared"' in english_json.stdout
    with cli.connect() as conn:  # a dry run changes nothing
        assert conn.execute("SELECT state FROM customers").fetchone()[0] == "active"


def test_a_msgid_of_both_domains_reads_the_same_in_both() -> None:
    """A string is looked up in `messages` first, then in `cli` (docs/translating.md): the
    same English in both must not mean two things in Finnish, or one domain's word would
    silently replace the other's."""
    from babel.messages.pofile import read_po

    from lautex_registry.platform import i18n

    found = {}
    for domain in i18n.DOMAINS:
        with i18n.catalogue_path("fi", domain, ".po").open("rb") as file:
            catalog = read_po(file, locale="fi", domain=domain)
        found[domain] = {m.id: m.string for m in catalog if m.id and not m.context}
    shared = found["messages"].keys() & found["cli"].keys()
    assert {k: (found["messages"][k], found["cli"][k]) for k in shared
            if found["messages"][k] != found["cli"][k]} == {}  # fmt: skip


@pytest.mark.parametrize(
    ("source", "where", "fix"),
    [
        ("--db", "given with --db", "check the path"),
        ("LAUTEX_DB", "from $LAUTEX_DB", "check the path"),
        ("config", "`db` in ", "correct it with `lautex --db PATH config --save`"),
        ("default", "the default: no --db", "run `lautex init` to create one here"),
    ],
)
def test_a_missing_register_says_where_the_path_came_from(
    tmp_path: Path, no_locale: pytest.MonkeyPatch, source: str, where: str, fix: str
) -> None:
    location = RegisterLocation(tmp_path / "gone.db", source, tmp_path / "config.toml")
    with pytest.raises(NotFound) as raised:
        location.require_existing()
    assert str(raised.value).startswith(f"no register at {tmp_path / 'gone.db'} ({where}")
    assert fix in str(raised.value)
    no_locale.setenv("LAUTEX_LANG", "fi")
    assert raised.value.shown().startswith(f"rekisteriä ei ole polussa {tmp_path / 'gone.db'}")
    assert where not in raised.value.shown()


@pytest.mark.parametrize("filename", ["/tmp/x" * 3, None])
def test_a_path_the_file_system_cannot_follow_names_it_when_it_is_known(
    no_locale: pytest.MonkeyPatch, filename: str | None
) -> None:
    error = bad_path(OSError(errno.ENAMETOOLONG, "File name too long", filename), "output")
    assert error is not None
    named = "'/tmp/x/tmp/x/tmp/x'" if filename else "the path"
    assert str(error) == f"output: {named} is too long for the file system"
    no_locale.setenv("LAUTEX_LANG", "fi")
    assert error.shown() == (
        f"output: {named if filename else 'polku'} on liian pitkä tiedostojärjestelmälle"
    )
    assert bad_path(OSError(errno.ENOENT, "No such file or directory")) is None


@pytest.mark.parametrize("filename", ["/srv/register.db", None])
def test_a_refused_write_names_the_file_when_it_is_known(
    no_locale: pytest.MonkeyPatch, filename: str | None
) -> None:
    error = register_error(OSError(errno.EROFS, "Read-only file system", filename))
    assert isinstance(error, EnvironmentRefused)
    where = f": {filename}" if filename else ""
    assert (
        str(error) == f"environment: the file system is read-only{where}; the register is as it was"
    )
    no_locale.setenv("LAUTEX_LANG", "fi")
    assert error.shown() == (
        f"ympäristö: tiedostojärjestelmä on vain luku -tilassa{where}; rekisteri on ennallaan"
    )


def test_a_request_about_nobody_is_refused_for_a_customer_in_finnish(
    cli: Cli, no_locale: pytest.MonkeyPatch
) -> None:
    customer = add_quinta(cli)
    added = cli.ok("request", "add", "--requester", "Ville Vieras <v@ex.fi>", "--kind",
                   "rectification", "--channel", "email", user="clerk")  # fmt: skip
    request = int(added.stdout)
    args = ("rectify", str(customer), "--set", "city=Espoo", "--reason", "moved",
            "--request", str(request))  # fmt: skip
    fi, en = both_languages(cli, no_locale, *args, user="clerk")
    assert en == (2, f"error: request: {request} is about no customer, not {customer}\n")
    assert fi == (2, f"virhe: request: pyyntö {request} ei koske mitään asiakasta, ei "
                     f"asiakasta {customer}\n")  # fmt: skip


def test_the_json_import_report_keeps_its_english_reasons_under_a_finnish_locale(
    cli: Cli, no_locale: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    insert_org(cli, "Puutalo Oy", None)  # an organisation without a business ID
    path = tmp_path / "yritykset.csv"
    path.write_text(
        "Etunimi;Sukunimi;Yritys;Y-tunnus;Lähde\nOlli;Ojala;Puutalo Oy;0737546-2;partner\n",
        encoding="utf-8",
    )
    args = ("customer", "import", str(path), "--dry-run", "-f", "json")
    no_locale.setenv("LAUTEX_LANG", "fi")
    finnish = cli.run(*args, user="clerk")
    no_locale.setenv("LAUTEX_LANG", "en")
    english = cli.run(*args, user="clerk")
    assert finnish.exit_code == english.exit_code != 0
    assert finnish.stdout == english.stdout
    report = json.loads(english.stdout)
    assert [p["reason"] for p in report["problems"]] == [
        "business_id: organisation 1 ('Puutalo Oy') has no business ID, not 0737546-2"
    ]


def test_the_import_summary_and_each_bad_row_read_in_finnish_and_stay_english_in_json(
    cli: Cli, no_locale: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "asiakkaat.csv"
    path.write_text(
        "Etunimi;Sukunimi;Sähköposti;Lähde\n"
        "Aino;Aalto;aino@example.fi;partner\n"
        "Olli;Ojala;aino@example.fi;partner\n"
        "Eero;Esko;ei-osoite;partner\n",
        encoding="utf-8",
    )
    args = ("customer", "import", str(path), "--dry-run", "--skip-invalid")
    finnish, english = both_languages(cli, no_locale, *args, user="clerk")
    assert finnish[0] == english[0] == 0
    assert "rivi 3: email: sama osoite on rivillä 2; ei tuotu" in finnish[1]
    assert finnish[1].splitlines()[-1] == (
        "rivejä luettu: 3, kelvollisia: 1, virheellisiä: 1, ohitettuja kaksoiskappaleita: 1; "
        "kokeiluajo: mitään ei kirjoitettu; tallennettavia asiakkaita olisi 1"
    )
    assert "line 3: email: the same address is on line 2; not imported" in english[1]
    assert english[1].splitlines()[-1] == (
        "3 rows read, 1 valid, 1 invalid, 1 duplicates skipped; "
        "dry run: nothing written; 1 customers would be stored"
    )
    no_locale.setenv("LAUTEX_LANG", "fi")
    report = json.loads(cli.run(*args, "-f", "json", user="clerk").stdout)
    assert {p["reason"] for p in report["problems"] if p["kind"] == "duplicate"} == {
        "email: the same address is on line 2; not imported"
    }


def test_a_broken_audit_trail_is_named_in_finnish_and_in_english_in_json(
    cli: Cli, no_locale: pytest.MonkeyPatch
) -> None:
    with cli.connect() as conn:
        conn.execute("DROP TRIGGER audit_log_no_update")
        conn.execute("""UPDATE audit_log SET details_json = '{"role": "admin"}' WHERE id = 3""")
    finnish, english = both_languages(cli, no_locale, "audit", "verify")
    assert finnish == (
        4,
        "virhe: tarkastusloki on rikki rivillä 3: sen sisältö ei vastaa sen tiivistettä\n",
    )
    assert english == (
        4,
        "error: the audit trail is broken at row 3: its content does not match its hash\n",
    )
    no_locale.setenv("LAUTEX_LANG", "fi")
    report = json.loads(cli.run("audit", "verify", "-f", "json").stdout)
    assert report["problem"] == "its content does not match its hash"
