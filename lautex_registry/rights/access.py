"""The access export (GDPR Art. 15) and the portability export (Art. 20).

The access export is everything the register holds about one person, taken from
`person.person_record` (a walk over `personal_data.PERSONAL_TABLES`, so a table
added there appears here without further code), and the Art. 15(1)(a)-(h)
information, taken from `privacy_info.art15_information` (the register's
settings and recipients, so nothing is written twice). Formats: one stable JSON
structure (documented in the README), a CSV of `field,value` pairs, and a
readable letter in Markdown, HTML or PDF in Finnish, Swedish or English.

The portability export (Art. 20(1)) holds only what the person provided (the
`customer add` fields) and their orders, as JSON and as CSV that `customer
import` reads back.

Every export is audited (counts only) and recorded in `documents` with its
SHA-256; files are written with mode 0600.
"""

import csv
import functools
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lautex_registry.platform import audit, documents, validation, wording
from lautex_registry.platform.clock import today
from lautex_registry.platform.errors import InvalidInput, t
from lautex_registry.platform.escaping import spreadsheet_safe
from lautex_registry.platform.output_files import check_target
from lautex_registry.platform.paper import Paper, postal_address
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records import customers, lookup, person
from lautex_registry.statement import privacy_info

ACCESS_FORMAT = "lautex-access-export"
PORTABILITY_FORMAT = "lautex-portability-export"
EXPORT_VERSION = 1
FORMATS = ("json", "csv", "html", "md", "pdf")
# Written to a file as they are made, the person's rows read as they are written: a long
# export is never held whole (docs/rules.md §3); a PDF page by page (`pdf_layout.py`).
STREAMED_FORMATS = ("md", "html", "json", "csv", "pdf")
PORTABILITY_FORMATS = ("json", "csv")
ACCESS_KIND = "access-export"
PORTABILITY_KIND = "portability-export"
# GDPR Art. 20(1): the data the person provided: the `customer add` fields
# (the CSV header of `customer import`). source is included because import needs it.
PORTABLE_CUSTOMER_FIELDS = tuple(
    # source_detail and notes are the register's own words about the person, not theirs
    name
    for name in customers.FIELDS
    if name not in ("source_detail", "notes")
)
ORDER_CSV_COLUMNS = (
    "order_number",
    "order_date",
    "channel",
    "reseller",
    "product",
    "quantity",
    "unit",
    "unit_price",
)
# GDPR Art. 15(1) point -> the key of `information` that answers it.
ART15_POINTS = {
    "a": ("purposes", "legitimate_interests"),
    "b": ("categories",),
    "c": ("recipients", "transfers"),
    "d": ("retention",),
    "e": ("rights",),
    "f": ("complaint",),
    "g": ("sources",),
    "h": ("automated_decisions",),
}


@dataclass(frozen=True)
class ExportFile:
    """One file of an export: its content and where it goes (None: standard output)."""

    # bytes for a PDF; pieces of text (of bytes for a PDF) for a letter written to a file
    # as it is made (read them once, to the end: the document is recorded when the last
    # piece has passed)
    content: str | bytes | Iterator[str] | Iterator[bytes]
    path: Path | None


@dataclass(frozen=True)
class Export:
    kind: str
    fmt: str
    language: str
    files: tuple[ExportFile, ...]
    counts: dict[str, int]


# --- gathering --------------------------------------------------------------------------


class _Named:
    """A table's rows (`person.PersonRows`) with the recipient of every disclosure and notice
    named as they are read (Art. 15(1)(c): who received what)."""

    def __init__(self, rows: "person.PersonRows", recipients: Mapping[Any, sqlite3.Row]) -> None:
        self.rows = rows
        self.recipients = recipients

    def __iter__(self) -> Iterator[dict[str, Any]]:
        recipients = self.recipients
        for row in self.rows:
            recipient = recipients.get(row.get("recipient_id"))
            if recipient is not None:
                row["recipient"] = recipient["name"]
                row["recipient_kind"] = recipient["kind"]
                row["recipient_country"] = recipient["country"]
            yield row

    def __len__(self) -> int:
        return len(self.rows)

    def child_rows(self, label: str, column: str) -> "person.ChildRows":
        return self.rows.child_rows(label, column)

    def filled(self) -> "person.Filled":
        """`PersonRows.filled`, with the keys the recipient adds to a row that names one."""
        own = self.rows.filled()
        if "recipient_id" not in own.keys:
            return own
        joined = f'JOIN recipients r ON r.id = "{self.rows.table}".recipient_id'
        named = self.rows.filled(joined, list(_RECIPIENT_KEYS.values()))
        if not named.count:
            return own
        filled = own.filled | {
            key for key, value in _RECIPIENT_KEYS.items() if value in named.filled
        }
        return person.Filled(own.keys + list(_RECIPIENT_KEYS), filled, own.count)


