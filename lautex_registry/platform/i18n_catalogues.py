"""Extract, update, compile and check the interface's gettext catalogues (with Babel).

    python -m lautex_registry.platform.i18n_catalogues update    # code -> .pot -> .po
    python -m lautex_registry.platform.i18n_catalogues compile   # .po -> .mo
    python -m lautex_registry.platform.i18n_catalogues check     # exit 1 on any problem

How to translate: docs/translating.md. The domains and their directories are in
platform/i18n.py; the catalogues live in lautex_registry/locale/ and ship in the package.
"""

import ast
import io
import re
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from importlib import import_module
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from lautex_registry.platform.i18n import (
    DOMAINS,
    EXAMPLE_LABEL,
    LOCALE_DIR,
    catalogue_path,
    help_paragraphs,
)

PACKAGE_DIR = LOCALE_DIR.parent
# The marker functions the extractor knows: gettext's own names, and the Message makers
# of platform/errors.py (`t(template, **params)`, `tn(singular, plural, n, **params)`).
KEYWORDS: dict[str, Any] = {
    **DEFAULT_KEYWORDS,
    "t": None,
    "tn": (1, 2),
    # A help text made from a template (cli/help_text.py).
    "formatted_help": None,
}
# Click's and Typer's own strings (Typer brings its own copy of Click): they call gettext's
# `_` and `ngettext`, routed to the `cli` domain (platform/i18n.py route_library_strings).
LIBRARIES = ("typer",)
LIBRARY_SKIPPED = frozenset({"testing.py", "cli.py", "_winconsole.py", "__main__.py"})
LIBRARY_KEYWORDS: dict[str, Any] = {"_": None, "ngettext": (1, 2)}
# The keyword arguments whose text Typer shows on a help page.
HELP_ARGUMENTS = frozenset({"help", "short_help", "epilog"})
# A decorator `<app>.command(...)` or `<app>.callback(...)` makes a function's docstring
# its command's help.
HELP_DECORATORS = frozenset({"command", "callback"})

# The languages with catalogues; Finnish must be complete (`check`), Swedish falls back to
# English for any string it lacks (docs/translating.md).
COMPLETE = ("fi",)
PARTIAL: tuple[str, ...] = ()
# Fixed, so that `update` rewrites a file only when a message changed (no date churn).
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
# `{name}` (str.format) and `%(name)s` (Click's %-formatting) placeholders.
_BRACES = re.compile(r"(?<!\{)\{(\w*)[^{}]*\}(?!\})")
_PERCENT = re.compile(r"%\((\w+)\)\w|%[sd]")


def domain_of(path: Path) -> str:
    """`cli` for lautex_registry/cli/, `messages` for every other package."""
    return "cli" if path.relative_to(PACKAGE_DIR).parts[0] == "cli" else "messages"


def _sources(domain: str) -> Iterator[tuple[Path, str]]:
    """The files of a domain and the name each has in the catalogue's locations."""
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        if path.name != "i18n.py" and domain_of(path) == domain:
            yield path, path.relative_to(PACKAGE_DIR.parent).as_posix()


def _new_catalog(domain: str, lang: str | None = None) -> Catalog:
    return Catalog(
        locale=lang,
        domain=domain,
        project="lautex-registry",
        version="",
        creation_date=EPOCH,
        revision_date=EPOCH,
        fuzzy=False,
        header_comment=f"# The {domain} domain of lautex-registry (docs/translating.md).",
    )


def help_msgids(text: str) -> list[str]:
    """The msgids of a help text: its paragraphs, an example's as its label only."""
    return [
        EXAMPLE_LABEL if part.startswith(EXAMPLE_LABEL) else part for part in help_paragraphs(text)
    ]


def _is_help_decorator(node: ast.expr) -> bool:
    """`<app>.command(...)` or `<app>.callback(...)`."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in HELP_DECORATORS
    )


def extract_help(path: Path) -> Iterator[tuple[int, str]]:
    """The help texts of a command-line module: the docstrings of its commands and every
    literal `help=`, `short_help=`, `epilog=` (a computed one is `formatted_help()`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    # `app.command("name")(function)`: registered by a call rather than a decorator.
    registered = {
        node.args[0].id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and _is_help_decorator(node.func)
        and node.args
        and isinstance(node.args[0], ast.Name)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and (
            node.name in registered or any(map(_is_help_decorator, node.decorator_list))
        ):
            docstring = ast.get_docstring(node, clean=True)
            if docstring:
                yield from ((node.lineno, part) for part in help_msgids(docstring))
        elif isinstance(node, ast.Call):
            for keyword in node.keywords:
                value = keyword.value
                text = value.value if isinstance(value, ast.Constant) else None
                if keyword.arg in HELP_ARGUMENTS and isinstance(text, str):
                    yield from ((value.lineno, part) for part in help_msgids(text))


def _library_sources() -> Iterator[tuple[Path, str]]:
    for library in LIBRARIES:
        root = Path(import_module(library).__file__ or "").parent
        for path in sorted(root.rglob("*.py")):
            if path.name not in LIBRARY_SKIPPED:
                yield path, path.relative_to(root.parent).as_posix()


def _add(template: Catalog, message: Any, name: str, lineno: int, **extra: Any) -> None:
    flags = ("python-brace-format",) if _BRACES.search(_first(message)) else ()
    template.add(message, locations=[(name, lineno)], flags=flags, **extra)


def extract(domain: str) -> Catalog:
    """Every marked string of the domain's code, as a template (.pot)."""
    template = _new_catalog(domain)
    for path, name in _sources(domain):
        for lineno, message, comments, context in extract_from_file(
            "python", path, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
        ):
            _add(template, message, name, lineno, auto_comments=comments, context=context)
        if domain == "cli":
            for lineno, text in extract_help(path):
                _add(template, text, name, lineno)
    if domain == "cli":
        for path, name in _library_sources():
            for lineno, message, _comments, context in extract_from_file(
                "python", path, keywords=LIBRARY_KEYWORDS
            ):
                _add(template, message, name, lineno, context=context)
    return template


def _forms(message: str | Iterable[str | None] | None) -> tuple[str, ...]:
    """A msgid or msgstr as its forms: one for a plain message, one per plural form."""
    if isinstance(message, str):
        return (message,)
    return tuple(str(form or "") for form in message) if message else ("",)


def _first(message: str | Iterable[str | None] | None) -> str:
    return _forms(message)[0]


def _po_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, width=100, ignore_obsolete=True, include_lineno=False)
    return out.getvalue()


def _mo_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def _read(path: Path, lang: str | None = None, domain: str | None = None) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale=lang, domain=domain)


