"""Customers: adding, finding, listing, searching and editing the people in the register.

What the register holds about a person is exactly what the privacy statement lists
(P1: name, organisation represented, email, postal address, phone) plus where the
data came from (P4: needed for access replies and rectification notices).
"""

import heapq
import json
import re
import sys
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from functools import cache
from typing import Any, Protocol

from lautex_registry.platform import audit, db, search_order, validation
from lautex_registry.platform.clock import timestamp, today
from lautex_registry.platform.collation import sort_key
from lautex_registry.platform.errors import Conflict, InvalidInput, t
from lautex_registry.platform.migrations.m0016_customer_email_key import ODD, email_search_key
from lautex_registry.platform.migrations.m0018_customer_search_digits import WINDOW
from lautex_registry.platform.search_order import ROWID_STEP, UNPLACED
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records.customer_state import STATES, refuse_if_anonymised
from lautex_registry.records.lookup import (
    customer_id_by_email,
    customer_row,
    resolve_customer,
    resolve_organisation_id,
)
from lautex_registry.records.suppression import Restoration, restore_for_customers

# docs/privacy-statement.md P4: the sources of the register's data.
SOURCES = (
    "web-store",
    "reseller",
    "registration",
    "customer-service",
    "subcontractor",
    "partner",
)
LANGUAGES = ("fi", "en", "sv")


@dataclass(frozen=True)
class CustomerFields:
    """The fields of `customer add` and `customer edit` as given; None: not given."""

    first_name: str | None = None
    last_name: str | None = None
    org: str | None = None
    email: str | None = None
    phone: str | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None
    source: str | None = None
    source_detail: str | None = None
    language: str | None = None
    notes: str | None = None

    def given(self) -> dict[str, str]:
        """The fields that were given, by name (an empty string is given: it clears)."""
        return {name: value for name in FIELDS if (value := getattr(self, name)) is not None}


# The fields of `customer add` (option names in snake_case); also the CSV import header.
FIELDS = tuple(f.name for f in dataclass_fields(CustomerFields))
_FIELD_SET = frozenset(FIELDS)
REQUIRED_FIELDS = ("first_name", "last_name", "source", "language", "country")
ADDRESS_FIELDS = ("street", "postal_code", "city")
# Field name -> column name where they differ.
_COLUMN = {"org": "organisation_id"}
DEFAULT_COUNTRY = "FI"
DEFAULT_LANGUAGE = "fi"


# The Unicode blocks of combining diacritical marks: what NFKD splits off ä, å, é, ñ.
_DIACRITICS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")


def fold_for_search(text: str) -> str:
    """Case- and accent-insensitive form: `Äijälä` -> `aijala`, `Åström` -> `astrom`.

    Unicode's compatibility caseless form (The Unicode Standard, ch. 3.13, D146):
    NFKD(casefold(NFKD(casefold(NFD(text))))). Folding case only before NFKD missed
    letters whose compatibility form is upper case (`𝕬` -> `A`), so folding twice gave
    a different word; this form is stable, and a search for `a` finds `𝕬`.
    """
    if text.isascii():
        return text.lower()
    latin = _latin_fold(text)
    return latin if latin is not None else _unicode_fold(text)


def _unicode_fold(text: str) -> str:
    """fold_for_search by its definition, for any text."""
    folded = unicodedata.normalize("NFD", text).casefold()
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", folded).casefold())
    return folded if folded.isascii() else _DIACRITICS.sub("", folded)


# Latin text (every character before U+0250: Finnish, Swedish and the other European
# names a bulk import has by the million) folds character by character: none of these
# characters is a combining mark or decomposes to one first, so no step of
# _unicode_fold joins or reorders two of them, and a table of each character's own
# fold gives the same text in about half the time. tests/test_import_fast_paths.py
# checks with hypothesis that both give the same for any such text.
_NOT_LATIN = re.compile("[^\x00-\u024f]")


def _latin_fold(text: str) -> str | None:
    """fold_for_search of Latin text by the table; None for any other text."""
    if _NOT_LATIN.search(text) is not None:
        return None
    return text.translate(_latin_folds())


@cache
def _latin_folds() -> dict[int, str]:
    """Each Latin character's fold (built on first use: a command that folds only ASCII
    never pays for it)."""
    return {code: _unicode_fold(chr(code)) for code in range(0x250)}


def search_text_for(
    first_name: str | None,
    last_name: str | None,
    email: str | None,
    phone: str | None,
    organisation_name: str | None,
) -> str | None:
    """The folded words `customer search` matches against; None when nothing identifies."""
    parts = [p for p in (first_name, last_name, email, organisation_name) if p]
    if phone:
        parts.extend([phone, validation.national_phone_digits(phone)])
    if not parts:
        return None
    # Each part folded on its own: a space is a character no step of the fold joins to
    # its neighbours, so this is fold_for_search of the joined text (checked with
    # hypothesis in tests/test_import_fast_paths.py), and the email and the phone
    # numbers, ASCII, fold by lower().
    return " ".join([fold_for_search(part) for part in parts])


# --- validation without the database (import workers run this on every core) -------------


class FieldChecks(Protocol):
    """The checks validate_fields takes from platform.validation (the module is one)."""

    def required_text(self, text: str | None, field: str, *, max_length: int = ...) -> str: ...

    def optional_text(
        self, text: str | None, field: str, *, max_length: int = ...
    ) -> str | None: ...

    def country(self, text: str, field: str = ...) -> str: ...

    def postal_code(self, text: str, country_code: str = ..., field: str = ...) -> str: ...

    def choice(self, text: str, allowed: tuple[str, ...], field: str) -> str: ...


