"""Writes `cldr_data.py`: the CLDR words and number shapes the documents use, from Babel.

    python -m lautex_registry.platform.cldr_build      # after upgrading Babel

A document writes dates, money and country names as its reader's language does, from
the CLDR data Babel ships (docs/rules.md §2 "Formats of documents"). Loading that data
at run time (Babel's locale files, merged from `root` up) cost every document about
15 ms of CPU and importing Babel 4-6 ms more (benchmarks/README.md, start-up), for a
handful of words: the month names, the shape of an amount in euros and the names of
the countries. They are taken from Babel once, here, and shipped as Python
(`cldr_data.py`); `wording.py` writes with them, and `tests/test_cldr.py` checks the
file against the installed Babel and every formatted value against Babel's own, so the
two cannot drift apart. Babel stays a dependency: this script and the message
catalogues' tooling (`i18n_catalogues.py`) use it.
"""

import json
import unicodedata
from pathlib import Path

from babel import Locale
from babel.numbers import (
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
)

from lautex_registry.platform.wording import CURRENCY, LOCALES

TARGET = Path(__file__).with_name("cldr_data.py")

HEADER = '''"""The CLDR data of Babel {version} that the documents use (wording.py).

Written by `python -m lautex_registry.platform.cldr_build`: do not edit; tests/test_cldr.py
checks it against the installed Babel.
"""

from typing import NamedTuple


class MoneyShape(NamedTuple):
    """An amount as the locale's standard currency pattern writes it."""

    prefix: tuple[str, str]  # before the digits: positive, negative
    suffix: tuple[str, str]  # after them
    group: str  # between groups of digits
    decimal: str
    grouping: tuple[int, int]  # the first group's size, then the others'
    min_integer_digits: int
    fraction_digits: int

'''


def month_names(locale: Locale) -> tuple[str, ...]:
    """January ... December as a date writes them (CLDR's wide format names)."""
    names = locale.months["format"]["wide"]
    return tuple(str(names[month]) for month in range(1, 13))


def money_shape(locale: Locale) -> dict[str, object]:
    """What `wording.money_text` needs to write an amount as Babel's `format_currency`
    does with the locale's standard currency pattern (`MoneyShape`)."""
    pattern = locale.currency_formats["standard"]
    # The patterns of fi_FI, sv_FI and en_GB are a plain number with a currency sign. A
    # pattern with more in it (an exponent, significant digits, a scale, quoted text, the
    # currency's code or name) is not one `money_text` writes: stop rather than ship it.
    simple = (
        not pattern.exp_prec
        and "@" not in pattern.pattern
        and "'" not in pattern.pattern
        and pattern.scale == 0
        and "¤¤" not in pattern.pattern
    )
    if not simple:
        raise SystemExit(f"{locale}: a currency pattern money_text cannot write: {pattern}")
    symbol = get_currency_symbol(CURRENCY, locale)
    return {
        "prefix": tuple(text.replace("¤", symbol) for text in pattern.prefix),
        "suffix": tuple(text.replace("¤", symbol) for text in pattern.suffix),
        "group": get_group_symbol(locale),
        "decimal": get_decimal_symbol(locale),
        "grouping": tuple(pattern.grouping),
        "min_integer_digits": pattern.int_prec[0],
        "fraction_digits": get_currency_precision(CURRENCY),
    }


def territory_names(locale: Locale) -> dict[str, str]:
    return {str(code): str(name) for code, name in sorted(locale.territories.items())}


def _literal(value: object) -> str:
    """A Python literal as ruff formats it (double quotes; JSON's escapes are Python's)."""
    if isinstance(value, tuple):
        return "(" + ", ".join(_literal(item) for item in value) + ")"
    text = json.dumps(value, ensure_ascii=False)
    # A no-break space and other invisible characters are written as escapes, to be seen.
    return "".join(_escaped(ch) for ch in text)


def _escaped(ch: str) -> str:
    invisible = ch != " " and unicodedata.category(ch)[0] in "ZC"
    return f"\\u{ord(ch):04x}" if invisible else ch


def source() -> str:
    """The text of `cldr_data.py` for the installed Babel."""
    import babel

    locales = {lang: Locale.parse(name) for lang, name in LOCALES.items()}
    out = [HEADER.format(version=babel.__version__)]
    out.append("\nMONTHS: dict[str, tuple[str, ...]] = {\n")
    for lang, locale in locales.items():
        out.append(f"    {_literal(lang)}: (\n")
        out.extend(f"        {_literal(name)},\n" for name in month_names(locale))
        out.append("    ),\n")
    out.append("}\n")
    out.append("MONEY: dict[str, MoneyShape] = {\n")
    for lang, locale in locales.items():
        out.append(f"    {_literal(lang)}: MoneyShape(\n")
        for key, value in money_shape(locale).items():
            out.append(f"        {key}={_literal(value)},\n")
        out.append("    ),\n")
    out.append("}\n")
    out.append("TERRITORIES: dict[str, dict[str, str]] = {\n")
    for lang, locale in locales.items():
        out.append(f"    {_literal(lang)}: {{\n")
        for code, name in territory_names(locale).items():
            out.append(f"        {_literal(code)}: {_literal(name)},\n")
        out.append("    },\n")
    out.append("}\n")
    return "".join(out)


def main() -> None:
    TARGET.write_text(source(), encoding="utf-8")
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
