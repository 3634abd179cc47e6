"""Mailing labels: CSV, or a printable A4 sheet of 3 x 8 labels of 70 x 37 mm (fpdf2).

Labels are a list in the statement's sense (docs/privacy-statement.md P3): everyone with a
publication ban, an
objection to the purpose (GDPR Art. 21(3)), a restriction (Art. 18(2)), an anonymised
record, an organisation that prohibited marketing, or no complete postal address is
left out. A label shows the name, the organisation, the street, the postal code and
city, and the country when it is not Finland.

The PDF uses the standard Helvetica font, whose Latin-1 encoding covers Finnish and
Swedish letters (ä, ö, å, Ä, Ö, Å) and most of Western Europe; a letter outside it
(ł, č, ő ...) is printed without its accent and counted, so the clerk is told.
"""

import csv
import itertools
import sqlite3
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from lautex_registry.marketing.lists import (
    REASONS,
    candidates,
    has_postal_address,
    rule_reason,
)
from lautex_registry.platform import audit, validation
from lautex_registry.platform.escaping import printable, spreadsheet_safe
from lautex_registry.records.objections import LIST_PURPOSES

FORMATS = ("csv", "pdf")
COLUMNS = ("name", "organisation", "street", "postal_code", "city", "country")
HOME_COUNTRY = "FI"

# A4 portrait, 3 columns x 8 rows of 70 x 37 mm: the sheet is 210 mm wide and the
# labels 296 mm high, so half a millimetre is left at the top and the bottom.
PAGE_WIDTH, PAGE_HEIGHT = 210.0, 297.0
LABEL_COLUMNS, LABEL_ROWS = 3, 8
LABEL_WIDTH, LABEL_HEIGHT = 70.0, 37.0
TOP_MARGIN = (PAGE_HEIGHT - LABEL_ROWS * LABEL_HEIGHT) / 2
PADDING = 6.0  # printers do not print to the paper's edge
FONT = "Helvetica"
FONT_SIZE, MIN_FONT_SIZE = 10.0, 6.0
LINE_HEIGHT = 4.6  # mm, for 10 pt

# UPU: the destination country on the last line, in capitals, in English.
COUNTRY_NAMES = {
    "SE": "SWEDEN",
    "NO": "NORWAY",
    "DK": "DENMARK",
    "IS": "ICELAND",
    "EE": "ESTONIA",
    "LV": "LATVIA",
    "LT": "LITHUANIA",
    "DE": "GERMANY",
    "PL": "POLAND",
    "NL": "NETHERLANDS",
    "BE": "BELGIUM",
    "LU": "LUXEMBOURG",
    "FR": "FRANCE",
    "ES": "SPAIN",
    "PT": "PORTUGAL",
    "IT": "ITALY",
    "AT": "AUSTRIA",
    "CH": "SWITZERLAND",
    "CZ": "CZECH REPUBLIC",
    "SK": "SLOVAKIA",
    "HU": "HUNGARY",
    "IE": "IRELAND",
    "GB": "UNITED KINGDOM",
    "US": "UNITED STATES",
}

# Letters without a decomposition that still have an obvious Latin-1 spelling.
_TRANSLITERATION = {
    "ł": "l",
    "Ł": "L",
    "đ": "d",
    "Đ": "D",
    "ı": "i",
    "œ": "oe",
    "Œ": "OE",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "–": "-",
    "—": "-",
}


def country_line(code: str | None) -> str:
    """The country for the label: empty for Finland, else its English name in capitals."""
    value = (code or HOME_COUNTRY).strip().upper()
    if value == HOME_COUNTRY:
        return ""
    return COUNTRY_NAMES.get(value, value)


class LabelRun:
    """One `labels` export: the labels to print and who was left out and why."""

    def __init__(self, conn: sqlite3.Connection, purpose: str = "direct-advertising") -> None:
        purpose = validation.choice(purpose, LIST_PURPOSES, "purpose")
        self.conn = conn
        self.purpose = purpose
        self.listed = 0
        self.left_out: Counter[str] = Counter()
        self._cursor: sqlite3.Cursor | None = None

    def labels(self) -> Iterator[dict[str, str]]:
        self._cursor = candidates(self.conn, self.purpose, None)
        for row in self._cursor:
            reason = rule_reason(row)
            if reason is None and not has_postal_address(row):
                reason = "no-postal-address"
            if reason is not None:
                self.left_out[reason] += 1
                continue
            self.listed += 1
            yield label_for(row)

    def left_out_counts(self) -> dict[str, int]:
        return {reason: self.left_out[reason] for reason in REASONS if self.left_out[reason]}

    def end_read(self) -> None:
        """Close the list's read, finished or cut short by the reader of a pipe. Called
        before the audit's write transaction: BEGIN IMMEDIATE waits out another writer for
        the busy timeout only while this connection has no read open."""
        if self._cursor is not None:
            self._cursor.close()

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


