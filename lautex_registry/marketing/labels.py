"""Mailing labels: CSV, or printable A4 label sheets (PDF, `platform/pdf_writer.py`).

Labels are a list in the statement's sense (docs/privacy-statement.md P3): everyone with a
publication ban, an
objection to the purpose (GDPR Art. 21(3)), a restriction (Art. 18(2)), an anonymised
record, an organisation that prohibited marketing, or no complete postal address is
left out. A label is an address as Posti reads it (docs/rules.md §2 "Addresses"): the
organisation, the person, the street, the postal code and the post office in capitals,
and the country in capitals only when it is not Finland.

The PDF is set in the Unicode font shipped with the package (`platform/paper.py`), so
every name prints as written. The sheet is sorted by postal code (bulk mail is handed
in in postal-code order) or by name in Finnish alphabetical order.
"""

import csv
import itertools
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from lautex_registry.marketing.lists import (
    ListRun,
    candidates,
    has_postal_address,
    rule_reason,
)
from lautex_registry.platform import audit, validation
from lautex_registry.platform.errors import InvalidInput, t
from lautex_registry.platform.escaping import printable, spreadsheet_safe
from lautex_registry.platform.paper import font_path, postal_address
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.platform.wording import HOME_COUNTRY, country_name

if TYPE_CHECKING:
    from lautex_registry.platform.pdf_writer import PdfFont, PdfStream

FORMATS = ("csv", "pdf")
SORTS = ("postal-code", "name")
COLUMNS = ("name", "organisation", "street", "postal_code", "city", "country")


@dataclass(frozen=True)
class Sheet:
    """An A4 sheet of labels without margins between them, as the common ones are."""

    columns: int
    rows: int
    width: float  # mm
    height: float  # mm

    @property
    def per_page(self) -> int:
        return self.columns * self.rows


PAGE_WIDTH, PAGE_HEIGHT = 210.0, 297.0
# The common A4 sheets: 21 labels of 70 x 42.3 mm, 24 of 70 x 37 mm, 14 of 105 x 42.3 mm.
SHEETS = {
    "3x7": Sheet(3, 7, 70.0, 42.3),
    "3x8": Sheet(3, 8, 70.0, 37.0),
    "2x7": Sheet(2, 7, 105.0, 42.3),
}
DEFAULT_SHEET = "3x8"
PADDING = 6.0  # printers do not print to the paper's edge
VERTICAL_PADDING = 1.5  # nor a line on the label's cut
# A long line is set smaller, down to MIN_FONT_SIZE (still read easily, and by the
# sorting machines), before it is broken between words (`pdf_layout.fit_lines`).
FONT_SIZE, MIN_FONT_SIZE = 10.0, 8.0
LINE_HEIGHT = 4.6  # mm, for 10 pt

# Finnish alphabetical order (SFS 4600): Å, Ä and Ö are letters of their own after Z; other
# accents and case are ignored; Æ sorts as Ä, Ø as Ö, Ü as Y.
# The three are mapped to the characters that follow "z" in ASCII ({, |, }).
_FINNISH_LETTERS = {"å": "{", "ä": "|", "æ": "|", "ö": "}", "ø": "}", "ü": "y"}


def finnish_key(text: str) -> str:
    """A key that sorts `text` in Finnish alphabetical order."""
    out = []
    for ch in text.casefold():
        if ch in _FINNISH_LETTERS:
            out.append(_FINNISH_LETTERS[ch])
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(base)
    return "".join(out)


def country_line(code: str | None) -> str:
    """The country for the label: empty for Finland, else its English name in capitals."""
    value = (code or HOME_COUNTRY).strip().upper()
    if value == HOME_COUNTRY:
        return ""
    return country_name(value, "en").upper()


