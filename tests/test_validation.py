"""Validators: property tests with phonenumbers, stdnum and Decimal as oracles."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.fi import ytunnus

from lautex_registry.platform import characters, clock, validation
from lautex_registry.platform.errors import InvalidInput

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
    """docs/rules.md §2: weights 7,9,10,5,8,4,2; r = sum mod 11; 0 -> 0, 1 -> invalid, else 11 -
    r."""
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
def test_iso_and_finnish_dates_parse_to_the_same_day_or_are_refused_outside_the_years(
    day: date,
) -> None:
    """Every day from 1900 to 2999 reads the same in both forms; before or after, the
    date is refused (retention counts a hundred years either way: docs/rules.md §2)."""
    finnish = f"{day.day}.{day.month}.{day.year}"
    if not clock.FIRST_YEAR <= day.year <= clock.LAST_YEAR:
        # Years before 1000 are not written with four digits: not a date at all.
        with pytest.raises(
            InvalidInput, match=r"^date: .* (is out of range \(years 1900 to 2999\)|is not a date)"
        ):
            validation.parse_date(finnish, "date")
        if day.year >= 1000:
            with pytest.raises(InvalidInput, match="out of range"):
                validation.parse_date(day.isoformat(), "date")
        return
    assert validation.parse_date(day.isoformat(), "date") == day
    assert validation.parse_date(finnish, "date") == day


@given(st.integers(min_value=0, max_value=10**6).map(lambda n: "9" * n + "0"))
def test_an_id_of_any_length_is_read_or_refused_as_out_of_range(digits: str) -> None:
    """However many digits (Python refuses to read more than 4,300), an id is read or
    refused in the register's words, never with an error of Python's."""
    if len(digits) <= 19 and 1 <= int(digits) <= validation.MAX_ID:
        assert validation.record_id(digits) == int(digits)
        return
    with pytest.raises(InvalidInput, match=r"^id: .* is out of range \(1 to 9223372036854775807\)"):
        validation.record_id(digits)
    assert validation.record_id("0" * 5000 + "42") == 42  # leading zeros are no digits


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

    from lautex_registry.platform.errors import InvalidInput
    from lautex_registry.platform.validation import country

    for code in phonenumbers.SUPPORTED_REGIONS:
        assert country(code.lower()) == code
    assert country(" el ") == "GR" and country("UK") == "GB"
    for bad in ("XX", "ZZ", "F", "FIN", "1A"):
        with pytest.raises(InvalidInput, match="country"):
            country(bad)


# --- free text: control characters, length limits, personal identity codes ----------------

_CONTROLS = st.sampled_from(["\x00", "\x01", "\x07", "\x1b", "\x7f", "\x9b", "\t", "\u202e"])
_PLAIN = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "M", "N", "P", "S", "Zs")),
    max_size=40,
)


@given(before=_PLAIN, control=_CONTROLS, after=_PLAIN)
def test_a_control_character_anywhere_in_free_text_is_refused(
    before: str, control: str, after: str
) -> None:
    text = f"x{before}{control}{after}x"
    for check in (validation.optional_text, validation.multiline_text):
        with pytest.raises(InvalidInput, match=r"^notes: control character .* not allowed$"):
            check(text, "notes")


@given(length=st.integers(min_value=1, max_value=300))
def test_free_text_is_accepted_up_to_its_limit_and_refused_beyond(length: int) -> None:
    text = "ä" * length
    if length <= validation.NAME_MAX:
        assert validation.required_text(text, "first_name") == text
    else:
        with pytest.raises(InvalidInput, match=r"^first_name: at most 200 characters"):
            validation.required_text(text, "first_name")


def test_only_multiline_text_keeps_plain_newlines() -> None:
    assert validation.multiline_text("first\r\nsecond", "note") == "first\nsecond"
    with pytest.raises(InvalidInput, match=r"^note: must be a single line$"):
        validation.optional_text("first\nsecond", "note")


_HETU_CENTURIES = {1800: "+", 1900: "-YXWVU", 2000: "ABCDEF"}


@st.composite
def henkilotunnus(draw: st.DrawFn) -> str:
    from stdnum.fi import hetu

    born = draw(st.dates(min_value=date(1850, 1, 1), max_value=date(2026, 11, 25)))
    sign = draw(st.sampled_from(_HETU_CENTURIES[born.year // 100 * 100]))
    individual = draw(st.integers(min_value=2, max_value=999))
    digits = f"{born:%d%m}{born.year % 100:02d}{individual:03d}"
    check = hetu._calc_checksum(digits)
    return f"{digits[:6]}{sign}{digits[6:]}{check}"


_WORDS = st.text(alphabet="abcdefg äöå.,:;()", max_size=30)


@given(code=henkilotunnus(), before=_WORDS, after=_WORDS)
def test_a_valid_henkilotunnus_in_any_free_text_is_refused(
    code: str, before: str, after: str
) -> None:
    text = f"{before} {code} {after}".strip()
    with pytest.raises(InvalidInput, match=r"^notes: looks like a Finnish personal identity"):
        validation.optional_text(text, "notes", max_length=1000)
    with pytest.raises(InvalidInput, match=r"^note: looks like a Finnish personal identity"):
        validation.multiline_text(f"{before}\n{code.lower()}\n{after}", "note")


@given(code=henkilotunnus(), before=_WORDS, after=_WORDS)
def test_near_misses_of_a_henkilotunnus_are_accepted(code: str, before: str, after: str) -> None:
    from stdnum.fi import hetu

    wrong_check = next(
        f"{code[:-1]}{c}" for c in "0123456789ABCDEFHJKLMNPRSTUVWXY" if c != code[-1]
    )
    for near_miss in (wrong_check, code[:-1], f"9{code}", code.replace(code[6], "Z")):
        assert not hetu.is_valid(near_miss)
        text = f"{before} {near_miss} {after}".strip()
        assert validation.optional_text(text, "notes", max_length=1000) == text


_DASH_VARIANTS = st.characters(categories=["Pd"]) | st.just("\u2212")  # and the minus sign


def _full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if ch.isascii() and ch.isalnum() else ch for ch in text)


@given(code=henkilotunnus(), dash=_DASH_VARIANTS, wide=st.booleans(), before=_WORDS)
def test_a_henkilotunnus_with_a_typographic_dash_or_full_width_digits_is_refused(
    code: str, dash: str, wide: bool, before: str
) -> None:
    written = code if code[6] != "-" else f"{code[:6]}{dash}{code[7:]}"
    if wide:
        written = _full_width(written)
    with pytest.raises(InvalidInput, match=r"^notes: looks like a Finnish personal identity"):
        validation.optional_text(f"{before} {written}".strip(), "notes", max_length=1000)


def test_the_statements_own_example_of_a_henkilotunnus_is_refused() -> None:
    with pytest.raises(InvalidInput, match="henkilötunnus"):
        validation.optional_text("hetu 131052-308T", "notes")


@given(value=st.text(max_size=200))
def test_an_excerpt_is_short_and_shows_no_control_character(value: str) -> None:
    shown = characters.excerpt(value)
    assert len(shown) <= 2 + 20 * 6 + 3
    assert not any(ch in shown for ch in "\x00\x07\x1b\r\n\x9b\u202e")


# --- phone numbers with letters ------------------------------------------------------------


@given(
    digits=st.text(alphabet="0123456789 ", min_size=3, max_size=12),
    letters=st.text(alphabet=st.characters(categories=["L"]), min_size=1, max_size=4),
)
def test_a_phone_number_with_letters_is_refused(digits: str, letters: str) -> None:
    for text in (f"040 {letters} {digits}", f"+1 800 {letters}{digits}"):
        with pytest.raises(InvalidInput, match=r"^phone: "):
            validation.normalise_phone(text)


@pytest.mark.parametrize("text", ["040 ABC 4567", "+1 800 FLOWERS", "040 l23 4567"])
def test_vanity_letters_are_not_read_as_digits(text: str) -> None:
    with pytest.raises(InvalidInput, match=r"^phone: digits only; letters are not allowed"):
        validation.normalise_phone(text)


# --- comparison keys -----------------------------------------------------------------------


@given(text=st.text(max_size=30))
def test_comparison_key_ignores_case_and_normalisation_form(text: str) -> None:
    import unicodedata

    key = validation.comparison_key(text)
    assert validation.comparison_key(unicodedata.normalize("NFD", text)) == key
    assert validation.comparison_key(text.casefold()) == key


@given(
    before=st.text(max_size=20),
    spaces=st.text(alphabet=" \u00a0\u2009\u202f\u3000", min_size=1, max_size=4),
    after=st.text(max_size=20),
)
def test_comparison_key_reads_any_run_of_whitespace_as_one_space(
    before: str, spaces: str, after: str
) -> None:
    key = validation.comparison_key(f"{before} {after}")
    assert validation.comparison_key(f"{before}{spaces}{after}") == key
    assert validation.comparison_key(f" {before}{spaces}{after}\u00a0") == key


def test_sharp_s_and_ligatures_fold_to_their_plain_spelling() -> None:
    assert validation.comparison_key("WEISS@example.fi") == validation.comparison_key(
        "weiß@example.fi"
    )
    assert validation.comparison_key("ﬁskari Oy") == validation.comparison_key("FISKARI OY")


def test_email_keys_of_a_finnish_address_in_capitals_agree() -> None:
    assert validation.comparison_key("ÄIJÄLÄ@example.fi") == validation.comparison_key(
        "äijälä@example.fi"
    )


# --- ids and counts ------------------------------------------------------------------------


@given(number=st.integers(min_value=1, max_value=validation.MAX_ID))
def test_every_id_sqlite_can_hold_is_accepted_as_written(number: int) -> None:
    assert validation.record_id(f" {number} ") == number


@given(number=st.integers(min_value=validation.MAX_ID + 1) | st.integers(max_value=0))
def test_ids_outside_sqlites_integer_are_refused(number: int) -> None:
    with pytest.raises(InvalidInput, match=r"^id: .* is (out of range|not a number)"):
        validation.record_id(str(number))


@given(
    digits=st.text(
        alphabet=st.characters(categories=("Nd", "No"), exclude_characters="0123456789"),
        min_size=1,
        max_size=5,
    ),
    before=st.text(alphabet="0123456789", max_size=3),
)
def test_digits_of_other_scripts_are_refused_never_read_as_another_id(
    digits: str, before: str
) -> None:
    with pytest.raises(InvalidInput, match=r"^request: .* is not a number \(digits 0-9 only\)$"):
        validation.record_id(before + digits, "request")


@given(value=st.floats(min_value=0, max_value=60))
def test_a_pause_of_plain_decimal_seconds_is_accepted(value: float) -> None:
    text = f"{value:.3f}"
    assert validation.seconds(text, "pause", maximum=60.0) == float(text)


@pytest.mark.parametrize("text", ["nan", "inf", "-1", "1e3", "61", "", "０.5"])
def test_other_pauses_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match=r"^pause: "):
        validation.seconds(text, "pause", maximum=60.0)


# --- one set of control characters: refused at input, escaped at output --------------------


@given(ch=st.characters(categories=["Cf"]))
def test_every_unicode_format_character_is_refused(ch: str) -> None:
    with pytest.raises(InvalidInput, match=r"^name: control character U\+[0-9A-F]{4,5} at "):
        validation.optional_text(f"Strasse{ch} Oy", "name")


@given(ch=st.characters(codec="utf-8") | st.characters(categories=["Cs"]))
def test_output_escapes_exactly_what_input_refuses(ch: str) -> None:
    from lautex_registry.platform.escaping import printable

    text = f"a{ch}b"
    try:
        validation.optional_text(text, "name")
        refused = False
    except InvalidInput:
        refused = not validation.contains_personal_identity_code(text)
    assert refused == (printable(text, one_line=True) != text)


def test_common_countries_are_checked_without_loading_phonenumbers() -> None:
    import subprocess
    import sys

    # Every code of the fast path is one phonenumbers knows (the same answer either way).
    assert validation.EEA_COUNTRIES <= phonenumbers.SUPPORTED_REGIONS
    # ...and `customer add` of a Finnish customer without a phone number does not pay
    # for importing phonenumbers at start-up.
    script = (
        "import sys\n"
        "from lautex_registry.platform.validation import country\n"
        "assert country('fi') == 'FI' and country('se') == 'SE'\n"
        "print('phonenumbers' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


@given(st.integers(min_value=1, max_value=1_000_000_000), st.sampled_from([".", ","]))
def test_a_quantity_reads_back_exactly(thousandths: int, separator: str) -> None:
    shown = validation.format_quantity(thousandths)
    assert validation.parse_quantity(shown.replace(".", separator), "q") == thousandths
    assert Decimal(shown) * 1000 == thousandths  # exact, no float on the way


@given(st.integers(min_value=1, max_value=10**9), st.integers(min_value=0, max_value=10**6))
def test_a_line_amount_is_rounded_half_up_to_the_cent(thousandths: int, cents: int) -> None:
    exact = Decimal(thousandths) * cents / 1000
    assert validation.line_amount_cents(thousandths, cents) == int(
        exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    )


@pytest.mark.parametrize("text", ["0", "0,000", "1,2345", "1.5.5", "-1", "x", "1e3", "١"])
def test_a_bad_quantity_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match=r"^q: "):
        validation.parse_quantity(text, "q")
