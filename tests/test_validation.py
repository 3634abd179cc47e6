"""Validators: property tests with phonenumbers, stdnum and Decimal as oracles."""

from datetime import date
from decimal import Decimal

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.fi import ytunnus

from lautex_registry import validation
from lautex_registry.errors import InvalidInput

# --- phone -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["040 123 4567", "+358 (0)40 123 4567", "00358 40 123 4567", "0401234567"]
)
def test_finnish_mobile_number_in_every_written_form_is_one_e164(text: str) -> None:
    assert validation.normalise_phone(text) == "+358401234567"


@pytest.mark.parametrize("text", ["", "12", "abc", "040", "+358 40 1"])
def test_invalid_phone_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidInput, match=r"^phone: "):
        validation.normalise_phone(text)


@given(st.from_regex(r"\A04[0-9]{7,8}\Z"))
def test_phone_agrees_with_phonenumbers(text: str) -> None:
    number = phonenumbers.parse(text, "FI")
    if phonenumbers.is_valid_number(number):
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        assert validation.normalise_phone(text) == e164
        # Normalising the stored form again changes nothing.
        assert validation.normalise_phone(e164) == e164
        assert validation.national_phone_digits(e164) == "0" + e164[4:]
    else:
        with pytest.raises(InvalidInput):
            validation.normalise_phone(text)


# --- business id -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["1572860-0", "0737546-2", " 0737546-2 "])
def test_known_business_ids_are_valid(text: str) -> None:
    assert validation.business_id(text) == text.strip()


@pytest.mark.parametrize("text", ["1572860-1", "1234567", "abc", "", "1572860-00"])
def test_bad_business_ids_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match=r"^business_id: "):
        validation.business_id(text)


def _check_digit(digits: str) -> int | None:
    """DESIGN §2: weights 7,9,10,5,8,4,2; r = sum mod 11; 0 -> 0, 1 -> invalid, else 11 - r."""
    r = sum(int(d) * w for d, w in zip(digits, (7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    if r == 1:
        return None
    return 0 if r == 0 else 11 - r


@given(st.from_regex(r"\A[0-9]{7}\Z"), st.integers(0, 9))
def test_business_id_agrees_with_stdnum_and_the_rule(digits: str, check: int) -> None:
    text = f"{digits}-{check}"
    expected_ok = _check_digit(digits) == check
    assert ytunnus.is_valid(text) == expected_ok
    if expected_ok:
        assert validation.business_id(text) == text
    else:
        with pytest.raises(InvalidInput):
            validation.business_id(text)


# --- email -----------------------------------------------------------------------------------


def test_email_domain_is_normalised_and_local_part_kept() -> None:
    assert validation.normalise_email(" Aino.Aijala@Example.FI ") == "Aino.Aijala@example.fi"


@pytest.mark.parametrize("text", ["", "aino", "aino@", "@example.fi", "a b@example.fi"])
def test_bad_email_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match=r"^email: "):
        validation.normalise_email(text)


@given(st.emails())
def test_normalising_an_email_twice_changes_nothing(text: str) -> None:
    try:
        once = validation.normalise_email(text)
    except InvalidInput:
        return  # hypothesis may generate addresses email-validator rejects (e.g. special TLDs)
    assert validation.normalise_email(once) == once


# --- postal code -----------------------------------------------------------------------------


@given(st.from_regex(r"\A[0-9]{5}\Z"))
def test_finnish_postal_code_keeps_leading_zeros(text: str) -> None:
    assert validation.postal_code(text, "FI") == text


@given(st.text(max_size=8))
def test_finnish_postal_code_is_exactly_five_digits(text: str) -> None:
    stripped = text.strip()
    if len(stripped) == 5 and stripped.isascii() and stripped.isdigit():
        assert validation.postal_code(text, "FI") == stripped
    else:
        with pytest.raises(InvalidInput, match=r"^postal_code: "):
            validation.postal_code(text, "FI")


def test_other_countries_allow_letters() -> None:
    assert validation.postal_code("SW1A 1AA", "GB") == "SW1A 1AA"


# --- money -----------------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=10**11))
def test_money_round_trips_through_text(cents: int) -> None:
    text = validation.format_money(cents)
    assert validation.parse_money(text, "price") == cents
    assert Decimal(text) == Decimal(cents) / 100


@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False))
def test_money_agrees_with_decimal(amount: Decimal) -> None:
    assert validation.parse_money(str(amount), "price") == int(amount * 100)


@pytest.mark.parametrize(
    ("text", "cents"), [("12", 1200), ("12.5", 1250), ("12,50", 1250), ("1 234.05", 123405)]
)
def test_money_accepts_common_forms(text: str, cents: int) -> None:
    assert validation.parse_money(text, "price") == cents