class LabelRun(ListRun):
    """One `labels` export: the labels to print and who was left out and why."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        purpose: str = "direct-advertising",
        sort: str = "postal-code",
    ) -> None:
        super().__init__(conn, purpose)
        self.sort = validation.choice(sort, SORTS, "sort")

    def labels(self) -> Iterator[dict[str, str]]:
        """The labels in the run's order; the list is read whole before the first is given,
        since an order other than the register's needs every label."""
        self._cursor = candidates(self.conn, self.purpose)
        keyed: list[tuple[tuple[str, ...], dict[str, str]]] = []
        for row in self._cursor:
            reason = rule_reason(row)
            if reason is None and not has_postal_address(row):
                reason = "no-postal-address"
            if reason is not None:
                self.left_out[reason] += 1
                continue
            label = label_for(row)
            keyed.append((self._key(row, label), label))
        keyed.sort(key=lambda item: item[0])
        for _key, label in keyed:
            self.listed += 1
            yield label

    def _key(self, row: sqlite3.Row, label: dict[str, str]) -> tuple[str, ...]:
        names = (
            finnish_key(row["last_name"] or ""),
            finnish_key(row["first_name"] or ""),
            finnish_key(label["organisation"]),
        )
        if self.sort == "name":
            return (*names, str(row["id"]).zfill(12))
        # Bulk mail: by country (home first), then postal code.
        return (label["country"], label["postal_code"], *names, str(row["id"]).zfill(12))

    def record_audit(self, actor: audit.Actor, fmt: str, *, to_file: bool) -> None:
        """Audit the export with counts only; in a transaction (checked), after `end_read`."""
        audit.record(
            self.conn,
            actor,
            "labels",
            "customer",
            None,
            {
                "purpose": self.purpose,
                "sort": self.sort,
                "format": fmt,
                "to_file": to_file,
                "rows": self.listed,
                "left_out": self.left_out_counts(),
            },
        )


def label_for(row: sqlite3.Row) -> dict[str, str]:
    name = " ".join(part for part in (row["first_name"], row["last_name"]) if part)
    return {
        "name": name,
        "organisation": row["organisation"] or "",
        "street": row["street"].strip(),
        "postal_code": row["postal_code"].strip(),
        "city": row["city"].strip(),
        "country": country_line(row["country"]),
    }


# --- writing ------------------------------------------------------------------------------


def write_csv(labels: Iterable[dict[str, str]], handle: IO[str]) -> None:
    """The header, then a row per label; the header only once the first label is read,
    so a list whose audit cannot be reserved (GDPR Art. 5(2)) writes nothing at all."""
    remaining = iter(labels)
    first = next(remaining, None)
    writer = csv.DictWriter(handle, fieldnames=COLUMNS)
    writer.writeheader()
    for label in () if first is None else itertools.chain((first,), remaining):
        writer.writerow({column: spreadsheet_safe(label[column]) for column in COLUMNS})


def label_lines(label: dict[str, str]) -> list[str]:
    """The lines printed on a label, top to bottom, in Posti's order."""
    lines = postal_address(
        name=label["name"],
        organisation=label["organisation"],
        street=label["street"],
        postal_code=label["postal_code"],
        city=label["city"],
        country=None,
    )
    lines.append(label["country"])
    # A label line is one line; a control character has no glyph in the font, so it is
    # printed as its escape.
    return [printable(" ".join(line.split())) for line in lines if line.strip()]


def pdf_chunks(
    labels: Iterable[dict[str, str]], sheet: str = DEFAULT_SHEET, skip: int = 0
) -> Iterator[bytes]:
    """The label sheets as PDF, a sheet at a time as the labels are read (`pdf_writer`)."""
    from lautex_registry.platform.pdf_writer import PdfStream, chunks

    geometry = SHEETS[validation.choice(sheet, tuple(SHEETS), "sheet")]
    skip = check_skip(skip, sheet)
    stream = PdfStream({"": font_path()}, title="Mailing labels")
    return chunks(stream, _sheets(stream, labels, geometry, skip))


