"""The `org` group: organisations that customers represent, and their marketing prohibition."""

from typing import Annotated

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.help_text import LautexTyper
from lautex_registry.cli.output import (
    Format,
    FormatOption,
    emit_record,
    emit_rows,
    pick_fields,
    say,
)
from lautex_registry.cli.params import LimitOption, Received, fields_option
from lautex_registry.platform.errors import t
from lautex_registry.platform.i18n import gettext

COMMAND = "org"


def register(app: typer.Typer) -> None:
    app.add_typer(org_app, name=COMMAND)


# Other modules add commands to this group too (e.g. `org prohibit-marketing`).
org_app = LautexTyper(
    help="Organisations that customers represent: add, edit, list, show.", no_args_is_help=True
)


TraderOption = Annotated[
    str | None,
    typer.Option(
        "--trader",
        help="The customer (id or email) a sole trader's business is: it goes with them.",
    ),
]


OrgRef = Annotated[
    str, typer.Argument(help="The organisation's name, business ID or id.", show_default=False)
]


@org_app.command("add")
def org_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The organisation's name.", show_default=False)],
    business_id: Annotated[
        str | None,
        typer.Option("--business-id", help="Finnish business ID (Y-tunnus), e.g. 1572860-0."),
    ] = None,
    sole_trader: Annotated[
        bool,
        typer.Option(
            "--sole-trader",
            help="A sole trader's business (toiminimi): its name and business ID are the "
            "trader's personal data and go with the trader.",
        ),
    ] = False,
    trader: TraderOption = None,
) -> None:
    """Add an organisation; prints its id.

    Example: lautex org add "Matti Virtanen Tmi" --business-id 0737546-2 --sole-trader
    --trader matti@example.fi
    """
    from lautex_registry.records.organisations import add_organisation

    with open_workspace(ctx, write=True) as ws:
        organisation_id = add_organisation(
            ws.conn, ws.actor, name, business_id, sole_trader=sole_trader, trader=trader
        )
    typer.echo(organisation_id)
    say(t("added organisation {id}", id=organisation_id))


@org_app.command("edit")
def org_edit(
    ctx: typer.Context,
    org: OrgRef,
    sole_trader: Annotated[
        bool | None,
        typer.Option(
            "--sole-trader/--no-sole-trader",
            help="Mark as a sole trader's business (the trader's personal data) or as a "
            "legal person (which has no trader).",
            show_default=False,
        ),
    ] = None,
    trader: TraderOption = None,
) -> None:
    """Mark an organisation as a sole trader's business, name its trader, or unmark it.

    Example: lautex org edit "Matti Virtanen Tmi" --sole-trader --trader matti@example.fi
    """
    from lautex_registry.records.organisations import edit_organisation

    with open_workspace(ctx, write=True) as ws:
        changed = edit_organisation(ws.conn, ws.actor, org, sole_trader=sole_trader, trader=trader)
    say(t("changed: {fields}", fields=", ".join(changed)) if changed else t("changed: nothing"))


# `org list --fields` (records.organisations gives these; tests/test_output_rules.py keeps
# them equal): written out so that `-h` lists them without importing the records layer.
FIELDS = ("id", "name", "business_id", "sole_trader", "trader_id", "marketing_prohibited_on",
          "created_at", "customers")  # fmt: skip
COLUMNS = ("id", "name", "business_id", "sole_trader", "customers", "marketing_prohibited_on")
Fields = Annotated[str | None, fields_option(FIELDS, COLUMNS)]


@org_app.command("list")
def org_list(
    ctx: typer.Context,
    limit: LimitOption = None,
    fields: Fields = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List organisations with their number of contacts.

    Example: lautex org list --format csv
    """
    from lautex_registry.records.organisations import list_organisations

    columns = pick_fields(fields, FIELDS, COLUMNS)
    details = {"format": fmt.value}
    with open_workspace(ctx) as ws:
        # A sole trader's name and business ID are the trader's personal data (GDPR
        # Art. 4(1)): handing them out is audited like any list, before the first row leaves.
        rows = ws.reserved_handout(list_organisations(ws.conn), "org list", "organisation", details)
        count = emit_rows(rows, fmt, columns, limit=limit)
        ws.audit_handout("org list", "organisation", None, {"rows": count, **details})


@org_app.command("show")
def org_show(ctx: typer.Context, org: OrgRef, fmt: FormatOption = Format.table) -> None:
    """Show an organisation and the customers who represent it.

    Example: lautex org show "Puutalo Oy"
    """
    from lautex_registry.records.organisations import show_organisation

    with open_workspace(ctx) as ws:
        record = show_organisation(ws.conn, org)
        # The contacts are people: handing out their names is audited like a list.
        ws.audit_handout(
            "org show", "organisation", record["id"], {"contacts": len(record["contacts"])}
        )
    emit_record(record, fmt, title=gettext("organisation"))


@org_app.command("prohibit-marketing")
def org_prohibit_marketing(
    ctx: typer.Context,
    org: OrgRef,
    received: Received = None,
    withdraw: Annotated[
        bool, typer.Option("--withdraw", help="Lift it, at the organisation's own request.")
    ] = False,
) -> None:
    """Record that an organisation prohibits marketing to all its contacts.

    Example: lautex org prohibit-marketing "Puutalo Oy" --received 2026-11-20
    """
    from lautex_registry.platform.validation import parse_date
    from lautex_registry.records.lookup import resolve_organisation_id
    from lautex_registry.records.objections import set_organisation_prohibition

    with open_workspace(ctx, write=True) as ws:
        day = parse_date(received, "received") if received else None  # None: today
        organisation_id = resolve_organisation_id(ws.conn, org)
        result = set_organisation_prohibition(
            ws.conn, ws.actor, organisation_id, day, lift=withdraw
        )
    values = {"id": organisation_id, "day": result.prohibited_on, "count": result.contacts}
    if result.prohibited_on and result.changed:
        say(t("organisation {id}: marketing prohibited since {day}; {count} contacts", **values))
    elif result.prohibited_on:
        say(
            t(
                "organisation {id}: marketing prohibited since {day} (unchanged); {count} contacts",
                **values,
            )
        )
    elif result.changed:
        say(t("organisation {id}: no marketing prohibition; {count} contacts", **values))
    else:
        say(
            t("organisation {id}: no marketing prohibition (unchanged); {count} contacts", **values)
        )
    if withdraw and result.contacts:
        say(t("each contact's own objections stay in force"))
