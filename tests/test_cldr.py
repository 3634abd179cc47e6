"""The documents' dates, money and country names are Babel's, without Babel at run time.

`wording.py` writes them from `cldr_data.py`, which `cldr_build.py` takes from Babel's
CLDR data (docs/rules.md §2 "Formats of documents", start-up in benchmarks/README.md).
These tests hold both to the installed Babel: the file must be what the script writes
now, and every value must come out as Babel's own formatting writes it, in every
language. After upgrading Babel: `python -m lautex_registry.platform.cldr_build`.
"""

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, parse_pattern
from hypothesis import given
from hypothesis import strategies as st

from lautex_registry.platform import cldr_build, cldr_data, wording
from lautex_registry.platform.wording import LANGUAGES, LOCALES


def babel_locale(lang: str) -> Locale:
    return Locale.parse(LOCALES[lang])


def babel_money(value: Decimal, lang: str) -> str:
    """What `format_money` wrote when it called Babel (the same Decimal, the same locale)."""
    return str(format_currency(value, "EUR", locale=babel_locale(lang)))


def test_the_shipped_data_is_what_the_installed_babel_gives() -> None:
    shipped = cldr_build.TARGET.read_text(encoding="utf-8")
    assert shipped == cldr_build.source(), "run: python -m lautex_registry.platform.cldr_build"
    assert cldr_build.TARGET.name == "cldr_data.py"
    assert set(cldr_data.MONTHS) == set(cldr_data.MONEY) == set(LANGUAGES)


def test_the_script_writes_the_data_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "cldr_data.py"
    monkeypatch.setattr(cldr_build, "TARGET", target)
    cldr_build.main()
    assert target.read_text(encoding="utf-8") == cldr_build.source()
    assert str(target) in capsys.readouterr().out


def test_a_currency_pattern_it_cannot_write_stops_the_script() -> None:
    # A locale whose amounts have an exponent (no CLDR locale of ours has one).
    scientific = SimpleNamespace(currency_formats={"standard": parse_pattern("¤#E0")})
    with pytest.raises(SystemExit, match="cannot write"):
        cldr_build.money_shape(scientific)  # type: ignore[arg-type]
    assert cldr_build.money_shape(babel_locale("en"))["prefix"] == ("€", "-€")


def every_day(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


DAYS = [
    *every_day(date(2023, 12, 20), date(2025, 1, 10)),  # every month, a leap day, year ends
    date(1, 1, 1),
    date(9, 9, 9),
    date(99, 12, 31),
    date(999, 3, 4),
    date(1000, 10, 10),
    date(9999, 12, 31),
]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_date_is_written_as_babel_writes_it(lang: str) -> None:
    locale = babel_locale(lang)
    pattern = wording._DATE_PATTERNS[lang]
    for day in DAYS:
        assert wording._day_text.__wrapped__(day, lang) == format_date(day, pattern, locale)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(
    "pattern", ["d.M.yyyy", "d MMMM yyyy", "dd.MM.yy", "d MMMM", "d.M.", "yyyy-MM-dd", "MMMM y"]
)
def test_every_pattern_field_it_writes_is_babels(lang: str, pattern: str) -> None:
    locale = babel_locale(lang)
    for day in DAYS[::7]:
        assert wording.written_date(day, pattern, lang) == format_date(day, pattern, locale)


def test_a_field_it_does_not_write_is_refused_not_guessed() -> None:
    for pattern in ("EEEE d.M.", "MMM d", "d 'of' MMMM", "G y"):
        with pytest.raises(ValueError, match="not written here"):
            wording.written_date(date(2026, 11, 28), pattern, "en")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_day_of_every_year_is_written_as_babel_writes_it(lang: str) -> None:
    pattern = "d MMMM" if lang == "en" else "d.M."
    for day in every_day(date(2000, 1, 1), date(2000, 12, 31)):
        expected = format_date(day, pattern, locale=LOCALES[lang])
        assert wording.format_day_month(day.month, day.day, lang) == expected


AMOUNTS = [
    "0",
    "-0",
    "0.00",
    "1250.00",
    "-1250.00",
    "0.005",  # half to even: 0.00
    "0.015",  # 0.02
    "0.025",  # 0.02
    "-0.005",  # the sign is taken before rounding: -€0.00
    "-0.001",
    "999.995",
    "999999.995",
    "1E+3",
    "1e-10",
    "12.3",
    "7",
    "100000",
    "1000000",
    "12345678901234.56",
    "-1234567.005",
    "0.1",
    "10000000000.00",
]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_money_is_written_as_babel_writes_it(lang: str) -> None:
    for text in AMOUNTS:
        assert wording.format_money(text, lang) == babel_money(Decimal(text), lang), text
    for cents in (0, 1, -1, 5, 99, 100, 101, 123456, -123456, 10**12, -(10**12), 10**14 + 7):
        expected = babel_money(Decimal(cents) / 100, lang)
        assert wording.format_money(cents, lang, cents=True) == expected, cents


@given(
    amount=st.decimals(
        min_value=Decimal("-1e13"),
        max_value=Decimal("1e13"),
        allow_nan=False,
        allow_infinity=False,
        places=None,
    ),
    lang=st.sampled_from(LANGUAGES),
)
def test_any_amount_is_written_as_babel_writes_it(amount: Decimal, lang: str) -> None:
    expected = babel_money(amount, lang)
    assert wording._money_text.__wrapped__(amount.copy_abs(), amount.is_signed(), lang) == expected


def test_what_is_not_an_amount_is_shown_as_it_is() -> None:
    for text in ("abc", "1,5", "", "NaN", "Infinity", "-inf"):
        assert wording.format_money(text, "fi") == text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_country_is_named_as_babel_names_it(lang: str) -> None:
    locale = babel_locale(lang)
    codes = [*locale.territories, "fi", " se ", "XX", "ZZZ", "001", "", None]
    for code in codes:
        value = (code or "").strip().upper()
        expected = str(locale.territories.get(value, value)) if value else ""
        assert wording.country_name(code, lang) == expected, code
