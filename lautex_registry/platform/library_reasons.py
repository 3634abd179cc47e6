"""What email-validator, phonenumbers and python-stdnum say, in the interface's language.

A refused email address, phone number or business ID is one line whose reason in brackets
is the library's own English sentence: `email: not a valid email address (An email address
must have an @-sign.)`. Each of them is an `Explained` (platform/errors.py): its `str()` is
the library's words byte for byte (the English line, the JSON import report), its
translation the catalogue's sentence for the same meaning (docs/translating.md, "A
library's own words"):

- email-validator gives only text: each of its messages is a template below, matched by
  pattern, its variable parts (the offending characters, how many too many) named
  placeholders. A message no template matches (a newer email-validator) stays in English.
  tests/test_library_reasons.py reads the installed package's source and fails on a
  message this table lacks.
- phonenumbers: by the exception's `error_type`, one sentence for each of the five.
- python-stdnum: by the exception's class.

The email table is read only when a reason is shown in another language than English: a
bulk import's bad rows cost no pattern matching (docs/rules.md §6).
"""

import re
from functools import cache
from typing import Any

from lautex_registry.platform.errors import Explained, Message, t, tn

# Every message email-validator 2.4 raises (syntax.py, validate_email.py, deliverability.py).
# Placeholders: {characters} the offending characters as it lists them ('ä', SPACE),
# {excess} how far over a length limit (one of _EMAIL_EXCESS), {reason} another message of
# this table, {count} and {fewest} numbers, {domain} and {detail} (the idna, ipaddress or
# DNS library's own words) as they are.
_EMAIL: tuple[Message, ...] = (
    t('The email address has the "full-width" at-sign (@) character instead of a regular at-sign.'),
    t('The email address has the "small commercial at" character instead of a regular at-sign.'),
    t("An email address must have an @-sign."),
    t("Extra character(s) found after close quote: {characters}"),
    t("The display name contains invalid characters when not quoted: {characters}."),
    t(
        "An open angle bracket at the start of the email address has to be followed by a close "
        "angle bracket at the end."
    ),
    t("There can't be anything after the email address."),
    t("There must be something before the @-sign."),
    t("There must be something after the @-sign."),
    t("The email address is too long before the @-sign {excess}."),
    t("The email address is too long after the @-sign {excess}."),
    tn(
        "The email address is too long after the @-sign ({count} byte too many after IDNA "
        "encoding).",
        "The email address is too long after the @-sign ({count} bytes too many after IDNA "
        "encoding).",
        2,
    ),
    t("The email address is too long {excess}."),
    t("After the @-sign, periods cannot be separated by so many characters {excess}."),
    t("Internationalized characters before the @-sign are not supported: {characters}."),
    t("Internationalized characters before the @-sign are not supported."),
    t("The email address contains invalid characters in quotes before the @-sign: {characters}."),
    t("The email address contains an invalid character."),
    t("The email address contains invalid characters before the @-sign: {characters}."),
    t("The email address contains invalid characters before the @-sign."),
    t("The email address contains unsafe characters: {characters}."),
    t("The email address contains invalid characters after the @-sign after IDNA encoding."),
    t("The email address is not valid ASCII."),
    t("An email address cannot start with a period."),
    t("An email address cannot have a period immediately before the @-sign."),
    t("An email address cannot have a period immediately after the @-sign."),
    t("An email address cannot end with a period."),
    t("An email address cannot have a hyphen immediately after the @-sign."),
    t("An email address cannot end with a hyphen."),
    t("An email address cannot have two periods in a row."),
    t("An email address cannot have a period and a hyphen next to each other."),
    t(
        "An email address cannot have two letters followed by two dashes immediately after the "
        "@-sign or after a period, except Punycode."
    ),
    t("The part after the @-sign contains invalid characters: {characters}."),
    t("The part after the @-sign contains invalid characters ({detail})."),
    t(
        "The part after the @-sign contains invalid characters after Unicode normalization: "
        "{characters}."
    ),
    t("The part after the @-sign contains invalid characters in brackets: {characters}."),
    t("The part after the @-sign contains an invalid address literal tag in brackets."),
    t("The part after the @-sign is invalid ({detail})."),
    t("The part after the @-sign is not valid. It should have a period."),
    t("The part after the @-sign is not valid. It is not within a valid top-level domain."),
    t(
        "The part after the @-sign is a special-use or reserved name that cannot be used with "
        "email."
    ),
    t("The part after the @-sign is not valid IDNA ({detail})."),
    t(
        "The part after the @-sign became invalid after normalizing to international characters "
        "({detail})."
    ),
    t(
        "The address in brackets after the @-sign is not valid: It is not an IPv4 address "
        "({detail}) or is missing an address literal tag."
    ),
    t("The IPv6 address in brackets after the @-sign is not valid ({detail})."),
    t("The IPv6 address in brackets after the @-sign is not valid (It has a zone index)."),
    t(
        "The part after the @-sign in brackets is not an IPv4 address and has no address "
        "literal tag."
    ),
    t("Quoting the part before the @-sign is not allowed here."),
    t("A bracketed IP address after the @-sign is not allowed here."),
    t("A display name and angle brackets around the email address are not permitted here."),
    t("After Unicode normalization: {reason}"),
    t("The domain name {domain} does not accept email."),
    t("The domain name {domain} does not send email."),
    t("The domain name {domain} does not exist."),
    t(
        "There was an error while checking if the domain name in the email address is "
        "deliverable: {detail}"
    ),
)
# How far an address or a part of it is over its limit: the {excess} of a message above.
_EMAIL_EXCESS: tuple[Message, ...] = (
    tn("({count} character too many)", "({count} characters too many)", 2),
    t("({fewest}-{count} characters too many)"),
    tn(
        "after normalization ({count} byte too many)",
        "after normalization ({count} bytes too many)",
        2,
    ),
    tn(
        "when the part after the @-sign is converted to IDNA ASCII ({count} byte too many)",
        "when the part after the @-sign is converted to IDNA ASCII ({count} bytes too many)",
        2,
    ),
)
# The characters a clerk puts in an address by mistake that email-validator names by their
# Unicode name rather than showing them (a space cannot be seen in quotes).
_CHARACTER_NAMES = {
    # TRANSLATORS: the name of a character (U+0020), in a list of characters not allowed
    "SPACE": t("SPACE"),
    "NO-BREAK SPACE": t("NO-BREAK SPACE"),
    "NARROW NO-BREAK SPACE": t("NARROW NO-BREAK SPACE"),
    "ZERO WIDTH SPACE": t("ZERO WIDTH SPACE"),
    "ZERO WIDTH NO-BREAK SPACE": t("ZERO WIDTH NO-BREAK SPACE"),
    "SOFT HYPHEN": t("SOFT HYPHEN"),
}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_NUMBERS = frozenset({"count", "fewest"})


