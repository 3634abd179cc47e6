"""Validating and normalising what a clerk or a CSV file gives the register.

Each function returns the value in the form the register stores and raises
`InvalidInput("field: reason")` otherwise, so a command can print one clear line.
Well-kept libraries do the work where one exists (DESIGN §2 "Formats"):
email-validator for email syntax (no network look-ups), phonenumbers for phone
numbers (stored as E.164, Finland as the default region), python-stdnum for the
Finnish business ID (Y-tunnus).
"""

import re
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal, InvalidOperation

from lautex_registry.clock import today
from lautex_registry.errors import InvalidInput

DEFAULT_PHONE_REGION = "FI"
# The largest amount the register accepts: ten billion euros, far above any order.
MAX_CENTS = 10**12

_MONEY = re.compile(r"^(?P<sign>-?)(?P<euros>[0-9]+)(?:[.,](?P<cents>[0-9]{1,2}))?$")
_FI_POSTAL_CODE = re.compile(r"^[0-9]{5}$")
_OTHER_POSTAL_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{0,9}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_FINNISH_DATE = re.compile(r"^([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})$")


# A plain ASCII address (dot-atom local part, letters-only top-level domain, no
# Punycode or special-use domain) is normalised here without the library: a bulk
# import validates millions of them. tests/test_validation.py checks with
# hypothesis that this path gives exactly what email-validator gives; anything
# else goes to email-validator.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_EMAIL = re.compile(
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
        raise InvalidInput(f"{field}: must not be empty")
    plain = _plain_email(value)
    if plain is not None:
        return plain
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput(f"{field}: not a valid email address ({exc})") from exc
    return str(result.normalized)


# A Finnish mobile number written plainly (`040 123 4567`, `+358 40 1234567`,
# `00358401234567`) is normalised here: phonenumbers costs about 40 µs a number and a
# bulk import has millions. The pattern is phonenumbers' own metadata for Finnish
# mobile numbers (national number `(?:4[0-8]|50)\d{4,8}`); tests/test_validation.py
# checks with hypothesis that this path gives exactly what phonenumbers gives.
# Anything else goes to phonenumbers.
_PLAIN_FI_MOBILE = re.compile(r"^(?:\+358|00358|0)((?:4[0-8]|50)[0-9]{4,8})$")
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
        raise InvalidInput(f"{field}: must not be empty")
    plain = _plain_finnish_mobile(value)
    if plain is not None:
        return plain
    import phonenumbers

    try:
        number = phonenumbers.parse(value, DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(f"{field}: not a phone number ({exc})") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(f"{field}: {value!r} is not a valid phone number")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def national_phone_digits(e164: str) -> str:
    """The digits a Finn would dial at home (`0401234567` for `+358401234567`), for search."""
    if e164.startswith("+358"):
        return "0" + e164[4:]
    return e164.lstrip("+")


# EU usage writes EL for Greece; UK is the everyday code for the United Kingdom.
_COUNTRY_ALIASES = {"EL": "GR", "UK": "GB"}


def country(text: str, field: str = "country") -> str:
    """An ISO 3166-1 alpha-2 country code, upper case (`FI`, `SE`)."""
    value = text.strip().upper()
    if not _COUNTRY.match(value):
        raise InvalidInput(f"{field}: a two-letter country code such as FI or SE is required")
    value = _COUNTRY_ALIASES.get(value, value)
    from phonenumbers import SUPPORTED_REGIONS  # the ISO 3166-1 codes of inhabited countries

    if value not in SUPPORTED_REGIONS:
        raise InvalidInput(f"{field}: {value} is not an ISO 3166-1 country code")
    return value


def postal_code(text: str, country_code: str = "FI", field: str = "postal_code") -> str:
    """A postal code kept as text; a Finnish one is exactly five digits (00100 keeps its zeros)."""
    value = text.strip()
    if country_code.upper() == "FI":
        if not _FI_POSTAL_CODE.match(value):
            raise InvalidInput(f"{field}: a Finnish postal code is exactly five digits, e.g. 00100")
        return value
    if not _OTHER_POSTAL_CODE.match(value):
        raise InvalidInput(f"{field}: 1-10 letters, digits, spaces or hyphens")
    return value


def business_id(text: str, field: str = "business_id") -> str:
    """A Finnish business ID (Y-tunnus) in the form `NNNNNNN-C`, check digit verified."""
    from stdnum.exceptions import ValidationError
    from stdnum.fi import ytunnus

    value = text.strip()
    try:
        compact = ytunnus.validate(value)
    except ValidationError as exc:
        raise InvalidInput(
            f"{field}: {value!r} is not a valid Finnish business ID ({exc})"
        ) from exc
    return str(ytunnus.format(compact))


def parse_date(text: str, field: str) -> date:
    """A calendar date: ISO `2026-11-25`, or the Finnish `25.11.2026`."""
    value = text.strip()
    finnish = _FINNISH_DATE.match(value)
    try:
        if finnish:
            day, month, year = (int(part) for part in finnish.groups())
            return date(year, month, day)
        if not _ISO_DATE.match(value):
            raise ValueError("expected YYYY-MM-DD")
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(
            f"{field}: {value!r} is not a date (use YYYY-MM-DD or D.M.YYYY)"
        ) from exc


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
            f"{field}: {text.strip()!r} is not an amount in euros with at most two decimals"
        )
    if match["sign"] and not allow_negative:
        raise InvalidInput(f"{field}: must not be negative")
    try:
        amount = Decimal(value.replace(",", "."))
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only decimals
        raise InvalidInput(f"{field}: not an amount") from exc
    cents = int(amount * 100)
    if abs(cents) >= MAX_CENTS:
        raise InvalidInput(f"{field}: the amount is too large")
    return cents


def format_money(cents: int) -> str:
    """Integer cents as euros with two decimals: 1250 -> `12.50`, -5 -> `-0.05`."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    return f"{sign}{euros}.{rest:02d}"


def choice(text: str, allowed: tuple[str, ...], field: str) -> str:
    """One of a fixed list of values (source, channel, language)."""
    value = text.strip()
    if value not in allowed:
        raise InvalidInput(f"{field}: must be one of {', '.join(allowed)} (got {value!r})")
    return value


def required_text(text: str | None, field: str, *, max_length: int = 200) -> str:
    """A non-empty line of text, stored literally (Äijälä, O'Brien) but trimmed."""
    value = optional_text(text, field, max_length=max_length)
    if value is None:
        raise InvalidInput(f"{field}: is required")
    return value


def optional_text(text: str | None, field: str, *, max_length: int = 200) -> str | None:
    """Trimmed text, None when empty; one line only, at most `max_length` characters."""
    if text is None:
        return None
    value = text.strip()
    if not value:
        return None
    if "\n" in value or "\r" in value:
        raise InvalidInput(f"{field}: must be a single line")
    if len(value) > max_length:
        raise InvalidInput(f"{field}: at most {max_length} characters")
    return value


def comma_separated(values: Iterable[str]) -> Iterator[str]:
    """The items of repeated options that may each hold a comma-separated list, trimmed."""
    for value in values:
        for part in value.split(","):
            item = part.strip()
            if item:
                yield item
