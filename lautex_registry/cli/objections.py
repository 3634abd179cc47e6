"""What `object` and `publication-ban` share: recording the objection and telling what changed."""

from collections.abc import Sequence
from typing import TYPE_CHECKING

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.output import say
from lautex_registry.platform.errors import t
from lautex_registry.platform.i18n import gettext

if TYPE_CHECKING:
    from lautex_registry.records.objections import ObjectionChange


def record_objection(
    ctx: typer.Context,
    customer: str,
    purposes: list[str],
    received: str | None,
    channel: str,
    withdraw: bool,
    request: int | None,
    *,
    ban: bool,
) -> None:
    from lautex_registry.platform.errors import InvalidInput
    from lautex_registry.platform.validation import date_or_today
    from lautex_registry.records import objections
    from lautex_registry.records.lookup import resolve_customer

    # The permission is checked first (open_workspace), then the input.
    with open_workspace(ctx, write=True) as ws:
        if not ban and objections.PUBLICATION in purposes:
            raise InvalidInput(t("purpose: record a publication ban with `lautex publication-ban`"))
        day = date_or_today(received, "received")
        customer_id = int(resolve_customer(ws.conn, customer)["id"])
        change = objections.record_objections(
            ws.conn, ws.actor, customer_id, purposes, day, channel,
            request_id=request, withdraw=withdraw,
        )  # fmt: skip
    _tell_objection_change(customer_id, change)


def _tell_objection_change(customer_id: int, change: "ObjectionChange") -> None:
    def name(purposes: Sequence[str]) -> str:
        ban = gettext("publication ban")
        return ", ".join(ban if p == "publication" else p for p in purposes)

    if change.recorded:
        say(t("customer {id}: recorded {purposes}; in force at once", id=customer_id,
              purposes=name(change.recorded)))  # fmt: skip
    if change.already:
        say(t("customer {id}: already in force, unchanged: {purposes}", id=customer_id,
              purposes=name(change.already)))  # fmt: skip
    if change.withdrawn:
        say(t("customer {id}: withdrawn at the person's request: {purposes}", id=customer_id,
              purposes=name(change.withdrawn)))  # fmt: skip
    if change.not_in_force:
        say(t("customer {id}: nothing in force to withdraw for {purposes}", id=customer_id,
              purposes=name(change.not_in_force)))  # fmt: skip
