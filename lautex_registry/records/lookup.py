"""Finding a customer, an organisation and the request a command answers: the one place
that does it (an email or an organisation's name in any case, compared in full Unicode).

Every command that names a customer (`42` or an email) or takes `--request` comes
here, so each condition has one wording in the README's `field: reason` form and one
exit code (README "Exit codes"):

- no such customer or request: exit 3 (`request: no request with id 7`);
- a request of another kind or about another customer: exit 2
  (`request: 7 is a rectification request, not an erasure request`,
  `request: 7 is about customer 3, not 5`);
- a request that is already closed: exit 4, refused by a rule (`request: 7 is closed
  (completed)`): a closed request is never answered twice (GDPR Art. 12(3)).
"""

import re
from collections.abc import Collection
from typing import cast

from lautex_registry.platform import characters, validation
from lautex_registry.platform.errors import InvalidInput, Message, NotFound, Refused, t
from lautex_registry.platform.sqlite import sqlite3


def customer_row(conn: sqlite3.Connection, customer_id: int) -> sqlite3.Row:
    """The customer with this id; NotFound (exit 3) otherwise."""
    row = conn.execute("SELECT * FROM customers WHERE id = ?", (customer_id,)).fetchone()
    if row is None:
        raise NotFound(t("customer: no customer with id {id}", id=customer_id))
    return cast(sqlite3.Row, row)


def resolve_customer(conn: sqlite3.Connection, ref: str) -> sqlite3.Row:
    """The customer named by id (`42`) or email (any case); NotFound otherwise."""
    value = validation.readable(ref.strip(), "customer")
    if validation.is_record_id(value):
        return customer_row(conn, validation.record_id(value, "customer"))
    if "@" in value:
        by_email = customer_id_by_email(conn, value)
        row = None
        if by_email is not None:
            row = conn.execute("SELECT * FROM customers WHERE id = ?", (by_email,)).fetchone()
        if row is None:
            raise NotFound(
                t("customer: no customer with email {email}", email=characters.excerpt(value))
            )
        return cast(sqlite3.Row, row)
    raise InvalidInput(
        t(
            "customer: {value} is neither a customer id nor an email address",
            value=characters.excerpt(value),
        )
    )


def _a_request(kind: str) -> Message:
    """`an access request`, `a rectification request`: the kind is the code a clerk types."""
    phrase = t("an {kind} request") if kind[:1] in "aeiou" else t("a {kind} request")
    return phrase.filled(kind=kind)


def _either(kinds: Collection[str]) -> Message:
    """`an access request or a rectification request`, each part translated."""
    phrases = [_a_request(kind) for kind in kinds]
    wanted = phrases[0]
    for phrase in phrases[1:]:
        wanted = t("{one} or {other}", one=wanted, other=phrase)
    return wanted


def request_for(
    conn: sqlite3.Connection,
    request_id: int,
    customer_id: int,
    *,
    kinds: Collection[str] = (),
    open_only: bool = False,
    unlinked: bool = False,
) -> sqlite3.Row:
    """The request `--request` names, checked to answer this customer's matter.

    `kinds`: the kinds the command answers (empty: any); `open_only`: a closed request
    is refused; `unlinked`: a request not yet linked to any customer is accepted.
    """
    row = request_row(conn, request_id)
    if kinds and row["kind"] not in kinds:
        raise InvalidInput(
            t(
                "request: {request_id} is {a_request}, not {wanted}",
                request_id=request_id,
                a_request=_a_request(row["kind"]),
                wanted=_either(kinds),
            )
        )
    about = row["customer_id"]
    if about != customer_id and not (unlinked and about is None):
        if about is None:
            raise InvalidInput(
                t(
                    "request: {request_id} is about no customer, not {customer_id}",
                    request_id=request_id,
                    customer_id=customer_id,
                )
            )
        raise InvalidInput(
            t(
                "request: {request_id} is about customer {about}, not {customer_id}",
                request_id=request_id,
                about=about,
                customer_id=customer_id,
            )
        )
    if open_only:
        refuse_closed(row)
    return row


def request_row(conn: sqlite3.Connection, request_id: int) -> sqlite3.Row:
    """The request with this id; NotFound (exit 3) otherwise."""
    row = conn.execute("SELECT * FROM requests WHERE id = ?", (request_id,)).fetchone()
    if row is None:
        raise NotFound(t("request: no request with id {id}", id=request_id))
    return cast(sqlite3.Row, row)


def refuse_closed(row: sqlite3.Row) -> None:
    """Refused (exit 4) when the request is closed: it was answered once already."""
    if row["state"] != "open":
        raise Refused(
            t("request: {id} is closed ({outcome})", id=row["id"], outcome=row["outcome"])
        )


# --- looking things up ---------------------------------------------------------------------


# The rows of the partial indexes of migration 8: values with a character outside
# printable ASCII, the only ones NOCASE may fail to match.
UNICODE_EMAILS = "SELECT id, email FROM customers WHERE email GLOB '*[^ -~]*'"
UNICODE_ORGANISATION_NAMES = "SELECT id, name FROM organisations WHERE name GLOB '*[^ -~]*'"
ORGANISATION_BY_NAME = "SELECT id FROM organisations WHERE name = ? COLLATE NOCASE"


