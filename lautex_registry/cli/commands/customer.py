"""The `customer` group: add, show, list, search, edit and import."""

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.help_text import LautexTyper
from lautex_registry.cli.output import (
    Format,
    FormatOption,
    emit_record,
    emit_rows,
    human_format,
    pick_fields,
    preview_record,
    progress_bar,
    report_restorations,
    say,
    warn,
)
from lautex_registry.cli.params import (
    CUSTOMER_SORTS,
    CUSTOMER_STATES,
    SOURCES,
    Customer,
    DryRun,
    LimitOption,
    PersonLanguage,
    ReportFormat,
    ReportFormatOption,
    Yes,
    choice_option,
    fields_option,
    id_of,
)
from lautex_registry.platform.errors import shown, t
from lautex_registry.platform.i18n import gettext, ngettext

COMMAND = "customer"
# records.importing.runs.BATCH_ROWS (tests/test_import_runs.py keeps the two equal): written
# out here so that `-h` does not import the records layer.
IMPORT_BATCH_ROWS = 2_000

customer_app = LautexTyper(
    help="The people in the register: add, show, list, search, edit, import.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(customer_app, name=COMMAND)


# The fields `customer add` and `customer edit` both take, one option each, in the order of
# records.customers.FIELDS (which names them): declared once, given to both by `_field_options`.
_FIELD_OPTIONS: dict[str, Any] = {
    "first_name": Annotated[
        str | None, typer.Option("--first-name", help="First name, as written.")
    ],
    "last_name": Annotated[str | None, typer.Option("--last-name", help="Last name, as written.")],
    "org": Annotated[
        str | None,
        typer.Option("--org", help="The organisation the person represents: its name or id."),
    ],
    "email": Annotated[str | None, typer.Option("--email", help="Email address (syntax checked).")],
    "phone": Annotated[
        str | None, typer.Option("--phone", help="Phone number; Finnish numbers may omit +358.")
    ],
    "street": Annotated[str | None, typer.Option("--street", help="Street address.")],
    "postal_code": Annotated[
        str | None, typer.Option("--postal-code", help="Postal code (Finland: five digits).")
    ],
    "city": Annotated[str | None, typer.Option("--city", help="Post office / city.")],
    "country": Annotated[
        str | None, typer.Option("--country", help="Two-letter country code. Default on add: FI.")
    ],
    "source": Annotated[
        str | None,
        choice_option("--source", field="source", values=SOURCES, help="Where the data came from."),
    ],
    "source_detail": Annotated[
        str | None,
        typer.Option("--source-detail", help="More about the source, e.g. the reseller."),
    ],
    "language": PersonLanguage,
    "notes": Annotated[
        str | None,
        typer.Option("--notes", help="Customer-service notes (one line, at most 1000 characters)."),
    ],
}


def _field_options(command: Callable[..., None]) -> Callable[..., None]:
    """`command` with the options of _FIELD_OPTIONS in place of its parameter `given`, which
    receives the fields given, by name (records.customers.CustomerFields.given)."""
    signature = inspect.signature(command)
    fields = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=option)
        for name, option in _FIELD_OPTIONS.items()
    ]
    parameters = [
        new
        for old in signature.parameters.values()
        for new in (fields if old.name == "given" else [old.replace(kind=fields[0].kind)])
    ]

    def run(**options: Any) -> None:
        from lautex_registry.records.customers import CustomerFields

        given = CustomerFields(**{name: options.pop(name) for name in _FIELD_OPTIONS}).given()
        command(**options, given=given)

    run.__doc__ = command.__doc__
    run.__annotations__ = {p.name: p.annotation for p in parameters}
    # Typer reads the options from the signature, as it reads a function's own.
    setattr(run, "__signature__", signature.replace(parameters=parameters))  # noqa: B010
    return run


