"""`lautex completion SHELL`: the shell's completion script for lautex."""

from enum import StrEnum
from typing import Annotated

import typer

COMMAND = "completion"


class Shell(StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


def register(app: typer.Typer) -> None:
    app.command(COMMAND)(completion)


def completion(
    ctx: typer.Context,
    shell: Annotated[Shell, typer.Argument(help="bash, zsh or fish.", show_default=False)],
) -> None:
    """Print the completion script for a shell: commands, subcommands and options.

    Load it in the shell's start-up file, e.g. for bash in ~/.bashrc:
    eval "$(lautex completion bash)"

    Example: lautex completion bash > ~/.local/share/bash-completion/completions/lautex
    """
    # Typer's completion classes, as its --install-completion would write them; those
    # options are not added to the app, as they would be set up at every start
    # (benchmarks/README.md). `main()` sets the classes up only when the shell asks.
    from typer._click.shell_completion import get_completion_class

    from lautex_registry.cli.app import COMPLETE_VAR, set_up_completion

    set_up_completion()
    root = ctx.find_root()
    complete = get_completion_class(shell.value)
    assert complete is not None  # click ships bash, zsh and fish
    script = complete(root.command, {}, "lautex", COMPLETE_VAR).source()
    typer.echo(script)
