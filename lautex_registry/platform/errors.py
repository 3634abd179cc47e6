"""One exception hierarchy; each class carries the exit code documented in the README."""

import errno
from typing import Any

from lautex_registry.platform.characters import excerpt
from lautex_registry.platform.sqlite import sqlite3


class Message:
    """A sentence for a person, with its values kept apart from its English template.

    `str()` is the English text: what logs, JSON import reports and every other machine
    output carry, the same under any locale (docs/rules.md §6). `translated()` is the text in
    the interface's language, for the one place a person reads it (the command line's error
    line). Built by `t()` and `tn()`, the markers the catalogue's extractor knows
    (docs/translating.md): the template is a whole sentence with named placeholders, never
    pieces, so a translator can reorder it.
    """

    __slots__ = ("n", "params", "plural", "template")

    def __init__(
        self, template: str, params: dict[str, Any], plural: str | None = None, n: int = 1
    ) -> None:
        self.template = template
        self.plural = plural
        self.n = n
        self.params = params

    def _english(self) -> str:
        return self.template if self.plural is None or self.n == 1 else self.plural

    def __str__(self) -> str:
        return self._english().format(**self.params)

    def __repr__(self) -> str:
        return f"Message({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    def filled(self, **params: Any) -> "Message":
        """This sentence with its values: for a sentence chosen before its values are known
        (`t("invoice {number} is {state}: it cannot be marked paid")`, filled in later)."""
        return Message(self.template, params, self.plural, self.n)

    def translated(self) -> str:
        """The sentence in the interface's language; English when it has no translation."""
        from lautex_registry.platform import i18n

        if self.plural is None:
            template = i18n.gettext(self.template)
        else:
            template = i18n.ngettext(self.template, self.plural, self.n)
        # A value that is itself a Message (a clause such as "the disk is full") is shown
        # in the same language as the sentence around it.
        params = {name: _shown_value(value) for name, value in self.params.items()}
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):
            # A translation that names a placeholder the code does not give (the catalogue
            # check refuses it, tests/test_i18n.py): the English text rather than no text.
            return str(self)


def t(template: str, /, **params: Any) -> Message:
    """A message to translate where a person reads it: `t("customer {ref}: not found",
    ref=ref)`. The extractor collects the first argument (docs/translating.md)."""
    return Message(template, params)


def tn(singular: str, plural: str, n: int, /, **params: Any) -> Message:
    """A message whose wording follows the number `n`: `tn("{count} row read",
    "{count} rows read", count, count=count)`; the catalogue has each language's forms."""
    return Message(singular, params, plural, n)


def shown(message: object) -> str:
    """What a person reads for `message`: a Message translated, any other text as it is."""
    return message.translated() if isinstance(message, Message) else str(message)


class Explained(Message):
    """What a library or the machine said, word for word, shown in the interface's language.

    email-validator's reasons, phonenumbers' and python-stdnum's, SQLite's text and the OS's
    strerror are English sentences the register did not write. `str()` is those words exactly
    (an English error line, a log or a JSON report carries them byte for byte); `translated()`
    is the catalogue's sentence for the same meaning, which the caller chose by the error's
    code, errno, class or pattern, or the words themselves when no meaning is known
    (docs/translating.md, "A library's own words").
    """

    __slots__ = ("known", "original")

    def __init__(self, original: str, meaning: Message | None = None) -> None:
        super().__init__(original, {})
        self.original = original
        self.known = meaning

    def meaning(self) -> Message | None:
        """The catalogue's sentence for these words, None when none is known."""
        return self.known

    def __str__(self) -> str:
        return self.original

    def translated(self) -> str:
        meaning = self.meaning()
        if meaning is None:
            return self.original
        shown = meaning.translated()
        # English, or a language without this sentence: the library's own words, not ours.
        return self.original if shown == Message.__str__(meaning) else shown


def _shown_value(value: object) -> object:
    """A value inside a sentence: a Message or a LautexError in the sentence's language."""
    if isinstance(value, Message):
        return value.translated()
    if isinstance(value, LautexError):
        return value.shown()
    return value


class LautexError(Exception):
    """An expected failure: printed as one line, never a traceback.

    The message is a plain `str` (shown as it is, in English) or a `Message` (shown
    translated on the command line, English in `str()` for machine outputs).
    """

    exit_code = 1

    def __init__(self, message: str | Message = "") -> None:
        super().__init__(message)
        self.message = message

    def shown(self) -> str:
        """The error as a person reads it: translated if it is a Message."""
        return shown(self.message)


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


class EnvironmentRefused(LautexError):
    """The machine refused: disk full, read-only or unreadable file, unwritable folder."""

    exit_code = 7


