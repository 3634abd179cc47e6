"""Erasure and retention: what may go now and what a hold keeps, erasing and
anonymising customers, the nightly retention job, and backups that never bring
erased data back.

May import: `platform`, `records`, `statement`, `rights`, `marketing`.
"""
