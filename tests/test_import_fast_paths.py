"""The import's fast paths give exactly what the full checks give.

Each fast path is held to the function it stands in for: on every input it accepts it
gives the same value, and it declines (None, or the full path taken) anything else.
"""

import unicodedata
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from lautex_registry.platform import audit, validation
from lautex_registry.platform.db import connect
from lautex_registry.platform.errors import InvalidInput
from lautex_registry.records import customers
from lautex_registry.records.importing.run import import_customers
from lautex_registry.records.importing.validating import RepeatedValues
from tests.conftest import Cli

LATIN = st.characters(max_codepoint=0x24F)
BEYOND_LATIN = st.characters(min_codepoint=0x250)


@given(st.text(alphabet=LATIN, max_size=40))
def test_latin_fold_is_the_unicode_fold(text: str) -> None:
    assert customers._latin_fold(text) == customers._unicode_fold(text)
    assert customers.fold_for_search(text) == customers._unicode_fold(text)


@given(st.text(alphabet=LATIN, max_size=10), BEYOND_LATIN, st.text(max_size=10))
def test_latin_fold_declines_any_other_text(head: str, beyond: str, tail: str) -> None:
    text = head + beyond + tail
    assert customers._latin_fold(text) is None
    assert customers.fold_for_search(text) == customers._unicode_fold(text)


def test_every_latin_letter_folds_as_before() -> None:
    for code in range(0x250):
        letter = chr(code)
        assert customers.fold_for_search(letter) == customers._unicode_fold(letter)
    assert customers.fold_for_search("Äijälä Åström ŠŽ ẞ") == "aijala astrom sz ss"


@given(
    st.text(min_size=1, max_size=12),
    st.text(min_size=1, max_size=12),
    st.one_of(st.none(), st.text(min_size=1, max_size=20)),
    st.one_of(st.none(), st.text(min_size=1, max_size=20)),
    st.one_of(st.none(), st.sampled_from(["+358401234567", "+46701234567"])),
)
def test_search_text_folds_each_word_as_the_whole_text_folds(
    first: str, last: str, email: str | None, organisation: str | None, phone: str | None
) -> None:
    """A part folded alone is the part of the whole text's fold: a space is a character
    no step of the fold (NFD, case folding, NFKD, dropping marks) joins or reorders, even
    beside a combining mark or a letter beyond Latin."""
    parts = [p for p in (first, last, email, organisation) if p]
    if phone:
        parts += [phone, validation.national_phone_digits(phone)]
    expected = customers._unicode_fold(" ".join(parts))
    assert customers.search_text_for(first, last, email, phone, organisation) == expected


DASH_OR_NOT = st.text(
    alphabet=st.one_of(st.sampled_from([chr(code) for code in validation._DASHES]), LATIN),
    max_size=20,
)


@given(st.one_of(DASH_OR_NOT, st.text(max_size=20)))
def test_dashes_as_hyphens_is_the_translation(text: str) -> None:
    assert validation._dashes_as_hyphens(text) == text.translate(validation._DASHES)


def test_a_personal_identity_code_with_a_dash_variant_is_still_found() -> None:
    assert validation.contains_personal_identity_code("Äijälä 131052\u2010308T")
    assert not validation.contains_personal_identity_code("Äijälä 131052")


# Values that pass and values that fail each check, some of them again and again.
CELLS = st.sampled_from([
    "Aino", " Aino ", "Äijälä", "", "   ", "x" * 201, "x" * 101, "a\x1bb", "a\nb", "\u202e",
    "131052-308T", "00100", "0010", "SW1A 1AA", "FI", "fi", "SE", "UK", "ZZ", "XK",
    "partner", "reseller", "nobody", "en", "sv", "de", "Helsinki",
])  # fmt: skip
TEXT_FIELDS = ("first_name", "last_name", "org", "street", "postal_code", "city", "country",
               "source", "source_detail", "language", "notes")  # fmt: skip
ROW = st.fixed_dictionaries(
    {}, optional={name: st.one_of(st.none(), CELLS) for name in TEXT_FIELDS}
)


def _outcome(fields: dict[str, str | None], checks: Any) -> object:
    try:
        return customers.validate_fields(fields, checks)
    except InvalidInput as exc:
        return ("refused", str(exc.message))


@given(st.lists(ROW, max_size=12))
def test_values_remembered_in_a_chunk_give_what_checking_each_row_gives(
    rows: list[dict[str, str | None]],
) -> None:
    """RepeatedValues over a chunk's rows: every row's fields, or its first bad field
    and reason, as validate_fields with platform.validation gives them."""
    repeated = RepeatedValues()
    for fields in rows:
        assert _outcome(fields, repeated) == _outcome(fields, validation)


def test_a_bad_value_a_file_repeats_is_reported_on_every_line(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "repeated.csv"
    path.write_text(
        "first_name,last_name,street,postal_code,city,source\n"
        "Aino,One,Koivukuja 1,00100,Helsinki,partner\n"
        "Aino,Two,Koivukuja 1,0010,Helsinki,partner\n"
        "Aino,Three,Koivukuja 1,0010,Helsinki,partner\n"
        "Aino,Four,Koivukuja 1,00100,Helsinki,partner\n",
        encoding="utf-8",
    )
    conn = connect(cli.db)
    try:
        report = import_customers(conn, audit.Actor(1, "admin"), path, skip_invalid=True)
    finally:
        conn.close()
    reason = "postal_code: a Finnish postal code is exactly five digits, e.g. 00100"
    assert [(p.line, str(p.reason)) for p in report.problems] == [(3, reason), (4, reason)]
    with cli.connect() as conn:
        rows = conn.execute("SELECT last_name, postal_code, city FROM customers ORDER BY id")
        assert [tuple(r) for r in rows] == [("One", "00100", "Helsinki"),
                                            ("Four", "00100", "Helsinki")]  # fmt: skip


def test_the_latin_table_is_built_from_the_unicode_fold() -> None:
    table = customers._latin_folds()
    assert len(table) == 0x250
    assert table[ord("Å")] == "a" and table[ord("ß")] == "ss"
    assert all(unicodedata.is_normalized("NFKD", value) for value in table.values())
