"""The `order` group: previous orders and their lines."""

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
from lautex_registry.cli.params import (
    ORDER_CHANNELS,
    Customer,
    LimitOption,
    choice_option,
    fields_option,
)
from lautex_registry.platform.errors import t
from lautex_registry.platform.i18n import gettext

COMMAND = "order"

order_app = LautexTyper(help="Orders and their lines: add, list, show.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(order_app, name=COMMAND)


@order_app.command("add")
def order_add(
    ctx: typer.Context,
    customer: Customer,
    number: Annotated[str, typer.Option("--number", help="The order number.")],
    order_date: Annotated[str, typer.Option("--date", help="Order date (YYYY-MM-DD).")],
    channel: Annotated[
        str,
        choice_option(
            "--channel",
            field="channel",
            values=ORDER_CHANNELS,
            help="Where the order came from: counter, phone, email, web-store or reseller.",
        ),
    ],
    line: Annotated[
        list[str],
        typer.Option(
            "--line",
            help='"PRODUCT;QUANTITY [UNIT];UNIT_PRICE": the quantity may have three decimals '
            "(1,5 or 1.5), the unit is kpl (the default), jm, m, m², m³, kg, t, l, pkt or h "
            "(m2, m3 also), the unit price is in euros per unit; repeatable. A line's amount "
            "is rounded to the cent half up.",
        ),
    ],
    reseller: Annotated[
        str | None, typer.Option("--reseller", help="The reseller (channel reseller).")
    ] = None,
) -> None:
    """Record an order; its date becomes the customer's latest activity.

    Example: lautex order add 42 --number T-1001 --date 2026-11-20 --channel counter
    --line "Terrace board 28x120;12,5 jm;3.85" --line "Screws 100 pcs;1;4.90"
    """
    from lautex_registry.records.orders import add_order

    with open_workspace(ctx, write=True) as ws:
        add_order(
            ws.conn, ws.actor, customer, number=number, order_date=order_date,
            channel=channel, reseller=reseller, lines=line,
        )  # fmt: skip
    say(t("added order {number}", number=number.strip()))


# `order list --fields` (records.orders gives these; tests/test_output_rules.py keeps them
# equal): written out so that `-h` lists them without importing the records layer.
FIELDS = ("number", "order_date", "customer_id", "customer", "channel", "reseller", "total")
Fields = Annotated[str | None, fields_option(FIELDS, FIELDS)]


@order_app.command("list")
def order_list(
    ctx: typer.Context,
    customer: Annotated[
        str | None, typer.Option("--customer", help="Only this customer (id or email).")
    ] = None,
    since: Annotated[str | None, typer.Option("--since", help="Orders from this date on.")] = None,
    limit: LimitOption = None,
    fields: Fields = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List orders by date.

    Example: lautex order list --customer aino@example.fi --since 2026-01-01
    """
    from lautex_registry.records.orders import list_orders

    columns = pick_fields(fields, FIELDS, FIELDS)
    filters = [name for name, v in (("customer", customer), ("since", since)) if v]
    details = {"format": fmt.value, "filters": filters}
    with open_workspace(ctx) as ws:
        rows = list_orders(ws.conn, customer=customer, since=since)
        # The list names customers: handing personal data out is audited, before it leaves.
        count = emit_rows(ws.reserved_handout(rows, "order list", "order", details), fmt,
                          columns, limit=limit)  # fmt: skip
        ws.audit_handout("order list", "order", None, {"rows": count, **details})


@order_app.command("show")
def order_show(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(help="The order number.", show_default=False)],
    fmt: FormatOption = Format.table,
) -> None:
    """Show an order with its lines, total and invoices.

    Example: lautex order show T-1001 --format json
    """
    from lautex_registry.records.orders import show_order

    with open_workspace(ctx) as ws:
        emit_record(
            show_order(ws.conn, number),
            fmt,
            title=gettext("order {number}").format(number=number.strip()),
        )
