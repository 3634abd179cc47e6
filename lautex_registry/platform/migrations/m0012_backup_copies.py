"""Migration 12: the backup copies made by the policy."""

# The copies `lautex backup` makes by the policy: where, when, their SHA-256 and size, whether
# encrypted and verified, and when they were deleted. No personal data: a copy's name is made
# of the moment it was taken; an off-site location is the folder the admin named.
DESCRIPTION = "backup copies made by the policy"
STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE backups (
        id INTEGER PRIMARY KEY,
        file_name TEXT NOT NULL,
        location TEXT NOT NULL,
        made_at TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        encrypted INTEGER NOT NULL CHECK (encrypted IN (0, 1)),
        verified_at TEXT,
        deleted_at TEXT,
        deleted_reason TEXT
    )""",
    "CREATE INDEX backups_location_file ON backups(location, file_name)",
)