class EmailReason(Explained):
    """email-validator's reason: its meaning is looked up only when it is translated."""

    __slots__ = ()

    def meaning(self) -> Message | None:
        return _matched(self.original, _EMAIL)


def email_reason(exc: Exception) -> EmailReason:
    """What email-validator said about an address, in the interface's language."""
    return EmailReason(str(exc))


@cache
def _patterns(template: str, plural: str | None) -> tuple[tuple[re.Pattern[str], int], ...]:
    """The pattern of each English form of a message (singular, plural) and its number."""
    forms = [(template, 1)]
    if plural is not None:
        forms.append((plural, 2))
    patterns = []
    for form, n in forms:
        pieces = _PLACEHOLDER.split(form)
        # Literal text escaped; a placeholder takes any text, checked by _value after.
        regex = "".join(
            re.escape(piece) if i % 2 == 0 else f"(?P<{piece}>.+?)"
            for i, piece in enumerate(pieces)
        )
        patterns.append((re.compile(regex, re.DOTALL), n))
    return tuple(patterns)


def _matched(text: str, table: tuple[Message, ...]) -> Message | None:
    """The message of `table` whose English is exactly `text`, with its values; None if none."""
    for message in table:
        for pattern, n in _patterns(message.template, message.plural):
            found = pattern.fullmatch(text)
            if found is None:
                continue
            params = {name: _value(name, value) for name, value in found.groupdict().items()}
            if any(value is None for value in params.values()):
                continue
            if message.plural is not None:
                n = int(params["count"])
            candidate = Message(message.template, params, message.plural, n)
            # Only a template that gives back the very words: the English never changes.
            if str(candidate) == text:
                return candidate
    return None


def _value(name: str, text: str) -> Any:
    """A placeholder's value from the matched text; None when it is not of its kind."""
    if name in _NUMBERS:
        return int(text) if text.isascii() and text.isdigit() else None
    if name == "excess":
        return _matched(text, _EMAIL_EXCESS)
    if name == "reason":
        return _matched(text, _EMAIL)
    if name == "characters":
        return _characters(text)
    return text  # {domain}, {detail}: another library's words, as they are


def _characters(text: str) -> Any:
    """email-validator's list of characters (`'ä', SPACE`) with the names of invisible ones
    in the interface's language; a quoted character stays as it is."""
    items = text.split(", ")
    if not any(item in _CHARACTER_NAMES for item in items):
        return text
    template = ", ".join(f"{{c{i}}}" for i in range(len(items)))
    # Only values: not in the catalogue (docs/translating.md).
    return Message(
        template,
        {f"c{i}": Explained(item, _CHARACTER_NAMES.get(item)) for i, item in enumerate(items)},
    )


# phonenumbers' NumberParseException, by its error_type (the five it has).
_PHONE = {
    0: t("Country calling code supplied was not recognised."),  # INVALID_COUNTRY_CODE
    1: t("The string supplied did not seem to be a phone number."),  # NOT_A_NUMBER
    # TOO_SHORT_AFTER_IDD
    2: t(
        "Phone number had an IDD, but after this was not long enough to be a viable phone number."
    ),
    3: t("The string supplied is too short to be a phone number."),  # TOO_SHORT_NSN
    4: t("The string supplied is too long to be a phone number."),  # TOO_LONG
}


def phone_reason(exc: Exception) -> Explained:
    """What phonenumbers said about a number (`(1) The string supplied did not seem to be a
    phone number.`), in the interface's language by its error_type."""
    kind = getattr(exc, "error_type", None)
    return Explained(str(exc), _PHONE.get(kind) if isinstance(kind, int) else None)


def stdnum_reason(exc: Exception) -> Explained:
    """What python-stdnum said about a business ID, in the interface's language by its
    exception's class (InvalidLength before InvalidFormat, which it is a kind of)."""
    from stdnum import exceptions

    by_class = {
        exceptions.InvalidLength: t("The number has an invalid length."),
        exceptions.InvalidFormat: t("The number has an invalid format."),
        exceptions.InvalidChecksum: t("The number's checksum or check digit is invalid."),
        exceptions.InvalidComponent: t("One of the parts of the number are invalid or unknown."),
    }
    meaning = next((by_class[cls] for cls in type(exc).__mro__ if cls in by_class), None)
    return Explained(str(exc), meaning)
