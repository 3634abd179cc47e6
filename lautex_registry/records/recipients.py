"""Recipients: the companies and authorities the register's data may be disclosed to.

The privacy statement (docs/privacy-statement.md P5): data is disclosed only for credit decisions,
debt
collection, billing, value-added service providers, or where law requires it,
and not outside the EU/EEA. Each recipient is registered once with the purposes
it may receive data for and its country; `disclosures.record_disclosure` checks
every disclosure against this row.
"""

from typing import Any, cast

from lautex_registry.platform import audit, characters, validation
from lautex_registry.platform.clock import timestamp
from lautex_registry.platform.errors import Conflict, InvalidInput, Message, NotFound, Refused, t
from lautex_registry.platform.sqlite import sqlite3

KINDS = ("processor", "third-party", "authority")

# The statement's list of permitted disclosures (docs/privacy-statement.md P5). Marketing is
# deliberately absent.
PURPOSES = ("billing", "collection", "credit-decision", "value-added-service", "legal-obligation")

# Named so that a request to disclose for marketing is refused as a rule (exit 4), not a typo.
MARKETING_PURPOSES = frozenset(
    {"marketing", "direct-marketing", "direct-advertising", "advertising", "distance-selling"}
)

# GDPR Art. 44-46: a transfer outside the EU/EEA needs an adequacy decision (Art. 45) or
# appropriate safeguards (Art. 46). Within the EU/EEA data moves freely: the 27 EU member
# states (Art. 52 TEU) and the EEA states Iceland, Liechtenstein and Norway (EEA Agreement,
# GDPR incorporated by EEA Joint Committee Decision 154/2018). ISO 3166-1 alpha-2 codes;
# Greece is GR in ISO (the EU's own "EL" is accepted as an alias).
EU_COUNTRIES = frozenset(
    {
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
        "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
    }
)  # fmt: skip
EEA_ONLY_COUNTRIES = frozenset({"IS", "LI", "NO"})
EU_EEA_COUNTRIES = EU_COUNTRIES | EEA_ONLY_COUNTRIES


def in_eu_eea(country_code: str) -> bool:
    return country_code in EU_EEA_COUNTRIES


def parse_purposes(values: list[str]) -> list[str]:
    """Purposes from repeated or comma-separated options, each one of PURPOSES, in order."""
    return validation.distinct_items(
        values, _permitted_purpose, t("purpose: at least one purpose is required")
    )


def _permitted_purpose(purpose: str) -> tuple[str]:
    if purpose in MARKETING_PURPOSES:
        raise Refused(
            t(
                "purpose: {purpose}: the privacy statement never permits disclosing "
                "customer data for marketing (P5)",
                purpose=characters.excerpt(purpose),
            )
        )
    if purpose not in PURPOSES:
        raise InvalidInput(
            t(
                "purpose: {purpose} is not a permitted disclosure purpose; the privacy "
                "statement permits {purposes}",
                purpose=characters.excerpt(purpose),
                purposes=", ".join(PURPOSES),
            )
        )
    return (purpose,)


def purposes_of(row: sqlite3.Row) -> list[str]:
    return [p for p in str(row["purposes"]).split(",") if p]


def normalise_country(text: str) -> str:
    """The ISO code (validation.country maps EL to GR and UK to GB)."""
    return validation.country(text)


def transfer_refusal(name: str, country_code: str, transfer_basis: str | None) -> Message | None:
    """Why a recipient in this country may not receive data, or None when it may."""
    if in_eu_eea(country_code) or transfer_basis:
        return None
    # GDPR Art. 44: no transfer to a third country without Art. 45/46 grounds.
    return t(
        "{name} is in {country_code}, outside the EU/EEA: a transfer needs a recorded "
        "basis (an adequacy decision, GDPR Art. 45, or appropriate safeguards such as "
        "standard contractual clauses, Art. 46): add --transfer-basis",
        name=name,
        country_code=country_code,
    )


def add_recipient(
    conn: sqlite3.Connection,
    actor: audit.Actor,
    name: str,
    kind: str,
    purposes: list[str],
    country_code: str,
    transfer_basis: str | None = None,
) -> int:
    """Register a recipient; call inside a transaction (checked). Returns its id."""
    clean_name = validation.required_text(name, "name")
    validation.choice(kind, KINDS, "kind")
    chosen = parse_purposes(purposes)
    code = normalise_country(country_code)
    basis = validation.optional_text(transfer_basis, "transfer_basis", max_length=500)
    refusal = transfer_refusal(clean_name, code, basis)
    if refusal:
        raise Refused(refusal)
    existing = recipient_by_name(conn, clean_name)
    if existing:
        raise Conflict(
            t(
                "name: a recipient named {name} already exists (id {id})",
                name=characters.excerpt(existing["name"]),
                id=existing["id"],
            )
        )
    cursor = conn.execute(
        """INSERT INTO recipients (name, kind, purposes, country, transfer_basis, created_at)
           VALUES (?, ?, ?, ?, ?, ?)""",
        (clean_name, kind, ",".join(chosen), code, basis, timestamp()),
    )
    recipient_id = int(cursor.lastrowid or 0)
    audit.record(
        conn,
        actor,
        "recipient add",
        "recipient",
        recipient_id,
        {
            "kind": kind,
            "purposes": chosen,
            "country": code,
            "transfer_basis": basis is not None,
        },
    )
    return recipient_id


def recipient_by_name(conn: sqlite3.Connection, name: str) -> sqlite3.Row | None:
    """The recipient of this name after NFC and case folding (a handful of rows: a scan)."""
    key = validation.comparison_key(name)
    for row in conn.execute("SELECT * FROM recipients ORDER BY id"):
        if validation.comparison_key(row["name"]) == key:
            return cast(sqlite3.Row, row)
    return None


def resolve_recipient(conn: sqlite3.Connection, ref: str | int) -> sqlite3.Row:
    """A recipient by id or by name (case-insensitive)."""
    text = str(ref).strip()
    row: sqlite3.Row | None = None
    if validation.is_record_id(text):
        recipient_id = validation.record_id(text, "recipient")
        row = conn.execute("SELECT * FROM recipients WHERE id = ?", (recipient_id,)).fetchone()
    if row is None:
        row = recipient_by_name(conn, text)
    if row is None:
        raise NotFound(
            t("no recipient {text}: see `lautex recipient list`", text=characters.excerpt(text))
        )
    return row


def get_recipient(conn: sqlite3.Connection, recipient_id: int) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM recipients WHERE id = ?", (recipient_id,)
    ).fetchone()
    if row is None:
        raise NotFound(t("no recipient with id {recipient_id}", recipient_id=recipient_id))
    return row


def recipient_record(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "kind": row["kind"],
        "purposes": purposes_of(row),
        "country": row["country"],
        "eu_eea": in_eu_eea(row["country"]),
        "transfer_basis": row["transfer_basis"],
        "created_at": row["created_at"],
    }


def list_recipients(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [
        recipient_record(row)
        for row in conn.execute("SELECT * FROM recipients ORDER BY finnish(name)")
    ]
