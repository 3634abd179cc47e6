"""Help pages in the reader's language, translated when they are shown, not at import.

Typer takes a command's help from its docstring and `help=` when the command tree is
built: at start-up, in English. The classes here translate those texts only while a
help page is rendered (docs/rules.md §6 "Language of the interface"), so English
start-up pays nothing and a command that prints no help opens no catalogue. A help
text is translated paragraph by paragraph (the msgids the catalogue tool extracts from
the docstrings and `help=` arguments, docs/translating.md); an example's command line is
never translated, only its label.
"""

import gettext as _library_gettext
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup
from typer.models import CommandFunctionType

from lautex_registry.platform.i18n import (
    EXAMPLE_LABEL,
    SOURCE_LANGUAGE,
    gettext,
    help_paragraphs,
    language,
)


def N_(message: str) -> str:
    """Marks a string for the catalogue where it is written; translated where it is shown."""
    return message


# Words of Typer's copy of Click that it writes without gettext: matched back to these
# templates where they are shown (a help page, the error line of cli/app.py).
HELP_OPTION_HELP = N_("Show this message and exit.")
USAGE_PREFIX = N_("Usage: ")
USAGE_ERRORS = (
    N_("{message}. Did you mean {suggestions}?"),
    N_("Missing option {name}. Choose from: {choices}"),
    N_("Missing argument {name}. Choose from: {choices}"),
    N_("Missing option {name}."),
    N_("Missing argument {name}."),
    N_("Missing parameter: {name}"),
    N_("No such option: {name} (Possible options: {options})"),
    N_("No such option: {name}"),
    N_("Got unexpected extra argument(s) ({arguments})"),
    N_("Got unexpected extra argument ({arguments})"),
    N_("Got unexpected extra arguments ({arguments})"),
    N_("Invalid value for {name}: {reason}"),
    N_("Invalid value: {reason}"),
    N_("Option {name} requires an argument."),
    N_("Option {name} requires {count} arguments."),
    N_("Option {name} does not take a value."),
    N_("Argument {name} takes {count} values."),
)
# Help texts computed from values (a list of field names): English text -> template, values.
_FORMATTED: dict[str, tuple[str, dict[str, Any]]] = {}


def formatted_help(template: str, /, **params: Any) -> str:
    """A help text made from a template and values: Typer gets the English text now, the
    help page shows the template's translation with the same values."""
    text = template.format(**params)
    _FORMATTED[text] = (template, params)
    return text


@cache
def _usage_patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    import string  # only when an error line is translated

    compiled = []
    for template in USAGE_ERRORS:
        pattern = ""
        for literal, field, _spec, _conversion in string.Formatter().parse(template):
            pattern += re.escape(literal)
            if field is not None:
                pattern += f"(?P<{field}>.+?)"
        compiled.append((re.compile(pattern + r"\Z", re.DOTALL), template))
    return tuple(compiled)


def translate_usage_error(message: str) -> str:
    """A usage error of Typer's Click in the interface's language (the same when English or
    when no template matches)."""
    if language() == SOURCE_LANGUAGE:
        return message
    for pattern, template in _usage_patterns():
        match = pattern.match(message)
        if match:
            values = match.groupdict()
            if "message" in values:
                values["message"] = translate_usage_error(values["message"])
            return gettext(template).format(**values)
    return message


# Typer's help panels take their titles from module constants made when rich_utils is
# imported; they are set for each rendering, so the title follows the language now.
_PANEL_TITLES = {
    "ARGUMENTS_PANEL_TITLE": "Arguments",
    "OPTIONS_PANEL_TITLE": "Options",
    "COMMANDS_PANEL_TITLE": "Commands",
    "DEFAULT_STRING": "[default: {}]",
    "ENVVAR_STRING": "[env var: {}]",
    "REQUIRED_LONG_STRING": "[required]",
    "DEPRECATED_STRING": "(deprecated) ",
}


def translate_help(text: str) -> str:
    """A help text in the interface's language, paragraph by paragraph."""
    if text in _FORMATTED:
        template, params = _FORMATTED[text]
        return gettext(template).format(**params)
    translated = []
    for part in help_paragraphs(text):
        if part.startswith(EXAMPLE_LABEL):
            # The command line is what the reader types: only the label is a word.
            translated.append(gettext(EXAMPLE_LABEL) + part[len(EXAMPLE_LABEL) :])
        else:
            translated.append(gettext(part))
    return "\n\n".join(translated)


@contextmanager
def translated_help(command: Any, ctx: Any) -> Iterator[None]:
    """The texts of `command`'s help page translated while the block runs, then restored."""
    from typer import rich_utils

    english = language() == SOURCE_LANGUAGE
    saved: list[tuple[Any, str, Any]] = []

    def put(owner: Any, name: str, value: Any) -> None:
        saved.append((owner, name, getattr(owner, name)))
        setattr(owner, name, value)

    # Set in English too: rich_utils may have been imported while another language spoke.
    for name, title in _PANEL_TITLES.items():
        put(rich_utils, name, title if english else _library_gettext.gettext(title))
    owners = (
        []
        if english
        else [command, *command.get_params(ctx), *getattr(command, "commands", {}).values()]
    )
    for owner in owners:
        for name in ("help", "short_help", "epilog"):
            text = getattr(owner, name, None)
            if isinstance(text, str) and text:
                put(owner, name, translate_help(text))
    try:
        yield
    finally:
        for owner, name, value in reversed(saved):
            setattr(owner, name, value)


def _format_usage(command: Any, ctx: Any, formatter: Any) -> None:
    pieces = command.collect_usage_pieces(ctx)
    formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=gettext(USAGE_PREFIX))


class HelpCommand(TyperCommand):
    """A command whose help page speaks the interface's language."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        with translated_help(self, ctx):
            super().format_help(ctx, formatter)

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        _format_usage(self, ctx, formatter)


class HelpGroup(TyperGroup):
    """A group whose help page (and its list of commands) speaks the interface's language."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        with translated_help(self, ctx):
            super().format_help(ctx, formatter)

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        _format_usage(self, ctx, formatter)


class LautexTyper(typer.Typer):
    """`typer.Typer` whose groups and commands render their help translated."""

    def __init__(self, *args: Any, cls: type[TyperGroup] = HelpGroup, **kwargs: Any) -> None:
        super().__init__(*args, cls=cls, **kwargs)

    def command(
        self, *args: Any, cls: type[TyperCommand] | None = HelpCommand, **kwargs: Any
    ) -> Callable[[CommandFunctionType], CommandFunctionType]:
        return super().command(*args, cls=cls, **kwargs)
