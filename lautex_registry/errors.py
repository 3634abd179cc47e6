"""One exception hierarchy; each class carries the exit code documented in the README."""


class LautexError(Exception):
    """An expected failure: printed as one line, never a traceback."""

    exit_code = 1


class InvalidInput(LautexError):
    """Bad input: a value that fails validation or a usage mistake."""

    exit_code = 2


class NotFound(LautexError):
    exit_code = 3


class Refused(LautexError):
    """Refused by a rule: legal hold, objection, deadline, purpose not permitted."""

    exit_code = 4


class AuthError(LautexError):
    """Not logged in, wrong password, disabled or locked account, role lacks permission."""

    exit_code = 5


class Conflict(LautexError):
    """Duplicate, concurrent run, or a busy database."""

    exit_code = 6


class SchemaError(LautexError):
    """The database schema is older or newer than this code."""

    exit_code = 4
