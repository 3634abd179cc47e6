"""Validating and normalising what a clerk or a CSV file gives the register.

Each function returns the value in the form the register stores and raises
`InvalidInput("field: reason")` otherwise, so a command can print one clear line.
Well-kept libraries do the work where one exists (docs/rules.md §2 "Formats"):
email-validator for email syntax (no network look-ups), phonenumbers for phone
numbers (stored as E.164, Finland as the default region), python-stdnum for the
Finnish business ID (Y-tunnus) and for spotting a personal identity code
(henkilötunnus) in free text, which the privacy statement says is never stored.

Every free-text field goes through `optional_text`/`required_text` (one line) or
`multiline_text` (reasons and notes of requests): control characters are refused,
each field has a length limit, and an error line quotes at most `excerpt()` of a
bad value.
"""

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from decimal import Decimal, InvalidOperation

from lautex_registry.platform.characters import (
    CONTROL_CHARACTERS,
    CONTROL_CHARACTERS_BUT_NEWLINE,
    excerpt,
    lazy_pattern,
)
from lautex_registry.platform.clock import FIRST_YEAR, LAST_YEAR, today
from lautex_registry.platform.errors import InvalidInput, Message, t

DEFAULT_PHONE_REGION = "FI"
# The largest amount the register accepts: ten billion euros, far above any order.
MAX_CENTS = 10**12

_MONEY = lazy_pattern(r"^(?P<sign>-?)(?P<euros>[0-9]+)(?:[.,](?P<cents>[0-9]{1,2}))?$")
_FI_POSTAL_CODE = lazy_pattern(r"^[0-9]{5}$")
_OTHER_POSTAL_CODE = lazy_pattern(r"^[A-Za-z0-9][A-Za-z0-9 -]{0,9}$")
_COUNTRY = lazy_pattern(r"^[A-Z]{2}$")
_ISO_DATE = lazy_pattern(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_FINNISH_DATE = lazy_pattern(r"^([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})$")

# The length limits of free text (README "Input rules").
NAME_MAX = 200
NOTES_MAX = 1000
TEXT_MAX = 4000

_CONTROL = lazy_pattern(f"[{CONTROL_CHARACTERS}]")
_CONTROL_IN_LINES = lazy_pattern(f"[{CONTROL_CHARACTERS_BUT_NEWLINE}]")
_CONTROL_NAMES = {0: "NUL", 1: "SOH", 7: "BEL", 8: "BS", 9: "TAB", 0x1B: "ESC", 0x7F: "DEL"}
# A henkilötunnus: DDMMYY, the century sign, the individual number and the check
# character, standing on its own (stdnum.fi.hetu then checks the date and checksum).
_HETU_CANDIDATE = lazy_pattern(
    r"(?<![0-9])[0-3][0-9][01][0-9][0-9]{2}[-+A-FU-Y][0-9]{3}[0-9A-Y](?![0-9A-Za-z])",
    re.IGNORECASE,
)


def _control_name(ch: str) -> str:
    code = ord(ch)
    return _CONTROL_NAMES.get(code) or f"U+{code:04X}"


# Dashes a keyboard, a word processor or a phone puts where a henkilötunnus has its
# hyphen (Unicode category Pd, and the minus sign): read as `-` when looking for one.
_DASHES = str.maketrans(
    dict.fromkeys(
        "\u058a\u05be\u1400\u1806\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2e17\u2e1a"
        "\u2e3a\u2e3b\u2e40\u2e5d\u301c\u3030\u30a0\ufe31\ufe32\ufe58\ufe63\uff0d"
        "\U00010ead",
        "-",
    )
)


def _as_typed_in_ascii(text: str) -> str:
    """A copy of the text with full-width digits and letters (NFKC) and dash variants in
    ASCII, so `１３１０５２‐３０８T` reads as the `131052-308T` it shows."""
    return _dashes_as_hyphens(unicodedata.normalize("NFKC", text))


_DASH = lazy_pattern("[" + "".join(chr(code) for code in _DASHES) + "]")


def _dashes_as_hyphens(text: str) -> str:
    """`text.translate(_DASHES)`, but a text with no dash (a name with ä or å) is not
    copied character by character: translating non-ASCII text costs a bulk import
    more than the rest of the check (benchmarks/README.md)."""
    return text if _DASH.search(text) is None else text.translate(_DASHES)


def contains_personal_identity_code(text: str) -> bool:
    """True when the text holds a valid Finnish personal identity code (henkilötunnus),
    however its digits and hyphen are written."""
    if not text.isascii():
        text = _as_typed_in_ascii(text)
    if not _HETU_CANDIDATE.search(text):
        return False
    from stdnum.exceptions import ValidationError
    from stdnum.fi import hetu

    for candidate in _HETU_CANDIDATE.findall(text):
        try:
            hetu.validate(candidate.upper(), allow_temporary=True)
        except ValidationError:
            continue
        return True
    return False


_NOT_UTF8 = lazy_pattern("[\ud800-\udfff]")


def readable(text: str, field: str) -> str:
    """`text` as given, unless it holds bytes that were not UTF-8 (Python keeps them as
    lone surrogates, which no SQL parameter and no file can carry): refused, exit 2."""
    if _NOT_UTF8.search(text):
        raise InvalidInput(
            t("{field}: {value} is not UTF-8 text", field=field, value=excerpt(text))
        )
    return text


def checked_text(value: str, field: str, *, max_length: int, lines: bool = False) -> str:
    """Free text as the register stores it: no control characters, within its length
    limit, and no personal identity code (privacy statement: none is stored)."""
    if not lines and ("\n" in value or "\r" in value):
        raise InvalidInput(t("{field}: must be a single line", field=field))
    control = (_CONTROL_IN_LINES if lines else _CONTROL).search(value)
    if control is not None:
        raise InvalidInput(
            t(
                "{field}: control character {control_name} at position {value} is not allowed",
                field=field,
                control_name=_control_name(control.group()),
                value=control.start() + 1,
            )
        )
    if len(value) > max_length:
        raise InvalidInput(
            t(
                "{field}: at most {max_length} characters (got {count})",
                field=field,
                max_length=max_length,
                count=len(value),
            )
        )
    if contains_personal_identity_code(value):
        raise InvalidInput(
            t(
                "{field}: looks like a Finnish personal identity code (henkilötunnus), "
                "which the register never stores; leave it out",
                field=field,
            )
        )
    return value


# A plain ASCII address (dot-atom local part, letters-only top-level domain, no
# Punycode or special-use domain) is normalised here without the library: a bulk
# import validates millions of them. tests/test_validation.py checks with
# hypothesis that this path gives exactly what email-validator gives; anything
# else goes to email-validator.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_EMAIL = lazy_pattern(
    rf"^(?P<local>{_ATEXT}(?:\.{_ATEXT})*)@"
    r"(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})$"
)
_SPECIAL_USE_DOMAINS = ("arpa", "invalid", "local", "localhost", "onion", "test")