def validate_fields(
    fields: Mapping[str, str | None], checks: FieldChecks = validation
) -> dict[str, str | None]:
    """Check and normalise `customer add` fields; the org stays a name-or-id to resolve later.

    Raises InvalidInput naming the first bad field. `checks` gives the checks of
    platform.validation that depend on the value alone (the import remembers them for
    the values a file repeats: `importing.validating.RepeatedValues`).
    """
    unknown = [] if _FIELD_SET.issuperset(fields) else sorted(set(fields) - _FIELD_SET)
    if unknown:
        raise InvalidInput(
            t(
                "{unknown}: not a customer field (known: {fields})",
                unknown=unknown[0],
                fields=", ".join(FIELDS),
            )
        )
    raw = fields.get  # a field not given is None
    clean: dict[str, str | None] = {}
    clean["first_name"] = checks.required_text(raw("first_name"), "first_name")
    clean["last_name"] = checks.required_text(raw("last_name"), "last_name")
    clean["org"] = checks.optional_text(raw("org"), "org")
    if clean["org"] and validation.is_record_id(clean["org"]):
        clean["org"] = str(validation.record_id(clean["org"], "org"))
    # Emails and phone numbers are each person's own: nothing to remember.
    email = validation.optional_text(raw("email"), "email", max_length=254)
    clean["email"] = validation.normalise_email(email) if email else None
    phone = validation.optional_text(raw("phone"), "phone", max_length=40)
    clean["phone"] = validation.normalise_phone(phone) if phone else None
    country = checks.country(raw("country") or DEFAULT_COUNTRY)
    clean["country"] = country
    clean["street"] = checks.optional_text(raw("street"), "street")
    code = checks.optional_text(raw("postal_code"), "postal_code", max_length=10)
    clean["postal_code"] = checks.postal_code(code, country) if code else None
    clean["city"] = checks.optional_text(raw("city"), "city", max_length=100)
    _check_address(clean)
    if not (raw("source") or "").strip():
        # docs/privacy-statement.md P4: an access reply must say where the data came from.
        raise InvalidInput(t("source: is required (one of {sources})", sources=", ".join(SOURCES)))
    clean["source"] = checks.choice(raw("source") or "", SOURCES, "source")
    clean["source_detail"] = checks.optional_text(raw("source_detail"), "source_detail")
    clean["language"] = checks.choice(raw("language") or DEFAULT_LANGUAGE, LANGUAGES, "language")
    # Customer-service notes: free text about the person, erased with everything else.
    clean["notes"] = checks.optional_text(raw("notes"), "notes", max_length=1000)
    return clean


def _check_address(clean: Mapping[str, str | None]) -> None:
    """A postal address is whole or absent: a label cannot be printed from half of one."""
    given = [name for name in ADDRESS_FIELDS if clean.get(name)]
    if given and len(given) != len(ADDRESS_FIELDS):
        missing = next(name for name in ADDRESS_FIELDS if not clean.get(name))
        raise InvalidInput(
            t("{missing}: a postal address needs street, postal_code and city", missing=missing)
        )


def refresh_search_text(conn: sqlite3.Connection, customer_ids: Sequence[int]) -> None:
    """Write again the search text (and its email key) of these customers from their row
    and their organisation's name, after the organisation they represent changed or went
    away: the name of one no longer theirs must not stay findable or stored in their row
    (docs/rules.md §3, "the search index"). A cleared search text (an anonymised person)
    stays cleared."""
    rows = conn.execute(
        "SELECT c.id, c.first_name, c.last_name, c.email, c.phone, o.name FROM customers c "
        "LEFT JOIN organisations o ON o.id = c.organisation_id "
        f"WHERE c.id {db.IN_LIST} AND c.search_text IS NOT NULL",
        (db.json_list(customer_ids),),
    ).fetchall()
    for customer_id, first, last, email, phone, organisation_name in rows:
        text = search_text_for(first, last, email, phone, organisation_name)
        conn.execute(
            "UPDATE customers SET search_text = ?, search_email_key = ? WHERE id = ?",
            (text, email_search_key(text), customer_id),
        )


def _organisation_name(conn: sqlite3.Connection, organisation_id: int | None) -> str | None:
    if organisation_id is None:
        return None
    row = conn.execute("SELECT name FROM organisations WHERE id = ?", (organisation_id,)).fetchone()
    return None if row is None else str(row[0])


def refuse_duplicate_email(
    conn: sqlite3.Connection, email: str | None, except_id: int | None = None
) -> None:
    if email is None:
        return
    existing = customer_id_by_email(conn, email)
    if existing is not None and existing != except_id:
        raise Conflict(
            t("email: customer {existing} already has this email address", existing=existing)
        )


# --- the hook for suppression checks --------------------------------------------------------


@dataclass(frozen=True)
class CustomerWrite:
    """What `customer add`, `customer edit` and `rectify` wrote about one customer."""

    customer_id: int
    changed: list[str]
    # Objections put back because the new email or phone matched an erased objector's.
    restored: list[Restoration] = field(default_factory=list)


def after_contact_written(
    conn: sqlite3.Connection, actor: audit.Actor, customer_ids: Sequence[int]
) -> list[Restoration]:
    """Called in the writing transaction after customers' email or phone were written.

    `customer add`, `customer edit` (and `rectify`, which uses update_customer_fields)
    and `customer import` (once per stored batch) all call it. This is the one place
    where a re-imported person who objected before erasure is put back under their
    objection (GDPR Art. 21(3): suppression by keyed HMAC). Returns what was put back,
    for every one of those commands to tell the clerk the same way.
    """
    return restore_for_customers(conn, actor, customer_ids)


# --- writing -------------------------------------------------------------------------------


# The columns row_for_insert fills, in order (the import finds its slots by name here).
INSERT_COLUMNS = (
    *(_COLUMN.get(name, name) for name in FIELDS),
    "search_text",
    "search_email_key",
    "created_at",
    "updated_at",
    "last_activity",
    # Given here, migration 19's trigger finds them right and does not update the row.
    "sort_last_name",
    "sort_first_name",
)
INSERT_SQL = (
    f"INSERT INTO customers ({', '.join(INSERT_COLUMNS)}, state) "
    f"VALUES ({', '.join('?' for _ in INSERT_COLUMNS)}, 'active')"
)


