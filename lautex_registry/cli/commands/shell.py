"""`lautex shell`: one start-up for a clerk's many commands.

Every line typed runs through the same command tree and the same error boundary as a
`lautex` process (cli/app.py), in this process: the same output, permission checks,
audit rows and exit status, without paying the start-up again (benchmarks/README.md).

What a process would start afresh and this one keeps: the command tree (built once,
it never changes), the global options (`cli.output.settings`, set again by the root
callback of every line), the business day (a context variable, reset after each use)
and pure caches (the collation's sort keys). Nothing about the user or the register
is kept: every command opens its own connection, reads its token and authenticates,
as a process does (docs/rules.md §6).
"""

import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from lautex_registry.cli.context import current_token, open_workspace, register_location
from lautex_registry.platform.errors import Message, shown, t
from lautex_registry.platform.i18n import gettext

COMMAND = "shell"

# Top-level commands a shell does not run: it is one user's session on one register.
# Messages: translated when shown (docs/translating.md).
REFUSED = {
    "login": t(
        "login: the shell runs as the user logged in when it started: type `exit`, then "
        "`lautex login`"
    ),
    "shell": t("shell: this is a shell already"),
}
# Lines that end the shell (with the last status, like Ctrl-D).
ENDINGS = ("exit", "quit")
# Customer references offered by one completion: a bounded query (docs/rules.md §3).
COMPLETION_LIMIT = 20
# Lines of history kept in the history file.
HISTORY_LENGTH = 1000


def register(app: typer.Typer) -> None:
    app.command(COMMAND)(shell)


def shell(
    ctx: typer.Context,
    no_history: Annotated[
        bool,
        typer.Option("--no-history", help="Keep no history file (nothing typed is written)."),
    ] = False,
) -> None:
    """Run lautex commands one after another in one process, for the user logged in.

    Type commands as after `lautex` (`customer show 42`, `status`); TAB completes
    commands, options, their values and customer ids or emails. The prompt shows the
    register and the last command's exit status; `exit` or Ctrl-D ends it.

    Example: lautex shell
    """
    with open_workspace(ctx) as ws:  # not logged in: the CLI's own error and exit 5
        username = ws.user.username
        token = ws.token
    session = Session(ctx, token, username)
    if at_terminal():
        status = session.interactive(history=None if no_history else history_file())
    else:
        status = session.script(sys.stdin)
    raise typer.Exit(status)


def at_terminal() -> bool:
    """Whether a person types the commands: a prompt, editing and history. Otherwise the
    lines are a script's (`printf 'status\\n' | lautex shell`)."""
    return sys.stdin.isatty()


def history_file() -> Path:
    """The clerk's own history: beside the session files, outside the register
    (docs/rules.md §6)."""
    from lautex_registry.platform.sessions import lautex_home

    return lautex_home() / "history"