def _sheets(
    stream: "PdfStream", labels: Iterable[dict[str, str]], geometry: Sheet, skip: int
) -> Iterator[None]:
    font = stream.fonts[""]
    per_page = geometry.per_page
    top = (PAGE_HEIGHT - geometry.rows * geometry.height) / 2
    left = (PAGE_WIDTH - geometry.columns * geometry.width) / 2
    ops: list[str] = []
    for count, label in enumerate(labels, start=1):
        slot = (count - 1 + skip) % per_page
        if slot == 0 and count > 1:  # this sheet is full: out it goes
            stream.write_page("".join(ops))
            ops = []
            yield
        x = left + (slot % geometry.columns) * geometry.width
        y = top + (slot // geometry.columns) * geometry.height
        ops.extend(_label_ops(font, label, x, y, geometry))
    # the last sheet, or a valid, empty sheet rather than no file
    stream.write_page("".join(ops))
    yield from stream.finish()


def _label_ops(
    font: "PdfFont", label: dict[str, str], x: float, y: float, sheet: Sheet
) -> Iterator[str]:
    """The lines of one label, centred in its height (x, y: its top left corner in mm),
    as large as they fit inside it: never cut, never over the next label."""
    from lautex_registry.platform.pdf_layout import fit_lines
    from lautex_registry.platform.pdf_writer import MM

    box = ((sheet.width - 2 * PADDING) * MM, (sheet.height - 2 * VERTICAL_PADDING) * MM)
    size, lines = fit_lines(
        label_lines(label),
        font,
        box,
        largest=FONT_SIZE,
        unbroken_down_to=MIN_FONT_SIZE,
        leading=LINE_HEIGHT / FONT_SIZE * MM,
    )
    pitch = LINE_HEIGHT * size / FONT_SIZE  # mm
    top = y + (sheet.height - len(lines) * pitch) / 2
    left = (x + PADDING) * MM
    for index, line in enumerate(lines):
        baseline = (PAGE_HEIGHT - top - index * pitch - pitch / 2) * MM - size * 0.35
        yield f"BT /{font.key} {size} Tf {left:.2f} {baseline:.2f} Td <{font.hex(line)}> Tj ET\n"


def check_sheet(sheet: str, skip: int = 0) -> str:
    """`--sheet` and `--skip` checked before a label is read: a wrong one hands out nothing."""
    sheet = validation.choice(sheet, tuple(SHEETS), "sheet")
    check_skip(skip, sheet)
    return sheet


def check_skip(skip: int, sheet: str) -> int:
    """`--skip N`: the labels already used on a part-used sheet, fewer than a sheet holds."""
    per_page = SHEETS[validation.choice(sheet, tuple(SHEETS), "sheet")].per_page
    if not 0 <= skip < per_page:
        raise InvalidInput(
            t(
                "skip: {skip} is not a number of used labels on a {sheet} sheet (0-{value})",
                skip=skip,
                sheet=sheet,
                value=per_page - 1,
            )
        )
    return skip


def default_path(fmt: str, on: str) -> Path:
    return Path(f"labels-{on}.{fmt}")


def write_labels_file(
    run: LabelRun,
    fmt: str,
    path: Path,
    register: Path | None,
    actor: audit.Actor,
    *,
    force: bool = False,
    sheet: str = DEFAULT_SHEET,
    skip: int = 0,
) -> None:
    """Write the labels to `path` (mode 0600).

    The target is checked before a single label is read: a path that may not be
    written is refused (never the register, an existing file only with --force) and
    nothing has been handed out. The sheet takes its name in the same transaction as
    its audit row (GDPR Art. 5(2)): a sheet that cannot be put in place leaves no
    record, and no sheet leaves unrecorded.
    """
    from lautex_registry.platform.db import transaction
    from lautex_registry.platform.output_files import new_output_file

    fmt = validation.choice(fmt, FORMATS, "format")
    check_skip(skip, sheet)
    mode = "w" if fmt == "csv" else "wb"
    with new_output_file(path, register, force=force) as pending:
        with pending.open(mode) as handle:
            write_labels(run.labels(), fmt, handle, sheet=sheet, skip=skip)
        run.end_read()
        with transaction(run.conn):
            run.record_audit(actor, fmt, to_file=True)
            pending.publish()


def write_labels(
    labels: Iterable[dict[str, str]],
    fmt: str,
    handle: IO[Any],
    *,
    sheet: str = DEFAULT_SHEET,
    skip: int = 0,
) -> None:
    """Write the labels to an open stream (a file or stdout)."""
    if fmt == "csv":
        write_csv(labels, handle)
        return
    for chunk in pdf_chunks(labels, sheet, skip):
        handle.write(chunk)