@pytest.mark.parametrize("text", ["", "1.234", "-1", "abc", "1e3", "nan", "1.2.3", "0.1+0.2"])
def test_bad_money_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match=r"^price: "):
        validation.parse_money(text, "price")


def test_negative_cents_are_formatted_with_a_sign() -> None:
    assert validation.format_money(-5) == "-0.05"


# --- dates -----------------------------------------------------------------------------------


@given(st.dates())
def test_iso_and_finnish_dates_parse_to_the_same_day(day: date) -> None:
    if day.year < 1000:
        return
    assert validation.parse_date(day.isoformat(), "date") == day
    finnish = f"{day.day}.{day.month}.{day.year}"
    assert validation.parse_date(finnish, "date") == day


@pytest.mark.parametrize(
    "text", ["", "2026-02-30", "30.2.2026", "tomorrow", "2026-1-1", "2026-W48-3"]
)
def test_bad_dates_name_the_field(text: str) -> None:
    with pytest.raises(InvalidInput, match=r"^issued: "):
        validation.parse_date(text, "issued")


_ADDRESS_CHARS = st.sampled_from([*list("abcXYZ019.-_+'!#%&*/=?^`{|}~@\"() ,:;<>[]\\äÅ"), "xn--"])


def _email_validator_result(text: str) -> str | None:
    from email_validator import EmailNotValidError, validate_email

    try:
        return str(validate_email(text, check_deliverability=False).normalized)
    except EmailNotValidError:
        return None


@given(st.one_of(st.emails(), st.lists(_ADDRESS_CHARS, max_size=30).map("".join)))
def test_plain_email_fast_path_agrees_with_email_validator(text: str) -> None:
    fast = validation._plain_email(text)
    if fast is not None:
        assert fast == _email_validator_result(text)


@given(
    st.from_regex(r"\A[a-zA-Z0-9._+-]{1,20}@[a-zA-Z0-9-]{1,12}(\.[a-zA-Z0-9-]{1,12}){0,2}"
                  r"\.[a-zA-Z]{2,6}\Z")
)  # fmt: skip
def test_normalise_email_agrees_with_email_validator(text: str) -> None:
    expected = _email_validator_result(text)
    if expected is None:
        with pytest.raises(InvalidInput):
            validation.normalise_email(text)
    else:
        assert validation.normalise_email(text) == expected


@pytest.mark.parametrize(
    "text",
    ["a@b.test", "a@localhost", "a..b@example.fi", ".a@example.fi", "a@-x.fi", "a@x-.fi",
     "a@ab--cd.fi", "a@xn--bcher-kva.example", "a@example.123", "a@example"],
)  # fmt: skip
def test_edge_addresses_match_email_validator(text: str) -> None:
    expected = _email_validator_result(text)
    if expected is None:
        with pytest.raises(InvalidInput):
            validation.normalise_email(text)
    else:
        assert validation.normalise_email(text) == expected


def _phonenumbers_result(text: str) -> str | None:
    try:
        number = phonenumbers.parse(text, "FI")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


_PHONE_TEXT = st.one_of(
    st.from_regex(r"\A(\+358|00358|0|\+46|\+)?[ -]?[0-9]{1,3}[ -]?[0-9]{0,4}[ -]?[0-9]{0,5}\Z"),
    st.lists(st.sampled_from([*"0123456789 -+()", "358", "040", "050", "04"]), max_size=14).map(
        "".join
    ),
)


@given(_PHONE_TEXT)
def test_finnish_mobile_fast_path_agrees_with_phonenumbers(text: str) -> None:
    fast = validation._plain_finnish_mobile(text)
    if fast is not None:
        assert fast == _phonenumbers_result(text)


@given(_PHONE_TEXT)
def test_normalise_phone_agrees_with_phonenumbers(text: str) -> None:
    expected = _phonenumbers_result(text.strip()) if text.strip() else None
    if expected is None:
        with pytest.raises(InvalidInput):
            validation.normalise_phone(text)
    else:
        assert validation.normalise_phone(text) == expected


@pytest.mark.parametrize("text", ["040 123 4567", "+358 40 123 4567", "00358-40-1234567"])
def test_common_finnish_mobile_forms_take_the_fast_path(text: str) -> None:
    assert validation._plain_finnish_mobile(text) == "+358401234567"
    assert validation._plain_email("Aino.Aijala@Example.FI") == "Aino.Aijala@example.fi"


def test_country_codes_are_iso_codes_with_the_everyday_aliases() -> None:
    import phonenumbers

    from lautex_registry.errors import InvalidInput
    from lautex_registry.validation import country

    for code in phonenumbers.SUPPORTED_REGIONS:
        assert country(code.lower()) == code
    assert country(" el ") == "GR" and country("UK") == "GB"
    for bad in ("XX", "ZZ", "F", "FIN", "1A"):
        with pytest.raises(InvalidInput, match="country"):
            country(bad)
