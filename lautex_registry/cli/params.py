"""Ids and counts on the command line: one parser for every id argument and option.

Typer's int would take full-width `４２` as 42 and pass 30-digit numbers on to
SQLite, which cannot hold them; `validation.record_id` allows ASCII digits from 1
to 2**63-1 and names the field otherwise (exit 2).
"""

from collections.abc import Callable


def id_of(
    field: str, *, minimum: int = 1, maximum: int | None = None
) -> Callable[[str | int], int]:
    """A Typer `parser` reading an id or a count for `field`."""

    def parse(text: str | int) -> int:
        from lautex_registry.platform.validation import MAX_ID, record_id

        if isinstance(text, int):  # the option's own default, e.g. --limit 100
            return text
        return record_id(text, field, minimum=minimum, maximum=maximum or MAX_ID)

    return parse
