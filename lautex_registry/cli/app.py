"""The `lautex` command: the root group, global options and the error boundary."""

import os
import sqlite3
from importlib import import_module
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from lautex_registry import __version__
from lautex_registry.errors import LautexError


class RegisterGroup(TyperGroup):
    """Turns expected errors into one line on stderr and the documented exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except LautexError as exc:
            _fail(str(exc), exc.exit_code)
        except sqlite3.OperationalError as exc:
            text = str(exc)
            if "locked" in text or "busy" in text:
                _fail(f"the register is busy ({text}): try again in a moment", 6)
            _unexpected(exc)
        except sqlite3.DatabaseError as exc:
            _fail(f"the file is not a usable lautex register: {exc}", 2)
        except KeyboardInterrupt:
            _fail("interrupted: nothing was changed by the unfinished step", 130)
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            if os.environ.get("LAUTEX_DEBUG"):
                raise
            _unexpected(exc)


def _fail(message: str, code: int) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _unexpected(exc: BaseException) -> None:
    _fail(
        f"unexpected {type(exc).__name__}: {exc} (set LAUTEX_DEBUG=1 for the traceback)",
        1,
    )


app = typer.Typer(
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
            help="The register file. Default: $LAUTEX_DB, else data/lautex.db.",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """The customer register of Oy Lautex Ab.

    Example: lautex --db data/demo.db customer search aijala
    """


# Command modules, each registering its commands on `app`. Importing them is cheap:
# they import services and heavy libraries inside the command functions.
COMMAND_MODULES = (
    "accounts",
    "auditing",
)

for _name in COMMAND_MODULES:
    import_module(f"lautex_registry.cli.{_name}").register(app)


def main() -> None:
    app(prog_name="lautex")
