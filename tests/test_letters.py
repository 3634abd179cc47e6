"""Reply letters of requests: access reply, extension notice, refusal, no data held."""

import hashlib
import json
import stat
from pathlib import Path
from typing import Any

import pytest

from lautex_registry.platform import wording
from tests.conftest import Cli
from tests.helpers import add_customer, info_for

LANGS = ("fi", "en")


def add_addressee(cli: Cli) -> str:
    """A customer with a postal address to write to: her id as the commands take it."""
    return str(add_customer(
        cli, "--first-name", "Aino", "--last-name", "Äijälä",
        "--email", "aino@example.fi", "--street", "Koivukuja 1", "--postal-code", "00100",
        "--city", "Helsinki", "--source", "web-store",
    ))  # fmt: skip


def add_request(cli: Cli, *args: str) -> str:
    return cli.ok("request", "add", *args, user="clerk").stdout.strip()


def letter(cli: Cli, request_id: str, *args: str) -> str:
    return cli.ok("request", "letter", request_id, *args, user="clerk").stdout


def flat(text: str) -> str:
    return " ".join(text.split())


def last_document(cli: Cli) -> Any:
    with cli.connect() as conn:
        return conn.execute("SELECT * FROM documents ORDER BY id DESC LIMIT 1").fetchone()


@pytest.mark.parametrize("lang", LANGS)
def test_refusal_letter_gives_reasons_complaint_court_date_and_handler(cli: Cli, lang: str) -> None:
    customer = add_addressee(cli)
    request_id = add_request(cli, customer, "--kind", "erasure", "--received", "2026-11-02",
                             "--channel", "letter")  # fmt: skip
    cli.ok("request", "close", request_id, "--outcome", "refused", "--reason",
           "invoice 2026-0457 is in collection", user="clerk")  # fmt: skip
    text = flat(letter(cli, request_id, "--lang", lang))
    assert "invoice 2026-0457 is in collection" in text
    complaint = info_for(cli, lang)["complaint"]
    for key in ("authority", "postal_address", "phone", "email", "website"):
        assert complaint[key] in text, key
    assert "tietosuojavaltuutettu" in text
    court = {"fi": "käräjäoikeudessa", "en": "district court"}[lang]
    assert court in text and "79" in text
    assert wording.format_date("2026-11-25", lang) in text  # the date
    assert "Clerk User" in text  # the handler
    assert "Aino Äijälä" in text
    doc = last_document(cli)
    assert doc["kind"] == "refusal-letter" and doc["language"] == lang
    assert doc["sha256"] == hashlib.sha256(letter_bytes(cli, request_id, lang)).hexdigest()


def letter_bytes(cli: Cli, request_id: str, lang: str) -> bytes:
    return letter(cli, request_id, "--lang", lang).encode()


def test_partial_refusal_and_manifestly_unfounded_are_explained(cli: Cli) -> None:
    customer = add_addressee(cli)
    request_id = add_request(cli, customer, "--kind", "access", "--channel", "email")
    cli.ok("request", "close", request_id, "--outcome", "partially-refused", "--reason",
           "internal notes are withheld", "--manifestly-unfounded", "tenth request this month",
           user="clerk")  # fmt: skip
    text = flat(letter(cli, request_id, "--lang", "en"))
    assert "granted your request in part" in text
    assert "internal notes are withheld" in text and "tenth request this month" in text