def latin1_text(text: str) -> tuple[str, bool]:
    """`text` in the PDF core font's Latin-1; True when a letter had to be simplified."""
    out: list[str] = []
    changed = False
    for ch in text:
        if ord(ch) < 256:
            out.append(ch)
            continue
        changed = True
        if ch in _TRANSLITERATION:
            out.append(_TRANSLITERATION[ch])
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(base if base and all(ord(c) < 256 for c in base) else "?")
    return "".join(out), changed


def label_lines(label: dict[str, str]) -> list[str]:
    """The lines printed on a label, top to bottom (Posti: postal code and city together)."""
    lines = [label["name"], label["organisation"], label["street"]]
    lines.append(f"{label['postal_code']} {label['city']}")
    lines.append(label["country"])
    # A label line is one line; a control character has no glyph in the font, so it is
    # printed as its escape.
    return [printable(" ".join(line.split())) for line in lines if line.strip()]


def pdf_bytes(labels: Iterable[dict[str, str]]) -> tuple[bytes, int]:
    """The label sheets as PDF bytes, and how many labels had letters simplified."""
    from fpdf import FPDF

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_title("Mailing labels")
    pdf.set_creator("lautex")
    pdf.set_font(FONT, size=FONT_SIZE)
    per_page = LABEL_COLUMNS * LABEL_ROWS
    simplified = 0
    count = 0
    for count, label in enumerate(labels, start=1):
        slot = (count - 1) % per_page
        if slot == 0:
            pdf.add_page()
        x = (slot % LABEL_COLUMNS) * LABEL_WIDTH
        y = TOP_MARGIN + (slot // LABEL_COLUMNS) * LABEL_HEIGHT
        simplified += _draw_label(pdf, label, x, y)
    if count == 0:
        pdf.add_page()  # a valid, empty sheet rather than no file
    return bytes(pdf.output()), simplified


def _draw_label(pdf: Any, label: dict[str, str], x: float, y: float) -> int:
    converted = [latin1_text(line) for line in label_lines(label)]
    width = LABEL_WIDTH - 2 * PADDING
    top = y + (LABEL_HEIGHT - len(converted) * LINE_HEIGHT) / 2
    for index, (line, _changed) in enumerate(converted):
        size = FONT_SIZE
        pdf.set_font_size(size)
        # A long line is set smaller rather than cut: an address must stay whole.
        while size > MIN_FONT_SIZE and pdf.get_string_width(line) > width:
            size -= 0.5
            pdf.set_font_size(size)
        pdf.set_xy(x + PADDING, top + index * LINE_HEIGHT)
        pdf.cell(w=width, h=LINE_HEIGHT, text=line)
    pdf.set_font_size(FONT_SIZE)
    return int(any(changed for _line, changed in converted))


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
) -> int:
    """Write the labels to `path` (mode 0600); returns how many had letters simplified.

    The target is checked before a single label is read: a path that may not be
    written is refused (never the register, an existing file only with --force) and
    nothing has been handed out. The sheet takes its name in the same transaction as
    its audit row (GDPR Art. 5(2)): a sheet that cannot be put in place leaves no
    record, and no sheet leaves unrecorded.
    """
    from lautex_registry.platform.db import transaction
    from lautex_registry.platform.output_files import new_output_file

    fmt = validation.choice(fmt, FORMATS, "format")
    mode = "w" if fmt == "csv" else "wb"
    with new_output_file(path, register, force=force) as pending:
        with pending.open(mode) as handle:
            simplified = write_labels(run.labels(), fmt, handle)
        run.end_read()
        with transaction(run.conn):
            run.record_audit(actor, fmt, to_file=True)
            pending.publish()
    return simplified


def write_labels(labels: Iterable[dict[str, str]], fmt: str, handle: IO[Any]) -> int:
    """Write the labels to an open stream (a file or stdout); how many were simplified."""
    if fmt == "csv":
        write_csv(labels, handle)
        return 0
    data, simplified = pdf_bytes(labels)
    handle.write(data)
    return simplified
