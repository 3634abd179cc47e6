"""Words, numbers and dates as people write them, for the documents a person reads.

Letters, certificates, the readable access export, the statement and the record of
processing (Markdown, HTML, PDF) write dates, money, countries and the register's codes
the way the reader's language does (docs/rules.md §2 "Formats of documents"); the JSON
and CSV copies keep their machine formats (docs/rules.md §6). Dates, money and country
names come from the CLDR data of Babel, not from tables written here; the words for the
register's own codes live beside the templates, one file per language
(`templates/codes.<lang>.toml`), so a new language is a new file, not new code.
"""

import tomllib
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from babel import Locale

# The languages every document is written in: Finnish (the register's own), Swedish (the
# other national language), English.
LANGUAGES = ("fi", "sv", "en")
# The CLDR locale of each language: Finland's Finnish and Swedish; British English writes
# the day before the month ("27 November 2026"), as the letters do.
_LOCALES = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_GB"}
# Finnish and Swedish write a date 27.11.2026 (CLDR's short Swedish date is ISO); English
# writes the month's name.
_DATE_PATTERNS = {"fi": "d.M.yyyy", "sv": "d.M.yyyy", "en": "d MMMM yyyy"}
# Timestamps are stored in UTC; a person in Finland dates an event by the local day.
LOCAL_ZONE = ZoneInfo("Europe/Helsinki")
HOME_COUNTRY = "FI"

# Column -> the vocabulary of `codes.<lang>.toml` its values are words of.
CODE_COLUMNS = {
    "state": "state",
    "source": "source",
    "language": "language",
    "channel": "channel",
    "withdrawn_channel": "channel",
    "kind": "kind",
    "outcome": "outcome",
    "format": "format",
    "recipient_kind": "recipient_kind",
    "purpose": "purpose",
    "purposes": "purpose",
    "addressee_kind": "addressee_kind",
    "method": "channel",
    "status": "status",
    "fields": "field",
}
COUNTRY_COLUMNS = frozenset({"country", "billing_country", "recipient_country"})
MONEY_COLUMNS = frozenset({"total", "amount", "unit_price", "fee"})
BOOLEAN_COLUMNS = frozenset(
    {
        "signed",
        "manifestly_unfounded",
        "organisation_sole_trader",
        "marketing_prohibited",
        "changed",  # an imported customer's row changed since its import run
    }
)


@cache
def vocabulary(lang: str) -> dict[str, dict[str, str]]:
    """The words for the register's codes in `lang`, from `templates/codes.<lang>.toml`."""
    text = resources.files("lautex_registry").joinpath(f"templates/codes.{lang}.toml").read_text()
    return {key: dict(value) for key, value in tomllib.loads(text).items()}


def code_word(domain: str, code: str, lang: str) -> str:
    """The word for a code; a code without one is shown as it is (a test keeps them all)."""
    return vocabulary(lang).get(domain, {}).get(code, code)


def yes_no(value: object, lang: str) -> str:
    return code_word("yes_no", "yes" if value else "no", lang)


def local_date(value: str | date) -> date:
    """A stored date, or a UTC timestamp (`2026-11-27T22:49:04Z`) as its Helsinki day."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return value
    else:
        text = str(value).strip()
        if len(text) == 10:
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(LOCAL_ZONE).date()


def format_date(value: str | date, lang: str) -> str:
    """27.11.2026 in Finnish and Swedish, 27 November 2026 in English (CLDR month names)."""
    return _day_text(local_date(value), lang)


# Babel takes 20-150 microseconds a date or an amount; a customer's 10,000 orders repeat
# the same days and prices, so each is written once (documents stay linear and quick:
# docs/rules.md §3). The caches are bounded, so a long run holds no more than this.
_CACHED_TEXTS = 4096


@lru_cache(maxsize=_CACHED_TEXTS)
def _day_text(day: date, lang: str) -> str:
    from babel.dates import format_date as babel_date

    return str(babel_date(day, _DATE_PATTERNS[lang], locale=_locale(lang)))


@cache
def _locale(lang: str) -> "Locale":
    from babel import Locale

    return Locale.parse(_LOCALES[lang])


def format_day_month(month: int, day: int, lang: str) -> str:
    """A day of every year (a financial year's end): 31.12. / 31 December."""
    from babel.dates import format_date as babel_date

    pattern = "d MMMM" if lang == "en" else "d.M."
    return str(babel_date(date(2000, month, day), pattern, locale=_LOCALES[lang]))


def format_money(value: int | str | Decimal, lang: str, *, cents: bool = False) -> str:
    """1 250,00 € in Finnish and Swedish, €1,250.00 in English (CLDR currency formats).

    `value` is euros (`"1250.00"`, as the register's records give them) or, with `cents`,
    whole cents. The space CLDR puts in Finnish and Swedish amounts is a no-break space,
    so an amount is never split over two lines.
    """
    try:
        amount = Decimal(value) / 100 if cents else Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return _money_text(amount, lang)


@lru_cache(maxsize=_CACHED_TEXTS)
def _money_text(amount: Decimal, lang: str) -> str:
    from babel.numbers import format_currency

    return str(format_currency(amount, "EUR", locale=_locale(lang)))


def country_name(code: str | None, lang: str) -> str:
    """The country's name in `lang` (CLDR): FI -> Suomi / Finland / Finland."""
    from babel import Locale

    value = (code or "").strip().upper()
    if not value:
        return ""
    return str(Locale.parse(_LOCALES[lang]).territories.get(value, value))


def present(column: str, value: Any, lang: str) -> str:
    """One stored value as a person reads it in a document, by the column it comes from."""
    if value is None or value == "":
        return ""
    if column in BOOLEAN_COLUMNS or isinstance(value, bool):
        return yes_no(value, lang)
    if column in MONEY_COLUMNS:
        return format_money(value, lang)
    if column in COUNTRY_COLUMNS:
        return country_name(str(value), lang)
    if isinstance(value, list):
        return ", ".join(present(column, item, lang) for item in value)
    if column in CODE_COLUMNS:
        text = str(value)
        # Several codes in one cell (a disclosure's fields) are a comma-separated list.
        parts = [p.strip() for p in text.split(",")] if "," in text else [text]
        return ", ".join(code_word(CODE_COLUMNS[column], p, lang) for p in parts)
    if column.endswith(("_on", "_at", "_date")) or column == "last_activity":
        try:
            return format_date(str(value), lang)
        except ValueError:
            return str(value)
    return str(value)