# The fields of `customer list` and `customer search` (records.customers.LIST_FIELDS; a
# test keeps the two equal): written out here so that `-h` lists them without importing
# the records layer, which a command's start-up does not pay for (benchmarks/README.md).
LIST_FIELDS = (
    "id", "first_name", "last_name", "organisation", "organisation_id", "email", "phone",
    "street", "postal_code", "city", "country", "language", "source", "source_detail",
    "notes", "state", "anonymised_on", "created_at", "updated_at", "last_activity",
)  # fmt: skip
LIST_COLUMNS = (
    "id", "first_name", "last_name", "organisation", "email", "phone", "city", "source",
    "state", "last_activity",
)  # fmt: skip
ListFields = Annotated[str | None, fields_option(LIST_FIELDS, LIST_COLUMNS)]


@customer_app.command("add")
@_field_options
def customer_add(ctx: typer.Context, given: dict[str, str]) -> None:
    """Add a customer; prints the new customer's id.

    Example: lautex customer add --first-name Aino --last-name Äijälä --phone "040 123 4567"
    --email aino@example.fi --org "Puutalo Oy" --source web-store
    """
    from lautex_registry.records.customers import add_customer

    with open_workspace(ctx, write=True) as ws:
        written = add_customer(ws.conn, ws.actor, given)
    typer.echo(written.customer_id)
    say(t("added customer {id}", id=written.customer_id))
    report_restorations(written.restored)  # an erased objector's objections are back (Art. 21(3))


@customer_app.command("show")
def customer_show(ctx: typer.Context, customer: Customer, fmt: FormatOption = Format.table) -> None:
    """Show everything the register holds about a customer: data, orders, invoices and more.

    Not as csv (one table cannot hold the orders and invoices): use --format json, or
    `customer list --fields all -f csv` for the customers' own fields. tsv gives the
    fields as `field<TAB>value` lines, then each list as its own section.

    Example: lautex customer show aino@example.fi --format json
    """
    from lautex_registry.platform.errors import InvalidInput
    from lautex_registry.records.lookup import resolve_customer
    from lautex_registry.records.person import person_record

    if fmt is Format.csv:
        # A script would silently lose the orders and invoices (README "Conventions").
        raise InvalidInput(
            t(
                "format: customer show has several tables (orders, invoices, requests, ...); "
                "use --format json, or customer list --fields all --format csv"
            )
        )
    with open_workspace(ctx) as ws:
        customer_id = int(resolve_customer(ws.conn, customer)["id"])
        record = person_record(ws.conn, customer_id)
        # Who looked at whom: a view hands the person's data out as surely as a list.
        ws.audit_handout("customer show", "customer", customer_id, {"format": fmt.value})
    if fmt in (Format.table, Format.tsv):
        emit_record(
            _flatten_for_table(record),
            fmt,
            title=gettext("customer {id}").format(id=record["customer"]["id"]),
        )
    else:
        emit_record(record, fmt)


# The columns of a nested table in `customer show` where all of them would not fit a
# terminal; the ids are those the clerk types next (`request show ID`, `notice sent ID`).
_TABLE_COLUMNS = {
    "requests": ("id", "kind", "received_on", "due_on", "state", "outcome", "closed_on"),
    "notices": ("id", "kind", "addressee_kind", "recipient_id", "source", "fields", "sent_on"),
}


_KEEP_ID = ("requests", "notices")


def _flatten_for_table(record: dict[str, Any]) -> dict[str, Any]:
    """The customer's fields, then one table per non-empty list; order lines as text.

    Ids and creation stamps are left out of the nested tables to fit a terminal
    (except the ids a clerk needs next); `--format json` has everything.
    """
    flat: dict[str, Any] = dict(record["customer"])
    for key, rows in record.items():
        if key == "customer" or not rows:
            continue
        hidden = {"customer_id", "created_at", "created_by"}
        if key not in _KEEP_ID:
            hidden.add("id")
        shown = _TABLE_COLUMNS.get(key)
        flat[key] = [
            {
                k: _lines_text(v) if k == "lines" else v
                for k, v in row.items()
                if k not in hidden and (shown is None or k in shown)
            }
            for row in rows
        ]
    return flat


def _lines_text(lines: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"{x['quantity']} {x['unit']} x {x['product']} @ {x['unit_price']}" for x in lines
    )