@pytest.mark.parametrize("lang", LANGS)
def test_extension_notice_names_the_new_due_date_and_reasons(
    cli: Cli, lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAUTEX_TODAY", "2026-02-20")
    customer = add_addressee(cli)
    request_id = add_request(cli, customer, "--kind", "access", "--received", "2026-01-31",
                             "--channel", "letter", "--language", lang)  # fmt: skip
    cli.ok("request", "extend", request_id, "--reason", "orders from three archives",
           user="clerk")  # fmt: skip
    text = flat(letter(cli, request_id))  # the request's language by default
    assert wording.format_date("2026-04-30", lang) in text
    assert wording.format_date("2026-02-28", lang) in text
    assert "orders from three archives" in text
    assert "12" in text and last_document(cli)["kind"] == "extension-notice"
    assert last_document(cli)["language"] == lang


@pytest.mark.parametrize("lang", LANGS)
def test_no_data_letter_to_a_requester_not_in_the_register(cli: Cli, lang: str) -> None:
    request_id = add_request(cli, "--requester", "Ville Vieras <ville@example.org>",
                             "--kind", "access", "--channel", "email")  # fmt: skip
    text = flat(letter(cli, request_id, "--lang", lang))
    assert "Ville Vieras" in text and "ville@example.org" in text
    needle = {"fi": "Rekisterissä ei ole sinusta henkilötietoja", "en": "We hold no personal data"}
    assert needle[lang] in text
    assert info_for(cli, lang)["complaint"]["authority"] in text
    doc = last_document(cli)
    assert doc["kind"] == "no-data-letter" and doc["customer_id"] is None


def test_a_no_data_letter_goes_to_the_address_the_requester_gave(cli: Cli) -> None:
    """Someone not in the register asked by letter and gave their address for the reply:
    the letter's window shows it under their name."""
    request_id = add_request(cli, "--requester", "Ville Vieras <ville@example.org>",
                             "--kind", "access", "--channel", "letter",
                             "--requester-address", "Postilokero 9, 00101 Helsinki")  # fmt: skip
    text = flat(letter(cli, request_id, "--lang", "en").replace("\\\n", "\n"))
    assert "To: Ville Vieras Postilokero 9 00101 Helsinki" in text
    # ... and says it is kept with the request (GDPR Art. 13: what is kept, told).
    assert "your name, postal address, email address and how we answered" in text


@pytest.mark.parametrize("lang", LANGS)
def test_access_reply_cover_letter_lists_the_copy_and_says_it_is_free(cli: Cli, lang: str) -> None:
    customer = add_addressee(cli)
    request_id = add_request(cli, customer, "--kind", "access", "--channel", "email")
    refused = cli.run("request", "close", request_id, "--outcome", "completed", user="clerk")
    assert refused.exit_code == 4 and "lautex export" in refused.stderr  # the copy comes first
    cli.ok("export", customer, "--request", request_id, "--format", "html", "--lang", lang,
           "--output", "copy.html", user="clerk")  # fmt: skip
    cli.ok("request", "close", request_id, "--outcome", "completed", user="clerk")
    text = flat(letter(cli, request_id, "--lang", lang))
    assert "Aino Äijälä" in text and "Koivukuja 1" in text
    assert {"fi": "Jäljennös on maksuton", "en": "The copy is free of charge"}[lang] in text
    assert {"fi": "HTML-asiakirja", "en": "HTML document"}[lang] in text
    info = info_for(cli, lang)
    for right in info["rights"]:
        assert right["right"] in text
    assert info["complaint"]["email"] in text
    assert last_document(cli)["kind"] == "access-reply"


@pytest.mark.parametrize("lang", LANGS)
def test_portability_reply_says_what_the_portable_copy_holds(cli: Cli, lang: str) -> None:
    """A portability copy holds what the person provided and their orders (Art. 20), not
    all their data with the Art. 15(1) information: the letter must not say it does."""
    customer = add_addressee(cli)
    request_id = add_request(cli, customer, "--kind", "portability", "--channel", "email")
    cli.ok("export", customer, "--portability", "--request", request_id, "--format", "json",
           "--output", "portable.json", user="clerk")  # fmt: skip
    cli.ok("request", "close", request_id, "--outcome", "completed", user="clerk")
    text = flat(letter(cli, request_id, "--lang", lang))
    assert {"fi": "20 artiklan 1 kohta", "en": "GDPR Art. 20(1)"}[lang] in text
    assert {"fi": "jäljennös kaikista", "en": "copy of all the personal data"}[lang] not in text
    assert {"fi": "JSON", "en": "JSON"}[lang] in text


def test_further_copy_letter_states_the_fee(cli: Cli) -> None:
    customer = add_addressee(cli)
    first = add_request(cli, customer, "--kind", "access", "--channel", "email")
    cli.ok("export", customer, "--request", first, "--format", "json", user="clerk")
    cli.ok("request", "close", first, "--outcome", "completed", user="clerk")
    second = add_request(cli, customer, "--kind", "access", "--channel", "email")
    cli.ok("export", customer, "--request", second, "--format", "json", user="clerk")
    cli.ok("request", "close", second, "--outcome", "completed", "--fee", "15", user="clerk")
    assert "€15.00" in flat(letter(cli, second, "--lang", "en"))
    assert "15,00\xa0€" in letter(cli, second, "--lang", "fi")


def test_html_letter_to_a_private_file(cli: Cli, tmp_path: Path) -> None:
    request_id = add_request(cli, "--requester", "Ville <ville@example.org>", "--kind",
                             "erasure", "--channel", "email", "--language", "en")  # fmt: skip
    target = tmp_path / "letters" / "reply.html"
    target.parent.mkdir()
    result = cli.ok("request", "letter", request_id, "--format", "html", "--output",
                    str(target), user="clerk")  # fmt: skip
    assert result.stdout == ""
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    content = target.read_text("utf-8")
    assert content.startswith("<!DOCTYPE html>") and '<html lang="en">' in content
    assert "<title>Reply to your request no." in content
    doc = last_document(cli)
    assert doc["format"] == "html"
    assert doc["sha256"] == hashlib.sha256(content.encode()).hexdigest()
    with cli.connect() as conn:
        audit = conn.execute(
            "SELECT details_json FROM audit_log WHERE action = 'request letter'"
        ).fetchone()[0]
    assert json.loads(audit)["letter"] == "no-data-letter" and "Ville" not in audit


@pytest.mark.parametrize(
    ("setup", "args", "needle"),
    [
        ("open", (), "no reply letter yet"),
        ("open", ("--type", "extension-notice"), "not extended"),
        ("open", ("--type", "refusal"), "not refused"),
        ("open", ("--type", "no-data"), "data is held"),
        ("completed", ("--type", "refusal"), "not refused"),
    ],
)
def test_a_letter_that_would_be_untrue_is_refused(
    cli: Cli, setup: str, args: tuple[str, ...], needle: str
) -> None:
    customer = add_addressee(cli)
    request_id = add_request(cli, customer, "--kind", "rectification", "--channel", "email")
    if setup == "completed":
        cli.ok("request", "close", request_id, "--outcome", "completed", "--done-outside",
               "corrected in the invoicing system", user="clerk")  # fmt: skip
    with cli.connect() as conn:
        before = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
    result = cli.run("request", "letter", request_id, *args, user="clerk")
    assert result.exit_code == 4, result.output
    assert needle in result.stderr and len(result.stderr.strip().splitlines()) == 1
    with cli.connect() as conn:
        assert conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == before


def test_bad_letter_options(cli: Cli) -> None:
    request_id = add_request(cli, "--requester", "Ville <ville@example.org>", "--kind",
                             "access", "--channel", "email")  # fmt: skip
    for args in (("--lang", "de"), ("--format", "docx"), ("--type", "poem")):
        result = cli.run("request", "letter", request_id, *args, user="clerk")
        assert result.exit_code == 2, (args, result.output)
    assert cli.run("request", "letter", "999", user="clerk").exit_code == 3


def test_swedish_request_gets_a_swedish_letter_by_default(cli: Cli) -> None:
    request_id = add_request(cli, "--requester", "Bo Ek <bo@example.se>", "--kind", "access",
                             "--channel", "email", "--language", "sv")  # fmt: skip
    assert "Vi har inga personuppgifter om dig" in flat(letter(cli, request_id))


# --- after `erase --request`, the reply still reaches the person (Art. 12(3), 17(3)(b)) ---


def erased_with_request(cli: Cli, channel: str, *, held: bool = False) -> str:
    customer = add_addressee(cli)
    if held:
        cli.ok("order", "add", customer, "--number", "T-1", "--date", "2026-11-20",
               "--channel", "web-store", "--line", "Lauta;1;10", user="clerk")  # fmt: skip
        cli.ok("invoice", "add", "T-1", "--number", "2026-0001", "--issued", "2026-11-20",
               "--due", "2026-12-04", user="clerk")  # fmt: skip
    request_id = add_request(cli, customer, "--kind", "erasure", "--channel", channel)
    cli.ok("erase", customer, "--request", request_id, "--yes", user="clerk")
    return request_id


@pytest.mark.parametrize("lang", LANGS)
def test_the_erasure_reply_names_the_requester_and_their_postal_address(
    cli: Cli, lang: str
) -> None:
    request_id = erased_with_request(cli, "letter")

    text = flat(letter(cli, request_id, "--lang", lang))

    assert "Aino Äijälä" in text and "Koivukuja 1" in text and "00100 Helsinki" in text
    assert "pyynnön esittäjä" not in text and "the requester" not in text
    assert "aino@example.fi" not in text  # only the address the reply goes to is kept
    assert {"fi": "henkilötietosi on poistettu", "en": "has been erased"}[lang] in text
    assert last_document(cli)["kind"] == "erasure-reply"
    no_data = cli.run("request", "letter", request_id, "--type", "no-data", user="clerk")
    assert no_data.exit_code == 4 and "erased" in no_data.stderr


def test_a_request_that_came_by_email_is_answered_to_the_email_kept(cli: Cli) -> None:
    request_id = erased_with_request(cli, "email")

    text = flat(letter(cli, request_id, "--lang", "en").replace("\\\n", "\n"))

    assert "To: Aino Äijälä aino@example.fi" in text
    assert "Koivukuja" not in text


def test_a_partial_refusal_after_erasure_names_the_requester(cli: Cli) -> None:
    request_id = erased_with_request(cli, "letter", held=True)

    text = flat(letter(cli, request_id, "--lang", "fi").replace("\\\n", "\n"))

    assert "Vastaanottaja: Aino Äijälä Koivukuja 1 00100 Helsinki" in text
    assert "2026-0001" in text  # the hold is the reason
    assert last_document(cli)["kind"] == "refusal-letter"


def test_a_reply_address_given_with_the_request_is_used(cli: Cli) -> None:
    customer = add_addressee(cli)
    request_id = add_request(cli, customer, "--kind", "erasure", "--channel", "letter",
                             "--requester-address", "Postilokero 7, 00101 Helsinki")  # fmt: skip
    cli.ok("erase", customer, "--request", request_id, "--yes", user="clerk")

    text = flat(letter(cli, request_id, "--lang", "en").replace("\\\n", "\n"))

    assert "To: Aino Äijälä Postilokero 7 00101 Helsinki" in text
    bad = cli.run("request", "add", customer, "--kind", "access", "--channel", "letter",
                  "--requester-address", "Postilokero 7", user="clerk")  # fmt: skip
    assert bad.exit_code in (2, 3)
    # More lines than the envelope's window holds under the name: refused, nothing recorded.
    before = cli.ok("request", "list", "-f", "json", user="clerk").stdout
    many = ", ".join(f"Rivi {n}" for n in range(7))
    refused = cli.run("request", "add", customer, "--kind", "access", "--channel", "letter",
                      "--requester-address", many, user="clerk")  # fmt: skip
    assert refused.exit_code == 2
    assert refused.stderr == ("error: requester-address: at most 6 lines (one per comma), got 7\n")
    assert cli.ok("request", "list", "-f", "json", user="clerk").stdout == before


def test_an_erasure_without_request_still_keeps_the_reply_contact_of_the_open_request(
    cli: Cli,
) -> None:
    customer = add_addressee(cli)
    request_id = add_request(cli, customer, "--kind", "erasure", "--channel", "letter")
    plan = cli.ok("erase", customer, "--dry-run", "-f", "json", user="clerk").stdout
    assert "kept on the open request for its reply" in plan

    cli.ok("erase", customer, "--yes", user="clerk")
    cli.ok("request", "close", request_id, "--outcome", "completed", user="clerk")

    text = flat(letter(cli, request_id, "--lang", "en").replace("\\\n", "\n"))
    assert "To: Aino Äijälä Koivukuja 1 00100 Helsinki" in text
    assert last_document(cli)["kind"] == "erasure-reply"


@pytest.mark.parametrize("lang", LANGS)
def test_an_access_request_done_outside_gets_its_reply_stating_what_was_done(
    cli: Cli, lang: str
) -> None:
    customer = add_addressee(cli)
    request_id = add_request(cli, customer, "--kind", "access", "--channel", "letter")
    outside = "sent on paper [see](http://evil.example/x) <b>by post</b>"
    closed = cli.ok("request", "close", request_id, "--outcome", "completed", "--done-outside",
                    outside, user="clerk")  # fmt: skip
    assert f"lautex request letter {request_id}" in closed.stderr

    text = flat(letter(cli, request_id, "--lang", lang, "--format", "html"))

    said = {"fi": "Vastasimme pyyntöösi muulla tavoin:", "en": "We answered your request by other"}
    assert said[lang] in text
    assert "sent on paper [see](http://evil.example/x) &lt;b&gt;by post&lt;/b&gt;" in text
    assert "<a " not in text and "<b>" not in text
    enclosed = {"fi": "Liitteenä on jäljennös", "en": "Enclosed is a copy"}
    assert enclosed[lang] not in text
    assert last_document(cli)["kind"] == "access-reply"


def test_an_empty_done_outside_is_a_usage_error_and_changes_nothing(cli: Cli) -> None:
    customer = add_addressee(cli)
    request_id = add_request(cli, customer, "--kind", "access", "--channel", "letter")
    for empty in ("", "   "):
        result = cli.run("request", "close", request_id, "--outcome", "completed",
                         "--done-outside", empty, user="clerk")  # fmt: skip
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("error: done-outside: ")
        assert result.stderr.count("\n") == 1
    assert json.loads(cli.ok("request", "show", request_id, "-f", "json").stdout)["state"] == "open"


def test_closing_names_the_reply_letter_only_when_there_is_one(cli: Cli) -> None:
    customer = add_addressee(cli)
    request_id = add_request(cli, customer, "--kind", "rectification", "--channel", "email")
    closed = cli.ok("request", "close", request_id, "--outcome", "completed", "--done-outside",
                    "corrected in the invoicing system", user="clerk")  # fmt: skip
    assert "request letter" not in closed.stderr
    assert cli.run("request", "letter", request_id, user="clerk").exit_code == 4
