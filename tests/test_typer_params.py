"""Typer's parameter values without pydantic (cli/typer_params.py): the same values and
the same errors as Typer's own adapters, for every parameter of every command."""

from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from typer._click import Command, Context
from typer._coercion import build_runtime_param
from typer.core import _TyperParameter

from lautex_registry.cli.app import app, register_commands
from lautex_registry.cli.output import Format
from lautex_registry.cli.typer_params import PlainValues
from lautex_registry.platform.errors import InvalidInput

# What a command line can hand a parameter: nothing, texts of every kind (choices in any
# case, numbers, dates, a surrogate from an undecodable argument, bad ones), and the
# non-text values defaults are.
VALUES: tuple[Any, ...] = (
    None, "", "x", "json", "JSON", " Json ", "table", "md", "xml", "12", "0", "-1", "1.5",
    "100001", "abc", "\udcff", "2026-11-25", "25.11.2026", "fi", "EN", "email", "access",
    "market-research", ("a", "b"), 7, True,
)  # fmt: skip


def commands(command: Command, ctx: Context) -> Iterator[tuple[Command, Context]]:
    yield command, ctx
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from commands(sub, Context(sub, info_name=name, parent=ctx))


def outcome(coercion: Any, value: Any, param: _TyperParameter, ctx: Context) -> tuple[Any, ...]:
    try:
        result = coercion.coerce(value, param=param, ctx=ctx)
    except Exception as exc:
        return ("refused", type(exc).__name__, str(exc))
    return ("taken", type(result), result)


def every_parameter() -> Iterator[tuple[Command, Context, _TyperParameter]]:
    register_commands()
    root = typer.main.get_command(app)
    for command, ctx in commands(root, Context(root, info_name="lautex")):
        for param in command.params:
            if isinstance(param, _TyperParameter):
                yield command, ctx, param


def test_every_parameter_takes_and_refuses_what_typers_adapter_does() -> None:
    compared = 0
    for command, ctx, param in every_parameter():
        typers_adapter = build_runtime_param(param.type_descriptor)
        for value in (*VALUES, param.default):
            ours = outcome(PlainValues(param.type_descriptor), value, param, ctx)
            typers = outcome(typers_adapter, value, param, ctx)
            assert ours == typers, (command.name, param.name, value)
            compared += 1
    assert compared > 5000  # every command was registered and compared


def test_texts_and_choices_are_taken_without_typers_adapter() -> None:
    """What a command line mostly holds builds no adapter (so imports no pydantic): a
    missing value, a text, a choice in any case, the default; a bad choice builds one,
    which refuses it as Typer does."""
    run = {
        param.name: (ctx, param)
        for command, ctx, param in every_parameter()
        if command.name == "run" and ctx.parent and ctx.parent.info_name == "retention"
    }
    ctx, as_of = run["as_of"]
    values = PlainValues(as_of.type_descriptor)
    assert values.coerce("2026-11-25", param=as_of, ctx=ctx) == "2026-11-25"
    assert values.coerce(None, param=as_of, ctx=ctx) is None
    ctx, fmt = run["fmt"]
    values = PlainValues(fmt.type_descriptor)
    assert values.coerce("JSON", param=fmt, ctx=ctx) is Format.json
    assert values.coerce(Format.table, param=fmt, ctx=ctx) is Format.table
    assert values._typers is None
    with pytest.raises(InvalidInput, match="xml"):
        values.coerce("xml", param=fmt, ctx=ctx)
    assert values._typers is not None
