"""Typer's parameter values without pydantic where pydantic would change nothing.

Typer (0.26 on) checks every value given to an option or argument with a pydantic
`TypeAdapter` built at the first value the parameter sees, a missing one (None) too:
importing pydantic and building the adapters is about 80 ms of CPU, close to half of
every `lautex` process's start-up (benchmarks/README.md, the retention job's start-up,
retstart). Yet nearly every value our commands get is one the adapter hands back as it
is: no value at all, a text option (`--as-of`, `--db`), a format that is one of its
choices (`--format json`, or the default), what our `parser=` functions return, an
`int` default, or a list of those (`--set` given twice).

`install()` gives Typer's parameters a coercion that returns those values as the
adapter would, and builds Typer's own adapter (pydantic and all) for any other value:
a number given as text without a parser, a path, a file, a tuple, or a value that is
refused (so the error is Typer's or our parser's, exit 2, as before).
`tests/test_typer_params.py` compares both for every parameter of every command;
`tests/test_startup.py` checks that commands given such values import no pydantic.
These are Typer's private classes: a Typer without them keeps its own coercion
(`install` does nothing), and the comparison fails if their behaviour changes. So
pyproject.toml holds Typer to 0.29.x, the releases this was checked on: raising that
bound means running tests/test_typer_params.py on the new release first.
"""

import gc
from enum import Enum
from typing import Any, get_args, get_origin

try:
    from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
    from typer._param_types import coerce_cli_choice
    from typer.core import _TyperParameter
except ImportError:  # pragma: no cover (another Typer: its own coercion, see above)
    _TyperParameter = None  # type: ignore[assignment,misc]

# What a coercion returns when it cannot tell without Typer's adapter.
UNDECIDED = object()


class PlainValues:
    """A parameter's coercion: the values of `plain_value` as Typer's adapter returns
    them; any other value by the adapter itself, built at its first use."""

    def __init__(self, descriptor: TypeDescriptor) -> None:
        self.descriptor = descriptor
        self._typers: RuntimeParam | None = None

    def coerce(self, value: Any, param: _TyperParameter, ctx: Any) -> Any:
        many = param.multiple or param.nargs == -1
        if value is None:
            return () if many else None  # what RuntimeParam.coerce returns, before any adapter
        plain = plain_value(self.descriptor, value, ctx, many=many)
        if plain is not UNDECIDED:
            return plain
        return self.typers().coerce(value, param=param, ctx=ctx)

    def typers(self) -> RuntimeParam:
        """Typer's own coercion. Built with the cycle collector off, as at start-up
        (`lautex_registry/__main__.py`): a subcommand's values are read after the
        command's work started, and pydantic's import makes objects that live to the end."""
        if self._typers is None:
            collecting = gc.isenabled()
            gc.disable()
            try:
                self._typers = build_runtime_param(self.descriptor)
            finally:
                if collecting:
                    gc.enable()
        return self._typers


def plain_value(descriptor: TypeDescriptor, value: Any, ctx: Any, *, many: bool) -> Any:
    """The value Typer's adapter would return, or UNDECIDED.

    A parameter given many times (`--set a=1 --set b=2`) is a `list[X]`: the adapter
    returns a list of what X's adapter returns for each value. Files, and tuples of
    values (`nargs=2`), are left to the adapter."""
    if descriptor.file_annotation is not None:
        return UNDECIDED
    info = descriptor.parameter_info
    if many:
        item = _list_item(descriptor.annotation)
        if item is None or isinstance(value, str) or not isinstance(value, (list, tuple)):
            return UNDECIDED
        items = [plain_leaf(item, info, one, ctx) for one in value]
        return UNDECIDED if any(one is UNDECIDED for one in items) else items
    if descriptor.is_list or descriptor.is_tuple:
        return UNDECIDED
    return plain_leaf(descriptor.annotation, info, value, ctx)


def _list_item(annotation: Any) -> Any:
    """X of `list[X]`, else None."""
    if get_origin(annotation) is not list:
        return None
    args = get_args(annotation)
    return args[0] if len(args) == 1 else None


def plain_leaf(annotation: Any, info: Any, value: Any, ctx: Any) -> Any:
    """What the adapter of one value returns, or UNDECIDED.

    With a `parser` (ours: cli/params.py), what the parser returns (the adapter hands
    it back as it is); for `str`, `str(value)`, so a `str` as it is (surrogates from an
    undecodable argument too); for an `int` with no bounds, an `int` (a default) as it
    is; for an enum, the choice `coerce_cli_choice` finds. When any of them raises, the
    adapter is left to run it again and raise as Typer does (its wording, or our
    parser's own error): the parsers are pure, so running one twice changes nothing."""
    try:
        if info.parser is not None:
            return info.parser(value)
        if annotation is str and type(value) is str:
            return value
        if annotation is int and type(value) is int and _unbounded(info):
            return value
        if isinstance(annotation, type) and issubclass(annotation, Enum):
            choices = list(annotation)
            return coerce_cli_choice(
                value, choices=choices, case_sensitive=info.case_sensitive, ctx=ctx
            )
    except Exception:
        return UNDECIDED
    return UNDECIDED


def _unbounded(info: Any) -> bool:
    return info.min is None and info.max is None and not info.clamp


def _plain_runtime_param(self: _TyperParameter) -> Any:
    if self._runtime_param is None:
        self._runtime_param = PlainValues(self.type_descriptor)  # type: ignore[assignment]
    return self._runtime_param


def install() -> None:
    """Typer's parameters coerce through PlainValues (once a process)."""
    if _TyperParameter is not None and hasattr(_TyperParameter, "get_runtime_param"):
        _TyperParameter.get_runtime_param = _plain_runtime_param  # type: ignore[method-assign]
