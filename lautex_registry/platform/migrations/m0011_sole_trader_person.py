"""Migration 11: the customer a sole trader's business is."""

# A sole trader's business is one person, its trader (GDPR Art. 4(1)): it goes when that
# customer is erased or anonymised, whoever else is linked to it. Businesses recorded
# before keep no trader and go with their last contact, as before.
DESCRIPTION = "the customer a sole trader's business is"
STATEMENTS: tuple[str, ...] = (
    "ALTER TABLE organisations ADD COLUMN trader_id INTEGER "
    "REFERENCES customers(id) ON DELETE SET NULL",
    "CREATE INDEX organisations_trader ON organisations(trader_id)",
)
