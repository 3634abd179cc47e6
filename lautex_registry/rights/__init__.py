"""Data subject rights: requests and their deadlines, the access export, rectification,
restriction, notices to recipients, reply letters and refusal certificates.

May import: `platform`, `records`, `statement`.
"""