class Declined(LautexError):
    """The user answered no at a confirmation prompt."""

    exit_code = 8


# SQLite's primary result codes (https://sqlite.org/rescode.html); an extended code
# (SQLITE_IOERR_WRITE = 778) carries its primary code in the low byte.
_SQLITE_ENVIRONMENT = {
    3: t("permission to the register file was denied"),  # SQLITE_PERM
    8: t("the register file or its file system is read-only"),  # SQLITE_READONLY
    10: t("the disk failed to read or write"),  # SQLITE_IOERR
    13: t("the disk is full"),  # SQLITE_FULL
    # SQLITE_CANTOPEN
    14: t("a database file cannot be opened or created: is it readable, its folder writable?"),
}
_SQLITE_BUSY = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED
_SQLITE_NOT_A_REGISTER = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB
# What SQLite says when it gives no code (older builds); the same causes as above.
_SQLITE_TEXTS = {
    "attempt to write a readonly database": 8,
    "unable to open database file": 14,
    "database or disk is full": 13,
    "disk I/O error": 10,
    "database is locked": 5,
    "database table is locked": 6,
    "database disk image is malformed": 11,
    "file is not a database": 26,
    "file is encrypted or is not a database": 26,  # the older wording of the same
}
# SQLite's own words for its primary codes, as `sqlite3_errstr()` gives them: shown inside
# an error line ("the register is busy (database is locked)"), so read in the interface's
# language, found by the code (docs/translating.md, "A library's own words").
_SQLITE_WORDS = {
    3: t("access permission denied"),  # SQLITE_PERM
    5: t("database is locked"),  # SQLITE_BUSY
    6: t("database table is locked"),  # SQLITE_LOCKED
    8: t("attempt to write a readonly database"),  # SQLITE_READONLY
    10: t("disk I/O error"),  # SQLITE_IOERR
    11: t("database disk image is malformed"),  # SQLITE_CORRUPT
    13: t("database or disk is full"),  # SQLITE_FULL
    14: t("unable to open database file"),  # SQLITE_CANTOPEN
    26: t("file is not a database"),  # SQLITE_NOTADB
}
# A constraint (SQLITE_CONSTRAINT, 19) SQLite names with the table and column after a colon.
_SQLITE_CONSTRAINT = 19
_SQLITE_CONSTRAINTS = (
    t("UNIQUE constraint failed: {detail}"),
    t("NOT NULL constraint failed: {detail}"),
    t("CHECK constraint failed: {detail}"),
    t("FOREIGN KEY constraint failed"),
)
# The C library's strerror() texts, by errno: the OS's reason inside an error line
# ("config: cannot read ...: Is a directory").
_OS_WORDS = {
    errno.ENOENT: t("No such file or directory"),
    errno.EACCES: t("Permission denied"),
    errno.EPERM: t("Operation not permitted"),
    errno.EISDIR: t("Is a directory"),
    errno.ENOTDIR: t("Not a directory"),
    errno.EEXIST: t("File exists"),
    errno.ENOTEMPTY: t("Directory not empty"),
    errno.ENOSPC: t("No space left on device"),
    errno.EDQUOT: t("Disk quota exceeded"),
    errno.EROFS: t("Read-only file system"),
    errno.EIO: t("Input/output error"),
    errno.EFBIG: t("File too large"),
    errno.ENAMETOOLONG: t("File name too long"),
    errno.ELOOP: t("Too many levels of symbolic links"),
    errno.EXDEV: t("Invalid cross-device link"),
    errno.EBUSY: t("Device or resource busy"),
    errno.ETXTBSY: t("Text file busy"),
    errno.EMFILE: t("Too many open files"),
    errno.ENFILE: t("Too many open files in system"),
    errno.ENXIO: t("No such device or address"),
    errno.ENODEV: t("No such device"),
    errno.EINVAL: t("Invalid argument"),
    errno.EAGAIN: t("Resource temporarily unavailable"),
    errno.ESTALE: t("Stale file handle"),
    errno.EOPNOTSUPP: t("Operation not supported"),
}
_OS_ENVIRONMENT = {
    errno.ENOSPC: t("the disk is full"),
    errno.EDQUOT: t("the disk quota is used up"),
    errno.EROFS: t("the file system is read-only"),
    errno.EACCES: t("permission denied"),
    errno.EPERM: t("the operation is not permitted"),
    errno.EIO: t("the disk failed to read or write"),
}
# The errnos by which the machine, not the user, refuses a write.
ENVIRONMENT_ERRNOS = frozenset(_OS_ENVIRONMENT)
# A path no file system can follow: the user's to correct (exit 2), on every command.
_OS_BAD_PATH = {
    errno.ENAMETOOLONG: (
        t("{field}: {path} is too long for the file system"),
        t("{field}: the path is too long for the file system"),
    ),
    errno.ELOOP: (
        t("{field}: {path} is a symbolic link loop"),
        t("{field}: the path is a symbolic link loop"),
    ),
}


