"""Typer's parameter values without pydantic (cli/typer_params.py): the same values and
the same errors as Typer's own adapters, for every parameter of every command."""

import gc
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from typer._click import Command, Context
from typer._coercion import build_runtime_param, resolve_type_descriptor
from typer.core import _TyperParameter

from lautex_registry.cli import typer_params
from lautex_registry.cli.app import app, register_commands
from lautex_registry.cli.output import Format
from lautex_registry.cli.typer_params import UNDECIDED, PlainValues, plain_value
from lautex_registry.platform.errors import InvalidInput

# What a command line can hand a parameter: nothing, texts of every kind (choices in any
# case, numbers, dates, a surrogate from an undecodable argument, bad ones), the non-text
# values defaults are, and the lists an option given many times collects.
VALUES: tuple[Any, ...] = (
    None, "", "x", "json", "JSON", " Json ", "table", "md", "xml", "12", "0", "-1", "1.5",
    "100001", "abc", "\udcff", "2026-11-25", "25.11.2026", "fi", "EN", "email", "access",
    "market-research", 7, 0, -1, 100_001, True, 1.5,
    (), ("a", "b"), ["email=a@example.fi", "city=Oulu"], ("JSON",), ("12", "x"), ("\udcff",),
    ("market-research", "profiling"), (1, 2), "a=b",
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


def test_an_option_given_many_times_builds_no_adapter() -> None:
    (ctx, sets), *_ = [
        (ctx, param)
        for command, ctx, param in every_parameter()
        if command.name == "rectify" and param.name == "assignments"
    ]
    values = PlainValues(sets.type_descriptor)
    given = ("email=a@example.fi", "city=Oulu")
    assert values.coerce(given, param=sets, ctx=ctx) == list(given)
    assert values.coerce(None, param=sets, ctx=ctx) == ()
    assert values._typers is None


def test_typers_adapter_is_built_with_the_cycle_collector_as_it_was() -> None:
    """Built with the collector off (pydantic's import makes objects kept to the end),
    then left as the command's work had it."""
    limit, *_ = [
        param
        for command, _, param in every_parameter()
        if command.name == "list" and param.name == "limit"
    ]
    for collecting in (True, False):
        values = PlainValues(limit.type_descriptor)
        gc.enable() if collecting else gc.disable()
        try:
            values.typers()
            assert gc.isenabled() is collecting
        finally:
            gc.enable()
        assert values._typers is not None


def test_shapes_our_commands_do_not_use_are_left_to_typer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Files, tuples (`nargs=2`) and a list given as one value go to Typer's adapter;
    it is built once; a Typer without the classes keeps its own coercion."""
    info = typer.models.OptionInfo()
    for annotation, value, many in (
        (typer.FileText, "notes.txt", False),
        (tuple[str, str], ("a", "b"), False),
        (list[str], ["a"], False),
        (tuple[str, ...], ("a",), True),
    ):
        descriptor = resolve_type_descriptor(annotation, info)
        assert plain_value(descriptor, value, None, many=many) is UNDECIDED
    values = PlainValues(resolve_type_descriptor(int, info))
    assert values.typers() is values.typers()
    monkeypatch.setattr(typer_params, "_TyperParameter", None)
    typer_params.install()  # nothing to install on
