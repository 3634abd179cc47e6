"""The `marketing` group: lists that leave out every objection, ban and missing consent.

There is deliberately no option here, for any role, that includes a person who
objected (GDPR Art. 21(3)): lists leave them out, always.
"""

from typing import Annotated, Any

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.help_text import LautexTyper, formatted_help
from lautex_registry.cli.output import Format, emit_rows, left_out, pick_fields, say, warn
from lautex_registry.cli.params import (
    MARKETING_CHANNELS,
    LimitOption,
    ListFormat,
    ListFormatOption,
    ListPurpose,
    choice_option,
)
from lautex_registry.platform.errors import shown as shown_message
from lautex_registry.platform.errors import t

COMMAND = "marketing"

marketing_app = LautexTyper(
    help="Marketing lists that leave out every objection, ban and missing consent.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(marketing_app, name=COMMAND)


# The fields of a marketing list (marketing.lists: BASE_COLUMNS and each channel's
# contact fields; tests/test_marketing_options.py keeps them equal): written out so that
# `-h` lists them without importing the marketing layer.
BASE_FIELDS = ("id", "first_name", "last_name", "organisation", "language")
CHANNEL_FIELDS = {
    "email": ("email",),
    "sms": ("phone",),
    "phone": ("phone",),
    "post": ("street", "postal_code", "city", "country"),
}
MarketingFields = Annotated[
    str | None,
    typer.Option(
        "--fields",
        help=formatted_help(
            "Fields to show, comma-separated, or all. Default and all: {fields} and the "
            "channel's own: email (email), phone (sms, phone), street, postal_code, city, "
            "country (post); a list never carries another channel's contact data.",
            fields=", ".join(BASE_FIELDS),
        ),
        show_default=False,
    ),
]


@marketing_app.command("list")
def marketing_list(
    ctx: typer.Context,
    purpose: ListPurpose,
    channel: Annotated[
        str,
        choice_option(
            "--channel",
            field="channel",
            values=MARKETING_CHANNELS,
            help="How the people on the list are contacted.",
            show_default=False,
        ),
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
    limit: LimitOption = None,
    fields: MarketingFields = None,
    fmt: ListFormatOption = ListFormat.csv,
) -> None:
    """Export who may be contacted for a purpose by a channel; says who was left out and why.

    Example: lautex marketing list --purpose direct-advertising --channel email --format csv
    Example: lautex marketing list --purpose direct-marketing --channel sms --fields id,phone
    """
    from lautex_registry.marketing.lists import OPT_OUT_NOTICE, MarketingList

    with open_workspace(ctx) as ws:
        run = MarketingList(ws.conn, purpose, channel, existing_customers=existing_customers)
        details: dict[str, Any] = {"purpose": purpose, "channel": channel, "format": fmt.value,
                                   "existing_customers": existing_customers}  # fmt: skip
        # Only the channel's own fields can be chosen (data minimisation, docs/rules.md §4).
        columns = pick_fields(fields, run.columns, run.columns)
        if fields is not None:
            details["fields"] = columns  # which fields were handed out, when not the usual
        rows = ws.reserved_handout(run.rows(), "marketing list", "customer", details)
        shown: int | None = None
        try:
            shown = emit_rows(rows, Format(fmt.value), columns, limit=limit)
        finally:
            run.end_read()
            if not rows.refused:  # refused: nothing was handed out, nothing to count
                with ws.writing():
                    run.record_audit(ws.actor, fmt.value, shown,
                                     None if fields is None else columns)  # fmt: skip
    left = left_out(run.left_out_counts())
    say(t("listed {count} for {purpose} by {channel}; {left_out}", count=run.listed,
          purpose=purpose, channel=channel, left_out=left))  # fmt: skip
    if existing_customers:
        warn(t("note: {notice}", notice=shown_message(OPT_OUT_NOTICE)))
