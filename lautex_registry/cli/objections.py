"""What `object` and `publication-ban` share: recording the objection and telling what changed."""

from collections.abc import Sequence
from typing import TYPE_CHECKING

import typer

from lautex_registry.cli.context import open_workspace
from lautex_registry.cli.output import say

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
            raise InvalidInput("purpose: record a publication ban with `lautex publication-ban`")
        day = date_or_today(received, "received")
        customer_id = int(resolve_customer(ws.conn, customer)["id"])
        change = objections.record_objections(
            ws.conn, ws.actor, customer_id, purposes, day, channel,
            request_id=request, withdraw=withdraw,
        )  # fmt: skip
    _tell_objection_change(customer_id, change)


def _tell_objection_change(customer_id: int, change: "ObjectionChange") -> None:
    def name(purposes: Sequence[str]) -> str:
        return ", ".join("publication ban" if p == "publication" else p for p in purposes)

    if change.recorded:
        say(f"customer {customer_id}: recorded {name(change.recorded)}; in force at once")
    if change.already:
        say(f"customer {customer_id}: already in force, unchanged: {name(change.already)}")
    if change.withdrawn:
        say(f"customer {customer_id}: withdrawn at the person's request: {name(change.withdrawn)}")
    if change.not_in_force:
        say(f"customer {customer_id}: nothing in force to withdraw for {name(change.not_in_force)}")
