"""The `lautex` command: the root group, global options and the error boundary."""

import gc
import os
import sys
from importlib import import_module
from typing import Annotated, Any

import typer
from typer.exceptions import TyperException

from lautex_registry import __version__
from lautex_registry.cli import typer_params
from lautex_registry.cli.help_text import HelpGroup, LautexTyper, translate_usage_error
from lautex_registry.platform.errors import LautexError, register_error
from lautex_registry.platform.i18n import (
    UnknownLanguage,
    gettext,
    requested_language,
    route_library_strings,
)

# Click's and Typer's own words (Usage, Options, "No such command") in the interface's
# language: routed through the register's catalogue (platform/i18n.py).
route_library_strings()
# Values Typer's pydantic adapters would hand back unchanged skip them (cli/typer_params.py).
typer_params.install()


class RegisterGroup(HelpGroup):
    """Turns expected errors into one line on stderr and the documented exit code."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """A `LAUTEX_LANG` the interface does not speak is refused before anything runs,
        in English (docs/rules.md §6 "Language of the interface")."""
        try:
            requested_language()
        except UnknownLanguage as exc:
            from lautex_registry.platform.escaping import printable

            typer.echo(f"error: {printable(str(exc), one_line=True)}", err=True)
            sys.exit(2)
        return super().main(*args, **kwargs)

    def list_commands(self, ctx: Any) -> list[str]:
        """`lautex --help` in the order of COMMANDS, not of module registration."""
        rank = {name: place for place, name in enumerate(COMMANDS)}
        return sorted(super().list_commands(ctx), key=lambda name: rank.get(name, len(rank)))

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        """`lautex --version` and `lautex -h` print while the options are parsed: a closed
        pipe there is the same quiet exit 141 as in a command (click would exit 1)."""
        try:
            return super().make_context(*args, **kwargs)
        except BrokenPipeError:
            from lautex_registry.cli.output import reader_gone

            reader_gone()
            raise typer.Exit(141) from None
        except SystemExit as exc:
            # The help is drawn by rich, whose console ends the process with exit 1 when
            # the pipe is closed (raised while it handles the BrokenPipeError).
            if isinstance(exc.__context__, BrokenPipeError):
                raise typer.Exit(141) from None
            raise

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        """An old spelling runs the command under its one name (permissions, audit)."""
        if args and args[0] in ALIASES:
            args = [ALIASES[args[0]], *args[1:]]
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: Any) -> Any:
        collect_garbage_from_here()
        try:
            return super().invoke(ctx)
        except LautexError as exc:
            _fail(exc.shown(), exc.exit_code)
        except KeyboardInterrupt:
            _fail(gettext("interrupted: nothing was changed by the unfinished step"), 130)
        except typer.Abort:
            # Ctrl-C or end of input at a prompt (click turns both into Abort).
            _fail(gettext("interrupted at the prompt: nothing changed"), 130)
        except typer.Exit:
            raise
        except SystemExit as exc:
            if isinstance(exc.__context__, BrokenPipeError):  # a command's help: see above
                raise typer.Exit(141) from None
            raise
        except BrokenPipeError:
            # The reader of a pipe stopped reading (`lautex export 42 | head`): no error
            # message, the shell's usual exit status for it (128 + SIGPIPE).
            from lautex_registry.cli.output import reader_gone

            reader_gone()
            raise typer.Exit(141) from None
        except TyperException as exc:
            # Usage errors (a bad option value, a missing argument): one line, exit 2.
            code = getattr(exc, "exit_code", 2)
            # Click lays a list of choices out over lines ("Choose from:\n\tcsv,\n\tpdf"):
            # joined into the one line an error is, rather than shown as escapes.
            message = " ".join(exc.format_message().split())
            if not message:
                # A group without its subcommand (`lautex customer`): its help is shown.
                raise typer.Exit(code) from None
            shown = translate_usage_error(message)
            _fail(gettext("{message} (see --help)").format(message=shown), code)
        except Exception as exc:
            # A full disk, a read-only file, a file that is no register: the user's to fix.
            known = register_error(exc)
            if known is not None:
                _fail(known.shown(), known.exit_code)
            if os.environ.get("LAUTEX_DEBUG"):
                raise
            _unexpected(exc)


def collect_garbage_from_here() -> None:
    """The command's work starts: the cycle collector, off during start-up (`main`), runs
    again, and what start-up made (modules, classes, the command tree: kept to the end)
    is frozen out of its walks. Once a process: a `lautex shell` command finds it on."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