@customer_app.command("list")
def customer_list(
    ctx: typer.Context,
    org: Annotated[
        str | None, typer.Option("--org", help="Only this organisation (name or id).")
    ] = None,
    state: Annotated[
        str | None,
        choice_option("--state", field="state", values=CUSTOMER_STATES, help="Only this state."),
    ] = None,
    source: Annotated[
        str | None,
        choice_option("--source", field="source", values=SOURCES, help="Only this source."),
    ] = None,
    sort: Annotated[
        str,
        choice_option(
            "--sort",
            field="sort",
            values=CUSTOMER_SORTS,
            help="id (the order added) or name (last name, first name, in Finnish order: "
            "Å, Ä, Ö after Z).",
        ),
    ] = "id",
    limit: LimitOption = None,
    fields: ListFields = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List customers, optionally of one organisation, state or source.

    Example: lautex customer list --org "Puutalo Oy" --fields all --format csv
    Example: lautex customer list --sort name
    """
    from lautex_registry.records.customers import list_customers

    columns = pick_fields(fields, LIST_FIELDS, LIST_COLUMNS)
    filters = [name for name, v in (("org", org), ("state", state), ("source", source)) if v]
    details: dict[str, Any] = {"format": fmt.value, "filters": filters}
    if fields is not None:
        details["fields"] = columns  # which fields were handed out, when not the usual
    with open_workspace(ctx) as ws:
        rows = list_customers(ws.conn, org=org, state=state, source=source, sort=sort)
        count = emit_rows(ws.reserved_handout(rows, "customer list", "customer", details),
                          fmt, columns, limit=limit)  # fmt: skip
        ws.audit_handout("customer list", "customer", None, {"rows": count, **details})


@customer_app.command("search")
def customer_search(
    ctx: typer.Context,
    text: Annotated[
        str, typer.Argument(help="Words to find in names, email, phone, organisation.")
    ],
    limit: Annotated[
        int,
        typer.Option(
            "--limit",
            help="Show at most this many customers; stderr says how many more matched "
            "(or, when very many match, that more did).",
            parser=id_of("limit"),
        ),
    ] = 100,
    fields: ListFields = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Find customers by name, email, phone or organisation; case and accents do not matter.

    Example: lautex customer search aijala
    """
    from lautex_registry.records.customers import find_customers

    columns = pick_fields(fields, LIST_FIELDS, LIST_COLUMNS)
    with open_workspace(ctx) as ws:
        found = find_customers(ws.conn, text, limit=limit)
        ws.audit_handout("customer search", "customer", None, {"rows": len(found.rows)})
    emit_rows(found.rows, fmt, columns, limit=limit, total=found.total, more=found.more)


@customer_app.command("edit")
@_field_options
def customer_edit(
    ctx: typer.Context,
    customer: Customer,
    given: dict[str, str],
    clear: Annotated[
        list[str] | None,
        typer.Option(
            "--clear",
            help="Empty an optional field: org, email, phone, street, postal_code, city, "
            'source_detail, notes. Repeatable. (`--org ""` does the same.)',
        ),
    ] = None,
) -> None:
    """Change a customer's fields; the audit trail names the fields, not the values.

    Example: lautex customer edit 42 --phone "+358 50 765 4321" --clear org
    """
    from lautex_registry.records.customers import edit_customer

    with open_workspace(ctx, write=True) as ws:
        written = edit_customer(ws.conn, ws.actor, customer, given, clear or [])
    changed = written.changed
    if changed:
        say(
            t(
                "customer {id}: changed {fields}",
                id=written.customer_id,
                fields=", ".join(changed),
            )
        )
    else:
        say(t("customer {id}: nothing changed", id=written.customer_id))
    report_restorations(written.restored)  # an erased objector's objections are back (Art. 21(3))


@customer_app.command("import")
def customer_import(
    ctx: typer.Context,
    file: Annotated[
        str | None,
        typer.Argument(
            help="CSV file (UTF-8 unless --encoding; `,` `;` or tab separated); - reads stdin.",
            show_default=False,
        ),
    ] = None,
    source: Annotated[
        str | None,
        choice_option(
            "--source",
            field="source",
            values=SOURCES,
            help="Source for rows whose source cell is empty.",
        ),
    ] = None,
    dry_run: DryRun = False,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Store the good rows, report the bad ones.")
    ] = False,
    encoding: Annotated[
        str,
        typer.Option(
            "--encoding", help="The file's encoding: cp1252 (Excel on Windows), latin-1, ..."
        ),
    ] = "utf-8",
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            metavar="COLUMN=FIELD",
            help="The field a column with an unknown name holds. Repeatable.",
        ),
    ] = None,
    ignore_extra: Annotated[
        bool, typer.Option("--ignore-extra", help="Leave out columns that name no field.")
    ] = False,
    resume: Annotated[
        int | None,
        typer.Option(
            "--resume",
            metavar="RUN",
            help="Finish an unfinished import run: give the same FILE (checked by its "
            "SHA-256); it goes on after the last stored batch, with the run's options.",
            parser=id_of("resume"),
            show_default=False,
        ),
    ] = None,
    undo: Annotated[
        int | None,
        typer.Option(
            "--undo",
            metavar="RUN",
            help="Remove every customer (and new organisation) an import run stored; "
            "refused when clerks have changed or referred to any of them since. Asks "
            "first (--yes without a terminal).",
            parser=id_of("undo"),
            show_default=False,
        ),
    ] = None,
    list_runs: Annotated[
        bool, typer.Option("--runs", help="List the import runs, newest first.")
    ] = False,
    batch_rows: Annotated[
        int,
        typer.Option(
            "--batch-rows",
            metavar="N",
            help="Rows stored (or removed by --undo) per write transaction: a clerk's write "
            "waits one batch at most.",
            parser=id_of("batch-rows", maximum=1_000_000),
        ),
    ] = IMPORT_BATCH_ROWS,
    yes: Yes = False,
    limit: LimitOption = None,
    fmt: ReportFormatOption = ReportFormat.text,
) -> None:
    """Import customers from a CSV file whose header names the fields, in English or Finnish.

    Every row is validated first; by default one bad row means nothing is written (exit
    2, with --dry-run too). Each bad row and each duplicate email is reported on stderr
    with its line number. Header names: first_name/etunimi, last_name/sukunimi,
    org/yritys, business_id/y-tunnus, email/sähköposti, phone/puhelin,
    street/katuosoite, postal_code/postinumero, city/postitoimipaikka, country/maa,
    source/lähde, source_detail, language/kieli, notes (README: Importing customers).
    The good rows are then stored in batches as one import run, which an error or
    Ctrl-C leaves unfinished: finish it with --resume or remove it with --undo.

    Example: lautex customer import asiakkaat.csv --encoding cp1252 --source reseller
    Example: lautex customer import --resume 3 asiakkaat.csv
    Example: lautex customer import --undo 3 --yes
    """
    from lautex_registry.platform.errors import InvalidInput

    given = (("--resume", resume), ("--undo", undo), ("--runs", list_runs or None))
    modes = [name for name, value in given if value is not None]
    if len(modes) > 1:
        options = modes[0]
        for mode in modes[1:]:
            options = gettext("{first} and {second}").format(first=options, second=mode)
        raise InvalidInput(
            t("{field}: give one of {options}", field=modes[1].lstrip("-"), options=options)
        )
    if list_runs or undo is not None:
        if file is not None:
            raise InvalidInput(t("file: {option} takes no FILE", option=modes[0]))
        if list_runs:
            _import_runs(ctx, fmt, limit)
        else:
            _undo_import(ctx, undo or 0, dry_run=dry_run, yes=yes, batch_rows=batch_rows, fmt=fmt)
        return
    if resume is not None and (
        source is not None or skip_invalid or encoding != "utf-8" or mapping or ignore_extra
    ):
        raise InvalidInput(
            t(
                "resume: the run reads its file with the options it was started with: give "
                "none of --source, --skip-invalid, --encoding, --map, --ignore-extra"
            )
        )
    _import_file(
        ctx, file, source=source, dry_run=dry_run, skip_invalid=skip_invalid,
        encoding=encoding, mapping=mapping or [], ignore_extra=ignore_extra, resume=resume,
        batch_rows=batch_rows, fmt=fmt,
    )  # fmt: skip


