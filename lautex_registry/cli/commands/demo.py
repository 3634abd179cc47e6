"""`lautex demo`: a register of made-up people to learn on."""

from typing import Annotated

import typer

from lautex_registry.cli.output import say
from lautex_registry.platform.errors import t
from lautex_registry.platform.i18n import ngettext

COMMAND = "demo"


def _count_words(what: str, n: int) -> str:
    """`12 customers` in the interface's language; `what` is a key of the demo's counts
    (demo/story.py), shown as it is if it has no words here."""
    forms = {
        "organisations": ngettext("{n} organisations", "{n} organisations", n),
        "customers": ngettext("{n} customers", "{n} customers", n),
        "inactive over 3 years": ngettext(
            "{n} inactive over 3 years", "{n} inactive over 3 years", n
        ),
        "orders": ngettext("{n} orders", "{n} orders", n),
        "recipients": ngettext("{n} recipients", "{n} recipients", n),
        "disclosures": ngettext("{n} disclosures", "{n} disclosures", n),
        "consents": ngettext("{n} consents", "{n} consents", n),
        "objections": ngettext("{n} objections", "{n} objections", n),
        "requests": ngettext("{n} requests", "{n} requests", n),
        "requests open": ngettext("{n} requests open", "{n} requests open", n),
        "restricted": ngettext("{n} restricted", "{n} restricted", n),
    }
    return forms.get(what, "{n} " + what).format(n=n)


def register(app: typer.Typer) -> None:
    app.command(COMMAND)(demo)


def demo(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Where to build it (default: data/demo.db).", show_default=False),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Replace a demo register built earlier at that path (nothing else)."
        ),
    ] = False,
) -> None:
    """Build a demo register with made-up data and log its demo admin in.

    Example: lautex demo && lautex --db data/demo.db status
    """
    from pathlib import Path

    from lautex_registry.demo.build import DEFAULT_DEMO_DB, build_demo

    # The demo never lands in $LAUTEX_DB by accident: only an explicit --db moves it.
    path = Path(db or ctx.find_root().params.get("db") or DEFAULT_DEMO_DB)
    built = build_demo(path, replace=force)
    counts = ", ".join(_count_words(what, n) for what, n in built.counts.items())
    say(t("built the demo register {path}: {counts}", path=built.path, counts=counts))
    say(t("WARNING: this is a DEMO register with made-up people; never put real data in it."))
    say(
        t(
            "demo admin {username!r} is logged in; the password (shown once) is:",
            username=built.username,
        )
    )
    typer.echo(built.password)
    say(t("next: export LAUTEX_DB={path} (or `lautex --db {path} config --save`), "
          "then lautex status", path=built.path))  # fmt: skip
