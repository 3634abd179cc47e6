"""Stored values shown safely wherever they go: terminal, spreadsheet, Markdown and HTML.

A value is data, never an instruction to whatever displays it: a name like `[/c]`
is not rich markup, `=HYPERLINK(...)` is not a spreadsheet formula, and
`[Pay here](http://evil.example/pay)` is not a link in a letter. Each output has one
function here and applies it to every value it writes. Machine formats (JSON,
JSONL) carry values exactly and are not escaped here.
"""

import re
from typing import Any

from lautex_registry.platform.characters import (
    CONTROL_CHARACTERS,
    CONTROL_CHARACTERS_BUT_NEWLINE,
    escaped_character,
    lazy_pattern,
)

# Exactly what validation refuses in free text (README "Input rules"): C0 and C1
# controls (ESC, CSI and OSC reach a terminal through these), separators, surrogates and
# the invisible format characters such as bidirectional overrides, which make a name
# read differently from what is stored. A value stored before a rule was in force, or
# a machine's own text, is shown with these escaped.
_CONTROL = lazy_pattern(f"[{CONTROL_CHARACTERS_BUT_NEWLINE}]")
_CONTROL_OR_NEWLINE = lazy_pattern(f"[{CONTROL_CHARACTERS}]")


def _visible(match: re.Match[str]) -> str:
    return escaped_character(match.group())


def printable(text: str, *, one_line: bool = False) -> str:
    """`text` with every control character shown as its escape (ESC as `\\x1b`).

    Newlines stay, so multi-line notes and reasons stay readable, unless `one_line`
    (an error is one line: README "Exit codes"); nothing else that a terminal would act
    on (colours, cursor moves, hyperlinks, a carriage return that overwrites the line)
    gets through.
    """
    return (_CONTROL_OR_NEWLINE if one_line else _CONTROL).sub(_visible, text)


# --- tab-separated values (TSV) -----------------------------------------------------------

# TSV is what a list prints into a pipe (README "Conventions": output): one record a line,
# one field a tab. A tab, newline or CR inside a value would split it, so those and the
# backslash are written as `\t`, `\n`, `\r` and `\\` (as PostgreSQL's COPY text
# format does, so a script can undo them); any other control character shows as in a
# table (`\x1b`), so `| less` never runs one.
_TSV_SPECIAL = lazy_pattern(f"[\\\\{CONTROL_CHARACTERS}]")
_TSV_NAMED = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}


def tsv_safe(cell: str) -> str:
    """A TSV field: one line and no tab; undoing the escapes gives the value back."""
    return _TSV_SPECIAL.sub(lambda m: _TSV_NAMED.get(m.group()) or _visible(m), cell)


# --- spreadsheets (CSV) -------------------------------------------------------------------

# A cell starting with one of these is a formula to Excel and LibreOffice (OWASP "CSV
# injection"); a leading apostrophe makes the cell text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
GUARD = "'"
_PLAIN_NUMBER = lazy_pattern(r"[+-]?[0-9]+(?:[.,][0-9]+)?")


def spreadsheet_safe(cell: str) -> str:
    """A CSV cell that no spreadsheet runs as a formula: `=1+1` becomes `'=1+1`.

    A plain number (`-12.50`, `+358401234567`) is not a formula and stays as it is.
    A cell that itself starts with the apostrophe is guarded too (`'x` becomes `''x`),
    so `as_written` can tell a guard from a value and give back exactly what was stored.
    """
    if cell.startswith(GUARD):
        return GUARD + cell
    if cell.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(cell):
        return GUARD + cell
    return cell


def as_written(cell: str) -> str:
    """Undo `spreadsheet_safe`: a cell read back from a CSV the register wrote.

    Only an apostrophe followed by a formula start or by another apostrophe is a guard;
    `'t Hooft` in a hand-written file stays as it is.
    """
    if cell.startswith(GUARD) and cell[1:2] in (*FORMULA_STARTS, GUARD):
        return cell[1:]
    return cell


# --- Markdown (letters, certificates, exports; HTML is rendered from it) -------------------

# Characters with a meaning anywhere in a line: links and images ([ ]), emphasis and
# code (* _ `), strikethrough (~), table cells (|), escapes (\), raw HTML, autolinks
# and entities (< > &: written as entities, so no tag survives even in a viewer that
# passes HTML through).
_ANYWHERE = {
    "\\": "\\\\",
    "`": "\\`",
    "*": "\\*",
    "[": "\\[",
    "]": "\\]",
    "|": "\\|",
    "~": "\\~",
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
}
_ANYWHERE_PATTERN = lazy_pattern("[\\\\`*\\[\\]|~&<>]")
# `_` opens emphasis unless a letter or digit is on both sides (`first_name` is safe).
_UNDERSCORE = lazy_pattern(r"(?<![^\W_])_|_(?![^\W_])")
# At the start of a line (CommonMark block starts): an ATX heading (`# ` to `###### `), a
# list item (`- `, `+ `, `1. `, `1) `), a setext underline or thematic break (a line of
# `=` or `-`). Leading spaces do not hide them. `+358 40 ...` or `-2` is none of them.
_LINE_START = lazy_pattern(
    r"^([ \t]*)(?:(#{1,6}|[+-])(?=[ \t]|$)|([=-])(?=[= \t-]*$)|([0-9]{1,9})([.)])(?=[ \t]|$))",
    re.MULTILINE,
)


def _line_start(match: re.Match[str]) -> str:
    indent, mark, underline, digits, after = match.groups()
    if digits is not None:
        return f"{indent}{digits}\\{after}"
    return f"{indent}\\{mark or underline}"


# Every character the steps below may change, and every line start they may escape: a
# value with none of them (most names, dates and amounts) is already literal text, and a
# letter with 10,000 orders writes 100,000 cells (docs/rules.md §3).
_MAYBE_MARKUP = lazy_pattern(
    f"[{CONTROL_CHARACTERS_BUT_NEWLINE}\\\\`*\\[\\]|~&<>_]"
    "|^[ \t]*(?:[#+=-]|[0-9]{1,9}[.)](?=[ \t]|$))",
    re.MULTILINE,
)


def markdown_text(value: Any) -> str:
    """A value as literal text in Markdown: it shows as stored and is never markup.

    `[Pay here](http://evil.example/pay)` stays those characters, not a link;
    `<script>` stays text in the Markdown and in the HTML rendered from it.
    """
    text = str(value)
    if not _MAYBE_MARKUP.search(text):
        return text
    text = printable(text)
    text = _ANYWHERE_PATTERN.sub(lambda m: _ANYWHERE[m.group()], text)
    text = _UNDERSCORE.sub("\\_", text)
    return _LINE_START.sub(_line_start, text)
