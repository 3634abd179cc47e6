"""Words, numbers and dates as people write them, for the documents a person reads.

Letters, certificates, the readable access export, the statement and the record of
processing (Markdown, HTML, PDF) write dates, money, countries and the register's codes
the way the reader's language does (docs/rules.md §2 "Formats of documents"); the JSON
and CSV copies keep their machine formats (docs/rules.md §6). Dates, money and country
names come from the CLDR data of Babel, not from tables written here: the few that the
documents use are taken from Babel by `cldr_build.py` and shipped in `cldr_data.py`, since
loading Babel's data cost every document 20 ms of its start-up (tests/test_cldr.py keeps
them equal to Babel's). The words for the register's own codes live beside the
templates, one file per language (`templates/codes.<lang>.toml`), so a new language is a
new file, not new code.
"""

import tomllib
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from importlib import resources
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

# The languages every document is written in: Finnish (the register's own), Swedish (the
# other national language), English.
LANGUAGES = ("fi", "sv", "en")
# The CLDR locale of each language: Finland's Finnish and Swedish; British English writes
# the day before the month ("27 November 2026"), as the letters do.
LOCALES = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_GB"}
CURRENCY = "EUR"
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


# A customer's 10,000 orders repeat the same days and prices, so each is written once
# (documents stay linear and quick: docs/rules.md §3). The caches are bounded, so a long
# run holds no more than this.
_CACHED_TEXTS = 4096


@lru_cache(maxsize=_CACHED_TEXTS)
def _day_text(day: date, lang: str) -> str:
    return written_date(day, _DATE_PATTERNS[lang], lang)


def written_date(day: date, pattern: str, lang: str) -> str:
    """`day` in a CLDR date pattern, as Babel's `format_date` writes it in `lang`'s locale:
    `d` the day and `M` the month as numbers (`dd`, `MM` with a leading zero), `MMMM` the
    month's name, `yyyy` the year in four digits (`yy` two); other characters as they are."""
    from lautex_registry.platform.cldr_data import MONTHS

    parts = []
    for letter, run in groupby(pattern):
        width = len(list(run))
        if letter == "d":
            parts.append(f"{day.day:0{width}d}")
        elif letter == "M" and width == 4:
            parts.append(MONTHS[lang][day.month - 1])
        elif letter == "M" and width <= 2:
            parts.append(f"{day.month:0{width}d}")
        elif letter == "y":
            parts.append(f"{day.year % 100:02d}" if width == 2 else f"{day.year:0{width}d}")
        elif (letter.isascii() and letter.isalpha()) or letter == "'":
            raise ValueError(f"a date field not written here: {letter * width}")
        else:
            parts.append(letter * width)
    return "".join(parts)


def format_day_month(month: int, day: int, lang: str) -> str:
    """A day of every year (a financial year's end): 31.12. / 31 December."""
    pattern = "d MMMM" if lang == "en" else "d.M."
    return written_date(date(2000, month, day), pattern, lang)


def format_money(value: int | str | Decimal, lang: str, *, cents: bool = False) -> str:
    """1 250,00 € in Finnish and Swedish, €1,250.00 in English (CLDR currency formats).

    `value` is euros (`"1250.00"`, as the register's records give them) or, with `cents`,
    whole cents. The space CLDR puts in Finnish and Swedish amounts is a no-break space,
    so an amount is never split over two lines. What is not a number is shown as it is.
    """
    try:
        amount = Decimal(value) / 100 if cents else Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not amount.is_finite():
        return str(value)
    # The sign apart: -0 equals 0 as a cache key, but Babel writes it with its minus.
    return _money_text(amount.copy_abs(), amount.is_signed(), lang)


@lru_cache(maxsize=_CACHED_TEXTS)
def _money_text(size: Decimal, negative: bool, lang: str) -> str:
    """The amount as Babel's `format_currency(amount, "EUR", locale)` writes it: its sign
    taken first (`negative`, of `size` not below zero), rounded to the cent half to even
    (the decimal context's rounding), the whole euros in groups (`MoneyShape`)."""
    from lautex_registry.platform.cldr_data import MONEY

    shape = MONEY[lang]
    rounded = abs(size).normalize().quantize(Decimal(10) ** -shape.fraction_digits)
    whole, _, fraction = f"{rounded:f}".partition(".")
    digits = _grouped(whole.zfill(shape.min_integer_digits), shape.group, shape.grouping)
    fraction = (fraction or "0").ljust(shape.fraction_digits, "0")
    if shape.fraction_digits:
        digits += shape.decimal + fraction
    return shape.prefix[negative] + digits + shape.suffix[negative]


def _grouped(whole: str, separator: str, grouping: tuple[int, int]) -> str:
    """1234567 -> 1 234 567: the first group from the right of `grouping[0]` digits, the
    others of `grouping[1]`."""
    size, groups = grouping[0], ""
    while len(whole) > size:
        groups = separator + whole[-size:] + groups
        whole = whole[:-size]
        size = grouping[1]
    return whole + groups


def country_name(code: str | None, lang: str) -> str:
    """The country's name in `lang` (CLDR): FI -> Suomi / Finland / Finland."""
    from lautex_registry.platform.cldr_data import TERRITORIES

    value = (code or "").strip().upper()
    if not value:
        return ""
    return TERRITORIES[lang].get(value, value)


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
