"""Reading an import file: bytes to text, the header, the delimiter, whole records.

The file is read as bytes and decoded one line at a time, so a byte that is not in
the file's encoding is reported with the number of its line, from a pipe as well as
from a file (nothing is read twice).
"""

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO

from lautex_registry.platform.characters import excerpt
from lautex_registry.platform.errors import InvalidInput, t
from lautex_registry.records import customers

CHUNK_ROWS = 2000
# The header names at most every column once (a few hundred characters): a longer first
# line is no customer CSV, and reading it whole could take all memory.
HEADER_MAX_CHARS = 10_000
DELIMITERS = (",", ";", "\t")
# What the CSV's structure is made of: in the file's encoding each must be the same
# single byte as in ASCII, or lines and fields could not be found before decoding.
_STRUCTURE = '\n\r,;\t"'

Progress = Callable[[int, int], None]  # (bytes read, file size; 0 when unknown)

# The names a header may give each field, in English and in Finnish (docs/rules.md §6:
# a spreadsheet saved in Finland names its columns in Finnish). They are compared by
# header_key(): case, accents, spaces, hyphens and underscores do not count.
HEADER_NAMES: dict[str, tuple[str, ...]] = {
    "first_name": ("first name", "firstname", "given name", "forename", "etunimi", "etunimet"),
    "last_name": ("last name", "lastname", "surname", "family name", "sukunimi"),
    "org": (
        "org",
        "organisation",
        "organization",
        "company",
        "company name",
        "yritys",
        "organisaatio",
        "yhtiö",
        "firma",
        "yrityksen nimi",
    ),
    "email": (
        "email",
        "e-mail",
        "email address",
        "e-mail address",
        "sähköposti",
        "sähköpostiosoite",
        "s-posti",
        "sposti",
    ),
    "phone": (
        "phone",
        "telephone",
        "phone number",
        "mobile",
        "mobile phone",
        "puhelin",
        "puhelinnumero",
        "puh",
        "matkapuhelin",
        "gsm",
    ),
    "street": (
        "street",
        "street address",
        "address",
        "katuosoite",
        "lähiosoite",
        "osoite",
    ),
    "postal_code": ("postal code", "postcode", "zip", "zip code", "postinumero", "postinro"),
    "city": ("city", "town", "post office", "postitoimipaikka", "kaupunki", "paikkakunta"),
    "country": ("country", "country code", "maa", "maakoodi"),
    "source": ("source", "lähde", "tietolähde"),
    "source_detail": ("source detail", "lähteen tarkenne", "lähdetieto"),
    "language": ("language", "lang", "kieli", "asiointikieli"),
    "notes": ("notes", "note", "comments", "huomautukset", "lisätiedot", "muistiinpanot"),
    # The organisation's business ID: finds the organisation, or is given to a new one.
    "business_id": ("business id", "y-tunnus", "ytunnus", "company id", "yritystunnus"),
}
# The fields of the import: the customer's, and the organisation's business ID.
FIELDS = (*customers.FIELDS, "business_id")


def header_key(name: str) -> str:
    """`Sähköposti`, `SAHKOPOSTI`, `e-mail`, `E_Mail ` -> `sahkoposti`, `email`."""
    return re.sub(r"[^0-9a-z]", "", customers.fold_for_search(name.strip()))


def _names_by_key() -> dict[str, str]:
    known: dict[str, str] = {}
    for name in FIELDS:
        for alias in (name, *HEADER_NAMES[name]):
            key = header_key(alias)
            if known.setdefault(key, name) != name:  # pragma: no cover - caught by the tests
                raise AssertionError(f"header name {alias!r} given to two fields")
    return known


FIELD_BY_KEY = _names_by_key()


@dataclass(frozen=True)
class Header:
    """The field each column gives, None for a column left out (--ignore-extra)."""

    fields: tuple[str | None, ...]
    delimiter: str
    ignored: tuple[str, ...] = ()  # the left-out columns' names as written


def parse_map(items: Sequence[str]) -> dict[str, tuple[str, str]]:
    """`--map COLUMN=FIELD` options -> header_key(COLUMN) -> (COLUMN as written, field)."""
    mapping: dict[str, tuple[str, str]] = {}
    for item in items:
        column, equals, name = item.rpartition("=")
        if not equals or not column.strip():
            raise InvalidInput(
                t("map: {item} is not COLUMN=FIELD (e.g. Asiakas=notes)", item=excerpt(item))
            )
        field = FIELD_BY_KEY.get(header_key(name))
        if field is None:
            raise InvalidInput(
                t(
                    "map: {name} is not a field the register keeps (fields: {fields})",
                    name=excerpt(name),
                    fields=", ".join(FIELDS),
                )
            )
        mapping[header_key(column)] = (column, field)
    return mapping


