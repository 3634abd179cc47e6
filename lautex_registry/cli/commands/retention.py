"""The `retention` group: the policy and the nightly job."""

import os
import sys
from datetime import date
from typing import TYPE_CHECKING

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.help_text import LautexTyper
from lautex_registry.cli.output import (
    Format,
    FormatOption,
    emit_record,
    emit_rows,
    progress_bar,
    say,
    warn,
)
from lautex_registry.cli.params import AsOf, DryRun, Yes
from lautex_registry.platform.errors import t
from lautex_registry.platform.i18n import gettext, pgettext

if TYPE_CHECKING:
    from lautex_registry.cli.context import Workspace
    from lautex_registry.erasure.retention import RunSummary

COMMAND = "retention"

retention_app = LautexTyper(
    help="Retention policy and the job that enforces it.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(retention_app, name=COMMAND)


# For tests and rehearsals: batch size and a pause inside each batch (seconds).
BATCH_ENV = "LAUTEX_RETENTION_BATCH"


PAUSE_ENV = "LAUTEX_RETENTION_PAUSE"


def policy_words(name: str) -> str:
    """A retention policy's name (a code of erasure/retention.py, kept as it is in tsv, csv
    and json) in the words of the interface, for the due counts and the progress bar."""
    words = {
        "vouchers": pgettext("retention policy", "vouchers"),
        "finished-erasures": pgettext("retention policy", "finished-erasures"),
        "inactive-customers": pgettext("retention policy", "inactive-customers"),
        "closed-requests": pgettext("retention policy", "closed-requests"),
        "documents": pgettext("retention policy", "documents"),
        "backups": pgettext("retention policy", "backups"),
    }
    return words.get(name, name)


def _as_of(text: str | None) -> date:
    from lautex_registry.platform.validation import date_or_today

    return date_or_today(text, "as-of")


@retention_app.command("show")
def retention_show(
    ctx: typer.Context, as_of: AsOf = None, fmt: FormatOption = Format.table
) -> None:
    """Show each retention policy, its period and how many rows it would touch on a date.

    Example: lautex retention show --as-of 2031-01-01
    """
    from lautex_registry.erasure.retention import show_policies

    with open_workspace(ctx) as ws:
        rows = show_policies(ws.conn, _as_of(as_of))
    emit_rows(rows, fmt, ["policy", "period", "action", "due", "holding", "law"])


def _run(ws: "Workspace", day: date, dry_run: bool) -> "RunSummary":
    from lautex_registry.erasure.retention import DEFAULT_BATCH, run_retention
    from lautex_registry.platform.validation import record_id, seconds

    batch = record_id(os.environ.get(BATCH_ENV) or str(DEFAULT_BATCH), BATCH_ENV, maximum=100_000)
    pause = seconds(os.environ.get(PAUSE_ENV) or "0", PAUSE_ENV, maximum=60.0)
    if sys.stderr.isatty() and not dry_run:
        with progress_bar() as bar:
            return run_retention(
                ws.conn, ws.actor, day, batch=batch, pause=pause, progress=bar.advance,
                totals=lambda counts: bar.totals(counts, policy_words),
            )  # fmt: skip
    return run_retention(ws.conn, ws.actor, day, dry_run=dry_run, batch=batch, pause=pause)


@retention_app.command("run")
def retention_run(
    ctx: typer.Context,
    as_of: AsOf = None,
    dry_run: DryRun = False,
    yes: Yes = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Enforce the retention policy: anonymise, finish erasures, strip vouchers, purge.

    Prints only the summary (counts per policy) on stdout; exit 6 if a run is already
    going. Irreversible: at a terminal it shows what is due and asks first unless --yes;
    without one (cron) it needs --yes.

    Example: LAUTEX_TOKEN=... lautex retention run --yes --format json
    """
    from lautex_registry.cli.prompts import confirm_or_abort
    from lautex_registry.erasure.holds import RetentionPolicy
    from lautex_registry.erasure.retention import due_counts, refuse_future_run

    day = _as_of(as_of)
    refuse_future_run(day, dry_run=dry_run)
    with open_workspace(ctx) as ws:
        if not dry_run:
            # Irreversible (docs/rules.md §6): what is due is shown before the question; a
            # cron line gives --yes.
            if not yes and sys.stdin.isatty():
                due = due_counts(ws.conn, day, RetentionPolicy.of(ws.conn))
                say(", ".join(f"{policy_words(name)}: {count}" for name, count in due.items()))
            confirm_or_abort(gettext("Run the retention job now?"), assume_yes=yes)
        summary = _run(ws, day, dry_run)
    if fmt in (Format.json, Format.jsonl):
        # The same fields in both, run_id included: jsonl is the summary on one line.
        emit_record(summary.as_dict(), fmt)
    else:
        emit_rows(summary.rows(), fmt, ["policy", "count"])
    if dry_run:
        say(t("dry run: nothing was changed"))
    if not summary.checkpointed:
        warn(t("warning: a reader kept the WAL from being truncated; the next run retries"))
