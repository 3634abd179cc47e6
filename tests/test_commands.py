"""Every command: help with an example, a README entry, a permission entry, and the
permission enforced (a role without it gets exit 5 before anything else happens)."""

from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import typer

from lautex_registry.cli.app import app
from lautex_registry.platform.permissions import (
    PERMISSIONS,
    ROLES,
    UNAUTHENTICATED,
    permissions_markdown,
)
from tests.conftest import Cli

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def _walk(command: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    subcommands = getattr(command, "commands", None)
    if subcommands:
        for name, sub in subcommands.items():
            yield from _walk(sub, (*path, name))
    else:
        yield path, command


COMMANDS = sorted(_walk(typer.main.get_command(app), ()), key=lambda item: item[0])
COMMAND_PATHS = [" ".join(path) for path, _ in COMMANDS]


@pytest.mark.parametrize("path", COMMAND_PATHS)
def test_every_command_has_help_with_an_example(cli: Cli, path: str) -> None:
    for flag in ("--help", "-h"):
        result = cli.run(*path.split(), flag, user=None)
        assert result.exit_code == 0, result.output
        assert "Example:" in result.stdout, f"`lautex {path} --help` shows no example"


@pytest.mark.parametrize("path", COMMAND_PATHS)
def test_every_command_is_in_the_readme(path: str) -> None:
    assert f"lautex {path}" in README or f"lautex --db data/demo.db {path}" in README, (
        f"README.md has no example of `lautex {path}`"
    )


def test_every_command_has_a_permission_entry_and_no_entry_is_stale() -> None:
    known = set(COMMAND_PATHS)
    missing = known - set(PERMISSIONS) - UNAUTHENTICATED
    assert not missing, f"commands without a permission entry: {sorted(missing)}"
    stale = set(PERMISSIONS) - known
    assert not stale, f"permission entries for commands that do not exist: {sorted(stale)}"


def test_the_readme_documents_the_permission_table() -> None:
    assert permissions_markdown() in README


def _dummy_args(command: Any) -> list[str]:
    """Arguments that parse: the permission check must come before any validation."""
    args: list[str] = []
    for param in command.params:
        if not param.required:
            continue
        annotation = param.type_descriptor.annotation
        is_enum = isinstance(annotation, type) and issubclass(annotation, Enum)
        value = str(next(iter(annotation)).value) if is_enum else "1"
        if param.param_type_name == "argument":
            args.extend([value] * (param.nargs if param.nargs > 0 else 1))
        else:
            args.extend([param.opts[0], value])
    return args


FORBIDDEN = [
    (path, role)
    for path, _ in COMMANDS
    if " ".join(path) in PERMISSIONS
    for role in ROLES
    if role not in PERMISSIONS[" ".join(path)]
]
USER_OF_ROLE = {"admin": "admin", "clerk": "clerk", "auditor": "auditor", "system": "bot"}


@pytest.mark.parametrize(
    ("path", "role"), FORBIDDEN, ids=[f"{' '.join(p)}:{r}" for p, r in FORBIDDEN]
)
def test_a_role_without_permission_is_refused_with_exit_5(
    cli: Cli, path: tuple[str, ...], role: str
) -> None:
    command = dict(COMMANDS)[path]
    before = cli.db.read_bytes()
    result = cli.run(*path, *_dummy_args(command), user=USER_OF_ROLE[role], input="")
    assert result.exit_code == 5, f"{' '.join(path)} as {role}: {result.output}"
    assert result.stderr == f"error: the {role} role may not run `lautex {' '.join(path)}`\n"
    assert cli.db.read_bytes() == before


def test_every_top_level_command_names_the_modules_that_register_it() -> None:
    from lautex_registry.cli.app import COMMAND_MODULES, modules_for

    top_level = {path[0] for path, _ in COMMANDS}
    assert top_level == set(COMMAND_MODULES)
    assert modules_for(["--db", "x.db", "customer", "show", "1"]) == ("customers",)
    assert len(modules_for(["--help"])) == len(set(sum(COMMAND_MODULES.values(), ())))


@pytest.mark.parametrize("group", ["org", "request", "customer"])
def test_a_real_process_lists_every_subcommand_of_a_group(group: str) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "lautex_registry", group, "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    expected = {path[1] for path, _ in COMMANDS if path[0] == group}
    listed = {name for name in expected if f" {name} " in result.stdout}
    assert listed == expected


def test_help_lists_the_commands_in_a_clerks_order_not_registration_order(cli: Cli) -> None:
    from lautex_registry.cli.app import COMMAND_MODULES

    listed = [
        line.split()[1]
        for line in cli.ok("--help", user=None).stdout.splitlines()
        if line.startswith("│ ") and len(line.split()) > 1 and line.split()[1] in COMMAND_MODULES
    ]
    assert listed == list(COMMAND_MODULES)
