"""Marketing: the lists and mailing labels, which obey every objection and the
publication ban (the objections themselves are records: `records.objections`).

May import: `platform`, `records`, `statement`, `rights`.
"""
