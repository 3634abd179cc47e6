"""Migration 8: emails and organisation names compared in full Unicode."""

# Emails and organisation names compare after NFC and full Unicode case folding
# (`ÄIJÄLÄ@example.fi` is `äijälä@example.fi`), which COLLATE NOCASE does only for
# ASCII. The unique NOCASE indexes stay; these partial indexes hold just the values
# with a character outside printable ASCII, so the code compares those few by their
# folded form without reading the whole table. Duplicates stored before this
# migration are kept (nothing is lost); new writes are refused (README "Input rules").
DESCRIPTION = "emails and organisation names compared in full Unicode"
STATEMENTS: tuple[str, ...] = (
    "CREATE INDEX IF NOT EXISTS customers_email_unicode ON customers(email) "
    "WHERE email GLOB '*[^ -~]*'",
    "CREATE INDEX IF NOT EXISTS organisations_name_unicode ON organisations(name) "
    "WHERE name GLOB '*[^ -~]*'",
)
