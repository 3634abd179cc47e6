"""The characters no stored value may carry, and how an error line quotes a bad value.

The lowest module of the platform: errors, validation and escaping all use it, and it
imports nothing of the register's.
"""

import re
from typing import Any, cast

# How many characters of a bad value an error line quotes (README "Input rules").
EXCERPT_MAX = 20

# Characters refused in free text (validation.py) and shown escaped wherever a stored
# value is shown (escaping.py): C0 controls but the newline, DEL, C1 controls, line
# and paragraph separators, lone surrogates (bytes that were not UTF-8), and every
# Unicode format character (category Cf: zero-width space and joiners, soft hyphen,
# byte-order mark, bidirectional marks, overrides and isolates, tag characters). Each
# can rewrite a terminal or a letter, or make two names that read alike compare apart
# (README "Input rules"). tests/test_validation.py checks the Cf ranges against
# Python's own Unicode database.
FORMAT_CHARACTERS = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f"
)
CONTROL_CHARACTERS_BUT_NEWLINE = (
    "\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff" + FORMAT_CHARACTERS
)
CONTROL_CHARACTERS = "\n" + CONTROL_CHARACTERS_BUT_NEWLINE


def lazy_pattern(pattern: str, flags: int = 0) -> "re.Pattern[str]":
    """`re.compile(pattern, flags)`, compiled when first used rather than at import.

    Every command imports the modules that validate and escape, and compiling all their
    patterns cost each one about 5 ms of its start-up (the classes of control characters
    are long), most of them for patterns the command never uses (benchmarks/README.md).
    On first use the compiled pattern's methods become the object's own, so a bulk
    import's millions of calls cost what they cost on a compiled pattern.
    """
    return cast("re.Pattern[str]", _LazyPattern(pattern, flags))


class _LazyPattern:
    _METHODS = ("match", "fullmatch", "search", "sub", "subn", "split", "findall", "finditer")

    def __init__(self, pattern: str, flags: int) -> None:
        self._source = (pattern, flags)

    def __getattr__(self, name: str) -> Any:
        compiled = re.compile(*self._source)
        for method in self._METHODS:
            self.__dict__[method] = getattr(compiled, method)
        return getattr(compiled, name)


_CONTROL = lazy_pattern(f"[{CONTROL_CHARACTERS}]")


def excerpt(value: str, limit: int = EXCERPT_MAX) -> str:
    """A bad value as an error line may quote it: at most `limit` characters, controls escaped."""
    shown = value[:limit]
    quoted = "".join(escaped_character(ch) if _CONTROL.match(ch) else ch for ch in shown)
    return f"'{quoted}'" if len(value) <= limit else f"'{quoted}...'"


def escaped_character(ch: str) -> str:
    """One character as its escape: `\\x1b` for ESC, `\\u202e` for a bidirectional override."""
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