def nocase_spellings(value: str, key: str | None = None) -> tuple[str, ...]:
    """What to look a value up with in a NOCASE index: as given, and its comparison key
    when that is plain ASCII but not the value (`STRAßE@` -> `strasse@`, `ﬁ` -> `fi`, a
    no-break space -> a space), which a stored ASCII value then matches. `key` is the
    value's comparison key when the caller has it already."""
    if key is None:
        key = validation.comparison_key(value)
    if key.isascii() and key != value.lower():
        return (value, key)
    return (value,)


def _by_nocase(conn: sqlite3.Connection, query: str, value: str) -> int | None:
    for spelling in nocase_spellings(value):
        found = conn.execute(query, (spelling,)).fetchone()
        if found is not None:
            return int(found[0])
    return None


def customer_id_by_email(conn: sqlite3.Connection, email: str) -> int | None:
    """The customer with this email in any case, compared in full Unicode (README: "any case")."""
    # COLLATE NOCASE matches the index customers_email, so this is an index look-up.
    found = _by_nocase(conn, "SELECT id FROM customers WHERE email = ? COLLATE NOCASE", email)
    return found if found is not None else _by_key(conn, UNICODE_EMAILS, email)


def _by_key(conn: sqlite3.Connection, candidates: str, value: str) -> int | None:
    key = validation.comparison_key(value)
    for row_id, text in conn.execute(candidates):
        if validation.comparison_key(text) == key:
            return int(row_id)
    return None


def organisation_id_by_name(conn: sqlite3.Connection, name: str) -> int | None:
    """The organisation with this name after NFC and case folding (`PUUTALO ÄÖ OY`)."""
    validation.readable(name, "org")
    found = _by_nocase(conn, ORGANISATION_BY_NAME, name)
    return found if found is not None else _by_key(conn, UNICODE_ORGANISATION_NAMES, name)


# A business ID as typed (docs/rules.md §2 "Formats"); its check digit is verified.
_BUSINESS_ID_SHAPE = re.compile(r"[0-9]{7}-[0-9]\Z")


def resolve_organisation_id(conn: sqlite3.Connection, ref: str) -> int:
    """The id of the organisation named by id, business ID (`1019945-5`) or name (any case);
    NotFound otherwise."""
    value = validation.readable(ref.strip(), "org")
    if _BUSINESS_ID_SHAPE.match(value):
        business_id = validation.business_id(value, "org")
        row = conn.execute(
            "SELECT id FROM organisations WHERE business_id = ?", (business_id,)
        ).fetchone()
        if row is None:
            raise NotFound(
                t(
                    "org: no organisation with business ID {business_id} in this register "
                    "(`lautex org list` lists those it has)",
                    business_id=business_id,
                )
            )
        return int(row[0])
    if validation.is_record_id(value):
        organisation_id = validation.record_id(value, "org")
        row = conn.execute(
            "SELECT id FROM organisations WHERE id = ?", (organisation_id,)
        ).fetchone()
    else:
        found = organisation_id_by_name(conn, value)
        row = None if found is None else (found,)
    if row is None:
        raise NotFound(
            t(
                "org: no organisation {value}: add it first with `lautex org add`",
                value=characters.excerpt(value),
            )
        )
    return int(row[0])


def customer_references(conn: sqlite3.Connection, prefix: str, limit: int) -> list[str]:
    """At most `limit` ways to name a customer that start with `prefix`: ids for digits,
    email addresses (any case) otherwise, for `lautex shell`'s completion.

    Index ranges only, never a scan (docs/rules.md §3): ids `7`, `70-79`, `700-799`, ...
    on the primary key, emails on `customers_email`. Nothing for an empty prefix, and
    only active customers: a restricted or anonymised person is not offered (`+state`:
    the state is checked on the rows found, not looked up by its index).
    """
    if not prefix:
        return []
    if prefix.isascii() and prefix.isdigit():
        return _ids_starting(conn, prefix, limit)
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = conn.execute(
        "SELECT email FROM customers WHERE email LIKE ? ESCAPE '\\' AND +state = 'active'"
        " ORDER BY email COLLATE NOCASE LIMIT ?",
        (escaped + "%", limit),
    )
    return [str(row[0]) for row in rows]


def _ids_starting(conn: sqlite3.Connection, prefix: str, limit: int) -> list[str]:
    if prefix.startswith("0"):
        return []  # no id is written with a leading zero
    highest = conn.execute("SELECT max(id) FROM customers").fetchone()[0] or 0
    found: list[str] = []
    low, high = int(prefix), int(prefix)
    while low <= highest and len(found) < limit:
        rows = conn.execute(
            "SELECT id FROM customers WHERE id BETWEEN ? AND ? AND +state = 'active'"
            " ORDER BY id LIMIT ?",
            (low, high, limit - len(found)),
        )
        found += [str(row[0]) for row in rows]
        low, high = low * 10, high * 10 + 9
    return found