def row_for_insert(
    clean: Mapping[str, str | None],
    organisation_id: int | None,
    organisation_name: str | None,
    created_at: str,
    last_activity: str,
) -> tuple[Any, ...]:
    """The INSERT_SQL parameters for one validated customer."""
    search_text = search_text_for(
        clean["first_name"],
        clean["last_name"],
        clean["email"],
        clean["phone"],
        organisation_name,
    )
    return (
        clean["first_name"],
        clean["last_name"],
        organisation_id,
        clean["email"],
        clean["phone"],
        clean["street"],
        clean["postal_code"],
        clean["city"],
        clean["country"],
        clean["source"],
        clean["source_detail"],
        clean["language"],
        clean["notes"],
        search_text,
        email_search_key(search_text),
        created_at,
        created_at,
        last_activity,
        sort_key(clean["last_name"]),
        sort_key(clean["first_name"]),
    )


def add_customer(
    conn: sqlite3.Connection, actor: audit.Actor, fields: Mapping[str, str | None]
) -> CustomerWrite:
    """Validate and store one customer with its audit row; call inside a transaction (checked)."""
    clean = validate_fields(fields)
    organisation_id = resolve_organisation_id(conn, clean["org"]) if clean["org"] else None
    refuse_duplicate_email(conn, clean["email"])
    stamp = timestamp()
    cursor = conn.execute(
        INSERT_SQL,
        row_for_insert(
            clean,
            organisation_id,
            _organisation_name(conn, organisation_id),
            stamp,
            today().isoformat(),
        ),
    )
    customer_id = int(cursor.lastrowid or 0)
    given = [name for name in FIELDS if clean.get(name)]
    audit.record(conn, actor, "customer add", "customer", customer_id, {"fields": given})
    restored = (
        after_contact_written(conn, actor, [customer_id])
        if clean["email"] or clean["phone"]
        else []
    )
    return CustomerWrite(customer_id, given, restored)


def _current_fields(conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, str | None]:
    current: dict[str, str | None] = {name: row[_COLUMN.get(name, name)] for name in FIELDS}
    current["org"] = None if row["organisation_id"] is None else str(row["organisation_id"])
    return current


def update_customer_fields(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    customer_id: int,
    changes: Mapping[str, str | None],
    action: str = "customer edit",
) -> CustomerWrite:
    """Change some fields of a customer; returns the fields that changed and any restored
    objections.

    A value of None or "" clears an optional field (org, email, phone, the address,
    source_detail, notes); required fields cannot be cleared. The result is validated as a
    whole, `search_text` and `updated_at` are kept right, and the audit row names the
    fields, never their values. Call inside a transaction (checked).
    """
    row = customer_row(conn, customer_id)
    refuse_if_anonymised(customer_id, row["state"])
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise InvalidInput(
            t(
                "{unknown}: not a customer field (known: {fields})",
                unknown=unknown[0],
                fields=", ".join(FIELDS),
            )
        )
    for name in REQUIRED_FIELDS:
        if name in changes and not (changes[name] or "").strip():
            raise InvalidInput(t("{name}: is required and cannot be cleared", name=name))
    current = _current_fields(conn, row)
    merged = {**current, **{name: (value or None) for name, value in changes.items()}}
    clean = validate_fields(merged)
    organisation_id = row["organisation_id"]
    if "org" in changes:
        organisation_id = resolve_organisation_id(conn, clean["org"]) if clean["org"] else None
        clean["org"] = None if organisation_id is None else str(organisation_id)
    changed = [name for name in FIELDS if name in changes and clean[name] != current[name]]
    if not changed:
        return CustomerWrite(customer_id, [])
    if "email" in changed:
        refuse_duplicate_email(conn, clean["email"], except_id=customer_id)
    assignments: dict[str, str | int | None] = {
        _COLUMN.get(name, name): clean[name] for name in changed
    }
    assignments["organisation_id"] = organisation_id
    assignments["search_text"] = search_text = search_text_for(
        clean["first_name"],
        clean["last_name"],
        clean["email"],
        clean["phone"],
        _organisation_name(conn, organisation_id),
    )
    assignments["search_email_key"] = email_search_key(search_text)
    if "first_name" in changed or "last_name" in changed:
        # The name leaves its place in the search order, in this statement (migration 20).
        assignments["name_bucket"] = search_order.UNPLACED
    assignments["updated_at"] = timestamp()
    columns = ", ".join(f"{column} = ?" for column in assignments)
    conn.execute(
        f"UPDATE customers SET {columns} WHERE id = ?", (*assignments.values(), customer_id)
    )
    audit.record(conn, actor, action, "customer", customer_id, {"fields": changed})
    contact = "email" in changed or "phone" in changed
    restored = after_contact_written(conn, actor, [customer_id]) if contact else []
    return CustomerWrite(customer_id, changed, restored)


def edit_customer(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    ref: str,
    given: Mapping[str, str | None],
    clear: Sequence[str] = (),
) -> CustomerWrite:
    """`customer edit`: new values plus fields to empty -> what was written.

    Checked before the customer is looked up, so a usage mistake is reported as such.
    Call inside a transaction.
    """
    changes = dict(given)
    for name in clear:
        field = name.replace("-", "_")
        if field in changes:
            raise InvalidInput(t("{field}: both a new value and --clear were given", field=field))
        changes[field] = None
    if not changes:
        raise InvalidInput(t("customer edit: give at least one field to change"))
    customer_id = int(resolve_customer(conn, ref)["id"])
    return update_customer_fields(conn, actor, customer_id, changes)