# The keys `_Named` adds to a row and where their values come from.
_RECIPIENT_KEYS = {
    "recipient": "r.name",
    "recipient_kind": "r.kind",
    "recipient_country": "r.country",
}


def _with_recipients(conn: sqlite3.Connection, data: dict[str, Any]) -> dict[str, Any]:
    """The person's tables, each naming the recipients of its rows as it is read (the
    recipients are the register's few companies and authorities, read once)."""
    recipients = {
        row["id"]: row for row in conn.execute("SELECT id, name, kind, country FROM recipients")
    }
    return {
        table: rows if isinstance(rows, Mapping) else _Named(rows, recipients)
        for table, rows in data.items()
    }


def _source(customer: Mapping[str, Any], info: Mapping[str, Any]) -> dict[str, Any]:
    """GDPR Art. 15(1)(g): where this person's data came from, in the reply's language."""
    code = customer.get("source")
    text = next((s["source"] for s in info["sources"] if s["code"] == code), code)
    return {"code": code, "text": text, "detail": customer.get("source_detail")}


def _request_info(
    conn: sqlite3.Connection, request_id: int | None, customer_id: int
) -> dict[str, Any] | None:
    if request_id is None:
        return None
    row = lookup.request_for(conn, request_id, customer_id)
    return {
        "id": row["id"],
        "kind": row["kind"],
        "received_on": row["received_on"],
        "due_on": row["due_on"],
    }


def access_document(
    conn: sqlite3.Connection, customer_id: int, lang: str, request_id: int | None = None
) -> dict[str, Any]:
    """The access export as one JSON-ready dict (structure documented in the README), whose
    tables of the person's rows are read from the register as they are written (iterable
    and sized, not lists: `json_chunks`, `access_csv_chunks` and the letter read them)."""
    info = privacy_info.art15_information(conn, lang)
    data = _with_recipients(conn, person.person_tables(conn, customer_id))
    return {
        "format": ACCESS_FORMAT,
        "version": EXPORT_VERSION,
        "generated_on": today().isoformat(),
        "language": lang,
        "customer_id": customer_id,
        "request": _request_info(conn, request_id, customer_id),
        "controller": info["controller"],
        "source": _source(data["customer"], info),
        "counts": counts_of(data),
        "data": data,
        "information": info,
        "art15_points": {point: list(keys) for point, keys in ART15_POINTS.items()},
    }


def counts_of(data: Mapping[str, Any]) -> dict[str, int]:
    """Rows per table: what the audit row and the document record say about an export."""
    return {table: (1 if isinstance(rows, Mapping) else len(rows)) for table, rows in data.items()}


def portable_document(conn: sqlite3.Connection, customer_id: int) -> dict[str, Any]:
    """GDPR Art. 20(1): what the person provided, and their orders."""
    data = person.person_record(conn, customer_id)
    customer = data["customer"]
    provided = {
        name: customer.get("organisation" if name == "org" else name)
        for name in PORTABLE_CUSTOMER_FIELDS
    }
    orders = [
        {
            "number": order["number"],
            "order_date": order["order_date"],
            "channel": order["channel"],
            "reseller": order.get("reseller"),
            "lines": [
                {
                    "product": line["product"],
                    "quantity": line["quantity"],
                    "unit": line["unit"],
                    "unit_price": line["unit_price"],
                }
                for line in order.get("lines", [])
            ],
            "total": order.get("total"),
        }
        for order in data.get("orders", [])
    ]
    return {
        "format": PORTABILITY_FORMAT,
        "version": EXPORT_VERSION,
        "generated_on": today().isoformat(),
        "customers": [provided],
        "orders": orders,
    }


# --- rendering --------------------------------------------------------------------------


def _flatten(value: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _flatten(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list | _Named):
        empty = True
        for index, item in enumerate(value, start=1):
            empty = False
            yield from _flatten(item, f"{prefix}.{index}")
        if empty:
            yield prefix, ""
    else:
        yield prefix, value


def _csv_text(header: tuple[str, ...], rows: Sequence[Mapping[str, Any]]) -> str:
    buffer = io.StringIO()
    # CRLF (RFC 4180), as the csv module writes by default: on Python 3.11 it quotes a
    # cell with a carriage return only when the line terminator has one, and an unquoted
    # CR would split the row when `customer import` reads the file back.
    writer = csv.DictWriter(buffer, fieldnames=header, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _csv_cell(row.get(key)) for key in header})
    return buffer.getvalue()