def _import_file(
    ctx: typer.Context, file: str | None, *, source: str | None, dry_run: bool, skip_invalid: bool,
    encoding: str, mapping: list[str], ignore_extra: bool, resume: int | None,
    batch_rows: int, fmt: ReportFormat,
) -> None:  # fmt: skip
    import json
    import sys

    from lautex_registry.platform.errors import InvalidInput
    from lautex_registry.records.importing.run import import_customers

    stdin = file == "-"
    with (
        open_workspace(ctx) as ws,
        progress_bar() as bar,
    ):
        if file is None:  # asked after the permission: a role that may not import hears that
            raise InvalidInput(t("file: give the CSV file to import (- reads stdin), or --runs"))
        progress = (
            None if stdin else bar.counter(gettext("importing {file}").format(file=Path(file).name))
        )
        report = import_customers(
            ws.conn, ws.actor, sys.stdin.buffer if stdin else Path(file),
            default_source=source, dry_run=dry_run, skip_invalid=skip_invalid,
            encoding=encoding, mapping=mapping, ignore_extra=ignore_extra,
            progress=progress, resume=resume, batch_rows=batch_rows,
        )  # fmt: skip
    for problem in report.problems:
        warn(t("line {line}: {reason}", line=problem.line, reason=shown(problem.reason)))
    report_restorations(report.restored)  # erased objectors' objections are back (Art. 21(3))
    if fmt is ReportFormat.json:
        sys.stdout.write(json.dumps(report.as_json(), ensure_ascii=False, indent=2) + "\n")
    summary = shown(report.summary())
    if report.failed:
        if stdin:
            raise InvalidInput(t("standard input: {summary}", summary=summary))
        raise InvalidInput(f"{Path(file).name}: {summary}")
    say(summary)


