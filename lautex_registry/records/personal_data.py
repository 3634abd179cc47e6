"""Where personal data lives: the one map that the access export, erasure,
anonymisation and retention code and their tests all work from.

Every table of the schema is listed here, either with the columns that can hold
personal data about a customer (or a requester) and the column that links a row
to the customer, or as holding none, with the reason. A test walks the schema
and fails when a table or a text column is missing from this map, so a new table
cannot slip past the access export (GDPR Art. 15) or erasure (Art. 17).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class PersonalTable:
    table: str
    customer_link: str | None  # the column that names the customer; None: the row is the customer
    columns: tuple[str, ...]  # columns that hold personal values
    why: str


# Columns that are another column of the same row in another form: migration 19's sort
# keys of the names (docs/rules.md §3, "Names in Finnish order, stored"). The statement
# lists each with the column it copies, so a register whose settings predate it still
# names it in words.
COPIES = {
    "customers.sort_first_name": "customers.first_name",
    "customers.sort_last_name": "customers.last_name",
    # Migration 20: the name's place in Finnish order (platform/search_order.py).
    "customers.name_bucket": "customers.last_name",
}

PERSONAL_TABLES: tuple[PersonalTable, ...] = (
    PersonalTable(
        "customers",
        None,
        (
            "first_name",
            "last_name",
            "email",
            "phone",
            "street",
            "postal_code",
            "city",
            "notes",
            "search_text",
            "search_email_key",
            "sort_first_name",
            "sort_last_name",
            "name_bucket",
            "source_detail",
        ),
        "the person's identity and contact data (docs/privacy-statement.md P1)",
    ),
    PersonalTable(
        "invoices",
        "customer_id",
        (
            "billing_name",
            "billing_organisation",
            "billing_street",
            "billing_postal_code",
            "billing_city",
            "billing_country",
        ),
        "vouchers keep what was billed (Accounting Act ch. 2 sec. 10)",
    ),
    PersonalTable(
        "orders", "customer_id", (), "previous orders (docs/privacy-statement.md P1), linked by id"
    ),
    PersonalTable(
        "requests",
        "customer_id",
        (
            "requester_name",
            "requester_email",
            "requester_address",
            "note",
            "done_outside",
            "reasons",
            "extension_reason",
            "unfounded_justification",
            "identity_method",
        ),
        "data subject requests and their handling",
    ),
    PersonalTable("documents", "customer_id", (), "letters and exports handed out: hash only"),
    PersonalTable("disclosures", "customer_id", ("legal_reference",), "who received what"),
    PersonalTable("notices", "customer_id", ("source",), "Art. 19 notices to sources/recipients"),
    PersonalTable("restrictions", "customer_id", ("reason",), "Art. 18 restrictions"),
    PersonalTable("supplements", "customer_id", ("text",), "Art. 16 supplementary statements"),
    PersonalTable(
        "objections",
        "customer_id",
        (),
        "objections and publication bans (docs/privacy-statement.md P3, P9)",
    ),
    PersonalTable("consents", "customer_id", ("source",), "marketing consents (917/2014 s. 200)"),
    # Ids only, no personal value: which import run stored the person (where the data came
    # from, shown in the access export); the row goes with the customer (docs/rules.md §6).
    PersonalTable(
        "import_run_customers", "customer_id", (), "the import run that stored the person"
    ),
)

NON_PERSONAL_TABLES: dict[str, str] = {
    "meta": "register id and secret",
    "settings": "the statement's content and the policy",
    "_sqlite_migrations": "schema history (sqlite-utils' migration ledger)",
    "users": "the company's own staff accounts, not register subjects",
    "sessions": "staff sessions (token hashes)",
    "audit_log": "ids, field names and counts only, never personal values",
    # GDPR Art. 4(1): a sole trader's name and business ID are the person's: erasure/erase.py
    # removes such an organisation with its trader (`trader_id`; none recorded: its last
    # contact), and the access export shows it.
    "organisations": "legal persons: name and business id (a sole trader's go with the person)",
    "order_lines": "products and prices of an order",
    "suppression": "keyed HMACs only, not reversible without the register's secret",
    "recipients": "companies and authorities that receive data",
    "retention_runs": "counts per policy",
    "register_counts": "totals per state and year for status: numbers only",
    # The copies themselves hold personal data; their retention is [retention] backup_days.
    "backups": "a backup copy's file name (the moment it was made), folder, hash and size",
    # docs/rules.md §6: an import's batches and what they stored, by id; the links go with
    # the customer or organisation on erasure (ON DELETE CASCADE).
    "import_runs": "an import's times, state, counts, options and the file's SHA-256",
    "import_run_organisations": "ids only: which import run created an organisation",
}


@dataclass(frozen=True)
class PersonalIndex:
    """An index over personal columns: a copy of them in pieces, kept in its own tables
    (SQLite's shadow tables of an FTS5 index, or a B-tree table of ours kept by triggers,
    whose `customer_link` names the customer)."""

    table: str
    source: str  # "table.column" the index is built from, row by row
    shadow_tables: tuple[str, ...]
    why: str
    # None: an FTS5 index, whose rowid names the customer (`customers.search_rowid`: the
    # id and the name's place in order, migration 20)
    customer_link: str | None = None


# docs/rules.md §5: the index holds the person's data as trigrams. Triggers on customers
# take a row's tokens out in the transaction that erases or anonymises it (and the
# retention job, which anonymises the same way); the index has FTS5's `secure-delete` on
# (migration 17), so they go from the pages that held them, not only from the index's
# view, and no old segment of the file keeps them. The access export
# shows the columns the index is built from (`search_text` is itself a folded copy of
# them), so the index adds nothing the person cannot see. `customers.search_email_key` (the
# email-like word of `search_text`, partly reversed, for `customer search`, docs/rules.md §3)
# is a column of the customer row above: cleared and deleted with it, its B-tree entries
# overwritten by secure_delete (docs/rules.md §5).
PERSONAL_INDEXES: tuple[PersonalIndex, ...] = (
    PersonalIndex(
        "customer_search",
        "customers.search_text",
        (
            "customer_search_data",
            "customer_search_idx",
            "customer_search_docsize",
            "customer_search_config",
        ),
        "`customer search`: the trigrams of each customer's name, email, phone and "
        "organisation (docs/rules.md §3)",
    ),
    # Migration 18: every six digits in a row of search_text (a phone number in pieces),
    # an ordinary B-tree kept by triggers on customers like the index above: a row's
    # windows go in the transaction that clears or deletes its search text, and
    # secure_delete overwrites their cells (docs/rules.md §5); no optimisation needed.
    PersonalIndex(
        "customer_search_digits",
        "customers.search_text",
        (),
        "`customer search`: the six-digit windows of each customer's search text "
        "(docs/rules.md §3)",
        customer_link="customer_id",
    ),
)


def personal_table(name: str) -> PersonalTable:
    for entry in PERSONAL_TABLES:
        if entry.table == name:
            return entry
    raise KeyError(name)
