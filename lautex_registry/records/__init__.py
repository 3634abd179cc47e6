"""The register's records: customers, organisations, orders, invoices, the recipients
data is handed to and the disclosures made to them, and the map of where personal
data lives (`personal_data`), which every other part works from.

Objections are records too (GDPR Art. 21): `customer show` and the access export list
them, and the keyed suppression list keeps an erased objector's objections so that they
apply again when the person's address comes back, which `customers` checks on every
write of an email or phone (docs/rules.md §2).

May import: `platform`.
"""