def _plain_email(value: str) -> str | None:
    """The normalised form of a plain ASCII address, or None to ask email-validator."""
    if len(value) > 254 or not value.isascii():
        return None
    match = _PLAIN_EMAIL.match(value)
    if match is None or "--" in match["domain"] or len(match["local"]) > 64:
        return None
    domain = match["domain"].lower()
    if len(domain) > 253 or domain.rsplit(".", 1)[-1] in _SPECIAL_USE_DOMAINS:
        return None
    return f"{match['local']}@{domain}"


def normalise_email(text: str, field: str = "email") -> str:
    """The normalised form of an email address (syntax only: no DNS look-up)."""
    value = text.strip()
    if not value:
        raise InvalidInput(t("{field}: must not be empty", field=field))
    plain = _plain_email(value)
    if plain is not None:
        return plain
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        from lautex_registry.platform.library_reasons import email_reason

        raise InvalidInput(
            t("{field}: not a valid email address ({exc})", field=field, exc=email_reason(exc))
        ) from exc
    return str(result.normalized)


# A Finnish mobile number written plainly (`040 123 4567`, `+358 40 1234567`,
# `00358401234567`) is normalised here: phonenumbers is slow per number (benchmarks/README.md)
# and a bulk import has millions. The pattern is phonenumbers' own metadata for Finnish
# mobile numbers (national number `(?:4[0-8]|50)\d{4,8}`); tests/test_validation.py
# checks with hypothesis that this path gives exactly what phonenumbers gives.
# Anything else goes to phonenumbers.
_PLAIN_FI_MOBILE = lazy_pattern(r"^(?:\+358|00358|0)((?:4[0-8]|50)[0-9]{4,8})$")
_PHONE_SEPARATORS = str.maketrans("", "", " -")


def _plain_finnish_mobile(value: str) -> str | None:
    match = _PLAIN_FI_MOBILE.match(value.translate(_PHONE_SEPARATORS))
    return None if match is None else "+358" + match[1]


