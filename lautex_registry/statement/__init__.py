"""What the register tells people about itself: the privacy statement, the record of
processing, and the Art. 13-15 information (purposes, recipients, retention) that the
reply letters quote from the same settings (docs/privacy-statement.md).

May import: `platform`, `records`.
"""