def touch_last_activity(conn: sqlite3.Connection, customer_id: int, on: str) -> None:
    """An order or contact on `on` (ISO date) extends the relationship: retention counts from it."""
    conn.execute(
        "UPDATE customers SET last_activity = ? WHERE id = ? AND last_activity < ?",
        (on, customer_id, on),
    )


# --- reading -------------------------------------------------------------------------------

LIST_COLUMNS = (
    "id",
    "first_name",
    "last_name",
    "organisation",
    "email",
    "phone",
    "city",
    "source",
    "state",
    "last_activity",
)

# Every field of a customer (LIST_FIELDS); a list shows LIST_COLUMNS unless asked for more
# (`customer list --fields all` is the whole export, address included).
LIST_FIELDS = (
    *LIST_COLUMNS[:4],
    "organisation_id",
    "email",
    "phone",
    *ADDRESS_FIELDS,
    "country",
    "language",
    "source",
    "source_detail",
    "notes",
    "state",
    "anonymised_on",
    "created_at",
    "updated_at",
    "last_activity",
)
_LIST_COLUMNS = ", ".join(
    "o.name AS organisation" if f == "organisation" else f"c.{f}" for f in LIST_FIELDS
)
_WITH_ORGANISATION = "LEFT JOIN organisations o ON o.id = c.organisation_id"
_LIST_SELECT = f"SELECT {_LIST_COLUMNS} FROM customers c {_WITH_ORGANISATION}"


_LIST_ORDER = {
    "id": "c.id",
    # The keys migration 19 stores: the list streams in the order of their index.
    "name": "c.sort_last_name, c.sort_first_name, c.id",
}


def list_customers(
    conn: sqlite3.Connection,
    *,
    org: str | None = None,
    state: str | None = None,
    source: str | None = None,
    sort: str = "id",
) -> Iterator[dict[str, Any]]:
    """Customers in id order or by name in Finnish order (docs/rules.md §2 "Formats"),
    optionally of one organisation, state or source (streamed)."""
    order = _LIST_ORDER[validation.choice(sort, tuple(_LIST_ORDER), "sort")]
    clauses: list[str] = []
    params: list[Any] = []
    if org:
        clauses.append("c.organisation_id = ?")
        params.append(resolve_organisation_id(conn, org))
    if state:
        clauses.append("c.state = ?")
        params.append(validation.choice(state, STATES, "state"))
    if source:
        clauses.append("c.source = ?")
        params.append(validation.choice(source, (*SOURCES, "anonymised"), "source"))
    where = db.where(clauses)
    for row in conn.execute(f"{_LIST_SELECT}{where} ORDER BY {order}", params):
        yield dict(row)


@dataclass(frozen=True)
class Found:
    """What `customer search` found: the first rows in Finnish order, whether more matched,
    and how many (None when a dense search stopped after the first ones, uncounted)."""

    rows: list[dict[str, Any]]
    total: int | None
    more: bool = False


def search_customers(
    conn: sqlite3.Connection, text: str, *, limit: int = 100
) -> list[dict[str, Any]]:
    """The first `limit` customers `find_customers` finds (the rows only)."""
    return find_customers(conn, text, limit=limit).rows


def find_customers(conn: sqlite3.Connection, text: str, *, limit: int = 100) -> Found:
    """Customers whose name, email, phone or organisation contain every word of `text`.

    Case- and accent-insensitive (`aijala` finds `Äijälä`); a phone number may be
    typed in any form (`040 123 4567`).

    What matches is `search_text LIKE '%word%'` for every word, as it always was; an
    index only narrows the rows LIKE looks at (docs/rules.md §3, "the search index"): a
    word with `@` and something before it, the email key's B-tree range (see
    email_search_key); a phone number, or a word with six digits in a row, the rows of
    its rarest digit window (`customer_search_digits`) when that is in few enough rows;
    any other, the trigram index `customer_search`: the rows that hold the rarest
    three-letter pieces of the words (`_narrowest_trigrams`).
    The trigram index keeps its rows in Finnish name order (migration 20): its matches
    are read in that order until the first `limit` are known (`_in_name_order`, docs/
    rules.md §3, "The search index in name order"). The others are sorted by their
    stored Finnish keys (migration 19) and counted in the same pass; only the first
    `limit` are read whole. Words of one or two letters have no trigram: a search made
    only of those may match every row, and in a large register walks the names in
    order and stops after the first `limit` (`_walk_by_name`), saying there are more,
    not how many (docs/rules.md §3, "Dense searches without an index").
    """
    plan = _search_plan(conn, text)
    if plan.trigrams is not None:
        with db.snapshot(conn):  # the matches, their count and their rows from one snapshot
            return _in_name_order(conn, plan, limit)
    if plan.expected < DENSE_MATCHES or limit >= plan.expected:
        # Few matches, or a limit that asks for about all of them: the walk would not stop
        # early, so every match is read, and counted.
        return _sorted(conn, plan, limit, counted=True)
    with db.snapshot(conn):  # the walk and the rows it found, from one snapshot
        walked = _walk_by_name(conn, plan, limit)
    return walked or _sorted(conn, plan, limit, counted=False)


