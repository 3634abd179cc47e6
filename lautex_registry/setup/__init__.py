"""Setting a register up: creating the file with its first administrator, and putting a
settings file in force.

Settings are checked by doing what they are for: the retention policy is parsed with
its legal floors and the privacy statement and record of processing are rendered in
both languages (docs/privacy-statement.md P12). That needs the statement and the
erasure packages, so it lives here, above them, and `platform.settings` only stores
and reads settings.

May import: every domain package; nothing imports this package but `demo` and `cli`.
"""