def bad_path(exc: OSError, field: str = "path") -> InvalidInput | None:
    """The one line for a path too long or looping, quoting only an excerpt of it."""
    reasons = _OS_BAD_PATH.get(exc.errno or 0)
    if reasons is None:
        return None
    named, unnamed = reasons
    if exc.filename is None:
        return InvalidInput(unnamed.filled(field=field))
    return InvalidInput(named.filled(field=field, path=excerpt(str(exc.filename))))


def environment_refused(exc: OSError, doing: str | Message) -> EnvironmentRefused:
    """The one line for a write the machine refused, saying what was being done."""
    reason = _OS_ENVIRONMENT.get(exc.errno or 0, t("the machine refused"))
    # SQLite rolls an unfinished transaction back, whatever the machine refused.
    return EnvironmentRefused(
        t(
            "environment: {reason}: {doing} ({strerror}); the register is as it was",
            reason=reason,
            doing=doing,
            strerror=os_reason(exc),
        )
    )


def _sqlite_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF
    return _SQLITE_TEXTS.get(str(exc))


def sqlite_reason(exc: sqlite3.Error) -> Explained:
    """SQLite's words for `exc` (`database is locked`), in the interface's language: by the
    error's code, the English text exactly as SQLite gave it."""
    words = str(exc)
    code = _sqlite_code(exc)
    if code == _SQLITE_CONSTRAINT:
        # Which constraint is in the words (SQLite gives the extended code only if asked).
        detail = words.partition(": ")[2]
        filled = (constraint.filled(detail=detail) for constraint in _SQLITE_CONSTRAINTS)
        return Explained(words, next((m for m in filled if str(m) == words), None))
    return Explained(words, None if code is None else _SQLITE_WORDS.get(code))


def os_reason(exc: OSError) -> Explained | str:
    """The OS's words for `exc` (its strerror, `Permission denied`), in the interface's
    language by its errno; the error's own text when it has no strerror."""
    if exc.strerror is None:
        return str(exc)
    return Explained(exc.strerror, _OS_WORDS.get(exc.errno or 0))


def register_error(exc: BaseException) -> LautexError | None:
    """The register's own error for a failure of SQLite or of the machine, None for a bug.

    Only what the user's file or machine caused is theirs to fix: a file that is no database
    or is damaged (exit 2), a busy register (6), a full disk or a read-only file (7). A
    constraint violation, a wrong number of bindings or a table or column the code asks for
    that is not there is a bug in lautex and stays an unexpected error (exit 1), whose
    traceback `LAUTEX_DEBUG=1` shows.
    """
    if isinstance(exc, sqlite3.Error):
        code = _sqlite_code(exc)
        if code in _SQLITE_BUSY:
            return Conflict(
                t(
                    "the register is busy ({reason}): try again in a moment",
                    reason=sqlite_reason(exc),
                )
            )
        if code in _SQLITE_NOT_A_REGISTER:
            return InvalidInput(
                t("the file is not a usable lautex register: {exc}", exc=sqlite_reason(exc))
            )
        if code in _SQLITE_ENVIRONMENT:
            return EnvironmentRefused(
                t(
                    "environment: {reason} ({exc}); the register is as it was",
                    reason=_SQLITE_ENVIRONMENT[code],
                    exc=sqlite_reason(exc),
                )
            )
        return None
    if isinstance(exc, OSError) and exc.errno in _OS_BAD_PATH:
        return bad_path(exc)
    if isinstance(exc, OSError) and exc.errno in _OS_ENVIRONMENT:
        reason = _OS_ENVIRONMENT[exc.errno]
        if exc.filename:
            return EnvironmentRefused(
                t(
                    "environment: {reason}: {file}; the register is as it was",
                    reason=reason,
                    file=exc.filename,
                )
            )
        return EnvironmentRefused(
            t("environment: {reason}; the register is as it was", reason=reason)
        )
    return None


def machine_refusal(exc: BaseException) -> EnvironmentRefused | Conflict | None:
    """What the machine or another process did to a command reading or writing a file it
    was handed (a copy, its staging file): a full disk or an I/O error (exit 7) or a busy
    file (6), None when the file itself is at fault. A good copy on a tight disk is not a
    damaged copy (README "Exit codes")."""
    refused = register_error(exc)
    if isinstance(refused, EnvironmentRefused | Conflict):
        return refused
    return None