def _sorted(conn: sqlite3.Connection, plan: "_Plan", limit: int, *, counted: bool) -> Found:
    """Every match read and the first `limit` of them in Finnish order, with the count of
    them all when `counted` (else one more row is read, to tell whether there are more)."""
    cursor = conn.cursor()
    cursor.row_factory = None  # dicts made by zip: a Row object per row costs more
    cursor.execute(
        # One statement, so rows and total come from one snapshot of the register. `+`
        # keeps SQLite from walking the name index in order and testing every customer:
        # the matches are found first, SQLite's top-N sort keeps the first ones (with
        # the count of them all), and only those are read whole.
        f"WITH first AS (SELECT c.id, c.sort_last_name, c.sort_first_name, "
        f"{'count(*) OVER ()' if counted else 'NULL'} AS total FROM customers c "
        f"WHERE {plan.where} ORDER BY +c.sort_last_name, +c.sort_first_name, c.id LIMIT ?) "
        f"SELECT first.total, {_LIST_COLUMNS} FROM first "
        f"JOIN customers c ON c.id = first.id {_WITH_ORGANISATION} "
        "ORDER BY first.sort_last_name, first.sort_first_name, first.id",
        (*plan.where_params, limit if counted else limit + 1),
    )
    names = [column[0] for column in cursor.description[1:]]
    totals, rows = [], []
    for total, *values in cursor:
        totals.append(total)  # every row has it; it is not a field of the customer
        rows.append(dict(zip(names, values, strict=True)))
    if not counted and len(rows) > limit:
        return Found(rows[:limit], None, more=True)
    if not counted:  # no more than were shown: they are all of them
        return Found(rows, len(rows))
    total = int(totals[0]) if totals else 0
    return Found(rows, total, more=total > len(rows))


# Dense searches without an index (docs/rules.md §3): words of one or two letters have no
# trigram and may match every row. With at least DENSE_MATCHES customers such a search
# walks the names in Finnish order, testing each row with LIKE (about 2 us a row: the
# name order is not the table's), and stops at the `limit` + 1st match: `oy`, spread
# over the alphabet, in 1-3 ms at 1,000,000. Matches that cluster far into the order
# leave the walk empty-handed: every WALK_CHECK rows it projects the rows it would need
# and gives up once they pass the register / WALK_SHARE / SCAN_SPEEDUP (a scan reads a
# row at about a fifth of a walked row's cost), so a walk costs at most about half the
# scan it saves.
DENSE_MATCHES = 10_000
WALK_CHECK = 500
WALK_SHARE = 4
SCAN_SPEEDUP = 5
_BY_NAME = "c.sort_last_name, c.sort_first_name, c.id"


def _walk_by_name(conn: sqlite3.Connection, plan: "_Plan", limit: int) -> Found | None:
    """The first `limit` matches in Finnish order, walking the name index and testing each
    customer with LIKE; None when the walk would read more than the exact way."""
    budget = plan.expected / (WALK_SHARE * SCAN_SPEEDUP)
    hits: list[int] = []
    walk = conn.cursor()
    walk.row_factory = None  # plain tuples: a Row object for every customer walked costs more
    walk.execute(
        f"SELECT c.id, {plan.matching} FROM customers c INDEXED BY customers_by_name "
        f"ORDER BY {_BY_NAME}",
        plan.params,
    )
    try:
        for walked, (customer_id, hit) in enumerate(walk, start=1):
            if hit:
                hits.append(customer_id)
                if len(hits) > limit:
                    break
            elif walked % WALK_CHECK == 0 and walked * (limit + 1) / max(len(hits), 1) > budget:
                return None
    finally:
        walk.close()
    more = len(hits) > limit
    shown = hits[:limit]
    rows = _whole_rows(conn, shown)
    # Walked to the end: every match was seen, so the count is exact.
    return Found(rows, None if more else len(rows), more)


def _whole_rows(conn: sqlite3.Connection, ids: list[int]) -> list[dict[str, Any]]:
    """The list columns of these customers, in Finnish order."""
    cursor = conn.cursor()
    cursor.row_factory = None
    cursor.execute(
        f"SELECT {_LIST_COLUMNS} FROM customers c {_WITH_ORGANISATION} "
        f"WHERE c.id IN (SELECT value FROM json_each(?)) ORDER BY {_BY_NAME}",
        (json.dumps(ids),),
    )
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor]


# The trigram index in name order (docs/rules.md §3, "The search index in name order";
# platform/search_order.py): its rows come bucket by bucket in Finnish order, the
# unplaced ones last. A search reads the placed matches until it has more than `limit`
# and the bucket ends, and every unplaced match; the first `limit` of those, sorted by
# their keys, are the first `limit` of all. A search that stopped early is counted only
# up to COUNTED_UP_TO matches, so that counting never costs more than the rows did.
COUNTED_UP_TO = 1000
_UNPLACED_FROM = UNPLACED * ROWID_STEP
_LAST_ROWID = _UNPLACED_FROM + ROWID_STEP - 1  # 2**63 - 1, SQLite's largest
# The placed matches in the index's order; LIKE tests the candidates in SQL, so only the
# matches come back to Python.
_PLACED_MATCHES = (
    "SELECT f.rowid, c.id, c.sort_last_name, c.sort_first_name "
    f"FROM customer_search f JOIN customers c ON c.id = f.rowid % {ROWID_STEP} "
    f"WHERE customer_search MATCH ? AND f.rowid < {_UNPLACED_FROM} AND {{matching}} "
    "ORDER BY f.rowid"
)
_Key = tuple[str | None, str | None, int]


def _in_name_order(conn: sqlite3.Connection, plan: "_Plan", limit: int) -> Found:
    """The first `limit` matches of a search the trigram index narrows, in Finnish order."""
    placed, rest = _placed_matches(conn, plan, limit)
    unplaced = _unplaced_matches(conn, plan, limit)
    first = heapq.nsmallest(limit, placed + unplaced, key=_name_order)
    rows = _whole_rows(conn, [key[2] for key in first])
    # Unplaced matches beyond the first `limit` are counted only as far as COUNTED_UP_TO.
    most = max(COUNTED_UP_TO, limit)
    unplaced_count = len(unplaced) if len(unplaced) < limit else _unplaced_up_to(conn, plan, most)
    read = len(placed) + unplaced_count
    if rest is None and unplaced_count <= most:
        return Found(rows, read, more=read > limit)  # every match was read and counted
    if read > COUNTED_UP_TO or rest is None:
        return Found(rows, None, more=True)
    return Found(rows, _counted(conn, plan, rest, read), more=True)


