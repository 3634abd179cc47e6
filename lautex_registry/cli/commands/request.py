"""The `request` group: data subject requests as tracked cases with legal deadlines."""

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.files import ForceOption, output_path
from lautex_registry.cli.help_text import LautexTyper
from lautex_registry.cli.output import (
    Format,
    FormatOption,
    emit_document,
    emit_record,
    emit_rows,
    pick_fields,
    refuse_pdf_on_terminal,
    say,
)
from lautex_registry.cli.params import (
    REQUEST_KINDS,
    REQUEST_OUTCOMES,
    Channel,
    FailIfAny,
    LangOption,
    LetterFormat,
    LetterFormatOption,
    LetterTypeOption,
    LimitOption,
    OutputOption,
    PersonLanguage,
    Received,
    RequestId,
    choice_option,
    fields_option,
    id_of,
)
from lautex_registry.cli.rectifying import emit_certificate
from lautex_registry.platform.errors import t, tn
from lautex_registry.platform.i18n import gettext

if TYPE_CHECKING:
    from lautex_registry.cli.context import Workspace
    from lautex_registry.rights.letters import RequestDocument

COMMAND = "request"

request_app = LautexTyper(
    help="Data subject requests: add, extend, verify, list, show, close, letter, certificate.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(request_app, name=COMMAND)


@request_app.command("add")
def request_add(
    ctx: typer.Context,
    kind: Annotated[
        str, choice_option("--kind", field="kind", values=REQUEST_KINDS, help="What is asked.")
    ],
    channel: Channel,
    customer: Annotated[
        str | None,
        typer.Argument(help="The customer's id or email (or use --requester).", show_default=False),
    ] = None,
    received: Received = None,
    language: PersonLanguage = None,
    requester: Annotated[
        str | None,
        typer.Option("--requester", help='"NAME <EMAIL>" of a person not in the register.'),
    ] = None,
    signed: Annotated[
        bool, typer.Option("--signed", help="The request was signed (never required).")
    ] = False,
    note: Annotated[str | None, typer.Option("--note", help="A note for the case.")] = None,
    requester_address: Annotated[
        str | None,
        typer.Option(
            "--requester-address",
            help='Postal address for the reply, "STREET, POSTAL CODE CITY" (if not the '
            "register's).",
        ),
    ] = None,
) -> None:
    """Record a data subject request; prints its id and due date (one month from receipt).

    Example: lautex request add 42 --kind access --received 2026-01-31 --channel letter
    """
    from lautex_registry.rights.requests import add_request, get_request

    with open_workspace(ctx) as ws:
        with ws.writing():
            request_id = add_request(
                ws.conn, ws.actor, kind=kind, channel=channel, customer_ref=customer,
                requester=requester, received=received, language=language, signed=signed,
                note=note, requester_address=requester_address,
            )  # fmt: skip
        due = get_request(ws.conn, request_id)["due_on"]
    typer.echo(request_id)
    say(t("added request {id}, due {due}", id=request_id, due=due))


@request_app.command("extend")
def request_extend(
    ctx: typer.Context,
    request_id: RequestId,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why more time is needed (told to the person).")
    ] = None,
) -> None:
    """Extend a request to three months from receipt (only within the first month, with reasons).

    Example: lautex request extend 7 --reason "the order history must be fetched from the archive"
    """
    from lautex_registry.rights.requests import extend_request

    with open_workspace(ctx, write=True) as ws:
        due = extend_request(ws.conn, ws.actor, request_id, reason)
    say(t("request {id} extended: now due {due}", id=request_id, due=due.isoformat()))
    say(t("send the extension notice: lautex request letter {id}", id=request_id))


@request_app.command("verify")
def request_verify(
    ctx: typer.Context,
    request_id: RequestId,
    method: Annotated[
        str, typer.Option("--method", help="How the identity was checked, e.g. 'ID card'.")
    ],
) -> None:
    """Record an identity check of the requester (optional: it never blocks a request).

    Example: lautex request verify 7 --method "driving licence shown at the counter"
    """
    from lautex_registry.rights.requests import verify_identity

    with open_workspace(ctx, write=True) as ws:
        verify_identity(ws.conn, ws.actor, request_id, method)
    say(t("request {id}: identity check recorded", id=request_id))


# `request list --fields` (rights.requests gives these; tests/test_output_rules.py keeps
# them equal): written out so that `-h` lists them without importing the rights layer.
FIELDS = ("id", "customer_id", "in_register", "kind", "received_on", "channel", "language",
          "due_on", "days_left", "overdue", "status", "extended", "signed", "identity_checked",
          "state", "outcome", "closed_on")  # fmt: skip
Fields = Annotated[str | None, fields_option(FIELDS, FIELDS)]