def _write_if_changed(path: Path, data: bytes) -> None:
    if not path.is_file() or path.read_bytes() != data:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def update() -> None:
    """Write each domain's .pot from the code and merge it into every language's .po."""
    for domain in DOMAINS:
        template = extract(domain)
        _write_if_changed(LOCALE_DIR / f"{domain}.pot", _po_bytes(template))
        for lang in (*COMPLETE, *PARTIAL):
            path = catalogue_path(lang, domain, ".po")
            catalog = _read(path, lang, domain) if path.is_file() else _new_catalog(domain, lang)
            # No fuzzy matching: a guess from a similar msgid is how wrong text ships.
            catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
            catalog.revision_date = EPOCH
            _write_if_changed(path, _po_bytes(catalog))


def compiled(lang: str, domain: str) -> bytes:
    """The .mo that the .po of `lang` and `domain` compiles to."""
    return _mo_bytes(_read(catalogue_path(lang, domain, ".po"), lang, domain))


def compile_all() -> None:
    for lang in (*COMPLETE, *PARTIAL):
        for domain in DOMAINS:
            _write_if_changed(catalogue_path(lang, domain), compiled(lang, domain))


def placeholders(text: str) -> set[str]:
    """The named values a text formats in: `{ref}` and `%(prog)s` (`%s` counts as `%s`)."""
    found = {match.group(1) or "{}" for match in _BRACES.finditer(text.replace("{{", ""))}
    return found | {match.group(1) or match.group(0) for match in _PERCENT.finditer(text)}


def _ids(catalog: Catalog) -> set[tuple[tuple[str, ...], str | None]]:
    return {(_forms(message.id), message.context) for message in catalog if message.id}


def problems() -> list[str]:
    """Every reason the catalogues are not ready to ship; empty when they are."""
    found: list[str] = []
    for domain in DOMAINS:
        template = extract(domain)
        pot_path = LOCALE_DIR / f"{domain}.pot"
        if not pot_path.is_file() or _ids(_read(pot_path)) != _ids(template):
            found.append(f"{domain}.pot: not up to date with the code (run update)")
        for lang in (*COMPLETE, *PARTIAL):
            po_path = catalogue_path(lang, domain, ".po")
            if not po_path.is_file():
                found.append(f"{lang}/{domain}.po: missing (run update)")
                continue
            catalog = _read(po_path, lang, domain)
            if _ids(catalog) != _ids(template):
                found.append(f"{lang}/{domain}.po: not up to date with the .pot (run update)")
            found.extend(_translation_problems(catalog, lang, domain, lang in COMPLETE))
            mo_path = catalogue_path(lang, domain)
            if not mo_path.is_file() or mo_path.read_bytes() != compiled(lang, domain):
                found.append(f"{lang}/{domain}.mo: not compiled from the .po (run compile)")
    return found


def _translation_problems(catalog: Catalog, lang: str, domain: str, complete: bool) -> list[str]:
    found: list[str] = []
    for message in catalog:
        if not message.id:
            continue
        where = f"{lang}/{domain}.po: {_first(message.id)!r}"
        ids = _forms(message.id)
        strings = _forms(message.string)
        if message.fuzzy:
            found.append(f"{where}: fuzzy")
            continue
        if not all(strings):
            if complete:
                found.append(f"{where}: not translated")
            continue
        wanted = placeholders(ids[-1])
        for string in strings:
            if placeholders(string) != wanted:
                found.append(
                    f"{where}: placeholders {sorted(placeholders(string))} in the translation,"
                    f" {sorted(wanted)} in the English"
                )
    return found


def main(argv: list[str]) -> int:
    action = argv[0] if argv else ""
    if action == "update":
        update()
    elif action == "compile":
        compile_all()
    elif action == "check":
        found = problems()
        for problem in found:
            print(problem, file=sys.stderr)
        return 1 if found else 0
    else:
        print("usage: python -m lautex_registry.platform.i18n_catalogues update|compile|check")
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover - run as a process (tests/test_i18n.py)
    sys.exit(main(sys.argv[1:]))