def _placed_matches(
    conn: sqlite3.Connection, plan: "_Plan", limit: int
) -> tuple[list[_Key], int | None]:
    """The placed matches of the buckets up to the one where there are more than `limit`,
    and the rowid the rest begin at (None: there is no rest)."""
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: a Row object per match costs more
    cursor.execute(_PLACED_MATCHES.format(matching=plan.matching), (plan.trigrams, *plan.params))
    matches: list[_Key] = []
    bucket = -1
    try:
        for rowid, customer_id, last, first in cursor:
            if rowid // ROWID_STEP != bucket:
                # A bucket's rows are in id order, not name order: a bucket is read whole.
                if len(matches) > limit:
                    return matches, rowid
                bucket = rowid // ROWID_STEP
            matches.append((last, first, customer_id))
    finally:
        cursor.close()
    return matches, None


# The unplaced matches (platform/search_order.py): every one is read for the first `limit`
# by name, sorted by SQLite's top-N sort as before migration 20.
_UNPLACED_MATCHES = (
    "SELECT c.sort_last_name, c.sort_first_name, c.id "
    f"FROM customer_search f JOIN customers c ON c.id = f.rowid % {ROWID_STEP} "
    f"WHERE customer_search MATCH ? AND f.rowid >= {_UNPLACED_FROM} AND {{matching}} "
    "{tail}"
)


def _unplaced_matches(conn: sqlite3.Connection, plan: "_Plan", limit: int) -> list[_Key]:
    """The first `limit` unplaced matches in name order (after a large import every
    customer may be unplaced until the night)."""
    if not search_order.any_unplaced(conn):  # the usual case after the nightly run
        return []
    cursor = conn.cursor()
    cursor.row_factory = None
    tail = "ORDER BY c.sort_last_name, c.sort_first_name, c.id LIMIT ?"
    cursor.execute(
        _UNPLACED_MATCHES.format(matching=plan.matching, tail=tail),
        (plan.trigrams, *plan.params, limit),
    )
    return [(last, first, customer_id) for last, first, customer_id in cursor]


def _unplaced_up_to(conn: sqlite3.Connection, plan: "_Plan", most: int) -> int:
    """How many unplaced rows match, counted up to one past `most`."""
    query = _UNPLACED_MATCHES.format(matching=plan.matching, tail="LIMIT ?")
    params = (plan.trigrams, *plan.params, most + 1)
    counted = conn.execute(f"SELECT count(*) FROM ({query})", params)
    return int(counted.fetchone()[0])


def _counted(conn: sqlite3.Connection, plan: "_Plan", rest: int, read: int) -> int | None:
    """How many rows match, `read` of them already read and the rest placed from rowid
    `rest` on, when no more than COUNTED_UP_TO do; else None."""
    if read > COUNTED_UP_TO:
        return None
    more = conn.execute(
        "SELECT count(*) FROM (SELECT 1 FROM customer_search f "
        f"JOIN customers c ON c.id = f.rowid % {ROWID_STEP} "
        f"WHERE customer_search MATCH ? AND f.rowid >= ? AND f.rowid < {_UNPLACED_FROM} "
        f"AND {plan.matching} LIMIT ?)",
        (plan.trigrams, rest, *plan.params, COUNTED_UP_TO - read + 1),
    ).fetchone()[0]
    total = read + int(more)
    return None if total > COUNTED_UP_TO else total


def _name_order(key: _Key) -> tuple[bool, str, bool, str, int]:
    """SQLite's order of (sort_last_name, sort_first_name, id): NULL first, then the text
    by code point (the order of its UTF-8 bytes)."""
    last, first, customer_id = key
    return (last is not None, last or "", first is not None, first or "", customer_id)


@dataclass(frozen=True)
class _Plan:
    """How a search finds its rows: LIKE decides (`matching`), an index may narrow first
    (`narrowing`), and `expected` guesses how many rows the narrowing leaves."""

    matching: str
    params: list[Any]
    narrowing: str | None = None
    narrowing_params: list[Any] = field(default_factory=list)
    expected: float = 0.0
    trigrams: str | None = None  # the FTS5 query of the trigram index, when it narrows

    @property
    def where(self) -> str:
        return " AND ".join(filter(None, (self.narrowing, self.matching)))

    @property
    def where_params(self) -> list[Any]:
        return [*self.narrowing_params, *self.params]


def _search_plan(conn: sqlite3.Connection, text: str) -> _Plan:
    """How to find the customers matching the words of `text` (`find_customers`)."""
    validation.readable(text, "text")
    words = fold_for_search(text).split()
    if not words:
        raise InvalidInput(t("text: give at least one word to search for"))
    conditions = ["c.search_text LIKE ? ESCAPE '\\'" for _ in words]
    params: list[Any] = [f"%{_escape_like(word)}%" for word in words]
    # Each alternative's words must all be in a matching row.
    alternatives = [words]
    phone = _as_phone(text)
    if phone is not None:
        # A number typed with spaces or +358 (0)...: its digits, or the whole E.164 form.
        digits = "".join(ch for ch in text if ch.isdigit())
        conditions = ["(c.search_text LIKE ? OR c.search_text LIKE ?)"]
        params = [f"%{digits}%", f"%{phone}%"]
        alternatives = [[digits], [phone]]
    matching = " AND ".join(conditions)
    keyed = None if phone is not None else _email_key_range(words)
    if keyed is not None:
        return _Plan(matching, params, f"c.id IN ({_BY_EMAIL_KEY})", keyed)
    windows = _rarest_windows(conn, alternatives)
    if windows is not None:
        marks = ", ".join("?" for _ in windows)
        return _Plan(matching, params, _BY_DIGITS.format(marks=marks), windows)
    narrowed = [_narrowest_trigrams(conn, words) for words in alternatives]
    if not all(query for query, _rows in narrowed):
        # An alternative without a trigram (words of one or two letters) may match any row.
        return _Plan(matching, params, expected=_customers_up_to(conn))
    query = " OR ".join(f"({query})" for query, _rows in narrowed)
    return _Plan(
        matching,
        params,
        f"c.id IN (SELECT rowid % {ROWID_STEP} FROM customer_search WHERE customer_search MATCH ?)",
        [query],
        expected=sum(rows for _query, rows in narrowed),
        trigrams=query,
    )


