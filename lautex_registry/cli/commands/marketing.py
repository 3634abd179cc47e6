"""The `marketing` group: lists that leave out every objection, ban and missing consent.

There is deliberately no option here, for any role, that includes a person who
objected (GDPR Art. 21(3)): lists leave them out, always.
"""

from typing import Annotated

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.help_text import LautexTyper
from lautex_registry.cli.output import Format, emit_rows, left_out, say, warn
from lautex_registry.cli.params import (
    MARKETING_CHANNELS,
    ListFormat,
    ListFormatOption,
    ListPurpose,
    choice_option,
)
from lautex_registry.platform.errors import t

COMMAND = "marketing"

marketing_app = LautexTyper(
    help="Marketing lists that leave out every objection, ban and missing consent.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(marketing_app, name=COMMAND)


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
    fmt: ListFormatOption = ListFormat.csv,
) -> None:
    """Export who may be contacted for a purpose by a channel; says who was left out and why.

    Example: lautex marketing list --purpose direct-advertising --channel email --format csv
    """
    from lautex_registry.marketing.lists import OPT_OUT_NOTICE, MarketingList

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
                with ws.writing():
                    run.record_audit(ws.actor, fmt.value)
    left = left_out(run.left_out_counts())
    say(t("listed {count} for {purpose} by {channel}; {left_out}", count=run.listed,
          purpose=purpose, channel=channel, left_out=left))  # fmt: skip
    if existing_customers:
        warn(f"note: {OPT_OUT_NOTICE}")