@request_app.command("list")
def request_list(
    ctx: typer.Context,
    open_only: Annotated[bool, typer.Option("--open", help="Only open requests.")] = False,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Only open requests past their due date.")
    ] = False,
    due_within: Annotated[
        int | None,
        typer.Option(
            "--due-within",
            help="Only open requests due within this many days.",
            # a date ten years ahead is as far as a deadline goes; beyond it dates overflow
            parser=id_of("due-within", minimum=0, maximum=3650),
        ),
    ] = None,
    kind: Annotated[
        str | None,
        choice_option("--kind", field="kind", values=REQUEST_KINDS, help="Only this kind."),
    ] = None,
    fail_if_any: FailIfAny = False,
    limit: LimitOption = None,
    fields: Fields = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List requests with their due dates, the most urgent first.

    Example: lautex request list --overdue --fail-if-any
    """
    from lautex_registry.platform.errors import Refused
    from lautex_registry.rights.requests import LIST_COLUMNS, TABLE_COLUMNS, list_requests

    with open_workspace(ctx) as ws:
        rows = list_requests(
            ws.conn, open_only=open_only, overdue=overdue, due_within=due_within, kind=kind
        )
    default = TABLE_COLUMNS if fmt is Format.table else LIST_COLUMNS
    columns = pick_fields(fields, FIELDS, default)
    emit_rows(rows, fmt, columns, title=gettext("Requests"), limit=limit)
    if fail_if_any and rows:
        count = len(rows)
        if overdue:
            raise Refused(
                tn(
                    "{count} request(s) overdue: answer them (GDPR Art. 12(3))",
                    "{count} request(s) overdue: answer them (GDPR Art. 12(3))",
                    count,
                    count=count,
                )
            )
        raise Refused(
            tn(
                "{count} request(s) listed: answer them (GDPR Art. 12(3))",
                "{count} request(s) listed: answer them (GDPR Art. 12(3))",
                count,
                count=count,
            )
        )


@request_app.command("show")
def request_show(
    ctx: typer.Context, request_id: RequestId, fmt: FormatOption = Format.table
) -> None:
    """Show one request: its deadlines, identity check, outcome and the letters sent.

    Example: lautex request show 7 --format json
    """
    from lautex_registry.rights.requests import show_request

    with open_workspace(ctx, write=True) as ws:
        record = show_request(ws.conn, ws.actor, request_id)
    emit_record(record, fmt, title=gettext("Request {id}").format(id=request_id))


@request_app.command("close")
def request_close(
    ctx: typer.Context,
    request_id: RequestId,
    outcome: Annotated[
        str,
        choice_option(
            "--outcome", field="outcome", values=REQUEST_OUTCOMES, help="How it was answered."
        ),
    ],
    reason: Annotated[
        str | None, typer.Option("--reason", help="Reasons (required for a refusal).")
    ] = None,
    manifestly_unfounded: Annotated[
        str | None,
        typer.Option(
            "--manifestly-unfounded",
            help="Written justification: the request is manifestly unfounded or excessive.",
        ),
    ] = None,
    fee: Annotated[
        str | None,
        typer.Option("--fee", help="Fee in euros for a further copy (the first is free)."),
    ] = None,
    done_outside: Annotated[
        str | None,
        typer.Option(
            "--done-outside",
            help="What was done by other means, when the register cannot show it done.",
        ),
    ] = None,
) -> None:
    """Close a request with its outcome; a refusal needs reasons, "completed" the work done.

    Example: lautex request close 7 --outcome refused --reason "we hold no such recordings"
    """
    from lautex_registry.platform.validation import parse_money
    from lautex_registry.rights.letters import reply_letter
    from lautex_registry.rights.requests import close_request

    with open_workspace(ctx) as ws:
        with ws.writing():
            fee_cents = parse_money(fee, "fee") if fee is not None else None
            close_request(
                ws.conn, ws.actor, request_id, outcome, reason,
                manifestly_unfounded_justification=manifestly_unfounded, fee_cents=fee_cents,
                done_outside=done_outside, require_done=True,
            )  # fmt: skip
        letter = reply_letter(ws.conn, request_id)
    say(t("request {id} closed: {outcome}", id=request_id, outcome=outcome))
    if letter is not None:
        say(
            t(
                "write the reply ({letter}): lautex request letter {id}",
                letter=letter,
                id=request_id,
            )
        )


@request_app.command("letter")
def request_letter(
    ctx: typer.Context,
    request_id: RequestId,
    lang: LangOption = None,
    letter_fmt: LetterFormatOption = LetterFormat.md,
    which: LetterTypeOption = "auto",
    output: OutputOption = None,
    force: ForceOption = False,
) -> None:
    """Write the reply letter of a request: access reply, extension notice, refusal, no data.

    Example: lautex request letter 7 --lang en --format html --output reply-7.html
    """
    from lautex_registry.rights.letters import request_letter as make_letter

    def make(ws: "Workspace") -> "RequestDocument":
        return make_letter(
            ws.conn, ws.actor, request_id, lang=lang, fmt=letter_fmt.value, which=which
        )

    letter, target = _issue_document(ctx, letter_fmt, output, force, make)
    if target is not None:
        say(
            t(
                "wrote the {kind} ({language}) to {path}",
                kind=letter.kind,
                language=letter.language,
                path=target,
            )
        )
    else:
        emit_document(letter.text)


@request_app.command("certificate")
def request_certificate(
    ctx: typer.Context,
    request_id: RequestId,
    lang: LangOption = None,
    doc_format: LetterFormatOption = LetterFormat.md,
    output: OutputOption = None,
    force: ForceOption = False,
) -> None:
    """The refusal certificate of a refused request: reasons, Ombudsman, court remedy.

    Example: lautex request certificate 7 --lang sv --format pdf --output intyg-7.pdf
    """
    from lautex_registry.rights.certificates import refusal_certificate

    def make(ws: "Workspace") -> "RequestDocument":
        return refusal_certificate(ws.conn, ws.actor, request_id, lang, doc_format.value)

    emit_certificate(*_issue_document(ctx, doc_format, output, force, make))


def _issue_document(
    ctx: typer.Context,
    fmt: LetterFormat,
    output: str | None,
    force: bool,
    make: "Callable[[Workspace], RequestDocument]",
) -> "tuple[RequestDocument, Path | None]":
    """A request's letter or certificate made by `make`, written to --output if given."""
    from lautex_registry.platform.documents import write_private

    target = output_path(output, force)
    refuse_pdf_on_terminal(fmt, target is None)
    with open_workspace(ctx, write=True) as ws:
        document = make(ws)
        # Written inside the transaction: a file that cannot be written leaves no document
        # row and no audit row claiming it was handed out.
        if target is not None:
            write_private(target, document.text, ws.db_path, force=force)
    return document, target
