"""The interface speaks the clerk's language; machine outputs never change with it.

docs/rules.md §6 "Language of the interface": the language comes from LAUTEX_LANG or the
locale, English is the source; catalogues are complete for Finnish, compiled and up to date;
JSON, CSV and TSV are byte-identical under any locale.
"""

import gettext
import pickle
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from lautex_registry.cli.app import app, register_commands
from lautex_registry.cli.help_text import translate_help, translate_usage_error
from lautex_registry.cli.output import value_label
from lautex_registry.cli.prompts import ask_yes_no
from lautex_registry.platform import clock, i18n, i18n_catalogues
from lautex_registry.platform.errors import LautexError, NotFound, shown, t, tn
from tests.conftest import Cli
from tests.helpers import add_aino, assert_one_line_error, dummy_args


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "en"),
        ({"LANG": "fi_FI.UTF-8"}, "fi"),
        ({"LANG": "sv_FI"}, "sv"),
        ({"LANG": "sv_SE.UTF-8@euro"}, "sv"),
        ({"LANG": "C"}, "en"),
        ({"LANG": "POSIX"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"LANG": "en_GB.UTF-8"}, "en"),
        # The first of LC_ALL, LC_MESSAGES, LANG that is set decides; empty is unset.
        ({"LC_ALL": "C", "LANG": "fi_FI.UTF-8"}, "en"),
        ({"LC_ALL": "", "LC_MESSAGES": "fi_FI.UTF-8", "LANG": "C"}, "fi"),
        ({"LC_MESSAGES": "sv_FI.UTF-8", "LANG": "fi_FI.UTF-8"}, "sv"),
        # LAUTEX_LANG overrides the locale both ways.
        ({"LAUTEX_LANG": "en", "LC_ALL": "fi_FI.UTF-8"}, "en"),
        ({"LAUTEX_LANG": "fi", "LANG": "C"}, "fi"),
    ],
)
def test_the_language_follows_lautex_lang_then_the_locale(
    no_locale: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for name, value in env.items():
        no_locale.setenv(name, value)
    assert i18n.language() == expected


def test_an_unknown_lautex_lang_is_refused_and_meanwhile_english(no_locale: Any) -> None:
    no_locale.setenv("LAUTEX_LANG", "fi_FI")
    no_locale.setenv("LANG", "fi_FI.UTF-8")
    with pytest.raises(i18n.UnknownLanguage, match="LAUTEX_LANG: 'fi_FI' is not a language"):
        i18n.requested_language()
    assert i18n.language() == "en"


def test_an_unknown_lautex_lang_is_one_error_line_and_exit_2(cli: Cli, no_locale: Any) -> None:
    no_locale.setenv("LAUTEX_LANG", "de")
    before = cli.db.read_bytes()
    result = cli.run("customer", "show", "1")
    assert_one_line_error(result, 2, "LAUTEX_LANG", "'de'", "en, fi, sv")
    assert result.stdout == ""
    assert cli.db.read_bytes() == before


def test_english_opens_no_catalogue(no_locale: pytest.MonkeyPatch) -> None:
    i18n.translations.cache_clear()
    no_locale.setenv("LANG", "C")
    assert i18n.gettext("error: {message}") == "error: {message}"
    assert i18n.ngettext("{count} row", "{count} rows", 2) == "{count} rows"
    assert i18n.pgettext("state", "active") == "active"
    assert i18n.translations.cache_info().currsize == 0
    no_locale.setenv("LANG", "fi_FI.UTF-8")
    assert i18n.gettext("error: {message}") == "virhe: {message}"
    assert i18n.translations.cache_info().currsize == 1


def test_the_two_domains_are_chained(no_locale: pytest.MonkeyPatch) -> None:
    no_locale.setenv("LAUTEX_LANG", "fi")
    # One string of each domain through the one lookup; an unknown one stays English.
    assert i18n.gettext("error: {message}") == "virhe: {message}"
    assert i18n.gettext("order: no order numbered {number}").startswith("order: ei tilausta")
    assert i18n.gettext("no such sentence") == "no such sentence"
    assert i18n.pgettext("no context", "no such word") == "no such word"


def test_swedish_falls_back_to_english_without_a_catalogue(no_locale: pytest.MonkeyPatch) -> None:
    no_locale.setenv("LANG", "sv_FI.UTF-8")
    assert i18n.gettext("error: {message}") == "error: {message}"
    assert t("customer: no customer with id {id}", id=1).translated() == (
        "customer: no customer with id 1"
    )


def test_a_message_is_english_for_machines_and_translated_for_people(
    no_locale: pytest.MonkeyPatch,
) -> None:
    no_locale.setenv("LANG", "fi_FI.UTF-8")
    message = t("customer: no customer with id {id}", id=42)
    error = NotFound(message)
    assert str(error) == str(message) == "customer: no customer with id 42"
    assert error.shown() == shown(message) == "customer: ei asiakasta tunnuksella 42"
    assert repr(message) == "Message('customer: no customer with id 42')"
    assert message == t("customer: no customer with id {id}", id=42)
    assert hash(message) == hash("customer: no customer with id 42")
    # An error crosses a process boundary whole (the import's worker processes).
    copied = pickle.loads(pickle.dumps(error))
    assert (str(copied), copied.shown()) == (str(error), error.shown())
    # A plain string is shown as it is, in any language.
    assert LautexError("plain words").shown() == shown("plain words") == "plain words"


def test_a_plural_message_takes_the_form_of_its_number(no_locale: pytest.MonkeyPatch) -> None:
    no_locale.setenv("LANG", "C")
    one = tn("{count} row read", "{count} rows read", 1, count=1)
    three = tn("{count} row read", "{count} rows read", 3, count=3)
    assert (str(one), str(three)) == ("1 row read", "3 rows read")
    assert (one.translated(), three.translated()) == ("1 row read", "3 rows read")


def test_a_translation_with_a_wrong_placeholder_shows_the_english(
    no_locale: pytest.MonkeyPatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_locale.setenv("LANG", "fi_FI.UTF-8")
    monkeypatch.setattr(i18n, "gettext", lambda message: "virhe {nimi}")
    assert t("error {name}", name="x").translated() == "error x"


def test_the_error_line_speaks_the_locale_and_the_exit_code_does_not_change(
    cli: Cli, no_locale: pytest.MonkeyPatch
) -> None:
    no_locale.setenv("LANG", "fi_FI.UTF-8")
    result = cli.run("customer", "show", "999")
    assert result.exit_code == 3
    assert result.stderr == "virhe: customer: ei asiakasta tunnuksella 999\n"
    no_locale.setenv("LANG", "C")
    result = cli.run("customer", "show", "999")
    assert result.stderr == "error: customer: no customer with id 999\n"
    assert result.exit_code == 3


# The catalogues: complete, consistent, compiled and up to date (docs/translating.md).


def test_the_catalogues_are_complete_compiled_and_up_to_date() -> None:
    assert i18n_catalogues.problems() == []
    assert i18n_catalogues.main(["check"]) == 0


def test_every_msgid_of_both_domains_has_a_finnish_translation() -> None:
    for domain in i18n.DOMAINS:
        template = i18n_catalogues.extract(domain)
        assert len(template) > 0, domain
        with i18n.catalogue_path("fi", domain).open("rb") as file:
            compiled = gettext.GNUTranslations(file)
        for message in template:
            if message.id and isinstance(message.id, str) and not message.context:
                assert compiled.gettext(message.id) != message.id or message.id.isupper(), (
                    f"{domain}: {message.id!r} has no Finnish translation"
                )


def _copy_locale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The catalogues in a copy the test may break, with the tools pointed at it."""
    package = tmp_path / "lautex_registry"
    shutil.copytree(i18n_catalogues.PACKAGE_DIR, package)
    monkeypatch.setattr(i18n_catalogues, "PACKAGE_DIR", package)
    monkeypatch.setattr(i18n_catalogues, "LOCALE_DIR", package / "locale")
    monkeypatch.setattr(i18n, "LOCALE_DIR", package / "locale")
    return package


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


FI_MESSAGES = Path("locale/fi/LC_MESSAGES/messages.po")


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        # A dropped and a renamed placeholder.
        ('"customer: ei asiakasta tunnuksella {id}"', '"customer: ei asiakasta"', "placeholders"),
        ('"customer: ei asiakasta tunnuksella {id}"', '"customer: ei {tunnus}"', "placeholders"),
        ('"customer: ei asiakasta tunnuksella {id}"', '""', "not translated"),
        (
            '\nmsgid "customer: no customer with id {id}"',
            '\n#, fuzzy\nmsgid "customer: no customer with id {id}"',
            "fuzzy",
        ),
    ],
)
def test_the_check_refuses_a_broken_translation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str, problem: str
) -> None:
    package = _copy_locale(tmp_path, monkeypatch)
    _edit(package / FI_MESSAGES, old, new)
    found = i18n_catalogues.problems()
    assert any(problem in line and "customer: no customer with id" in line for line in found)
    # The .mo no longer matches the edited .po either.
    assert any("messages.mo: not compiled" in line for line in found)
    assert i18n_catalogues.main(["check"]) == 1


def test_new_code_strings_make_the_check_fail_until_update_and_translation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = _copy_locale(tmp_path, monkeypatch)
    (package / "records" / "new_rule.py").write_text(
        "from lautex_registry.platform.errors import t, tn\n"
        "A = t('order: {number} is new', number=1)\n"
        "B = tn('{count} row read', '{count} rows read', 2, count=2)\n",
        encoding="utf-8",
    )
    assert "messages.pot: not up to date with the code (run update)" in i18n_catalogues.problems()
    assert i18n_catalogues.main(["update"]) == 0
    assert "order: {number} is new" in (package / "locale" / "messages.pot").read_text()
    found = i18n_catalogues.problems()
    assert not any("not up to date" in line for line in found)
    assert any("'order: {number} is new': not translated" in line for line in found)
    po = package / FI_MESSAGES
    _edit(po, 'msgid "order: {number} is new"\nmsgstr ""', 'msgid "order: {number} is new"\n'
          'msgstr "order: {number} on uusi"')  # fmt: skip
    _edit(po, 'msgstr[0] ""\nmsgstr[1] ""', 'msgstr[0] "{count} rivi luettu"\n'
          'msgstr[1] "{count} riviä luettu"')  # fmt: skip
    assert i18n_catalogues.main(["compile"]) == 0
    assert i18n_catalogues.problems() == []
    # The plural forms come from the catalogue: "1 rivi luettu", "3 riviä luettu".
    i18n.translations.cache_clear()
    monkeypatch.setenv("LAUTEX_LANG", "fi")
    try:
        forms = [tn("{count} row read", "{count} rows read", n, count=n) for n in (1, 3)]
        assert [form.translated() for form in forms] == ["1 rivi luettu", "3 riviä luettu"]
    finally:
        i18n.translations.cache_clear()


def test_a_missing_catalogue_is_reported_and_made_by_update(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = _copy_locale(tmp_path, monkeypatch)
    (package / "locale" / "fi" / "LC_MESSAGES" / "cli.po").unlink()
    assert "fi/cli.po: missing (run update)" in i18n_catalogues.problems()
    i18n_catalogues.update()
    found = i18n_catalogues.problems()
    assert any("fi/cli.po: 'error: {message}': not translated" in line for line in found)


def test_the_documented_check_command_passes_as_a_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lautex_registry.platform.i18n_catalogues", "check"],
        capture_output=True,
        text=True,
    )
    assert (done.returncode, done.stderr) == (0, "")


def test_the_tool_refuses_an_unknown_action(capsys: pytest.CaptureFixture[str]) -> None:
    assert i18n_catalogues.main(["translate"]) == 2
    assert "update|compile|check" in capsys.readouterr().out


def test_the_placeholders_of_both_styles_are_found() -> None:
    assert i18n_catalogues.placeholders("{a} and {b!r} {{not}}") == {"a", "b"}
    assert i18n_catalogues.placeholders("%(prog)s, %s") == {"prog", "%s"}


# Machine outputs: every command, under a Finnish and a C locale, byte for byte.


def _walk(command: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    subcommands = getattr(command, "commands", None)
    if subcommands:
        if path and getattr(command, "invoke_without_command", False):
            yield path, command
        for name, sub in subcommands.items():
            yield from _walk(sub, (*path, name))
    else:
        yield path, command


def _machine_formats(command: Any) -> list[list[str]]:
    """TSV (the default when piped), plus `-f json` and `-f csv` where the command has them."""
    variants: list[list[str]] = [[]]
    for param in command.params:
        if "--format" in getattr(param, "opts", ()):
            annotation = param.type_descriptor.annotation
            values = [str(item.value) for item in annotation]
            variants += [["-f", value] for value in ("json", "jsonl", "csv") if value in values]
    return variants


def _run_everything(folder: Path, lang: str) -> dict[tuple[str, ...], tuple[int, bytes]]:
    """Every command with every machine format on its own copy of the demo register."""
    env = {"LANG": lang, "LAUTEX_DB": str(folder / "demo.db"), "LAUTEX_HOME": str(folder / "home")}
    runner = CliRunner()
    outputs: dict[tuple[str, ...], tuple[int, bytes]] = {}
    for path, command in COMMANDS:
        for variant in _machine_formats(command):
            argv = (*path, *dummy_args(command), *variant)
            result = runner.invoke(app, list(argv), input="", env=env)
            outputs[argv] = (result.exit_code, result.stdout_bytes)
    return outputs


register_commands()
COMMANDS = sorted(_walk(typer.main.get_command(app), ()), key=lambda item: item[0])
# Commands whose stdout is new random secrets each run, whatever the language.
RANDOM_OUTPUT = {("user", "token"), ("user", "add"), ("user", "password"), ("demo",)}


def test_machine_outputs_are_byte_identical_under_any_locale(
    cli: Cli, tmp_path: Path, no_locale: pytest.MonkeyPatch
) -> None:
    # One instant for both runs: the audit trail and sessions stamp the same times.
    no_locale.setattr(clock, "real_now", lambda: datetime(2026, 11, 27, 9, 0, tzinfo=UTC))
    built = cli.run("demo", "--db", str(tmp_path / "built" / "demo.db"), user=None)
    assert built.exit_code == 0, built.output
    no_locale.delenv("LAUTEX_TOKEN", raising=False)
    runs = {}
    for lang in ("fi_FI.UTF-8", "C"):
        # The same paths in both runs: outputs name files (backup list, export paths).
        folder = tmp_path / "run"
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(tmp_path / "built", folder)
        shutil.copytree(cli.home, folder / "home")
        runs[lang] = _run_everything(folder, lang)
    fi, c = runs["fi_FI.UTF-8"], runs["C"]
    assert fi.keys() == c.keys()
    assert len(fi) > len(COMMANDS)  # every command, and the formats on top
    differ = [
        " ".join(argv)
        for argv in fi
        if fi[argv] != c[argv] and not any(argv[: len(p)] == p for p in RANDOM_OUTPUT)
    ]
    assert differ == []
    # The run did real work: listing commands printed rows in both languages.
    assert sum(1 for code, out in fi.values() if code == 0 and out) > 30
    listed = fi[("customer", "list", "-f", "json")]
    assert listed[0] == 0
    assert listed[1].startswith(b"[")


# The command line's own words: help pages, Click's and Typer's strings, usage errors.


def _help_texts(command: Any) -> Iterator[str]:
    for owner in (command, *command.params):
        for name in ("help", "short_help", "epilog"):
            text = getattr(owner, name, None)
            if isinstance(text, str) and text:
                yield text
    for sub in getattr(command, "commands", {}).values():
        yield from _help_texts(sub)


def test_every_help_text_of_every_command_is_translated_to_finnish(
    no_locale: pytest.MonkeyPatch,
) -> None:
    no_locale.setenv("LANG", "fi_FI.UTF-8")
    texts = set(_help_texts(typer.main.get_command(app)))
    assert len(texts) > 200
    untranslated = sorted(text for text in texts if translate_help(text) == text)
    assert untranslated == []


def test_a_help_page_speaks_finnish_and_then_english_again(
    cli: Cli, no_locale: pytest.MonkeyPatch
) -> None:
    no_locale.setenv("LANG", "fi_FI.UTF-8")
    finnish = cli.run("order", "add", "-h", user=None)
    assert finnish.exit_code == 0, finnish.output
    for words in ("Käyttö: lautex order add", "Kirjaa tilaus", "Esimerkki: lautex order add 42",
                  "Argumentit", "Valinnat", "Tilauspäivä (VVVV-KK-PP).",
                  "Näytä tämä ohje ja lopeta.", "[pakollinen]"):  # fmt: skip
        assert words in finnish.stdout, words
    listing = cli.run("customer", "list", "-h", user=None)
    assert "Näytettävät kentät" in listing.stdout
    top = cli.run("-h", user=None)
    assert "Komennot" in top.stdout
    assert "Rakenna esittelyrekisteri" in top.stdout
    # The texts are translated while the page is shown, never in place for good.
    no_locale.setenv("LANG", "C")
    english = cli.run("order", "add", "-h", user=None)
    for words in ("Usage: lautex order add", "Record an order", "Example: lautex order",
                  "Options", "Order date (YYYY-MM-DD).", "Show this message"):  # fmt: skip
        assert words in english.stdout, words
    assert "Valinnat" not in english.stdout


@pytest.mark.parametrize(
    ("argv", "finnish", "english"),
    [
        (["order", "add", "1"], "virhe: Valinta '--number' puuttuu. (katso --help)\n",
         "error: Missing option '--number'. (see --help)\n"),
        (["ordr"], "virhe: Komentoa 'ordr' ei ole. Tarkoititko 'order'? (katso --help)\n",
         "error: No such command 'ordr'. Did you mean 'order'? (see --help)\n"),
        (["order", "list", "--bogus"], "virhe: Tuntematon valinta: --bogus (katso --help)\n",
         "error: No such option: --bogus (see --help)\n"),
        (["order", "list", "extra"], "virhe: Ylimääräisiä argumentteja (extra) (katso --help)\n",
         "error: Got unexpected extra argument(s) (extra) (see --help)\n"),
        (["order", "list", "--limit"], "virhe: Valinta '--limit' vaatii arvon. (katso --help)\n",
         "error: Option '--limit' requires an argument. (see --help)\n"),
    ],
)  # fmt: skip
def test_usage_errors_speak_the_locale_with_the_same_exit_code(
    cli: Cli, no_locale: pytest.MonkeyPatch, argv: list[str], finnish: str, english: str
) -> None:
    no_locale.setenv("LANG", "fi_FI.UTF-8")
    result = cli.run(*argv)
    assert (result.exit_code, result.stderr) == (2, finnish)
    no_locale.setenv("LANG", "C")
    result = cli.run(*argv)
    assert (result.exit_code, result.stderr) == (2, english)


def test_a_usage_error_without_a_template_is_shown_as_it_is(no_locale: Any) -> None:
    no_locale.setenv("LANG", "fi_FI.UTF-8")
    assert translate_usage_error("something Click never said") == "something Click never said"


def test_library_strings_go_through_the_register_catalogue(no_locale: Any) -> None:
    no_locale.setenv("LAUTEX_LANG", "fi")
    no_locale.setenv("LANG", "C")  # LAUTEX_LANG decides for the libraries too
    assert gettext.gettext("Options") == "Valinnat"
    assert gettext.ngettext("an unknown word", "unknown words", 2) == "unknown words"
    no_locale.setenv("LAUTEX_LANG", "en")
    assert gettext.gettext("Options") == "Options"


def test_a_table_for_a_person_has_finnish_headings_and_words_tsv_keeps_the_codes(
    cli: Cli, no_locale: pytest.MonkeyPatch
) -> None:
    customer = add_aino(cli)
    cli.ok("restrict", str(customer), "--reason", "the customer contests the address")
    no_locale.setenv("LANG", "fi_FI.UTF-8")
    table = cli.ok("customer", "list", "-f", "table")
    for words in ("etunimi", "sukunimi", "sähköposti", "tila", "käsittelyä rajoitettu",
                  "verkkokauppa"):  # fmt: skip
        assert words in table.stdout, words
    record = cli.ok("customer", "show", str(customer), "-f", "table")
    assert "postinumero" in record.stdout
    assert "käsittelyä rajoitettu" in record.stdout
    tsv = cli.ok("customer", "list", "-f", "tsv")
    assert tsv.stdout.splitlines()[0].startswith("id\tfirst_name\tlast_name")
    assert "\trestricted\t" in tsv.stdout
    assert "rajoitettu" not in tsv.stdout
    no_locale.setenv("LANG", "C")
    english = cli.ok("customer", "list", "-f", "table")
    assert "first name" in english.stdout
    assert "restricted" in english.stdout
    assert "etunimi" not in english.stdout


def test_a_yes_no_value_in_a_table_is_a_word_of_the_language(no_locale: Any) -> None:
    no_locale.setenv("LANG", "fi_FI.UTF-8")
    assert value_label("signed", True) == "kyllä"
    assert value_label("signed", False) == "ei"
    assert value_label("notes", "active") == "active"  # not a code column
    assert value_label("state", None) is None


def test_messages_of_the_command_line_speak_the_locale(
    cli: Cli, no_locale: pytest.MonkeyPatch
) -> None:
    customer = add_aino(cli)
    no_locale.setenv("LANG", "fi_FI.UTF-8")
    added = cli.ok("order", "add", str(customer), "--number", "T-1", "--date", "2026-11-20",
                   "--channel", "counter", "--line", "Lauta;2;3.50")  # fmt: skip
    assert added.stderr == "lisättiin tilaus T-1\n"
    cli.ok("order", "add", str(customer), "--number", "T-2", "--date", "2026-11-21",
           "--channel", "counter", "--line", "Lauta;1;3.50")  # fmt: skip
    cli.ok("invoice", "add", "T-1", "--number", "L-1", "--issued", "2026-11-20",
           "--due", "2026-11-22")  # fmt: skip
    listed = cli.ok("order", "list", "--limit", "1", "-f", "table")
    assert "näytetään 1/2; käytä valintaa --limit" in listed.stderr
    refused = cli.run("invoice", "list", "--fail-if-any", "--overdue")
    assert refused.stderr.startswith("virhe: 1 laskua erääntynyt: muistuta")
    no_locale.setenv("LANG", "C")
    english = cli.run("invoice", "list", "--fail-if-any", "--overdue")
    assert english.stderr.startswith("error: 1 invoice(s) overdue: remind")
    assert (refused.exit_code, refused.stdout) == (english.exit_code, english.stdout) != (0, "")


def test_the_confirmation_asks_in_finnish_and_takes_k(
    no_locale: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    no_locale.setenv("LANG", "fi_FI.UTF-8")
    asked: list[str] = []
    answers = iter(["joo", "k"])

    def prompt(text: str, **options: Any) -> str:
        asked.append(text)
        return next(answers)

    no_locale.setattr(typer, "prompt", prompt)
    assert ask_yes_no("Poistetaanko asiakas 7 kuten näytetty?") is True
    assert asked == ["Poistetaanko asiakas 7 kuten näytetty? [k/E] (y/N)"] * 2
    assert "vastaa k tai kyllä" in capsys.readouterr().err


def test_a_finnish_command_that_prints_nothing_translated_opens_no_catalogue(
    cli: Cli, no_locale: pytest.MonkeyPatch
) -> None:
    no_locale.setenv("LANG", "fi_FI.UTF-8")
    i18n.translations.cache_clear()
    try:
        listed = cli.ok("customer", "list", "-f", "json")
        assert listed.stdout.startswith("[")
        assert i18n.translations.cache_info().currsize == 0
        cli.run("customer", "show", "999")  # an error line: now the catalogue is read
        assert i18n.translations.cache_info().currsize == 1
    finally:
        i18n.translations.cache_clear()


@pytest.mark.parametrize("damage", ["truncated", "not a catalogue", "missing"])
def test_a_damaged_catalogue_speaks_english_with_the_same_exit_code_and_stdout(
    cli: Cli, no_locale: pytest.MonkeyPatch, tmp_path: Path, damage: str
) -> None:
    expected = cli.run("customer", "show", "999")
    listed = cli.ok("customer", "import", "--runs", "-f", "json")
    package = _copy_locale(tmp_path, no_locale)
    for domain in i18n.DOMAINS:
        mo = package / "locale" / "fi" / "LC_MESSAGES" / f"{domain}.mo"
        if damage == "truncated":
            mo.write_bytes(mo.read_bytes()[:40])
        elif damage == "not a catalogue":
            mo.write_bytes(b"this is no catalogue at all, only text")
        else:
            mo.unlink()
            mo.mkdir()  # no catalogue file where it should be
    no_locale.setenv("LANG", "fi_FI.UTF-8")
    i18n.translations.cache_clear()
    try:
        result = cli.run("customer", "show", "999")
        again = cli.run("customer", "import", "--runs", "-f", "json")
    finally:
        i18n.translations.cache_clear()
    assert result.exit_code == expected.exit_code == 3
    assert result.stdout == expected.stdout
    assert "error: customer: no customer with id 999" in result.stderr  # English
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    if damage == "missing":  # as for Swedish: English, and nothing to warn about
        assert warnings == []
    else:  # once a file, not once a string
        assert len(warnings) == 2 and "English is shown instead" in warnings[0]
    assert again.exit_code == 0 and again.stdout == listed.stdout


# The messages of the commands converted last (docs/translating.md, "Strings of the
# command line"): a clerk under a Finnish locale reads no English sentence, and the same
# steps under English read exactly what the README quotes, with the same exit codes.


def _day_in_the_register(
    cli: Cli, env: pytest.MonkeyPatch, folder: Path, lang: str
) -> dict[str, Any]:
    """The same steps in one language: what each wrote on stderr, and exit codes and stdout."""
    env.setenv("LAUTEX_LANG", lang)
    seen: dict[str, Any] = {}
    rows = folder / f"asiakkaat-{lang}.csv"
    rows.write_text(
        "first_name,last_name,email,source\n"
        f"Aino,Äijälä,aino.{lang}@example.fi,web-store\n"
        "Eino,,eino@example.fi,web-store\n",
        encoding="utf-8",
    )
    imported = cli.run("customer", "import", str(rows), "--dry-run", "--skip-invalid")
    seen["import"] = imported
    added = cli.ok("customer", "add", "--first-name", "Aino", "--last-name", "Äijälä",
                   "--email", f"aino.{lang}@example.fi", "--source", "web-store")  # fmt: skip
    seen["customer"] = customer = added.stdout.strip()
    seen["add"] = added
    seen["edit"] = cli.ok("customer", "edit", customer, "--phone", "040 123 4567")
    seen["unchanged"] = cli.ok("customer", "edit", customer, "--phone", "040 123 4567")
    request = cli.ok("request", "add", customer, "--kind", "erasure", "--channel", "email")
    seen["request"] = request
    seen["listed"] = cli.run("request", "list", "--fail-if-any")
    seen["backup"] = cli.ok("backup", str(folder / f"copy-{lang}.db"))
    seen["dry-run"] = cli.ok("erase", customer, "--request", request.stdout.strip(), "--dry-run")
    seen["erase"] = cli.ok("erase", customer, "--request", request.stdout.strip(), "--yes")
    seen["shell"] = cli.run("shell", input="login admin\nshell\n")
    return seen


def test_the_converted_commands_speak_finnish_and_english_is_unchanged(
    cli: Cli, no_locale: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fi = _day_in_the_register(cli, no_locale, tmp_path, "fi")
    en = _day_in_the_register(cli, no_locale, tmp_path, "en")
    # Machine outputs and exit codes do not follow the language.
    for step in fi:
        if step != "customer":
            assert fi[step].exit_code == en[step].exit_code, step
    assert fi["import"].exit_code == 0 and fi["listed"].exit_code != 0
    first, second = fi["customer"], en["customer"]
    # customer import: each bad row's line number; the summary is the records' sentence.
    assert fi["import"].stderr.startswith("rivi 3: ")
    assert en["import"].stderr.startswith("line 3: ")
    assert fi["add"].stderr == f"lisättiin asiakas {first}\n"
    assert en["add"].stderr == f"added customer {second}\n"
    assert fi["edit"].stderr == f"asiakas {first}: muutettiin phone\n"
    assert en["edit"].stderr == f"customer {second}: changed phone\n"
    assert fi["unchanged"].stderr == f"asiakas {first}: mitään ei muutettu\n"
    assert en["unchanged"].stderr == f"customer {second}: nothing changed\n"
    assert fi["request"].stderr.startswith("lisättiin pyyntö ")
    assert ", määräpäivä 20" in fi["request"].stderr
    assert en["request"].stderr.startswith("added request ") and ", due 20" in en["request"].stderr
    # One open request in Finnish (the singular), two by the English run.
    assert fi["listed"].stderr == (
        "virhe: 1 pyyntö listattu: vastaa siihen (GDPR 12 art. 3 kohta)\n"
    )
    assert en["listed"].stderr == "error: 2 request(s) listed: answer them (GDPR Art. 12(3))\n"
    assert fi["backup"].stderr.startswith(f"rekisteri varmuuskopioitiin: {tmp_path}")
    assert " tavua, sha256 " in fi["backup"].stderr
    assert en["backup"].stderr.startswith(f"backed up the register to {tmp_path}")
    assert " bytes, sha256 " in en["backup"].stderr
    assert "kokeiluajo: mitään ei muutettu" in fi["dry-run"].stderr
    assert "dry run: nothing was changed" in en["dry-run"].stderr
    assert f"asiakas {first} poistettiin kokonaan\n" in fi["erase"].stderr
    assert f"customer {second} erased completely\n" in en["erase"].stderr
    assert fi["shell"].stderr.splitlines() == [
        "virhe: login: komentotulkki toimii sen käyttäjän nimissä, joka oli kirjautuneena sen "
        "käynnistyessä: kirjoita `exit` ja sitten `lautex login`",
        "virhe: shell: tämä on jo komentotulkki",
    ]
    assert en["shell"].stderr.splitlines() == [
        "error: login: the shell runs as the user logged in when it started: type `exit`, "
        "then `lautex login`",
        "error: shell: this is a shell already",
    ]
    for step, result in fi.items():
        if step != "customer":
            for english in ("added ", "customer ", "request ", "backed up", "erased", "error:"):
                assert english not in result.stderr, (step, result.stderr)


def test_the_erasure_summary_with_holds_speaks_finnish(no_locale: pytest.MonkeyPatch) -> None:
    from datetime import date
    from types import SimpleNamespace

    from lautex_registry.cli.erasing import describe

    ends = date(2033, 12, 31)
    held = SimpleNamespace(
        customer_id=7, outcome="anonymised-with-holds", holds=[1, 2], last_hold_ends=ends
    )
    anonymised = SimpleNamespace(customer_id=7, outcome="anonymised", holds=[], last_hold_ends=None)
    no_locale.setenv("LAUTEX_LANG", "en")
    assert describe(held) == (  # type: ignore[arg-type]
        "customer 7 anonymised-with-holds; 2 hold(s), the last ending 2033-12-31"
    )
    assert describe(anonymised) == "customer 7 anonymised"  # type: ignore[arg-type]
    no_locale.setenv("LAUTEX_LANG", "fi")
    assert describe(held) == (  # type: ignore[arg-type]
        "asiakas 7 anonymisoitu säilytysvelvoittein; 2 säilytysvelvoitetta, viimeinen päättyy "
        "2033-12-31"
    )
    assert describe(anonymised) == "asiakas 7 anonymisoitu"  # type: ignore[arg-type]


def test_the_retention_policies_and_demo_counts_have_finnish_words(
    no_locale: pytest.MonkeyPatch,
) -> None:
    from io import StringIO

    from rich.console import Console
    from rich.progress import Progress

    from lautex_registry.cli.commands.demo import _count_words
    from lautex_registry.cli.commands.retention import policy_words
    from lautex_registry.cli.output import ProgressBar
    from lautex_registry.erasure import retention

    policies = [retention.VOUCHERS, retention.FINISHED_ERASURES, retention.INACTIVE_CUSTOMERS,
                retention.CLOSED_REQUESTS, retention.DOCUMENTS, retention.BACKUPS]  # fmt: skip
    no_locale.setenv("LAUTEX_LANG", "en")
    assert [policy_words(name) for name in policies] == policies
    assert _count_words("customers", 200) == "200 customers"
    no_locale.setenv("LAUTEX_LANG", "fi")
    words = [policy_words(name) for name in policies]
    assert words == ["tositteet", "loppuun viedyt poistot", "passiiviset asiakkaat",
                     "suljetut pyynnöt", "asiakirjat", "varmuuskopiot"]  # fmt: skip
    # The progress bar of `retention run` shows these words; its tasks keep the codes.
    with Progress(console=Console(file=StringIO())) as shown_bar:
        bar = ProgressBar(shown_bar)
        bar.totals({retention.VOUCHERS: 3}, policy_words)
        bar.advance(retention.VOUCHERS, 2)
        (task,) = shown_bar.tasks
        assert (task.description, task.completed) == ("tositteet", 2)
    assert _count_words("customers", 200) == "200 asiakasta"
    assert _count_words("customers", 1) == "1 asiakas"
    assert _count_words("requests open", 2) == "2 pyyntöä avoinna"


def test_the_demo_counts_and_its_lines_are_finnish(
    cli: Cli, no_locale: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    no_locale.setenv("LAUTEX_LANG", "fi")
    result = cli.run("demo", "--db", str(tmp_path / "demo.db"), user=None)
    assert result.exit_code == 0, result.output
    built = result.stderr.splitlines()[0]
    assert built.startswith("rakennettiin esittelyrekisteri "), built
    assert ": 1 organisaatio, 200 asiakasta, " in built or " 200 asiakasta, " in built, built
    for english in ("customers", "orders", "recipients", "requests", "consents", "objections"):
        assert english not in built, built


def test_a_password_mismatch_is_said_in_finnish_and_asked_again(
    no_locale: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from lautex_registry.cli.prompts import read_password

    class Terminal:
        def isatty(self) -> bool:
            return True

    asked: list[str] = []
    answers = iter(["salasana-1", "salasana-2", "salasana-1", "salasana-1"])

    def prompt(text: str, **options: Any) -> str:
        asked.append(text)
        return next(answers)

    no_locale.setattr(typer, "prompt", prompt)
    no_locale.setattr(sys, "stdin", Terminal())
    no_locale.setenv("LAUTEX_LANG", "fi")
    assert read_password(from_stdin=False, confirm=True) == "salasana-1"
    assert asked == ["Salasana", "Toista vahvistukseksi"] * 2
    assert capsys.readouterr().out == "Virhe: annetut arvot eivät täsmää.\n"
    no_locale.setenv("LAUTEX_LANG", "en")
    answers = iter(["a-password", "another", "a-password", "a-password"])
    asked.clear()
    assert read_password(from_stdin=False, confirm=True) == "a-password"
    assert asked == ["Password", "Repeat for confirmation"] * 2
    assert capsys.readouterr().out == "Error: The two entered values do not match.\n"
