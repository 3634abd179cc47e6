"""The language a person is spoken to in, and the gettext catalogues that speak it.

The interface follows the locale (docs/rules.md §6 "Language of the interface"):
`LAUTEX_LANG` (fi, sv or en) if set, else the first of `LC_ALL`, `LC_MESSAGES` and `LANG`
that is set. English is the source language: the English text is the msgid, so for English
no catalogue is ever opened. A catalogue is read the first time a string is translated, not
at start-up: a command that prints nothing translated pays nothing for it
(benchmarks/README.md, start-up). Machine formats never pass through here (docs/rules.md §6).

Two gettext domains, split by directory so that two translators never edit one file:
`cli` (lautex_registry/cli/ and Click's and Typer's own strings) and `messages` (every
other package). The two are chained: a string is looked up in `messages`, then in `cli`.
"""

import gettext as _gettext
import os
import struct
import sys
from functools import cache
from pathlib import Path

# The languages of the interface; the first is the source language of the msgids.
LANGUAGES = ("en", "fi", "sv")
SOURCE_LANGUAGE = "en"
LANGUAGE_VARIABLE = "LAUTEX_LANG"
# Looked up in this order, as gettext does: the first one set decides.
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")
DOMAINS = ("messages", "cli")
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


class UnknownLanguage(ValueError):
    """`LAUTEX_LANG` names a language the interface does not speak."""


def _from_locale(value: str) -> str:
    """`fi_FI.UTF-8` -> fi, `sv_FI@euro` -> sv; `C`, `POSIX` and any other -> en."""
    code = value.split(".")[0].split("@")[0].split("_")[0].lower()
    return code if code in LANGUAGES else SOURCE_LANGUAGE


def requested_language() -> str:
    """The language the environment asks for; UnknownLanguage for a bad `LAUTEX_LANG`."""
    chosen = os.environ.get(LANGUAGE_VARIABLE, "")
    if chosen:
        if chosen not in LANGUAGES:
            raise UnknownLanguage(
                f"{LANGUAGE_VARIABLE}: {chosen!r} is not a language of the interface;"
                f" use one of {', '.join(LANGUAGES)}"
            )
        return chosen
    for name in LOCALE_VARIABLES:
        value = os.environ.get(name, "")
        if value:  # an empty variable counts as unset (POSIX)
            return _from_locale(value)
    return SOURCE_LANGUAGE


def language() -> str:
    """The language of the interface now; a bad `LAUTEX_LANG` speaks English (the command
    line refuses it first, cli/app.py)."""
    try:
        return requested_language()
    except UnknownLanguage:
        return SOURCE_LANGUAGE


# A help text is translated by paragraph; an example's paragraph is a command line the
# reader types, of which only this label is a word (cli/help_text.py).
EXAMPLE_LABEL = "Example:"


def help_paragraphs(text: str) -> list[str]:
    """The paragraphs of a help text, the units its catalogue entries are."""
    return [part.strip() for part in text.split("\n\n") if part.strip()]


def catalogue_path(lang: str, domain: str, suffix: str = ".mo") -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}{suffix}"


@cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The chained catalogues of `lang`, read once per process (never asked for English)."""
    chain: _gettext.NullTranslations = _gettext.NullTranslations()
    # The last added is asked last: messages, then cli, then the English msgid itself.
    for domain in DOMAINS:
        path = catalogue_path(lang, domain)
        if not path.is_file():
            continue  # a language without this domain's catalogue falls back to English
        try:
            with path.open("rb") as file:
                found = _gettext.GNUTranslations(file)
        except (OSError, ValueError, LookupError, struct.error) as exc:
            # A damaged catalogue (truncated, not a .mo, unreadable) speaks English, as a
            # missing one does: the language is a courtesy, never a reason for a command
            # to fail or change its exit code or its stdout (docs/rules.md §6). Said once.
            sys.stderr.write(
                f"warning: {path.name} ({lang}) cannot be read ({type(exc).__name__}): "
                "English is shown instead\n"
            )
            continue
        if isinstance(chain, _gettext.GNUTranslations):
            chain.add_fallback(found)
        else:
            chain = found
    return chain


def gettext(message: str) -> str:
    """`message` in the interface's language (the English msgid when there is none)."""
    lang = language()
    if lang == SOURCE_LANGUAGE:
        return message
    return translations(lang).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of `singular`/`plural` for the number `n`, by the language's plural rule."""
    lang = language()
    if lang == SOURCE_LANGUAGE:
        return singular if n == 1 else plural
    return translations(lang).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """`message` in a context: the same English word may be two words in Finnish."""
    lang = language()
    if lang == SOURCE_LANGUAGE:
        return message
    return translations(lang).pgettext(context, message)


def route_library_strings() -> None:
    """Click's and Typer's own strings (Usage, Options, "No such command") through `gettext()`.

    The libraries call the standard library's `gettext.gettext` and `gettext.ngettext` of
    the global domain, at the moment they format; those two look up `gettext.dgettext` and
    `gettext.dngettext` when called. Pointing these at the functions above gives the
    libraries' strings the same language rule, the same lazily read catalogue (their msgids
    are in the `cli` domain) and, in English, no catalogue at all. Called once by the command
    line (cli/app.py).
    """
    _gettext.dgettext = _library_gettext
    _gettext.dngettext = _library_ngettext  # type: ignore[assignment]


def _library_gettext(domain: str, message: str) -> str:
    return gettext(message)


def _library_ngettext(domain: str, singular: str, plural: str, n: int) -> str:
    return ngettext(singular, plural, n)
