"""Typer's parameter values without pydantic where pydantic would change nothing.

Typer (0.26 on) checks every value given to an option or argument with a pydantic
`TypeAdapter` built at the first value the parameter sees, a missing one (None) too:
importing pydantic and building the adapters is about 80 ms of CPU, a third of every
`lautex` process's start-up, and half of a short command's (benchmarks/README.md,
the retention job's start-up, retstart). Yet nearly every value our commands get is
one the adapter hands back as it is: no value at all, a text option (`--as-of`,
`--db`), or a format that is one of its choices (`--format json`, or the default).

`install()` gives Typer's parameters a coercion that returns those values as the
adapter would (and what our `parser=` functions return, which the adapter hands back
as they are), and builds Typer's own adapter (pydantic and all) for any other value:
a number without a parser, a path, a list, a file, or a value that is refused (so the
error is Typer's or our parser's, exit 2, as before). `tests/test_typer_params.py`
compares both for every parameter of every command; `tests/test_startup.py` checks that
a command given such values imports no pydantic. These are Typer's private classes: a
Typer without them keeps its own coercion (`install` does nothing), and the comparison
fails if their behaviour changes.
"""

from enum import Enum
from typing import Any

try:
    from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
    from typer._param_types import coerce_cli_choice
    from typer.core import _TyperParameter
except ImportError:  # pragma: no cover (another Typer: its own coercion, see above)
    _TyperParameter = None  # type: ignore[assignment,misc]

# What a coercion returns when it cannot tell without Typer's adapter.
UNDECIDED = object()


class PlainValues:
    """A parameter's coercion: None, a `str` or an enum's choice as Typer's adapter
    returns them; any other value by the adapter itself, built at its first use."""

    def __init__(self, descriptor: TypeDescriptor) -> None:
        self.descriptor = descriptor
        self._typers: RuntimeParam | None = None

    def coerce(self, value: Any, param: _TyperParameter, ctx: Any) -> Any:
        many = param.multiple or param.nargs == -1
        if value is None and not many:
            return None  # what RuntimeParam.coerce returns, before any adapter
        if not many:
            plain = plain_value(self.descriptor, value, ctx)
            if plain is not UNDECIDED:
                return plain
        return self.typers().coerce(value, param=param, ctx=ctx)

    def typers(self) -> RuntimeParam:
        if self._typers is None:
            self._typers = build_runtime_param(self.descriptor)
        return self._typers


def plain_value(descriptor: TypeDescriptor, value: Any, ctx: Any) -> Any:
    """The value Typer's adapter would return, or UNDECIDED.

    For a leaf parameter (not a list, a tuple or a file) Typer's adapter returns: with a
    `parser` (ours: cli/params.py), what the parser returns; for `str`, `str(value)`, so
    a `str` as it is (surrogates from an undecodable argument too); for an enum, the
    choice `coerce_cli_choice` finds. When any of them raises, the adapter is left to
    run it again and raise as Typer does (its wording, or our parser's own error): the
    parsers are pure, so running one twice changes nothing."""
    if descriptor.file_annotation is not None or descriptor.is_list or descriptor.is_tuple:
        return UNDECIDED
    annotation, info = descriptor.annotation, descriptor.parameter_info
    try:
        if info.parser is not None:
            return info.parser(value)
        if annotation is str and type(value) is str:
            return value
        if isinstance(annotation, type) and issubclass(annotation, Enum):
            choices = list(annotation)
            return coerce_cli_choice(
                value, choices=choices, case_sensitive=info.case_sensitive, ctx=ctx
            )
    except Exception:
        return UNDECIDED
    return UNDECIDED


def _plain_runtime_param(self: _TyperParameter) -> Any:
    if self._runtime_param is None:
        self._runtime_param = PlainValues(self.type_descriptor)  # type: ignore[assignment]
    return self._runtime_param


def install() -> None:
    """Typer's parameters coerce through PlainValues (once a process)."""
    if _TyperParameter is not None and hasattr(_TyperParameter, "get_runtime_param"):
        _TyperParameter.get_runtime_param = _plain_runtime_param  # type: ignore[method-assign]
