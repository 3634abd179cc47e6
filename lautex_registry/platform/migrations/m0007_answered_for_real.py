"""Migration 7: sole traders; what answered a request; the requester's contact kept
for the reply."""

DESCRIPTION = "sole traders; what answered a request; the requester's contact kept for the reply"
STATEMENTS: tuple[str, ...] = (
    # A sole trader's business (toiminimi) is the person: its name and business ID
    # are personal data and go with the person.
    "ALTER TABLE organisations ADD COLUMN sole_trader INTEGER NOT NULL DEFAULT 0",
    # GDPR Art. 12(3), 17(3)(b): the postal address the reply goes to (name and email
    # are requester_name/requester_email), kept after the person is erased.
    "ALTER TABLE requests ADD COLUMN requester_address TEXT",
    # What was done by other means when a request was completed outside the register.
    "ALTER TABLE requests ADD COLUMN done_outside TEXT",
    # The date the person the request is about was erased (the link is then gone).
    "ALTER TABLE requests ADD COLUMN subject_erased_on TEXT",
)