def normalise_phone(text: str, field: str = "phone") -> str:
    """A valid phone number in E.164 (`+358401234567`); Finnish numbers may omit +358.

    Accepts `040 123 4567`, `+358 (0)40 123 4567` and `00358 40 123 4567`.
    """
    value = text.strip()
    if not value:
        raise InvalidInput(t("{field}: must not be empty", field=field))
    plain = _plain_finnish_mobile(value)
    if plain is not None:
        return plain
    if any(ch.isalpha() for ch in value):
        # phonenumbers would read letters as a keypad's (`040 ABC 4567` -> 040 222 4567):
        # a clerk's typo must never become someone else's number.
        raise InvalidInput(
            t("{field}: digits only; letters are not allowed in a phone number", field=field)
        )
    if not all(ch.isascii() or ch.isspace() for ch in value):
        raise InvalidInput(t("{field}: digits 0-9, spaces, +, -, ( and ) only", field=field))
    import phonenumbers

    try:
        number = phonenumbers.parse(value, DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException as exc:
        from lautex_registry.platform.library_reasons import phone_reason

        raise InvalidInput(
            t("{field}: not a phone number ({exc})", field=field, exc=phone_reason(exc))
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(
            t("{field}: {value} is not a valid phone number", field=field, value=excerpt(value))
        )
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def national_phone_digits(e164: str) -> str:
    """The digits a Finn would dial at home (`0401234567` for `+358401234567`), for search."""
    if e164.startswith("+358"):
        return "0" + e164[4:]
    return e164.lstrip("+")


# The EU/EEA countries and Switzerland and the United Kingdom: nearly every address the
# register holds, so checking them needs no import of phonenumbers (whose list of
# regions holds every one of them; a test checks that).
EEA_COUNTRIES = frozenset({
    "AT", "BE", "BG", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GR", "HR",
    "HU", "IE", "IS", "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE",
    "SI", "SK",
})  # fmt: skip
# EU usage writes EL for Greece; UK is the everyday code for the United Kingdom.
_COUNTRY_ALIASES = {"EL": "GR", "UK": "GB"}


def country(text: str, field: str = "country") -> str:
    """An ISO 3166-1 alpha-2 country code, upper case (`FI`, `SE`)."""
    value = text.strip().upper()
    if not _COUNTRY.match(value):
        raise InvalidInput(
            t("{field}: a two-letter country code such as FI or SE is required", field=field)
        )
    value = _COUNTRY_ALIASES.get(value, value)
    if value in EEA_COUNTRIES:
        return value  # importing phonenumbers costs a command 30-60 ms (docs/rules.md §3)
    from phonenumbers import SUPPORTED_REGIONS  # the ISO 3166-1 codes of inhabited countries

    if value not in SUPPORTED_REGIONS:
        raise InvalidInput(
            t("{field}: {value} is not an ISO 3166-1 country code", field=field, value=value)
        )
    return value


def postal_code(text: str, country_code: str = "FI", field: str = "postal_code") -> str:
    """A postal code kept as text; a Finnish one is exactly five digits (00100 keeps its zeros)."""
    value = text.strip()
    if country_code.upper() == "FI":
        if not _FI_POSTAL_CODE.match(value):
            raise InvalidInput(
                t("{field}: a Finnish postal code is exactly five digits, e.g. 00100", field=field)
            )
        return value
    if not _OTHER_POSTAL_CODE.match(value):
        raise InvalidInput(t("{field}: 1-10 letters, digits, spaces or hyphens", field=field))
    return value


def business_id(text: str, field: str = "business_id") -> str:
    """A Finnish business ID (Y-tunnus) in the form `NNNNNNN-C`, check digit verified."""
    from stdnum.exceptions import ValidationError
    from stdnum.fi import ytunnus

    value = text.strip()
    try:
        compact = ytunnus.validate(value)
    except ValidationError as exc:
        from lautex_registry.platform.library_reasons import stdnum_reason

        raise InvalidInput(
            t(
                "{field}: {value} is not a valid Finnish business ID ({exc})",
                field=field,
                value=excerpt(value),
                exc=stdnum_reason(exc),
            )
        ) from exc
    return str(ytunnus.format(compact))


def parse_date(text: str, field: str) -> date:
    """A calendar date: ISO `2026-11-25`, or the Finnish `25.11.2026`, in the years the
    register's dates can be (FIRST_YEAR to LAST_YEAR)."""
    value = text.strip()
    finnish = _FINNISH_DATE.match(value)
    try:
        if finnish:
            day, month, year = (int(part) for part in finnish.groups())
            parsed = date(year, month, day)
        elif not _ISO_DATE.match(value):
            raise ValueError("expected YYYY-MM-DD")
        else:
            parsed = date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(
            t(
                "{field}: {value} is not a date (use YYYY-MM-DD or D.M.YYYY)",
                field=field,
                value=excerpt(value),
            )
        ) from exc
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise InvalidInput(
            t(
                "{field}: {value} is out of range (years {first} to {last})",
                field=field,
                value=excerpt(value),
                first=FIRST_YEAR,
                last=LAST_YEAR,
            )
        )
    return parsed


def date_or_today(text: str | None, field: str) -> date:
    """The date given (as `parse_date` reads it), else today on the register's clock."""
    return parse_date(text, field) if text else today()


def parse_money(text: str, field: str, *, allow_negative: bool = False) -> int:
    """Euros with at most two decimals (`12`, `12.5`, `12,50`, `1 234.50`) as integer cents.

    Decimal, never float: 0.1 + 0.2 must stay 0.30 on an invoice.
    """
    value = text.strip().replace(" ", "").replace("\u00a0", "")
    match = _MONEY.match(value)
    if not match:
        raise InvalidInput(
            t(
                "{field}: {text} is not an amount in euros with at most two decimals",
                field=field,
                text=excerpt(text.strip()),
            )
        )
    if match["sign"] and not allow_negative:
        raise InvalidInput(t("{field}: must not be negative", field=field))
    try:
        amount = Decimal(value.replace(",", "."))
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only decimals
        raise InvalidInput(t("{field}: not an amount", field=field)) from exc
    cents = int(amount * 100)
    if abs(cents) >= MAX_CENTS:
        raise InvalidInput(t("{field}: the amount is too large", field=field))
    return cents


def format_money(cents: int) -> str:
    """Integer cents as euros with two decimals: 1250 -> `12.50`, -5 -> `-0.05`."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    return f"{sign}{euros}.{rest:02d}"


# Quantities are kept exactly as integer thousandths (docs/rules.md §2 "Formats"):
# 1,5 m³ is 1500, never the float 1.5.
QUANTITY_SCALE = 1000
MAX_QUANTITY = 1_000_000
_QUANTITY = lazy_pattern(r"^(?P<whole>[0-9]+)(?:[.,](?P<fraction>[0-9]{1,3}))?$")


def parse_quantity(text: str, field: str) -> int:
    """A quantity with at most three decimals (`10`, `1,5`, `1.5`, `0.125`) in thousandths."""
    value = text.strip().replace(" ", "").replace("\u00a0", "")
    match = _QUANTITY.match(value) if value.isascii() else None
    if not match:
        raise InvalidInput(
            t(
                "{field}: {text} is not a quantity (a number with at most three "
                "decimals, e.g. 12 or 1,5)",
                field=field,
                text=excerpt(text.strip()),
            )
        )
    thousandths = int(match["whole"]) * QUANTITY_SCALE + int(
        (match["fraction"] or "").ljust(3, "0")
    )
    if not 0 < thousandths <= MAX_QUANTITY * QUANTITY_SCALE:
        raise InvalidInput(
            t(
                "{field}: must be more than 0 and at most {max_quantity}",
                field=field,
                max_quantity=MAX_QUANTITY,
            )
        )
    return thousandths


def format_quantity(thousandths: int) -> str:
    """Thousandths as the shortest exact decimal: 1500 -> `1.5`, 10000 -> `10`."""
    whole, rest = divmod(thousandths, QUANTITY_SCALE)
    return f"{whole}.{rest:03d}".rstrip("0") if rest else str(whole)


def line_amount_cents(thousandths: int, unit_price_cents: int) -> int:
    """A line's amount in cents: quantity x unit price, rounded to the cent half up
    (0.5 cents and more up), line by line, so an order's total is the sum of the
    amounts its lines show (docs/rules.md §2 "Formats")."""
    return (thousandths * unit_price_cents + QUANTITY_SCALE // 2) // QUANTITY_SCALE


def choice(text: str, allowed: tuple[str, ...], field: str) -> str:
    """One of a fixed list of values (source, channel, language)."""
    value = text.strip()
    if value not in allowed:
        raise InvalidInput(
            t(
                "{field}: must be one of {allowed} (got {value})",
                field=field,
                allowed=", ".join(allowed),
                value=excerpt(value),
            )
        )
    return value


def required_text(text: str | None, field: str, *, max_length: int = NAME_MAX) -> str:
    """A non-empty line of text, stored literally (Äijälä, O'Brien) but trimmed."""
    value = optional_text(text, field, max_length=max_length)
    if value is None:
        raise InvalidInput(t("{field}: is required", field=field))
    return value


def optional_text(text: str | None, field: str, *, max_length: int = NAME_MAX) -> str | None:
    """Trimmed text, None when empty; one line only, checked as `checked_text` says."""
    if text is None:
        return None
    value = text.strip()
    if not value:
        return None
    return checked_text(value, field, max_length=max_length)


def multiline_text(text: str | None, field: str, *, max_length: int = TEXT_MAX) -> str | None:
    """Reasons, notes and justifications: trimmed, may span lines (CRLF kept as LF)."""
    if text is None:
        return None
    value = text.replace("\r\n", "\n").strip()
    if not value:
        return None
    return checked_text(value, field, max_length=max_length, lines=True)


def comma_separated(values: Iterable[str]) -> Iterator[str]:
    """The items of repeated options that may each hold a comma-separated list, trimmed."""
    for value in values:
        for part in value.split(","):
            item = part.strip()
            if item:
                yield item


def distinct_items(
    values: Iterable[str], read: Callable[[str], Iterable[str]], none_given: Message
) -> list[str]:
    """The items of `comma_separated(values)` as `read` gives them (it raises for a wrong
    one), in order, each once; InvalidInput(`none_given`) when there is none."""
    found: list[str] = []
    for given in comma_separated(values):
        for item in read(given):
            if item not in found:
                found.append(item)
    if not found:
        raise InvalidInput(none_given)
    return found


_WHITESPACE_RUN = lazy_pattern(r"\s+")


def comparison_key(text: str) -> str:
    """The one form two names or emails are compared in: NFC, then full Unicode case
    folding, each run of whitespace (a no-break space too) as one space, trimmed.

    `ÄIJÄLÄ@example.fi` and `äijälä@example.fi`, `WEISS@` and `weiß@`, an NFD `Puutalo
    Äö Oy` and its NFC spelling, or `Strasse Oy` with a no-break space, are the same;
    the value itself is stored as written.
    """
    if text.isascii():  # NFC and case folding of ASCII are `lower()`: a bulk import's path
        folded = text.lower()
    else:
        folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
    return _WHITESPACE_RUN.sub(" ", folded).strip()


# SQLite's INTEGER is 64-bit signed: an id or a count beyond it cannot even be asked for.
MAX_ID = 2**63 - 1


def is_record_id(text: str) -> bool:
    """True when the text is written as an id (digits, any script): `record_id` then checks it."""
    return text.strip().isdigit()


def record_id(text: str, field: str = "id", *, minimum: int = 1, maximum: int = MAX_ID) -> int:
    """An id or a count as the register takes it: ASCII digits only, 1 to 2**63-1.

    Full-width `４２` or a superscript `²` are digits to Python but not to a clerk's eye:
    refused, never read as another customer.
    """
    value = text.strip()
    if not (value.isascii() and value.isdigit()):
        raise InvalidInput(
            t(
                "{field}: {value} is not a number (digits 0-9 only)",
                field=field,
                value=excerpt(value),
            )
        )
    # Python refuses to read an int of more than 4,300 digits: such a number is out of
    # range, said so before it is read.
    digits = value.lstrip("0") or "0"
    number = int(digits) if len(digits) <= len(str(maximum)) else maximum + 1
    if not minimum <= number <= maximum:
        raise InvalidInput(
            t(
                "{field}: {value} is out of range ({minimum} to {maximum})",
                field=field,
                value=excerpt(value),
                minimum=minimum,
                maximum=maximum,
            )
        )
    return number


def seconds(text: str, field: str, *, maximum: float) -> float:
    """A pause in seconds, 0 to `maximum` (`0.5`); not NaN, infinity or a negative time."""
    value = text.strip()
    if not re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", value):
        raise InvalidInput(
            t(
                "{field}: {value} is not a number of seconds such as 0.5",
                field=field,
                value=excerpt(value),
            )
        )
    number = float(value)
    if number > maximum:
        raise InvalidInput(t("{field}: at most {maximum:g} seconds", field=field, maximum=maximum))
    return number