def header(
    first_line: str,
    default_source: str | None,
    mapping: dict[str, tuple[str, str]] | None = None,
    ignore_extra: bool = False,
) -> Header:
    """The header line's columns as fields: English or Finnish names, --map, --ignore-extra."""
    delimiter = sniff_delimiter(first_line)
    raw = next(csv.reader([first_line], delimiter=delimiter))
    mapping = mapping or {}
    keys = [header_key(name) for name in raw]
    missing = [column for column in mapping if column not in keys]
    if missing:
        shown = ", ".join(excerpt(name) for name in raw)
        written = mapping[missing[0]][0]
        raise InvalidInput(
            t(
                "map: no column {written} in the header ({shown})",
                written=excerpt(written),
                shown=shown,
            )
        )
    fields: list[str | None] = []
    ignored: list[str] = []
    given: dict[str, str] = {}
    for name, key in zip(raw, keys, strict=True):
        field = mapping[key][1] if key in mapping else FIELD_BY_KEY.get(key)
        if field is None:
            if not ignore_extra:
                raise InvalidInput(
                    t(
                        "header: unknown column {name}: name the field it holds with --map "
                        "{value}, or leave it out with --ignore-extra (fields: {fields})",
                        name=excerpt(name),
                        value=excerpt(name.strip() + "=FIELD"),
                        fields=", ".join(FIELDS),
                    )
                )
            ignored.append(name)
            fields.append(None)
            continue
        if field in given:
            raise InvalidInput(
                t(
                    "header: columns {given} and {name} both give {field}",
                    given=excerpt(given[field]),
                    name=excerpt(name),
                    field=field,
                )
            )
        given[field] = name
        fields.append(field)
    for required in ("first_name", "last_name"):
        if required not in given:
            names = ", ".join(HEADER_NAMES[required][:1] + HEADER_NAMES[required][-1:])
            raise InvalidInput(
                t(
                    "header: a {required} column is required (e.g. {names})",
                    required=required,
                    names=names,
                )
            )
    if "source" not in given and default_source is None:
        # docs/privacy-statement.md P4: every customer's source is recorded.
        raise InvalidInput(t("header: no source column: add one or give --source"))
    return Header(tuple(fields), delimiter, tuple(ignored))


def sniff_delimiter(first_line: str) -> str:
    """The delimiter that splits the header into the most columns: `,` `;` or tab."""
    counts = {d: len(next(csv.reader([first_line], delimiter=d), [])) for d in DELIMITERS}
    return max(DELIMITERS, key=lambda d: counts[d])  # the first of equals: a comma


