"""The `invoice` group: the invoices billed for orders, from issue to payment or collection."""

from typing import Annotated

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.help_text import LautexTyper
from lautex_registry.cli.output import (
    Format,
    FormatOption,
    emit_rows,
    pick_fields,
    preview_record,
    say,
)
from lautex_registry.cli.params import DryRun, EventDate, FailIfAny, LimitOption, Yes, fields_option
from lautex_registry.platform.errors import t
from lautex_registry.platform.i18n import gettext

COMMAND = "invoice"

invoice_app = LautexTyper(
    help="Invoices: add, pay, remind, collect, write-off, list.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(invoice_app, name=COMMAND)


InvoiceNumber = Annotated[str, typer.Argument(help="The invoice number.", show_default=False)]


@invoice_app.command("add")
def invoice_add(
    ctx: typer.Context,
    order: Annotated[str, typer.Argument(help="The order number to bill.", show_default=False)],
    number: Annotated[str, typer.Option("--number", help="The invoice number.")],
    issued: Annotated[str, typer.Option("--issued", help="Issue date (YYYY-MM-DD).")],
    due: Annotated[str, typer.Option("--due", help="Due date (YYYY-MM-DD).")],
) -> None:
    """Invoice an order's total; the billing name and address are kept as they are today.

    Example: lautex invoice add T-1001 --number 2026-0457 --issued 2026-11-20 --due 2026-12-04
    """
    from lautex_registry.records.invoices import add_invoice

    with open_workspace(ctx, write=True) as ws:
        add_invoice(ws.conn, ws.actor, order, number=number, issued=issued, due=due)
    say(t("added invoice {number}", number=number.strip()))


@invoice_app.command("pay")
def invoice_pay(ctx: typer.Context, number: InvoiceNumber, on: EventDate) -> None:
    """Mark an invoice paid.

    Example: lautex invoice pay 2026-0457 --date 2026-11-24
    """
    from lautex_registry.records.invoices import pay_invoice

    with open_workspace(ctx, write=True) as ws:
        pay_invoice(ws.conn, ws.actor, number, on)
    say(t("invoice {number} is paid", number=number.strip()))


@invoice_app.command("remind")
def invoice_remind(ctx: typer.Context, number: InvoiceNumber, on: EventDate) -> None:
    """Record a payment reminder (it restarts the 3-year limitation period).

    Example: lautex invoice remind 2026-0457 --date 2026-12-10
    """
    from lautex_registry.records.invoices import remind_invoice

    with open_workspace(ctx, write=True) as ws:
        remind_invoice(ws.conn, ws.actor, number, on)
    say(t("invoice {number}: reminder recorded", number=number.strip()))


@invoice_app.command("collect")
def invoice_collect(
    ctx: typer.Context,
    number: InvoiceNumber,
    agency: Annotated[str, typer.Option("--agency", help="The collection agency.")],
    on: EventDate,
) -> None:
    """Send an open invoice to a collection agency.

    Example: lautex invoice collect 2026-0457 --agency "Perintä Oy" --date 2027-01-15
    """
    from lautex_registry.records.invoices import collect_invoice

    with open_workspace(ctx, write=True) as ws:
        collect_invoice(ws.conn, ws.actor, number, agency=agency, on=on)
    say(t("invoice {number} is in collection", number=number.strip()))


@invoice_app.command("write-off")
def invoice_write_off(
    ctx: typer.Context,
    number: InvoiceNumber,
    on: EventDate,
    dry_run: DryRun = False,
    yes: Yes = False,
) -> None:
    """Write off an open or in-collection invoice: irreversible, so it shows the invoice and
    asks first (without a terminal it needs --yes).

    Example: lautex invoice write-off 2026-0457 --date 2027-06-30 --yes
    """
    from lautex_registry.cli.prompts import confirm_or_abort
    from lautex_registry.records.invoices import write_off_invoice, write_off_plan

    with open_workspace(ctx) as ws:
        plan = write_off_plan(ws.conn, number, on)
        preview_record(plan, title=gettext("invoice write-off"), yes=yes)
        if dry_run:
            say(t("dry run: nothing was changed"))
            return
        question = gettext("Write off invoice {number} for good?").format(number=plan["invoice"])
        confirm_or_abort(question, assume_yes=yes)
        with ws.writing():
            write_off_invoice(ws.conn, ws.actor, number, on)
    say(t("invoice {number} is written off", number=number.strip()))


# `invoice list --fields` (records.invoices gives these; tests/test_output_rules.py keeps
# them equal): written out so that `-h` lists them without importing the records layer.
COLUMNS = ("number", "order", "customer_id", "billing_name", "issued_on", "due_on", "amount",
           "state", "paid_on", "last_reminder_on", "collection_agency")  # fmt: skip
FIELDS = (*COLUMNS, "collection_on", "written_off_on", "billing_organisation", "billing_street",
          "billing_postal_code", "billing_city", "billing_country",
          "billing_data_removed_on")  # fmt: skip
Fields = Annotated[str | None, fields_option(FIELDS, COLUMNS)]


@invoice_app.command("list")
def invoice_list(
    ctx: typer.Context,
    open_only: Annotated[
        bool, typer.Option("--open", help="Only open claims (open or in collection).")
    ] = False,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Only open invoices (not in collection) past due.")
    ] = False,
    fail_if_any: FailIfAny = False,
    limit: LimitOption = None,
    fields: Fields = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List invoices by due date.

    Example: lautex invoice list --overdue --fail-if-any --format csv
    """
    from lautex_registry.platform.errors import Refused
    from lautex_registry.records.invoices import list_invoices

    columns = pick_fields(fields, FIELDS, COLUMNS)
    details = {"format": fmt.value}
    with open_workspace(ctx) as ws:
        rows = list_invoices(ws.conn, open_only=open_only, overdue_only=overdue)
        # Invoices carry billing names and addresses: handing them out is audited first.
        count = emit_rows(ws.reserved_handout(rows, "invoice list", "invoice", details), fmt,
                          columns, limit=limit)  # fmt: skip
        ws.audit_handout("invoice list", "invoice", None, {"rows": count, **details})
    if fail_if_any and count:
        if overdue:
            raise Refused(
                t("{count} invoice(s) overdue: remind, collect or write them off", count=count)
            )
        raise Refused(
            t("{count} invoice(s) listed: remind, collect or write them off", count=count)
        )
