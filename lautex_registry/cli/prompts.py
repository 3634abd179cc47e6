"""Reading passwords and confirmations: the one prompt helper of the command line."""

import sys

import typer

from lautex_registry.platform.errors import Declined, InvalidInput


def read_password(*, from_stdin: bool, confirm: bool, prompt: str = "Password") -> str:
    if from_stdin:
        try:
            line = sys.stdin.readline()
        except UnicodeDecodeError as exc:
            raise InvalidInput("password: standard input is not UTF-8 text") from exc
        password = _utf8(line.rstrip("\r\n"))
        if not password:
            raise InvalidInput("password: nothing was read from standard input")
        return password
    if not sys.stdin.isatty():
        # A script or cron job has no terminal to ask at: say how to give it instead.
        raise InvalidInput("password: no terminal to ask at; pipe it in with --password-stdin")
    try:
        value: str = typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm)
    except UnicodeDecodeError as exc:
        raise InvalidInput("password: not UTF-8 text") from exc
    return _utf8(value)


def _utf8(password: str) -> str:
    """A password whose bytes were not UTF-8 (kept as surrogates) cannot be typed again."""
    try:
        password.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInput("password: not UTF-8 text") from exc
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
            "refusing to go on without confirmation: add --yes (or --dry-run to see what it does)"
        )
    if not ask_yes_no(question):
        raise Declined("declined at the prompt: nothing changed")


def ask_yes_no(question: str) -> bool:
    """Ask at the terminal (stderr) until the answer is yes or no in either language."""
    while True:
        answer: str = typer.prompt(
            f"{question} [y/N] (k/E)", default="", show_default=False, err=True
        )
        word = answer.strip().casefold()
        if word in YES_ANSWERS:
            return True
        if word in NO_ANSWERS:
            return False
        typer.echo("answer y or yes (k, kyllä), or n or no (e, ei)", err=True)
