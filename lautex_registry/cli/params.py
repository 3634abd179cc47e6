"""Parameters on the command line: one parser for every id, one declaration per shared option.

Typer's int would take full-width `４２` as 42 and pass 30-digit numbers on to
SQLite, which cannot hold them; `validation.record_id` allows ASCII digits from 1
to 2**63-1 and names the field otherwise (exit 2).
"""

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from pyrage import x25519


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


# The parameters several commands share, each declared once (README "Conventions").
Customer = Annotated[
    str, typer.Argument(help="The customer's id or email address.", show_default=False)
]
RequestOption = Annotated[
    int | None,
    typer.Option(
        "--request",
        help="The data subject request this answers, if any.",
        parser=id_of("request"),
    ),
]
RequestId = Annotated[
    int,
    typer.Argument(help="The request's id.", show_default=False, parser=id_of("request")),
]
OutputOption = Annotated[
    str | None,
    typer.Option("--output", "-o", help="Write to this new file (mode 0600); - or none: stdout."),
]
LetterFormat = Annotated[
    str, typer.Option("--format", "-f", help="md, html or pdf (A4, ready to post).")
]
LangOption = Annotated[
    str | None,
    typer.Option(
        "--lang",
        help="fi, sv or en. Default: the language recorded for the request or person.",
    ),
]
AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="As on this date (YYYY-MM-DD or D.M.YYYY). Default: today."),
]
Yes = Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show what would happen; change nothing.")]
DateOption = Annotated[
    str | None, typer.Option("--date", help="The date (YYYY-MM-DD or D.M.YYYY). Default: today.")
]
EventDate = Annotated[
    str, typer.Option("--date", help="When it happened (YYYY-MM-DD or D.M.YYYY).")
]
Received = Annotated[
    str,
    typer.Option(
        "--received", help="When the person said it: YYYY-MM-DD or D.M.YYYY.", show_default=False
    ),
]
Channel = Annotated[
    str,
    typer.Option(
        "--channel",
        help="How the person said it: customer-service, email, contact-person, letter or web.",
        show_default=False,
    ),
]
Withdraw = Annotated[
    bool,
    typer.Option(
        "--withdraw",
        help="Record the person's own request to withdraw it (the history is kept).",
    ),
]
ListPurpose = Annotated[
    str,
    typer.Option(
        "--purpose",
        help="direct-advertising, distance-selling, direct-marketing, market-research or "
        "opinion-research.",
    ),
]
Username = Annotated[str, typer.Argument(help="The account's username.", show_default=False)]
PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password from the first line of standard input (for scripts).",
    ),
]


class DocumentLanguage(StrEnum):
    fi = "fi"
    sv = "sv"
    en = "en"


DocumentLang = Annotated[
    DocumentLanguage, typer.Option("--lang", "-l", help="Language of the document: fi, sv or en.")
]


# Every list (README "Conventions": output): `--limit` cuts it and says so on stderr;
# `--fields` chooses its columns, each list naming its own in `-h`.
LimitOption = Annotated[
    int | None,
    typer.Option(
        "--limit",
        help="Show at most this many rows; stderr says how many more there were.",
        parser=id_of("limit"),
        show_default=False,
    ),
]


# `--identity` of `backup verify` and `restore`: a file (or - for stdin), never the key itself.
IdentityOption = Annotated[
    str | None,
    typer.Option(
        "--identity",
        help="An age identity file (AGE-SECRET-KEY-1...) that opens encrypted copies; - reads "
        "it from stdin. Never the key itself.",
        show_default=False,
    ),
]


def fields_option(names: tuple[str, ...], default: tuple[str, ...]) -> Any:
    """The `--fields` option of one list, its field names listed in `-h`:
    `Fields = Annotated[str | None, fields_option(FIELDS, COLUMNS)]`."""
    return typer.Option(
        "--fields",
        help=f"Fields to show, comma-separated, or all. Default: {', '.join(default)}. "
        f"Fields: {', '.join(names)}.",
        show_default=False,
    )


def identities_from(option: str | None) -> "list[x25519.Identity] | None":
    """The identities of --identity FILE (or - for stdin); None without the option."""
    import sys
    from pathlib import Path

    from lautex_registry.erasure.backup_copies import (
        IDENTITY_MAX_BYTES,
        read_identities,
        read_identity_file,
    )
    from lautex_registry.platform.errors import InvalidInput

    if option is None:
        return None
    if option == "-":
        if sys.stdin.isatty():
            raise InvalidInput("identity: - reads it from stdin, which is a terminal: redirect it")
        return read_identities(sys.stdin.buffer.read(IDENTITY_MAX_BYTES + 1))
    if not option:
        raise InvalidInput("identity: give the identity file, or - for stdin")
    if option.strip().upper().startswith("AGE-SECRET-KEY-"):
        # A key on the command line is in the shell's history and in `ps`: never echoed.
        raise InvalidInput("identity: give the FILE that holds the key (or -), never the key")
    return read_identity_file(Path(option))
