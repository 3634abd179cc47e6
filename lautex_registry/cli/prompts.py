"""Reading passwords and confirmations: the one prompt helper of the command line."""

import sys

import typer

from lautex_registry.platform.errors import Declined, InvalidInput, t
from lautex_registry.platform.i18n import gettext


def read_password(*, from_stdin: bool, confirm: bool, prompt: str | None = None) -> str:
    if from_stdin:
        try:
            line = sys.stdin.readline()
        except UnicodeDecodeError as exc:
            raise InvalidInput(t("password: standard input is not UTF-8 text")) from exc
        password = _utf8(line.rstrip("\r\n"))
        if not password:
            raise InvalidInput(t("password: nothing was read from standard input"))
        return password
    if not sys.stdin.isatty():
        # A script or cron job has no terminal to ask at: say how to give it instead.
        raise InvalidInput(t("password: no terminal to ask at; pipe it in with --password-stdin"))
    try:
        value = _ask_password(prompt or gettext("Password"), confirm=confirm)
    except UnicodeDecodeError as exc:
        raise InvalidInput(t("password: not UTF-8 text")) from exc
    return _utf8(value)


def _ask_password(question: str, *, confirm: bool) -> str:
    """Typer's own confirmation loop, with its mismatch line in the interface's language
    (Typer writes that line in English only): asked again until both entries match."""
    while True:
        value: str = typer.prompt(question, hide_input=True)
        if not confirm:
            return value
        again: str = typer.prompt(gettext("Repeat for confirmation"), hide_input=True)
        if value == again:
            return value
        # Where Typer writes it (standard output), in the same words in English.
        typer.echo(gettext("Error: The two entered values do not match."))


def _utf8(password: str) -> str:
    """A password whose bytes were not UTF-8 (kept as surrogates) cannot be typed again."""
    try:
        password.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInput(t("password: not UTF-8 text")) from exc
    return password


# The answers a confirmation takes, in English and Finnish (README "Conventions"); an empty
# answer is no: an irreversible step never happens by pressing Enter.
YES_ANSWERS = frozenset({"y", "yes", "k", "kyllä", "kylla"})
NO_ANSWERS = frozenset({"", "n", "no", "e", "ei"})


def confirm_or_abort(question: str, *, assume_yes: bool) -> None:
    """Irreversible commands ask first unless --yes; without a terminal they need --yes.

    Declining raises Declined (exit 8, "nothing changed"); Ctrl-C or end of input at the
    question is an interruption (exit 130), turned so by the error boundary in cli/app.py.
    """
    if assume_yes:
        return
    if not sys.stdin.isatty():
        raise InvalidInput(
            t(
                "refusing to go on without confirmation: add --yes (or --dry-run to see what it"
                " does)"
            )
        )
    if not ask_yes_no(question):
        raise Declined(t("declined at the prompt: nothing changed"))


def ask_yes_no(question: str) -> bool:
    """Ask at the terminal (stderr) until the answer is yes or no in either language."""
    while True:
        # A Finnish clerk sees the Finnish answers first; both languages' are taken.
        answer: str = typer.prompt(
            gettext("{question} [y/N] (k/E)").format(question=question),
            default="",
            show_default=False,
            err=True,
        )
        word = answer.strip().casefold()
        if word in YES_ANSWERS:
            return True
        if word in NO_ANSWERS:
            return False
        typer.echo(gettext("answer y or yes (k, kyllä), or n or no (e, ei)"), err=True)
