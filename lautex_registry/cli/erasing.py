"""What `erase` and `anonymise` share: the options, the plan shown, the confirmation."""

from collections.abc import Callable
from typing import TYPE_CHECKING

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.output import Format, FormatOption, emit_record, say, warn
from lautex_registry.cli.params import Customer, DryRun, RequestOption, Yes
from lautex_registry.platform.errors import t
from lautex_registry.platform.i18n import gettext, ngettext, pgettext

if TYPE_CHECKING:
    from lautex_registry.erasure.plan import ErasurePlan


def describe(result: "ErasurePlan") -> str:
    """The one line that says what an erasure did, in the interface's language."""
    end = result.last_hold_ends
    if result.outcome == "erased":
        return gettext("customer {id} erased completely").format(id=result.customer_id)
    # The outcome is the customer's state code (erasure/plan.py); shown in words here.
    words = {
        "anonymised": pgettext("erasure outcome", "anonymised"),
        "anonymised-with-holds": pgettext("erasure outcome", "anonymised-with-holds"),
    }
    outcome = words.get(result.outcome, result.outcome)
    if end is None:
        return gettext("customer {id} {outcome}").format(id=result.customer_id, outcome=outcome)
    count = len(result.holds)
    return ngettext(
        "customer {id} {outcome}; {count} hold(s), the last ending {date}",
        "customer {id} {outcome}; {count} hold(s), the last ending {date}",
        count,
    ).format(id=result.customer_id, outcome=outcome, count=count, date=end.isoformat())


def erasure_command(mode: str) -> Callable[..., None]:
    """The command `lautex erase` or `lautex anonymise` (`mode`): one set of options, one run."""

    def command(
        ctx: typer.Context,
        customer: Customer,
        request: RequestOption = None,
        dry_run: DryRun = False,
        yes: Yes = False,
        fmt: FormatOption = Format.table,
    ) -> None:
        from lautex_registry.erasure.plan import plan_erasure, refuse_repeat
        from lautex_registry.platform.clock import today
        from lautex_registry.records.lookup import resolve_customer

        with open_workspace(ctx) as ws:
            customer_id = int(resolve_customer(ws.conn, customer)["id"])
            shown = plan_erasure(ws.conn, customer_id, mode, today(), request_id=request)
            refuse_repeat(shown)
            record = shown.as_brief_dict() if fmt is Format.table else shown.as_dict()
            title = (
                gettext("erase customer {id}")
                if mode == "erase"
                else gettext("anonymise customer {id}")
            )
            emit_record(record, fmt, title=title.format(id=customer_id))
            if dry_run:
                say(t("dry run: nothing was changed"))
                return
            # Only a real erasure needs these (a dry run starts quicker without them).
            from lautex_registry.cli.prompts import confirm_or_abort
            from lautex_registry.erasure.erase import carry_out

            question = (
                gettext("Erase customer {id} as shown?")
                if mode == "erase"
                else gettext("Anonymise customer {id} as shown?")
            )
            confirm_or_abort(question.format(id=customer_id), assume_yes=yes)
            done = carry_out(ws.conn, ws.actor, customer_id, mode, today(), request_id=request)
        say(describe(done))
        if not done.checkpointed:
            warn(t("warning: another connection kept the -wal file from being truncated: old "
                   "page images stay in it until the next erasure or retention run"))  # fmt: skip
        if done.request_id is not None:
            say(t("request {id} closed: {outcome}", id=done.request_id,
                  outcome=done.request_outcome))  # fmt: skip

    return command