def _csv_cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text; `customer import` reads it back as stored."""
    return "" if value is None else spreadsheet_safe(str(value))


def access_csv(document: Mapping[str, Any]) -> str:
    """Every value of the JSON structure as one `field,value` row (`data.orders.1.number`)."""
    return "".join(access_csv_chunks(document))


# Rows of the access CSV written at a time (a few hundred kB at most).
CSV_CHUNK = 2000


def access_csv_chunks(document: Mapping[str, Any]) -> Iterator[str]:
    """`access_csv` piece by piece, as the person's rows are read."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # CRLF, as `_csv_text`
    writer.writerow(("field", "value"))
    for count, (path, value) in enumerate(_flatten(document, ""), start=1):
        writer.writerow((path, _csv_cell(value)))
        if count % CSV_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def json_chunks(document: Mapping[str, Any]) -> Iterator[str]:
    """`json.dumps(document, ensure_ascii=False, indent=2, default=str)` and a newline, the
    same bytes, written a row at a time: the person's tables are read as they are written
    (as `customer list -f json` writes its rows)."""
    yield from _json_object(document, "")
    yield "\n"


def _json_object(value: Mapping[str, Any], indent: str) -> Iterator[str]:
    inner = indent + "  "
    opened = False
    for key, item in value.items():
        yield ("{\n" if not opened else ",\n") + inner + json.dumps(key, ensure_ascii=False) + ": "
        opened = True
        if isinstance(item, _Named):
            yield from _json_array(item, inner)
        elif key == "data" and not indent:
            yield from _json_object(item, inner)
        else:
            yield _json_value(item, inner)
    yield ("\n" + indent + "}") if opened else "{}"


def _json_array(rows: Iterable[Any], indent: str) -> Iterator[str]:
    inner = indent + "  "
    opened = False
    for row in rows:
        yield ("[\n" if not opened else ",\n") + inner + _json_value(row, inner)
        opened = True
    yield ("\n" + indent + "]") if opened else "[]"


def _json_value(value: Any, indent: str) -> str:
    """A value as json.dumps(indent=2) writes it at this depth (a string holds no newline)."""
    text = json.dumps(value, ensure_ascii=False, indent=2, default=str)
    return text.replace("\n", "\n" + indent) if indent and "\n" in text else text


_SPACES = re.compile(r"[^\S\xa0\u202f]+")
# What `_SPACES` would change: two spaces in a row, or any other space but the no-break ones.
_ODD_SPACE = re.compile(r"[^\S \xa0\u202f]| {2}")


def _cell(column: str, value: Any, lang: str) -> str:
    """A Markdown table cell: one line, as a person reads it (codes in words, dates and money
    in the letter's language: docs/rules.md §2 "Formats of documents"). The template
    escapes it as text."""
    # Whitespace runs become one space, but not the no-break spaces that hold an amount
    # (1 250,00 €) together. Most cells have no run to join (a search is quicker).
    text = wording.present(column, value, lang)
    if _ODD_SPACE.search(text):
        text = _SPACES.sub(" ", text)
    return text.strip()


def _printable(column: str, rows: Sequence[Mapping[str, Any]], *, ids: bool = False) -> bool:
    """Letter columns: not internal links (`*_id`, staff `*_by`), not empty in every row.
    A row's own id only where the person refers back with it (`ids`: a request's number)."""
    if column.endswith(("_id", "_by")) or (column == "id" and not ids):
        return False
    return any(row.get(column) not in (None, "", []) for row in rows)


def _own_business_id(column: str, customer: Mapping[str, Any]) -> bool:
    """A sole trader's business ID is the person's own data (GDPR Art. 4(1), 15(3)): the
    letter shows it next to the business name, as the JSON and CSV copies do."""
    return column == "organisation_business_id" and bool(
        customer.get("organisation_sole_trader") and customer.get(column)
    )


# The tables whose own id the person quotes back: a request's number.
NUMBERED_TABLES = ("requests",)