def _customers_up_to(conn: sqlite3.Connection) -> float:
    """The highest customer id: at least as many as there are customers, read at once."""
    return float(conn.execute("SELECT max(id) FROM customers").fetchone()[0] or 0)


_BY_DIGITS = "c.id IN (SELECT customer_id FROM customer_search_digits WHERE digits IN ({marks}))"
# A digit window is looked up only when it is in at most this many rows: reading them by id
# costs about as much as the trigram index for an ordinary name, and counting up to it for
# each window of a number stays well under a millisecond (benchmarks/README.md).
RAREST_READ = 1000
_DIGIT_RUN = re.compile(f"[0-9]{{{WINDOW},}}")
_RAREST = (
    "SELECT w.value, (SELECT count(*) FROM (SELECT 1 FROM customer_search_digits "
    "WHERE digits = w.value LIMIT ?)) AS n FROM json_each(?) w ORDER BY n, w.value LIMIT 1"
)


def digit_windows(word: str) -> list[str]:
    """Every run of WINDOW consecutive ASCII digits in `word`, as migration 18 stores those
    of the search text (`040 050` has none: the space breaks the run)."""
    return sorted(
        {run[i : i + WINDOW] for run in _DIGIT_RUN.findall(word)
         for i in range(len(run) - WINDOW + 1)}
    )  # fmt: skip


def _rarest_windows(conn: sqlite3.Connection, alternatives: list[list[str]]) -> list[str] | None:
    """Digit windows whose rows hold every row LIKE can match, or None (look elsewhere).

    A row matches when it holds every word of one alternative (a phone number: its typed
    digits, or its E.164 form). Then it holds every window of those words, so the rows of
    the rarest window of each alternative hold every match. An alternative without a
    window, or whose rarest window is in more than RAREST_READ rows, leaves the search to
    the other indexes (docs/rules.md §3, "the search index").
    """
    picked = []
    for words in alternatives:
        windows = [window for word in words for window in digit_windows(word)]
        if not windows:
            return None
        window, rows = conn.execute(_RAREST, (RAREST_READ + 1, json.dumps(windows))).fetchone()
        if rows > RAREST_READ:
            return None
        picked.append(str(window))
    return picked


_BY_EMAIL_KEY = (
    "SELECT id FROM customers WHERE search_email_key >= ? AND search_email_key < ? "
    f"UNION ALL SELECT id FROM customers WHERE search_email_key = '{ODD}'"
)


def _email_key_range(words: list[str]) -> list[str] | None:
    """The range of email keys (low, high) that holds every row a word with `@` can be in,
    from the word with the longest part before its `@`; None when no word has one."""
    befores = [word.split("@", 1)[0] for word in words if "@" in word]
    before = max(befores, key=len, default="")
    if not before:
        return None
    low = before[::-1]
    # The next code point after the last one (UTF-8 sorts by code point; no surrogates).
    after = ord(low[-1]) + 1
    if after > sys.maxunicode:
        return None
    high = low[:-1] + chr(0xE000 if 0xD800 <= after <= 0xDFFF else after)
    return [low, high]


# Which trigrams narrow a search (`_narrowest_trigrams`). The index keeps no positions
# (detail=none), so ANDing trigrams reads each one's whole list of rows: about 36 ns a
# row, while a row left over costs about a microsecond for LIKE to read and test. At
# 1,000,000 customers `yri` is in 333,334 rows (12 ms to read) and `667` in 4,367
# (0.2 ms); `yritys 6667` read all its trigrams in 11.5 ms, its two rarest in 0.5 ms
# (benchmarks/README.md, "customer search").
PROBE_ROWS = 100  # rows read of each trigram to guess how many rows hold it
PROBED_TRIGRAMS = 8  # a long search probes this many of its trigrams, spread over it
ROW_COST = 28  # a row left for LIKE costs as much as this many index entries read
_PROBE = (
    "SELECT rowid FROM customer_search WHERE customer_search MATCH ? "
    "AND rowid BETWEEN ? AND ? ORDER BY rowid {} LIMIT ?"
)


def _quoted(gram: str) -> str:
    return '"' + gram.replace('"', '""') + '"'


def _narrowest_trigrams(conn: sqlite3.Connection, words: list[str]) -> tuple[str, float]:
    """An FTS5 query for rows holding the trigrams of `words` that narrow the search
    most for what they cost to read ('' when no word has three letters), and how many
    rows are expected to match (`_expected_matches`).

    Every row LIKE can match holds every trigram of every word, so any of them narrows
    correctly; the rest is cost. How many rows hold a trigram is guessed from its first
    and last PROBE_ROWS rows in the index (`_rows_holding`). In the order of
    `_words_first`, after the first, a trigram is added when reading its rows costs less
    than the rows it is expected to rule out would cost LIKE (ROW_COST), as if trigrams
    were independent.
    """
    grams = probed_trigrams(words)
    if not grams:
        return "", 0.0
    top = _customers_up_to(conn) or 1.0
    unplaced = search_order.any_unplaced(conn)  # asked once, not for every trigram
    holding = {gram: _rows_holding(conn, gram, top, unplaced) for gram in grams}
    guessed = _words_first(words, holding)
    rows, chosen = guessed[0]
    picked, left = [chosen], float(rows)
    for rows, gram in guessed[1:]:
        ruled_out = left * (1 - rows / top)
        if rows < ruled_out * ROW_COST:
            picked.append(gram)
            left -= ruled_out
    query = " AND ".join(_quoted(gram) for gram in sorted(picked))
    return query, _expected_matches(words, holding, top)


