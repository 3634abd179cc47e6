"""Erasure and retention: what may go now and what a hold keeps (`holds`, `plan`),
erasing and anonymising customers (`erase`), making it physical (`cleanup`), the
nightly retention job (`retention`), and backups that never bring erased data back
(`backups`).

May import: `platform`, `records`, `statement`, `rights`, `marketing`.
"""