def check_encoding(encoding: str) -> str:
    """The codec's name; refused when unknown, or when commas and line ends are not ASCII."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError as exc:
        raise InvalidInput(
            t(
                "encoding: unknown encoding {encoding} (e.g. utf-8, cp1252, latin-1)",
                encoding=excerpt(encoding),
            )
        ) from exc
    try:
        same = _STRUCTURE.encode(name) == _STRUCTURE.encode("ascii")
    except (UnicodeError, LookupError):
        same = False
    if not same:
        raise InvalidInput(
            t(
                "encoding: {name} is not supported: a CSV file here is in an encoding "
                "that keeps ASCII as it is (utf-8, cp1252, latin-1, iso-8859-15)",
                name=name,
            )
        )
    return name


class DecodedLines:
    """The file's lines as text, decoded one by one; counts lines and bytes as it goes.

    Lines end at a line feed (LF or CR LF): in every encoding accepted here that byte is
    a line feed and nothing else, so a line is decoded on its own.
    """

    def __init__(self, binary: IO[bytes] | Iterator[bytes], encoding: str = "utf-8") -> None:
        self.binary = binary
        self.lines = iter(binary)
        self.encoding = check_encoding(encoding)
        self.number = 0  # the line last read
        self.bytes_read = 0
        self.pending: bytes | None = None  # the header line, read alone

    def __iter__(self) -> "DecodedLines":
        return self

    def __next__(self) -> str:
        if self.pending is not None:
            raw, self.pending = self.pending, None
        else:
            raw = next(self.lines)
        self.number += 1
        self.bytes_read += len(raw)
        try:
            return raw.decode(self.encoding)
        except UnicodeDecodeError as exc:
            raise self._not_text(exc) from exc

    def first_line(self) -> str:
        """The header line, read alone: one endless line is refused, not held in memory."""
        limit = HEADER_MAX_CHARS * 4  # bytes: at most 4 a character
        readline = getattr(self.binary, "readline", None)
        raw = readline(limit + 1) if readline is not None else next(self.lines, b"")
        if self.encoding == "utf-8" and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]  # Excel's "CSV UTF-8" starts with a BOM
        if len(raw) > limit:
            raise _too_long()
        self.pending = raw
        try:
            line = next(self)
        except StopIteration:  # pragma: no cover - pending is set
            line = ""
        if len(line) > HEADER_MAX_CHARS:
            raise _too_long()
        if not line.strip():
            raise InvalidInput(t("header: the file is empty; the first line names the columns"))
        if "\r" in line.rstrip("\r\n"):
            raise InvalidInput(
                t(
                    "file: its lines end in a carriage return alone (an old Mac format): "
                    "save it as CSV UTF-8, or with line feeds, and import it again"
                )
            )
        return line

    def _not_text(self, exc: UnicodeDecodeError) -> InvalidInput:
        bad = f"byte 0x{exc.object[exc.start]:02x}"
        where = f"line {self.number}"
        if self.encoding == "utf-8":
            return InvalidInput(
                t(
                    "file: not UTF-8 text on {where} ({bad}): if the file was saved by "
                    "Excel on Windows, give its encoding with --encoding cp1252",
                    where=where,
                    bad=bad,
                )
            )
        return InvalidInput(
            t(
                "file: not {encoding} text on {where} ({bad}): give the file's real "
                "encoding with --encoding (utf-8, cp1252, latin-1, ...)",
                encoding=self.encoding,
                where=where,
                bad=bad,
            )
        )


def _too_long() -> InvalidInput:
    return InvalidInput(
        t(
            "header: the first line is longer than {header_max_chars} characters; "
            "it names the columns of a CSV file",
            header_max_chars=HEADER_MAX_CHARS,
        )
    )


Chunk = list[tuple[int, list[str]]]  # records with the line number each starts on
Text = tuple[int, str]  # whole records as raw text, with the line number it starts on


class _Lines:
    """The file's lines, each kept as it is read, so the text of whole records can be sent."""

    def __init__(self, lines: Iterator[str]) -> None:
        self.lines = lines
        self.pending: str | None = None  # a line already read, given to the csv reader first
        self.taken: list[str] = []

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        if self.pending is not None:
            line, self.pending = self.pending, None
            return line
        line = next(self.lines)
        self.taken.append(line)
        return line


def read_texts(
    lines: Iterator[str], delimiter: str, size: int = 0, progress: Progress | None = None
) -> Iterator[Text]:
    """The lines after the header as raw text of whole records, about CHUNK_ROWS at a time.

    The workers parse the text (the csv module is the costly part of reading); here the
    file is only split between records. A line without a quote character is a whole
    record (only a quoted field spans lines); a line with one is read with the csv
    module, the same rules the workers apply, to take the rest of its record with it.
    """
    taking = _Lines(lines)
    reader = csv.reader(taking, delimiter=delimiter)
    first_line = 2  # line 1 is the header
    counted = lines if isinstance(lines, DecodedLines) else None
    try:
        for line in taking:
            if '"' in line:
                taking.pending = line
                next(reader)
            if len(taking.taken) >= CHUNK_ROWS:
                yield first_line, "".join(taking.taken)
                first_line += len(taking.taken)
                taking.taken = []
                if progress is not None and counted is not None:
                    progress(counted.bytes_read, size)
    except csv.Error as exc:
        raise InvalidInput(
            t("line {value}: {exc}", value=first_line - 1 + len(taking.taken), exc=exc)
        ) from exc
    if taking.taken:
        yield first_line, "".join(taking.taken)
    if progress is not None and counted is not None:
        progress(counted.bytes_read, size or counted.bytes_read)


def records(text: Text, delimiter: str) -> Chunk:
    """Parse the raw text of whole records; blank lines are left out."""
    first_line, raw = text
    # Lines end at a line feed only, as DecodedLines splits them, so line numbers agree.
    reader = csv.reader(io.StringIO(raw, newline="\n"), delimiter=delimiter)
    chunk: Chunk = []
    previous_end = first_line - 1
    try:
        for record in reader:
            start, previous_end = previous_end + 1, first_line - 1 + reader.line_num
            if not record or (len(record) == 1 and not record[0].strip()):
                continue
            chunk.append((start, record))
    except csv.Error as exc:
        raise InvalidInput(t("line {value}: {exc}", value=previous_end + 1, exc=exc)) from exc
    return chunk