class _Cells:
    """A letter table's rows as cells in words, made one row at a time as the template reads
    them (the letter is written as it is made: no second copy of 10,000 orders)."""

    def __init__(
        self, rows: Iterable[Mapping[str, Any]], columns: list[str], lang: str, empty: bool
    ) -> None:
        self.rows = rows
        self.columns = columns
        self.lang = lang
        self.empty = empty

    def __bool__(self) -> bool:
        return not self.empty

    def __iter__(self) -> Iterator[list[str]]:
        columns, lang = self.columns, self.lang
        for row in self.rows:
            yield [_repeated_cell(column, row.get(column), lang) for column in columns]


# 10,000 orders repeat the same days, channels, amounts and products: each cell is worded
# once (a bounded cache: the letter's memory stays flat). `typed`: 1 and True differ.
_repeated_cell = functools.lru_cache(maxsize=1024, typed=True)(_cell)


def _table(table: str, rows: "_Named | person.ChildRows", lang: str) -> dict[str, Any]:
    """Rows of one table for the letter template: column names and cells in words.

    Linear in the rows and streaming: which columns hold a value in some row is asked of
    SQL (`filled`), and the cells are made as the template reads the rows from the
    register (a customer may have thousands of orders, docs/rules.md §3). The columns are
    `_printable`'s, in the order the rows list them: no internal links, none empty in every
    row; nested rows (an order's lines) get a table of their own."""
    ids = table in NUMBERED_TABLES
    filled = rows.filled()
    order = [
        key
        for key in filled.keys
        if key in filled.filled and not (key.endswith(("_id", "_by")) or (key == "id" and not ids))
    ]
    return {"columns": order, "rows": _Cells(rows, order, lang, not filled.count)}


# The letter shows the orders first, then the invoices, then the rest in the map's order.
LETTER_ORDER = ("orders", "invoices")


def letter_context(document: Mapping[str, Any]) -> dict[str, Any]:
    """What the access_export template needs: the document with tables made printable."""
    data = document["data"]
    lang = document["language"]
    names = [t for t in LETTER_ORDER if t in data]
    names += [t for t in data if t not in names and t != "customer"]
    tables = []
    for table in names:
        rows = data[table]
        tables.append({"table": table, **_table(table, rows, lang)})
        if table == "orders":
            tables.append(
                # Every line of every order, with its order's number first.
                {
                    "table": "order_lines",
                    **_table("order_lines", rows.child_rows("order", "number"), lang),
                }
            )
    customer = [
        (key, _cell(key, value, lang))
        for key, value in data["customer"].items()
        if _printable(key, [data["customer"]]) or _own_business_id(key, data["customer"])
    ]
    request = document["request"]
    if request is not None:
        request = {**request, "received_on": wording.format_date(request["received_on"], lang)}
    return {
        **document,
        "request": request,
        "date": wording.format_date(document["generated_on"], lang),
        "customer_fields": customer,
        "tables": tables,
        "info": document["information"],
    }


def _paper(document: Mapping[str, Any], title: str) -> Paper:
    """The access copy on paper: to the person's own address, referring to their request."""
    lang = str(document["language"])
    customer = document["data"]["customer"]
    name = " ".join(p for p in (customer.get("first_name"), customer.get("last_name")) if p)
    request = document["request"]
    return Paper(
        lang=lang,
        title=title,
        controller=document["controller"],
        date=wording.format_date(document["generated_on"], lang),
        reference=None if request is None else privacy_info.request_reference(request["id"], lang),
        recipient=postal_address(
            name=name,
            organisation=customer.get("organisation"),
            street=customer.get("street"),
            postal_code=customer.get("postal_code"),
            city=customer.get("city"),
            country=customer.get("country"),
        )
        if customer.get("street")
        else [name],
    )


def render_access(document: Mapping[str, Any], fmt: str) -> str | bytes:
    if fmt == "pdf":
        return b"".join(render_access_pdf(document))
    return "".join(render_access_chunks(document, fmt))


def render_access_chunks(document: Mapping[str, Any], fmt: str) -> Iterator[str]:
    """The export in JSON or CSV, or the letter in Markdown or HTML, piece by piece (a row
    at a time)."""
    if fmt == "json":
        return json_chunks(document)
    if fmt == "csv":
        return access_csv_chunks(document)
    title = document["information"]["register_name"]
    context = letter_context(document)
    return documents.render_chunks("access_export", str(document["language"]), fmt, context, title)


def render_access_pdf(document: Mapping[str, Any]) -> Iterator[bytes]:
    """The letter as PDF, page by page as its rows are read."""
    lang = str(document["language"])
    title = document["information"]["register_name"]
    context = letter_context(document)
    markdown = documents.markdown_chunks("access_export", lang, context, paper=True)
    return documents.pdf_chunks(markdown, _paper(document, title))


