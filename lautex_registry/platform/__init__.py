"""The platform every other part of the register stands on.

The clock and the business date, the SQLite connection and its transactions, the
errors and their exit codes, validation and escaping, the files the tool reads and
writes, the schema and its migrations, the register's identity and settings,
accounts, sessions and the audit trail, document rendering, and the erasure journal
kept beside the register file.

May import: the standard library and third-party packages only. Nothing here knows
about customers, requests or marketing.
"""
