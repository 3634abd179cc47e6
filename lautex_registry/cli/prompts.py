"""Reading passwords: twice at a prompt, or once from standard input for scripts."""

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


def confirm_or_abort(question: str, *, assume_yes: bool) -> None:
    """Destructive commands ask first unless --yes; without a terminal they need --yes."""
    if assume_yes:
        return
    if not sys.stdin.isatty():
        raise InvalidInput("refusing to go on without confirmation: add --yes")
    if not typer.confirm(question, default=False, err=True):
        raise Declined("declined at the prompt: nothing changed")