# Characters of an unexpected error's own message shown on its line.
UNEXPECTED_EXCERPT = 200


def _fail(message: str, code: int) -> None:
    from lautex_registry.platform.escaping import printable

    # The message may echo a value as given or stored: the terminal never acts on it,
    # and a newline in it cannot make the error two lines.
    line = gettext("error: {message}").format(message=printable(message, one_line=True))
    typer.echo(line, err=True)
    raise typer.Exit(code)


def _unexpected(exc: BaseException) -> None:
    from lautex_registry.platform.characters import excerpt

    # Whatever the exception carries (a whole path, a whole value), the line stays short.
    shown = excerpt(str(exc), UNEXPECTED_EXCERPT)
    _fail(
        gettext("unexpected {kind}: {text} (set LAUTEX_DEBUG=1 for the traceback)").format(
            kind=type(exc).__name__, text=shown
        ),
        1,
    )


app = LautexTyper(
    cls=RegisterGroup,
    name="lautex",
    help="The customer register of Oy Lautex Ab.\n\nExample: lautex customer search aijala",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lautex {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="The register file. Default: $LAUTEX_DB, else `db` in "
            "~/.config/lautex/config.toml (lautex config), else data/lautex.db.",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet", "-q", help="No success messages on stderr (errors are always shown)."
        ),
    ] = False,
    no_pager: Annotated[
        bool,
        typer.Option("--no-pager", help="Print a long list at a terminal instead of paging it."),
    ] = False,
) -> None:
    """The customer register of Oy Lautex Ab.

    Example: lautex --db data/demo.db customer search aijala
    """
    from lautex_registry.cli.output import settings

    # Set on every run: tests run many commands in one process (README "Conventions").
    settings.quiet = quiet
    settings.pager = not no_pager


# The top-level commands in the order `lautex --help` lists them: a clerk's day from top
# to bottom. Each lives in `lautex_registry.cli.commands.<name>` (dashes as underscores),
# which declares COMMAND and `register(app)`. Only the typed command's module is imported:
# registering all ~70 commands with Typer is a large share of a whole process's start-up
# (figures in benchmarks/README.md).
COMMANDS: tuple[str, ...] = (
    "demo",
    "status",
    "init",
    "login",
    "logout",
    "whoami",
    "shell",
    "user",
    "customer",
    "org",
    "order",
    "invoice",
    "request",
    "export",
    "rectify",
    "restrict",
    "unrestrict",
    "recipient",
    "disclose",
    "notice",
    "object",
    "publication-ban",
    "consent",
    "marketing",
    "labels",
    "erase",
    "anonymise",
    "backup",
    "restore",
    "retention",
    "statement",
    "processing-record",
    "audit",
    "settings",
    "config",
    "completion",
    "migrate",
)
# Old spellings that scripts may use: still run, never listed (README "Conventions").
ALIASES = {"anonymize": "anonymise"}
_registered: set[str] = set()


def command_module(command: str) -> str:
    """The module that registers a top-level command: named as the user types it."""
    return "lautex_registry.cli.commands." + command.replace("-", "_")


def register_commands(commands: tuple[str, ...] = COMMANDS) -> None:
    for command in commands:
        if command not in _registered:
            import_module(command_module(command)).register(app)
            _registered.add(command)


def commands_for(argv: list[str]) -> tuple[str, ...]:
    """The commands the command line needs: its top-level command, else all (help, errors)."""
    args = iter(argv)
    for arg in args:
        if arg == "--db":
            next(args, None)
        elif not arg.startswith("-"):
            arg = ALIASES.get(arg, arg)
            return (arg,) if arg in COMMANDS else COMMANDS
    return COMMANDS


# Set by the script `lautex completion SHELL` prints, when the shell asks for completions.
COMPLETE_VAR = "_LAUTEX_COMPLETE"


def set_up_completion() -> None:
    """Typer's completion classes (its own instruction style, `complete_bash`)."""
    from typer._completion_classes import completion_init

    completion_init()


def main() -> None:
    gc.disable()  # until the command's work starts (`collect_garbage_from_here`)
    if os.environ.get(COMPLETE_VAR):
        set_up_completion()  # only then: start-up stays as it was (benchmarks/README.md)
    register_commands(commands_for(sys.argv[1:]))
    app(prog_name="lautex")
