"""`lautex consent`: consent to email or SMS marketing, or its withdrawal."""

from typing import Annotated

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.output import say
from lautex_registry.cli.params import CONSENT_STATUSES, Customer, choice_option
from lautex_registry.platform.errors import t

COMMAND = "consent"


def register(app: typer.Typer) -> None:
    app.command(COMMAND)(consent)


def consent(
    ctx: typer.Context,
    customer: Customer,
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
        str | None,
        choice_option(
            "--email-marketing",
            field="email-marketing",
            values=CONSENT_STATUSES,
            help="Consent to email marketing.",
        ),
    ] = None,
    sms_marketing: Annotated[
        str | None,
        choice_option(
            "--sms-marketing",
            field="sms-marketing",
            values=CONSENT_STATUSES,
            help="Consent to SMS marketing.",
        ),
    ] = None,
) -> None:
    """Record consent to email or SMS marketing, or its withdrawal (917/2014 sec. 200).

    Example: lautex consent 42 --email-marketing given --date 2026-11-20 --source "web form"
    """
    from lautex_registry.platform.errors import InvalidInput
    from lautex_registry.platform.validation import parse_date
    from lautex_registry.records.lookup import resolve_customer
    from lautex_registry.records.objections import record_consent

    given = [(ch, st) for ch, st in (("email", email_marketing), ("sms", sms_marketing)) if st]
    with open_workspace(ctx, write=True) as ws:
        if not given:
            raise InvalidInput(
                t("consent: give --email-marketing or --sms-marketing (given|withdrawn)")
            )
        day = parse_date(date, "date")
        customer_id = int(resolve_customer(ws.conn, customer)["id"])
        for channel, status in given:
            record_consent(ws.conn, ws.actor, customer_id, channel, status, day, source)
    for channel, status in given:
        say(t("customer {id}: {channel} marketing consent {status} on {day}", id=customer_id,
              channel=channel, status=status, day=day.isoformat()))  # fmt: skip
