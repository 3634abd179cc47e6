"""Parameters on the command line: one parser for every id, one declaration per shared option.

Typer's int would take full-width `４２` as 42 and pass 30-digit numbers on to
SQLite, which cannot hold them; `validation.record_id` allows ASCII digits from 1
to 2**63-1 and names the field otherwise (exit 2).

One name per idea (docs/rules.md §6, README "Conventions"): `--lang/-l` is a
document's language, `--language` the person's stored language, `--format/-f` an
output format, `--channel` how the person told us. A closed set is a choice: listed
in `-h` and refused while the command line is read (exit 2, nothing opened), with
one message for every option: `error: FIELD: must be one of A, B, C (got 'VALUE')`.

The sets are written out here rather than imported from the services: importing a
service costs a command's start-up tens of milliseconds (benchmarks/README.md), and
`tests/test_vocabulary.py` checks that each set equals the service's own.
"""

from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from lautex_registry.cli.help_text import formatted_help

if TYPE_CHECKING:
    from lautex_registry.erasure.backup_copies import Identity


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


E = TypeVar("E", bound=StrEnum)


def one_of(
    field: str, values: Sequence[str], *, aliases: Mapping[str, str] | None = None
) -> Callable[[Any], str]:
    """A Typer `parser` accepting one of `values` (any case); `aliases` are old spellings
    still accepted but not listed (README "Conventions": hidden aliases)."""
    hidden = dict(aliases or {})

    def parse(text: Any) -> str:
        if not isinstance(text, str):  # the option's own default
            return str(text)
        value = text.strip().casefold()
        if value in values:
            return value
        if value in hidden:
            return hidden[value]
        # The message every closed set gives, here and in the services.
        from lautex_registry.platform.validation import choice

        return choice(text, tuple(values), field)

    return parse


def enum_of(field: str, enum: type[E]) -> Callable[[Any], E]:
    """`one_of` for an option whose value is a StrEnum member (its members are the choices)."""
    parse = one_of(field, [member.value for member in enum])

    def parse_member(text: Any) -> E:
        return text if isinstance(text, enum) else enum(parse(text))

    return parse_member


def choices(values: Sequence[str]) -> str:
    """The metavar that lists a closed set in `-h`, as Typer does for an enum."""
    return "<" + "|".join(values) + ">"


def choice_option(*decls: str, field: str, values: Sequence[str], help: str, **extra: Any) -> Any:
    """One option over a closed set: listed in -h, refused at parse time."""
    return typer.Option(
        *decls, help=help, metavar=choices(values), parser=one_of(field, values), **extra
    )


# The closed sets, each once (the services hold the same; tests/test_vocabulary.py compares).
DOCUMENT_LANGUAGES = ("fi", "sv", "en")  # platform.documents.LANGUAGES
PERSON_LANGUAGES = ("fi", "en", "sv")  # records.customers.LANGUAGES
CHANNELS = ("letter", "email", "phone", "counter", "web")  # records.objections.CHANNELS
REQUEST_KINDS = (
    "access", "rectification", "erasure", "restriction", "objection", "portability",
    "publication-ban",
)  # fmt: skip
REQUEST_OUTCOMES = ("completed", "refused", "partially-refused")
LETTER_TYPES = (
    "auto", "access-reply", "extension-notice", "refusal", "no-data", "erasure-reply",
)  # fmt: skip
SOURCES = (
    "web-store", "reseller", "registration", "customer-service", "subcontractor", "partner",
)  # fmt: skip
CUSTOMER_STATES = ("active", "restricted", "anonymised-with-holds", "anonymised")
ROLES = ("admin", "clerk", "auditor", "system")
ORDER_CHANNELS = ("counter", "phone", "email", "web-store", "reseller")  # records.orders.CHANNELS
CUSTOMER_SORTS = ("id", "name")  # records.customers.list_customers(sort=...)
NOTICE_METHODS = ("letter", "email", "phone")
RECIPIENT_KINDS = ("processor", "third-party", "authority")
OBJECTION_PURPOSES = (
    "direct-advertising", "distance-selling", "direct-marketing", "market-research",
    "opinion-research", "all",
)  # fmt: skip
LIST_PURPOSES = OBJECTION_PURPOSES[:-1]  # records.objections.LIST_PURPOSES
MARKETING_CHANNELS = ("email", "post", "phone", "sms")  # marketing.lists.CHANNELS
CONSENT_STATUSES = ("given", "withdrawn")


# The output formats of documents, one declaration per set (the lists and records of read
# commands take cli.output.FormatOption: table, json, jsonl, csv).
class LetterFormat(StrEnum):
    """Reply letters and refusal certificates (platform.documents.FORMATS)."""

    md = "md"
    html = "html"
    pdf = "pdf"


class StatementFormat(StrEnum):
    md = "md"
    html = "html"
    pdf = "pdf"


class RecordFormat(StrEnum):
    md = "md"
    html = "html"
    pdf = "pdf"
    json = "json"


class ExportFormat(StrEnum):
    json = "json"
    csv = "csv"
    html = "html"
    md = "md"
    pdf = "pdf"


class LabelFormat(StrEnum):
    csv = "csv"
    pdf = "pdf"


class ListFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"
    json = "json"


class ReportFormat(StrEnum):
    """`customer import -f`: the summary on stderr, or the whole report as JSON on stdout."""

    text = "text"
    json = "json"