class Session:
    """The commands of one shell: run one at a time, for one user on one register."""

    def __init__(self, ctx: typer.Context, token: str, username: str) -> None:
        from lautex_registry.cli.app import app, register_commands

        self.ctx = ctx
        self.token = token
        self.username = username
        root = ctx.find_root().params
        # The global options the shell was started with hold for every command in it.
        self.prefix: list[str] = []
        if root.get("db"):
            self.prefix += ["--db", root["db"]]
        if root.get("quiet"):
            self.prefix.append("-q")
        if root.get("no_pager"):
            self.prefix.append("--no-pager")
        register_commands()  # all of them, once: every line may name any
        self.command = typer.main.get_command(app)
        self.status = 0
        self.ended = False

    def prompt(self) -> str:
        from lautex_registry.platform.escaping import printable

        name = printable(register_location(self.ctx).path.name, one_line=True)
        return f"lautex {name} [{self.status}]> "

    # --- running a line ----------------------------------------------------------------

    def run_line(self, line: str) -> int:
        """Run one typed line as `lautex LINE` would; its exit status."""
        try:
            args = shlex.split(line)
        except ValueError as exc:
            return _refuse(_unreadable_line(exc), 2)
        place, name = _command_name(args)
        if name is None:
            return self._invoke(args) if args else self.status
        if any(arg == "--db" or arg.startswith("--db=") for arg in args[:place]):
            return _refuse(
                t("db: a shell works on one register: start `lautex --db PATH shell`"), 2
            )
        if name in REFUSED:
            return _refuse(REFUSED[name], 2)
        if not self._same_session():
            return _refuse(
                t(
                    "the session changed since this shell started as {username} (a login or "
                    "a new token): type `exit` and start `lautex shell` again",
                    username=self.username,
                ),
                5,
            )
        status = self._invoke(args)
        if name == "logout" and status == 0:
            self.ended = True  # the session the shell runs on is over
        return status

    def _invoke(self, args: list[str]) -> int:
        """The CLI's own run of the command: standalone, so every error goes through its
        boundary and its usage errors print as a process would; its exit is caught."""
        try:
            self.command.main(args=[*self.prefix, *args], prog_name="lautex")
        except SystemExit as exc:
            return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
        finally:
            sys.stdout.flush()
        return 0  # pragma: no cover - standalone mode always exits

    def _same_session(self) -> bool:
        """Whether the token a command would use now is the one the shell started with.

        A token that cannot be read (logged out, no register) is the command's to refuse,
        in the CLI's words; another user's session is the shell's.
        """
        from lautex_registry.platform.db import connect
        from lautex_registry.platform.errors import LautexError

        try:
            conn = connect(register_location(self.ctx).path)
        except LautexError:
            return True
        try:
            return current_token(conn)[0] == self.token
        except LautexError:
            return True
        finally:
            conn.close()

    # --- reading lines -----------------------------------------------------------------

    def script(self, lines: Any) -> int:
        """Commands piped in, one a line, no prompt: the last non-zero status (0 if all
        went well), so a failure in the middle is not hidden by later successes."""
        worst = 0
        for line in iter(lines.readline, ""):
            if line.strip() in ENDINGS:
                break
            self.status = self.run_line(line)
            worst = self.status or worst
            if self.ended:
                break
        return worst

    def interactive(self, history: Path | None, read: Callable[[str], str] = input) -> int:
        """Read, run, show the status: until `exit` or Ctrl-D, then the last status."""
        readline = _set_up_readline(self, history)
        while not self.ended:
            try:
                line = read(self.prompt())
            except EOFError:
                typer.echo("")
                break
            except KeyboardInterrupt:
                typer.echo("")  # the line is dropped; the status stays the last command's
                continue
            if line.strip() in ENDINGS:
                break
            try:
                self.status = self.run_line(line)
            except KeyboardInterrupt:
                typer.echo("")  # between the command's steps: nothing more runs
                self.status = 130
            if history is not None:
                readline.write_history_file(history)
        return self.status

    # --- completion --------------------------------------------------------------------

    def candidates(self, before: str) -> list[str]:
        """What may follow `before` (the line up to the cursor): commands, subcommands,
        options, values of a closed set, or customer ids and emails."""
        from typer._click.core import Parameter
        from typer._click.shell_completion import _resolve_context, _resolve_incomplete

        words = _words_so_far(before)
        incomplete = "" if not before or before[-1].isspace() else words.pop()
        args = [*self.prefix, *words]
        ctx = _resolve_context(self.command, {}, "lautex", args)
        target, incomplete = _resolve_incomplete(ctx, args, incomplete)
        if isinstance(target, Parameter):
            if target.name == "customer" and target.param_type_name == "argument":
                return self._customer_references(incomplete)
            metavar = target.metavar or ""
            if metavar.startswith("<") and metavar.endswith(">"):  # cli/params.py choices
                return [v for v in metavar[1:-1].split("|") if v.startswith(incomplete)]
        names = [item.value for item in target.shell_complete(ctx, incomplete)]
        if target is self.command:  # the top level: not what the shell refuses to run
            names = [name for name in names if name not in REFUSED]
        return names

    def _customer_references(self, prefix: str) -> list[str]:
        """Ids or emails of active customers starting with `prefix`, for a user who may
        search customers; the hand-out is audited like a search's (docs/rules.md §6)."""
        from lautex_registry.platform.errors import LautexError
        from lautex_registry.records.lookup import customer_references

        if not prefix or not self._same_session():
            return []
        try:
            with open_workspace(self.ctx, action="customer search") as ws:
                found = customer_references(ws.conn, prefix, COMPLETION_LIMIT)
                if found:
                    ws.audit_handout("shell completion", "customer", None, {"rows": len(found)})
        except LautexError:
            return []  # not allowed, or no register: nothing to offer
        return found


def _words_so_far(before: str) -> list[str]:
    """The words of a line being typed, a quote still open (`--channel "le`) included."""
    for closing in ("", '"', "'"):
        try:
            return shlex.split(before + closing)
        except ValueError:
            continue
    return before.split()


def _command_name(args: list[str]) -> tuple[int, str | None]:
    """Where the top-level command of a line is, past the global options (`-q status`),
    and its one name (an old spelling as the command it runs)."""
    from lautex_registry.cli.app import ALIASES

    place = 0
    while place < len(args):
        word = args[place]
        if not word.startswith("-"):
            return place, ALIASES.get(word, word)
        place += 2 if word == "--db" else 1
    return place, None


def _unreadable_line(exc: ValueError) -> str | Message:
    """shlex's reason (its English words, of which it has two) as a sentence of the
    interface; any other is shown as shlex words it."""
    reason = str(exc).lower()
    words = {
        "no closing quotation": t("line: no closing quotation"),
        "no escaped character": t("line: no escaped character"),
    }
    return words.get(reason, f"line: {reason}")


def _refuse(message: str | Message, code: int) -> int:
    from lautex_registry.platform.escaping import printable

    line = printable(shown(message), one_line=True)
    typer.echo(gettext("error: {message}").format(message=line), err=True)
    return code


def _set_up_readline(session: Session, history: Path | None) -> Any:
    """GNU readline (Debian's Python has it) for editing, TAB completion and the history:
    `input()` uses it when stdin and stdout are the terminal."""
    import readline

    matches: list[str] = []

    def complete(text: str, state: int) -> str | None:
        if state == 0:
            before = readline.get_line_buffer()[: readline.get_endidx()]
            # Python's readline adds no space after a whole word: the words carry it. (An
            # exception here is dropped by readline: the line being typed stays as it is.)
            matches[:] = [word + " " for word in session.candidates(before)]
        return matches[state] if state < len(matches) else None

    readline.set_completer(complete)
    readline.set_completer_delims(" \t\n\"'")
    readline.parse_and_bind("tab: complete")
    readline.set_history_length(HISTORY_LENGTH)
    if history is not None:
        _private_history(history)
        readline.read_history_file(history)
    return readline


def _private_history(history: Path) -> None:
    """The history file, mode 0600 in a 0700 folder: it can hold customers' names and
    emails (docs/rules.md §6). Made before the first command, so a home that cannot
    keep it is said at once; readline rewrites it in place later (0600 too)."""
    from lautex_registry.platform.output_files import create_private_folder

    create_private_folder(history.parent, "LAUTEX_HOME")
    fd = os.open(history, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)  # an older file of a wider mode is narrowed
    finally:
        os.close(fd)
