"""Every command: help with an example, a README entry, a permission entry, and the
permission enforced (a role without it gets exit 5 before anything else happens)."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from lautex_registry.cli.app import app
from lautex_registry.platform.permissions import (
    FORMS,
    PERMISSIONS,
    ROLES,
    UNAUTHENTICATED,
    permissions_markdown,
)
from tests.conftest import Cli
from tests.helpers import dummy_args

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def _walk(command: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    subcommands = getattr(command, "commands", None)
    if subcommands and path and getattr(command, "invoke_without_command", False):
        yield path, command  # a group that is a command itself (`lautex backup`)
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
    stale = set(PERMISSIONS) - known - set(FORMS)
    assert set(FORMS.values()) <= known
    assert not stale, f"permission entries for commands that do not exist: {sorted(stale)}"


def test_the_readme_documents_the_permission_table() -> None:
    assert permissions_markdown() in README


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
    result = cli.run(*path, *dummy_args(command), user=USER_OF_ROLE[role], input="")
    assert result.exit_code == 5, f"{' '.join(path)} as {role}: {result.output}"
    assert result.stderr == f"error: the {role} role may not run `lautex {' '.join(path)}`\n"
    assert cli.db.read_bytes() == before


def test_every_top_level_command_has_its_own_module_named_as_typed() -> None:
    import lautex_registry.cli.commands as package
    from lautex_registry.cli.app import COMMANDS as TOP_LEVEL
    from lautex_registry.cli.app import commands_for

    assert {path[0] for path, _ in COMMANDS} == set(TOP_LEVEL)
    files = {p.stem for p in Path(package.__file__).parent.glob("*.py")} - {"__init__"}
    assert files == {name.replace("-", "_") for name in TOP_LEVEL}
    assert commands_for(["--db", "x.db", "customer", "show", "1"]) == ("customer",)
    assert commands_for(["--help"]) == TOP_LEVEL


@pytest.mark.parametrize("name", sorted({path[0] for path, _ in COMMANDS}))
def test_a_command_module_registers_exactly_its_own_command(name: str) -> None:
    from importlib import import_module

    from lautex_registry.cli.app import command_module

    module = import_module(command_module(name))
    assert name == module.COMMAND
    alone = typer.Typer()
    module.register(alone)
    registered = [c.name for c in alone.registered_commands]
    registered += [g.name for g in alone.registered_groups]
    assert registered == [name]
    # Every subcommand of the group is defined in the group's own module: no other
    # module adds commands into it.
    for info in alone.registered_groups:
        assert info.typer_instance is not None
        for sub in info.typer_instance.registered_commands:
            assert sub.callback is not None
            assert sub.callback.__module__ == module.__name__, sub.name


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
    from lautex_registry.cli.app import COMMANDS as TOP_LEVEL

    listed = [
        line.split()[1]
        for line in cli.ok("--help", user=None).stdout.splitlines()
        if line.startswith("│ ") and len(line.split()) > 1 and line.split()[1] in TOP_LEVEL
    ]
    assert listed == list(TOP_LEVEL)