def _format(enum: type[E], help: str) -> Any:
    return typer.Option("--format", "-f", help=help, parser=enum_of("format", enum))


LetterFormatOption = Annotated[
    LetterFormat, _format(LetterFormat, help="md (Markdown), html or pdf (A4, ready to post).")
]
StatementFormatOption = Annotated[
    StatementFormat, _format(StatementFormat, help="md (Markdown), html or pdf.")
]
RecordFormatOption = Annotated[
    RecordFormat, _format(RecordFormat, help="md (Markdown), html, pdf or json.")
]
ExportFormatOption = Annotated[
    ExportFormat,
    _format(ExportFormat, help="json, csv, html, md or pdf (portability: json or csv)."),
]
LabelFormatOption = Annotated[LabelFormat, _format(LabelFormat, help="csv or pdf (A4 sheets).")]
ListFormatOption = Annotated[ListFormat, _format(ListFormat, help="csv, jsonl or json.")]
ReportFormatOption = Annotated[
    ReportFormat, _format(ReportFormat, help="The report: text on stderr, or json on stdout.")
]


class DocumentLanguage(StrEnum):
    fi = "fi"
    sv = "sv"
    en = "en"


def _lang(help: str) -> Any:
    return typer.Option("--lang", "-l", help=help, parser=enum_of("lang", DocumentLanguage))


# A document's language: the default is the request's or the person's where there is one.
LangOption = Annotated[
    DocumentLanguage | None,
    _lang(
        help="Language of the document. Default: the language recorded for the request or person."
    ),
]
# A document about the register itself (the statement, the record of processing).
DocumentLang = Annotated[DocumentLanguage, _lang(help="Language of the document.")]


# The parameters several commands share, each declared once (README "Conventions").
PersonLanguage = Annotated[
    str | None,
    choice_option(
        "--language",
        field="language",
        values=PERSON_LANGUAGES,
        help="The person's language, stored with them. Default: the customer's, else fi.",
    ),
]
LetterTypeOption = Annotated[
    str,
    choice_option(
        "--type",
        field="type",
        values=LETTER_TYPES,
        help="Which letter; auto picks from the request's state.",
    ),
]
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
AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="As on this date (YYYY-MM-DD or D.M.YYYY). Default: today."),
]
Yes = Annotated[
    bool,
    typer.Option("--yes", "-y", help="Do not ask for confirmation (needed without a terminal)."),
]
# `--yes` where nothing asks any more (the command is reversible): still accepted, so the
# scripts that gave it keep working, but not listed.
YesUnneeded = Annotated[bool, typer.Option("--yes", "-y", hidden=True, help="Not needed.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show what would happen; change nothing.")]
# For cron: a list that should be empty (overdue requests, open claims) fails the job.
FailIfAny = Annotated[
    bool, typer.Option("--fail-if-any", help="Exit 4 when the list is not empty (for cron).")
]
DateOption = Annotated[
    str | None, typer.Option("--date", help="The date (YYYY-MM-DD or D.M.YYYY). Default: today.")
]
EventDate = Annotated[
    str, typer.Option("--date", help="When it happened (YYYY-MM-DD or D.M.YYYY).")
]
Received = Annotated[
    str | None,
    typer.Option(
        "--received",
        help="When it was received: YYYY-MM-DD or D.M.YYYY. Default: today.",
        show_default=False,
    ),
]
Channel = Annotated[
    str,
    choice_option(
        "--channel",
        field="channel",
        values=CHANNELS,
        help="How the person told us.",
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
    choice_option("--purpose", field="purpose", values=LIST_PURPOSES, help="What the list is for."),
]
Username = Annotated[str, typer.Argument(help="The account's username.", show_default=False)]
PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password from the first line of standard input (for scripts).",
    ),
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
        help="An age identity file (AGE-SECRET-KEY-1...) or SSH private key that opens "
        "encrypted copies; - reads it from stdin. Never the key itself.",
        show_default=False,
    ),
]


def fields_option(names: tuple[str, ...], default: tuple[str, ...]) -> Any:
    """The `--fields` option of one list, its field names listed in `-h`:
    `Fields = Annotated[str | None, fields_option(FIELDS, COLUMNS)]`."""
    return typer.Option(
        "--fields",
        help=formatted_help(
            "Fields to show, comma-separated, or all. Default: {default}. Fields: {fields}.",
            default=", ".join(default),
            fields=", ".join(names),
        ),
        show_default=False,
    )


def identities_from(option: str | None) -> "list[Identity] | None":
    """The identities of --identity FILE (or - for stdin); None without the option."""
    import sys
    from pathlib import Path

    from lautex_registry.erasure.backup_copies import (
        IDENTITY_MAX_BYTES,
        read_identities,
        read_identity_file,
    )
    from lautex_registry.platform.errors import InvalidInput, t

    if option is None:
        return None
    if option == "-":
        if sys.stdin.isatty():
            raise InvalidInput(
                t("identity: - reads it from stdin, which is a terminal: redirect it")
            )
        return read_identities(sys.stdin.buffer.read(IDENTITY_MAX_BYTES + 1))
    if not option:
        raise InvalidInput(t("identity: give the identity file, or - for stdin"))
    if option.strip().upper().startswith("AGE-SECRET-KEY-"):
        # A key on the command line is in the shell's history and in `ps`: never echoed.
        raise InvalidInput(t("identity: give the FILE that holds the key (or -), never the key"))
    return read_identity_file(Path(option))