def _words_first(words: list[str], holding: dict[str, float]) -> list[tuple[float, str]]:
    """The probed trigrams in the order they are weighed: the rarest of each word first,
    rarest first, then the others, rarest first. The trigrams of one word go together
    (every `helmi` holds `hel`, `elm` and `lmi`), so weighed as independent a word's
    second and third would look as if they ruled out what only another word's trigram
    does: `helmi virtanen` read every Helmi for the Virtanens among them."""
    rarest = {
        min((holding[gram], gram) for gram in _trigrams_in_order(word) if gram in holding)
        for word in words
        if any(gram in holding for gram in _trigrams_in_order(word))
    }
    rest = {(rows, gram) for gram, rows in holding.items()} - rarest
    return sorted(rarest) + sorted(rest)


def _expected_matches(words: list[str], holding: dict[str, float], top: float) -> float:
    """How many rows hold every word, guessed: a word is in about as many rows as its
    rarest probed trigram (the trigrams of one word go together: every `matti` holds
    `mat`, `att` and `tti`), and different words are taken as independent (`matti
    virtanen`: a tenth of an eighth)."""
    expected = top
    for word in words:
        rows = [holding[gram] for gram in _trigrams_in_order(word) if gram in holding]
        if rows:
            expected *= min(rows) / top
    return expected


def probed_trigrams(words: list[str]) -> list[str]:
    """The trigrams a search probes: at most PROBED_TRIGRAMS, spread over each word and
    taken from every word in turn, so a short rare word is probed beside long ones."""
    each = [grams for grams in map(_trigrams_in_order, words) if grams]
    quota = -(-PROBED_TRIGRAMS // max(len(each), 1))  # a fair share of each word, rounded up
    spread = [_spread(grams, quota) for grams in each]
    picked: list[str] = []
    for turn in range(PROBED_TRIGRAMS):
        for grams in spread:
            if turn < len(grams) and grams[turn] not in picked:
                picked.append(grams[turn])
    return picked[:PROBED_TRIGRAMS]


def _trigrams_in_order(word: str) -> list[str]:
    return list(dict.fromkeys(word[i : i + 3] for i in range(len(word) - 2)))


def _spread(items: list[str], most: int) -> list[str]:
    """At most `most` of `items`, evenly spaced, the first and the last among them."""
    if len(items) <= most:
        return items
    if most == 1:
        return items[:1]
    step = (len(items) - 1) / (most - 1)
    return [items[round(i * step)] for i in range(most)]


def _rows_holding(
    conn: sqlite3.Connection, gram: str, top: float, unplaced: bool | None = None
) -> float:
    """How many rows hold `gram` (at most `top`): exact under PROBE_ROWS, else guessed
    from its first and last PROBE_ROWS rows in the index (docs/rules.md §3, "Which
    trigrams a search reads"), the placed and the unplaced rows each on their own.

    The index's rows are in name order (migration 20), and a trigram's rows cluster
    there (a surname's): the first rows alone would say nothing of a cluster further
    on. With both ends: when they meet, the rows are counted; else the rows of the two
    ends are spread over the places in name order between them: for placed rows, the
    buckets (a bucket from its number up to the next placed one), for unplaced rows,
    which lie past every placed one, their ids."""
    rows = _rows_between(conn, gram, 0, _UNPLACED_FROM - 1, _bucket_places(conn))
    if unplaced is None:  # whether any customer is unplaced: a search asks once
        unplaced = search_order.any_unplaced(conn)
    if unplaced:
        rows += _rows_between(conn, gram, _UNPLACED_FROM, _LAST_ROWID, _id_places)
    return min(top, rows)


_Places = Callable[[int, int], tuple[int, int]]


def _bucket_places(conn: sqlite3.Connection) -> _Places:
    """The places in name order from the first to the last of some placed rows: from the
    first's bucket up to the placed bucket after the last's. Rowids would not do: within
    a bucket they differ by the ids, from one bucket to the next by SPACING * 2**32."""

    def places(first: int, last: int) -> tuple[int, int]:
        bucket = last // ROWID_STEP
        # The last placed bucket ends where the next would be numbered.
        end = min(search_order.bucket_after(conn, bucket), bucket + search_order.SPACING)
        return first // ROWID_STEP, end

    return places


def _id_places(first: int, last: int) -> tuple[int, int]:
    return first, last + 1


def _rows_between(
    conn: sqlite3.Connection, gram: str, low: int, high: int, places: _Places
) -> float:
    """_rows_holding of the rows from rowid `low` to `high`."""
    first = _probe(conn, gram, "ASC", low, high)
    if len(first) < PROBE_ROWS:
        return float(len(first))
    last = _probe(conn, gram, "DESC", low, high)
    if last[-1] <= first[-1]:  # the two ends overlap: every row was seen
        return float(len(set(first) | set(last)))
    if first[0] // ROWID_STEP == last[0] // ROWID_STEP:  # one bucket: its rows go by id
        places = _id_places
    start, first_end = places(first[0], first[-1])
    last_start, end = places(last[-1], last[0])
    covered = (first_end - start) + (end - last_start)
    # The ends did not meet: at least their own rows are there.
    return max(2 * PROBE_ROWS * (end - start) / max(covered, 1), 2.0 * PROBE_ROWS)


def _probe(conn: sqlite3.Connection, gram: str, order: str, low: int, high: int) -> list[int]:
    query = _PROBE.format(order)
    return [int(row[0]) for row in conn.execute(query, (_quoted(gram), low, high, PROBE_ROWS))]


def _as_phone(text: str) -> str | None:
    """The E.164 form when the search text is a phone number, else None."""
    stripped = text.strip()
    if sum(ch.isdigit() for ch in stripped) < 6 or not set(stripped) <= set("+0123456789 ()-"):
        return None
    try:
        return validation.normalise_phone(stripped)
    except InvalidInput:
        return None


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