def _import_runs(ctx: typer.Context, fmt: ReportFormat, limit: int | None) -> None:
    from lautex_registry.records.importing.runs import RUN_COLUMNS, list_runs

    with open_workspace(ctx) as ws:
        rows = list_runs(ws.conn)
    emit_rows(rows, Format.json if fmt is ReportFormat.json else human_format(),
              list(RUN_COLUMNS), title=gettext("import runs"), limit=limit)  # fmt: skip


def _undo_import(
    ctx: typer.Context, run: int, *, dry_run: bool, yes: bool, batch_rows: int,
    fmt: ReportFormat,
) -> None:  # fmt: skip
    import json
    import sys

    from lautex_registry.cli.prompts import confirm_or_abort
    from lautex_registry.records.importing.runs import kept_notes
    from lautex_registry.records.importing.runs import undo as undo_run

    with open_workspace(ctx) as ws:
        plan = undo_run(ws.conn, ws.actor, run, dry_run=True)  # refused here when it cannot be
        preview = {"run": run, "customers": plan.customers, "organisations": plan.organisations}
        preview_record(preview, title=gettext("undo import run {run}").format(run=run), yes=yes)
        if dry_run:
            if fmt is ReportFormat.json:  # a script asking for JSON gets the plan on stdout
                sys.stdout.write(json.dumps({**preview, "dry_run": True}, indent=2) + "\n")
            say(t("dry run: nothing was changed"))
            return
        question = ngettext(
            "Remove the {count} customers import run {run} stored?",
            "Remove the {count} customers import run {run} stored?",
            plan.customers,
        )
        confirm_or_abort(question.format(count=plan.customers, run=run), assume_yes=yes)
        done = undo_run(ws.conn, ws.actor, run, batch_rows=batch_rows)
    if fmt is ReportFormat.json:
        result = {"run": run, "customers_removed": done.customers,
                  "organisations_removed": done.organisations,
                  "customers_kept": list(done.kept),
                  "organisations_kept": list(done.kept_organisations)}  # fmt: skip
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
    say(
        t(
            "import run {run} undone: {customers} customers and {organisations} organisations "
            "removed",
            run=run,
            customers=done.customers,
            organisations=done.organisations,
        )
    )
    for note in kept_notes(done):
        warn(note)  # the clerks' work, kept: the reader should know which
