"""Marketing: objections, the publication ban, consents, lists and mailing labels.

There is deliberately no option here, for any role, that includes a person who
objected (GDPR Art. 21(3)): lists leave them out, always.
"""

from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.files import ForceOption, output_path
from lautex_registry.cli.orgs import OrgRef, org_app
from lautex_registry.cli.output import say
from lautex_registry.cli.params import id_of

if TYPE_CHECKING:
    from lautex_registry.cli.context import Workspace
    from lautex_registry.marketing.labels import LabelRun
    from lautex_registry.records.objections import ObjectionChange
    from lautex_registry.records.suppression import Restoration

marketing_app = typer.Typer(
    help="Marketing lists that leave out every objection, ban and missing consent.",
    no_args_is_help=True,
)

CustomerRef = Annotated[
    str, typer.Argument(help="The customer's id or email address.", show_default=False)
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
RequestId = Annotated[
    int | None,
    typer.Option(
        "--request",
        help="The data subject request this answers, if any.",
        parser=id_of("request"),
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


class ListFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"
    json = "json"


class LabelFormat(StrEnum):
    csv = "csv"
    pdf = "pdf"


def register(app: typer.Typer) -> None:
    app.command("object")(object_command)
    app.command("publication-ban")(publication_ban)
    app.command("consent")(consent)
    app.command("labels")(labels)
    app.add_typer(marketing_app, name="marketing")
    org_app.command("prohibit-marketing")(org_prohibit_marketing)


def object_command(
    ctx: typer.Context,
    customer: CustomerRef,
    purpose: Annotated[
        list[str],
        typer.Option(
            "--purpose",
            help="direct-advertising, distance-selling, direct-marketing, market-research, "
            "opinion-research or all. Repeatable.",
            show_default=False,
        ),
    ],
    received: Received,
    channel: Channel,
    withdraw: Withdraw = False,
    request: RequestId = None,
) -> None:
    """Record a person's objection to marketing or research; it is in force at once.

    Example: lautex object aino@example.fi --purpose direct-advertising --received 2026-11-20
    --channel email
    """
    _record_objection(ctx, customer, purpose, received, channel, withdraw, request, ban=False)


def publication_ban(
    ctx: typer.Context,
    customer: CustomerRef,
    received: Received,
    channel: Channel,
    withdraw: Withdraw = False,
    request: RequestId = None,
) -> None:
    """Record a person's ban on publishing their data in lists and labels
    (docs/privacy-statement.md P3).

    Example: lautex publication-ban 42 --received 2026-11-20 --channel customer-service
    """
    from lautex_registry.records.objections import PUBLICATION

    _record_objection(ctx, customer, [PUBLICATION], received, channel, withdraw, request, ban=True)


def _record_objection(
    ctx: typer.Context,
    customer: str,
    purposes: list[str],
    received: str,
    channel: str,
    withdraw: bool,
    request: int | None,
    *,
    ban: bool,
) -> None:
    from lautex_registry.platform.db import transaction
    from lautex_registry.platform.errors import InvalidInput
    from lautex_registry.platform.validation import parse_date
    from lautex_registry.records import objections
    from lautex_registry.records.lookup import resolve_customer

    record = objections.withdraw_objections if withdraw else objections.record_objections
    # The permission is checked first (open_workspace), then the input.
    with open_workspace(ctx) as ws, transaction(ws.conn):
        if not ban and objections.PUBLICATION in purposes:
            raise InvalidInput("purpose: record a publication ban with `lautex publication-ban`")
        day = parse_date(received, "received")
        customer_id = int(resolve_customer(ws.conn, customer)["id"])
        change = record(ws.conn, ws.actor, customer_id, purposes, day, channel, request_id=request)
    _tell_objection_change(customer_id, change)


def _tell_objection_change(customer_id: int, change: "ObjectionChange") -> None:
    def name(purposes: Sequence[str]) -> str:
        return ", ".join("publication ban" if p == "publication" else p for p in purposes)

    if change.recorded:
        say(f"customer {customer_id}: recorded {name(change.recorded)}; in force at once")
    if change.already:
        say(f"customer {customer_id}: already in force, unchanged: {name(change.already)}")
    if change.withdrawn:
        say(f"customer {customer_id}: withdrawn at the person's request: {name(change.withdrawn)}")
    if change.not_in_force:
        say(f"customer {customer_id}: nothing in force to withdraw for {name(change.not_in_force)}")


def consent(
    ctx: typer.Context,
    customer: CustomerRef,
    date: Annotated[
        str, typer.Option("--date", help="When it was given or withdrawn.", show_default=False)
    ],
    source: Annotated[
        str,
        typer.Option(
            "--source", help="Where it came from, e.g. 'web store checkbox'.", show_default=False
        ),
    ],
    email_marketing: Annotated[
        str | None, typer.Option("--email-marketing", help="given or withdrawn.")
    ] = None,
    sms_marketing: Annotated[
        str | None, typer.Option("--sms-marketing", help="given or withdrawn.")
    ] = None,
) -> None:
    """Record consent to email or SMS marketing, or its withdrawal (917/2014 sec. 200).

    Example: lautex consent 42 --email-marketing given --date 2026-11-20 --source "web form"
    """
    from lautex_registry.platform.db import transaction
    from lautex_registry.platform.errors import InvalidInput
    from lautex_registry.platform.validation import parse_date
    from lautex_registry.records.lookup import resolve_customer
    from lautex_registry.records.objections import record_consent

    given = [(ch, st) for ch, st in (("email", email_marketing), ("sms", sms_marketing)) if st]
    with open_workspace(ctx) as ws, transaction(ws.conn):
        if not given:
            raise InvalidInput(
                "consent: give --email-marketing or --sms-marketing (given|withdrawn)"
            )
        day = parse_date(date, "date")
        customer_id = int(resolve_customer(ws.conn, customer)["id"])
        for channel, status in given:
            record_consent(ws.conn, ws.actor, customer_id, channel, status, day, source)
    for channel, status in given:
        say(f"customer {customer_id}: {channel} marketing consent {status} on {day.isoformat()}")


@marketing_app.command("list")
def marketing_list(
    ctx: typer.Context,
    purpose: ListPurpose,
    channel: Annotated[
        str, typer.Option("--channel", help="email, post, phone or sms.", show_default=False)
    ],
    existing_customers: Annotated[
        bool,
        typer.Option(
            "--existing-customers",
            help="Offer the company's own similar products to customers with a past order: "
            "email/SMS without prior consent (917/2014 sec. 200(2)); a free opt-out in every "
            "message.",
        ),
    ] = False,
    fmt: Annotated[ListFormat, typer.Option("--format", "-f", help="csv, jsonl or json.")] = (
        ListFormat.csv
    ),
) -> None:
    """Export who may be contacted for a purpose by a channel; says who was left out and why.

    Example: lautex marketing list --purpose direct-advertising --channel email --format csv
    """
    from lautex_registry.cli.output import Format, emit_rows
    from lautex_registry.marketing.lists import OPT_OUT_NOTICE, MarketingList
    from lautex_registry.platform.db import transaction

    with open_workspace(ctx) as ws:
        run = MarketingList(ws.conn, purpose, channel, existing_customers=existing_customers)
        details = {"purpose": purpose, "channel": channel, "format": fmt.value,
                   "existing_customers": existing_customers}  # fmt: skip
        rows = ws.reserved_handout(run.rows(), "marketing list", "customer", details)
        try:
            emit_rows(rows, Format(fmt.value), run.columns)
        finally:
            run.end_read()
            if not rows.refused:  # refused: nothing was handed out, nothing to count
                with transaction(ws.conn):
                    run.record_audit(ws.actor, fmt.value)
    say(f"listed {run.listed} for {purpose} by {channel}; {_left_out(run.left_out_counts())}")
    if existing_customers:
        say(f"note: {OPT_OUT_NOTICE}")


def _left_out(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    if not total:
        return "left out nobody"
    return f"left out {total}: " + ", ".join(f"{reason} {n}" for reason, n in counts.items())


def labels(
    ctx: typer.Context,
    fmt: Annotated[LabelFormat, typer.Option("--format", "-f", help="csv or pdf (A4, 3 x 8).")],
    purpose: ListPurpose = "direct-advertising",
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="New file to write (mode 0600); - is stdout. "
            "Default: CSV to stdout, PDF to labels-DATE.pdf.",
        ),
    ] = None,
    force: ForceOption = False,
) -> None:
    """Mailing labels (name, organisation, address) for everyone who may get the mailing.

    Example: lautex labels --format pdf --output labels.pdf
    """
    from lautex_registry.marketing import labels as service

    path = _labels_path(fmt, output, force)
    with open_workspace(ctx) as ws:
        run = service.LabelRun(ws.conn, purpose)
        if path is None:
            simplified = _labels_to_stdout(ws, run, fmt)
        else:
            simplified = service.write_labels_file(
                run, fmt.value, path, ws.db_path, ws.actor, force=force
            )
    where = f" to {path}" if path is not None else ""
    say(f"wrote {run.listed} labels{where}; {_left_out(run.left_out_counts())}")
    if simplified:
        say(f"note: {simplified} labels had letters outside Latin-1, printed without accents")


def _labels_to_stdout(ws: "Workspace", run: "LabelRun", fmt: LabelFormat) -> int:
    """Labels on stdout: the audit row is reserved before the first label leaves, and
    completed with the count once they are out (or the reader of the pipe stopped)."""
    from lautex_registry.marketing import labels as service
    from lautex_registry.platform.db import transaction

    stream = _labels_stdout(fmt)  # a PDF refused on a terminal: nothing read, nothing audited
    details = {"purpose": run.purpose, "format": fmt.value, "to_file": False}
    handout = ws.reserved_handout(run.labels(), "labels", "customer", details)
    try:
        return service.write_labels(handout, fmt.value, stream)
    finally:
        run.end_read()
        if not handout.refused:
            with transaction(ws.conn):
                run.record_audit(ws.actor, fmt.value, to_file=False)


def _labels_path(fmt: LabelFormat, output: str | None, force: bool) -> Path | None:
    """The file for the labels: --output, else labels-DATE.pdf for a PDF; None is stdout."""
    from lautex_registry.marketing import labels as service
    from lautex_registry.platform.clock import today

    if output is None and fmt is LabelFormat.pdf:
        return service.default_path(fmt.value, today().isoformat())
    return output_path(output, force)


def _labels_stdout(fmt: LabelFormat) -> IO[Any]:
    import sys

    from lautex_registry.platform.errors import InvalidInput

    if fmt is LabelFormat.csv:
        return sys.stdout
    if sys.stdout.isatty():
        raise InvalidInput("output: a PDF on the terminal is unreadable; redirect stdout to a file")
    return sys.stdout.buffer


def org_prohibit_marketing(
    ctx: typer.Context,
    org: OrgRef,
    received: Annotated[
        str | None,
        typer.Option("--received", help="When the organisation said so. Default: today."),
    ] = None,
    withdraw: Annotated[
        bool, typer.Option("--withdraw", help="Lift it, at the organisation's own request.")
    ] = False,
) -> None:
    """Record that an organisation prohibits marketing to all its contacts.

    Example: lautex org prohibit-marketing "Puutalo Oy" --received 2026-11-20
    """
    from lautex_registry.platform.db import transaction
    from lautex_registry.platform.validation import parse_date
    from lautex_registry.records.lookup import resolve_organisation_id
    from lautex_registry.records.objections import set_organisation_prohibition

    with open_workspace(ctx) as ws, transaction(ws.conn):
        day = parse_date(received, "received") if received else None
        organisation_id = resolve_organisation_id(ws.conn, org)
        result = set_organisation_prohibition(
            ws.conn, ws.actor, organisation_id, day, lift=withdraw
        )
    state = (
        f"marketing prohibited since {result.prohibited_on}"
        if result.prohibited_on
        else "no marketing prohibition"
    )
    unchanged = "" if result.changed else " (unchanged)"
    say(f"organisation {organisation_id}: {state}{unchanged}; {result.contacts} contacts")
    if withdraw and result.contacts:
        say("each contact's own objections stay in force")


def report_restorations(restored: Sequence["Restoration"], limit: int = 20) -> None:
    """Tell the clerk which customers got an erased person's objections back (stderr)."""
    for item in restored[:limit]:
        purposes = ", ".join(item.purposes)
        say(
            f"customer {item.customer_id}: matches an erased person who objected; "
            f"objection restored: {purposes} (GDPR Art. 21(3))"
        )
    if len(restored) > limit:
        say(f"... and {len(restored) - limit} more customers had objections restored")