def portability_csv(document: Mapping[str, Any]) -> tuple[str, str]:
    """(customer CSV in `customer import` format, orders CSV with one row per order line)."""
    customer = _csv_text(PORTABLE_CUSTOMER_FIELDS, document["customers"])
    lines = []
    for order in document["orders"]:
        for line in order["lines"] or [{}]:
            lines.append(
                {
                    "order_number": order["number"],
                    "order_date": order["order_date"],
                    "channel": order["channel"],
                    "reseller": order["reseller"],
                    **line,
                }
            )
    return customer, _csv_text(ORDER_CSV_COLUMNS, lines)


def orders_path(path: Path) -> Path:
    """The orders file beside a portability CSV: `anna.csv` -> `anna.orders.csv`."""
    return path.with_name(f"{path.stem}.orders{path.suffix or '.csv'}")


# --- the command's service --------------------------------------------------------------


def export_customer(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    customer_ref: str,
    *,
    fmt: str,
    lang: str | None = None,
    request_id: int | None = None,
    output: Path | None = None,
    portability: bool = False,
) -> Export:
    """Build, record and audit one export; the caller writes `files`. Inside a transaction
    (checked).

    The documents row and the audit row are written here; if writing the files
    then fails, the caller's transaction rolls them back.
    """
    customer = lookup.resolve_customer(conn, customer_ref)
    customer_id = int(customer["id"])
    allowed = PORTABILITY_FORMATS if portability else FORMATS
    fmt = validation.choice(fmt, allowed, "format")
    if lang is not None:
        lang = validation.choice(lang, documents.LANGUAGES, "lang")
    language = lang or privacy_info.document_language(conn, customer["language"])
    files: list[ExportFile]
    if portability:
        _request_info(conn, request_id, customer_id)
        document = portable_document(conn, customer_id)
        kind = PORTABILITY_KIND
        counts = {"customers": 1, "orders": len(document["orders"])}
        if fmt == "json":
            files = [ExportFile(json.dumps(document, ensure_ascii=False, indent=2) + "\n", output)]
        else:
            if output is None:
                raise InvalidInput(
                    t(
                        "output: a portability CSV is two files (the customer, the orders): "
                        "give --output PATH"
                    )
                )
            customer_csv, orders_csv = portability_csv(document)
            files = [ExportFile(customer_csv, output), ExportFile(orders_csv, orders_path(output))]
    else:
        document = access_document(conn, customer_id, language, request_id)
        kind = ACCESS_KIND
        counts = dict(document["counts"])
        if output is not None and fmt in STREAMED_FORMATS:
            # Written to the file as it is made, and recorded when whole (write_export).
            record = functools.partial(
                documents.record_checksum,
                conn,
                kind=kind,
                language=language,
                fmt=fmt,
                created_by=actor.user_id,
                customer_id=customer_id,
                request_id=request_id,
            )
            files = [
                ExportFile(
                    documents.hashed(render_access_pdf(document), lambda s: record(sha256=s))
                    if fmt == "pdf"
                    else documents.hashed(
                        render_access_chunks(document, fmt), lambda s: record(sha256=s)
                    ),
                    output,
                )
            ]
        else:
            files = [ExportFile(render_access(document, fmt), output)]
    for file in files:
        if isinstance(file.content, str | bytes):
            documents.record_document(
                conn,
                kind=kind,
                language=language,
                fmt=fmt,
                content=file.content,
                created_by=actor.user_id,
                customer_id=customer_id,
                request_id=request_id,
            )
    audit.record(
        conn,
        actor,
        "export",
        "customer",
        customer_id,
        {
            "kind": kind,
            "format": fmt,
            "language": language,
            "request_id": request_id,
            "files": len(files),
            "rows": counts,
        },
    )
    return Export(kind, fmt, language, tuple(files), counts)


def write_export(export: Export, register: Path | None, *, force: bool = False) -> list[Path]:
    """Write the export's files with mode 0600; returns the paths written.

    Every target is checked before the first is written (never the register, an
    existing file only with `force`). If one file cannot be written (InvalidInput
    naming it, so the caller's transaction rolls back its records), the ones already
    written are removed again.
    """
    for file in export.files:
        if file.path is not None:
            check_target(file.path, register, force=force)
    written: list[Path] = []
    try:
        for file in export.files:
            if file.path is not None:
                documents.write_private(file.path, file.content, register, force=force)
                written.append(file.path)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return written
