"""What a command imports before its work, and the document templates' compiled code.

Every command pays its own start-up (docs/rules.md §3): a command imports only the
libraries and services it uses, and a document's template is compiled once, then read
from the template cache. Figures: benchmarks/README.md (start-up).
"""

import io
import json
import marshal
import os
import pickle
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jinja2 import DictLoader, Environment, StrictUndefined
from jinja2.bccache import bc_magic

from lautex_registry.platform import documents
from lautex_registry.platform.template_cache import cache_folder, template_cache
from tests.conftest import Cli

# Runs `lautex ARGS...` as a process of its own and writes the modules it imported.
_RUN = """
import atexit, sys
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write("\\n".join(sorted(sys.modules))))
from lautex_registry.cli.app import main
sys.argv[0] = "lautex"
main()
"""

# Libraries no plain command needs: documents (jinja2, babel, markdown-it, the PDF), tables
# at a terminal (rich), phone numbers, encryption, migrations, and the erasure services.
HEAVY = (
    "jinja2",
    "babel",
    "markdown_it",
    "lautex_registry.platform.pdf_layout",
    "lautex_registry.platform.pdf_writer",
    "rich",
    "phonenumbers",
    "pyrage",
    "sqlite_utils",
    "lautex_registry.erasure",
    "lautex_registry.records.customers",
)
# What only erasing (not listing or counting) uses.
ERASURE = (
    "lautex_registry.erasure.erase",
    "lautex_registry.erasure.cleanup",
    "lautex_registry.erasure.plan",
    "lautex_registry.rights.requests",
)


def as_admin(
    cli: Cli, script: str, listing: Path, *args: str
) -> "subprocess.CompletedProcess[str]":
    """`lautex ARGS` as the admin in a real process run by `script`, which writes what it
    saw of the process to `listing`."""
    env = {**os.environ, "LAUTEX_TOKEN": cli.tokens["admin"]}
    return subprocess.run(
        [sys.executable, "-c", script, str(listing), *args],
        env=env,
        capture_output=True,
        text=True,
    )


def imported(cli: Cli, tmp_path: Path, *args: str) -> tuple[set[str], str]:
    """(the modules `lautex ARGS` imported, its stdout) as a real process."""
    listing = tmp_path / "modules.txt"
    done = as_admin(cli, _RUN, listing, *args)
    assert done.returncode == 0, done.stderr
    return set(listing.read_text().split()), done.stdout


def loaded(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if m.startswith(packages))


def test_whoami_imports_no_library_it_does_not_use(cli: Cli, tmp_path: Path) -> None:
    modules, out = imported(cli, tmp_path, "whoami", "--format", "json")
    assert '"username": "admin"' in out
    assert loaded(modules, HEAVY) == []


# Typer's parameter checks: values Typer's adapters would hand back as they are skip them
# (cli/typer_params.py), a third of a process's start-up.
TYPERS_ADAPTERS = ("pydantic", "typer._adapters")


def test_a_command_with_plain_values_imports_no_pydantic(cli: Cli, tmp_path: Path) -> None:
    modules, out = imported(cli, tmp_path, "--db", str(cli.db), "whoami", "--format", "JSON")
    assert '"username": "admin"' in out
    assert loaded(modules, TYPERS_ADAPTERS) == []


# What the retention job's erasure of a person with no disclosures, no request and no
# business does not use: notices and requests (and the customers module they import),
# dateutil (its years are added by holds.add_years) and Typer's adapters.
NOT_IN_A_RETENTION_RUN = (
    "lautex_registry.records.customers",
    "lautex_registry.rights.requests",
    "lautex_registry.rights.notices",
    "dateutil",
    *TYPERS_ADAPTERS,
)


def test_a_retention_run_imports_only_the_erasure_it_carries_out(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAUTEX_TODAY", "2023-11-01")  # inactive for three years by now
    cli.ok("customer", "add", "--first-name", "Ritva", "--last-name", "Hiljainen",
           "--email", "ritva@example.fi", "--source", "web-store", user="clerk")  # fmt: skip
    monkeypatch.setenv("LAUTEX_TODAY", "2026-11-25")
    # As cron runs it: a date, --yes and a format.
    modules, out = imported(
        cli, tmp_path, "retention", "run", "--as-of", "2026-11-25", "--yes", "-f", "json"
    )
    assert json.loads(out)["counts"]["inactive-customers"] == 1
    assert "lautex_registry.erasure.erase" in modules
    assert loaded(modules, NOT_IN_A_RETENTION_RUN) == []


def test_a_value_typers_adapter_must_check_is_still_checked(cli: Cli, tmp_path: Path) -> None:
    listing = tmp_path / "modules.txt"
    done = as_admin(cli, _RUN, listing, "whoami", "--format", "xml")
    # Refused as before the shortcut, by Typer's adapter running our parser.
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        "error: format: must be one of table, tsv, json, jsonl, csv (got 'xml')\n"
    )
    assert "pydantic" in listing.read_text().split()


def test_listing_and_counting_backups_imports_no_erasure(cli: Cli, tmp_path: Path) -> None:
    # `backup list` and `retention show` read; only a restore or a run erases.
    modules, _ = imported(cli, tmp_path, "backup", "list", "--format", "json")
    assert "lautex_registry.erasure.backup_copies" in modules
    assert loaded(modules, ERASURE) == []
    modules, _ = imported(cli, tmp_path, "retention", "show", "--format", "json")
    assert "lautex_registry.erasure.retention" in modules
    assert loaded(modules, ERASURE) == []


def test_a_markdown_statement_uses_no_markdown_parser_and_its_cached_template(
    cli: Cli, tmp_path: Path
) -> None:
    cache = cli.home / "template-cache"
    shutil.rmtree(cache, ignore_errors=True)  # the fixture's commands filled it
    first_modules, first = imported(cli, tmp_path, "statement", "--lang", "en")
    assert first.startswith("# ")
    # Markdown is the template's own output: no parser, no table drawing, no PDF; its
    # dates and country names are CLDR's words shipped with lautex, not Babel's data.
    documents_only = ("markdown_it", "rich", "lautex_registry.platform.pdf_writer", "babel")
    assert loaded(first_modules, documents_only) == []
    written = {path: path.stat().st_mtime_ns for path in cache.iterdir()}
    assert len(written) == 1  # the statement's template
    assert all(stat.S_IMODE(path.stat().st_mode) & 0o077 == 0 for path in written)
    # The next process reads the compiled code back and writes the same bytes.
    _, again = imported(cli, tmp_path, "statement", "--lang", "en")
    assert again == first
    assert {path: path.stat().st_mtime_ns for path in cache.iterdir()} == written


def test_a_template_is_compiled_once_then_read_from_the_cache(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    compile_template = Environment.compile

    def counting(self: Environment, source: Any, name: Any = None, *args: Any, **kw: Any) -> Any:
        calls.append(str(name))
        return compile_template(self, source, name, *args, **kw)

    monkeypatch.setattr(Environment, "compile", counting)

    def load_anew() -> Any:
        """The template as a new process loads it: a new environment, the same cache."""
        documents._environment.cache_clear()
        return documents._environment("sv").get_template("statement.sv.md.j2")

    try:
        first = load_anew()
        assert calls == ["statement.sv.md.j2"]
        again = load_anew()
        assert calls == ["statement.sv.md.j2"]  # read back, not compiled again
        assert again.root_render_func.__code__.co_code == first.root_render_func.__code__.co_code
    finally:
        documents._environment.cache_clear()


def _environment(templates: dict[str, str], *, keep_newline: bool = False) -> Environment:
    """An environment with the template cache of LAUTEX_HOME (the test's own)."""
    env = Environment(
        loader=DictLoader(templates), undefined=StrictUndefined, keep_trailing_newline=keep_newline
    )
    env.bytecode_cache = template_cache(env)
    assert env.bytecode_cache is not None
    return env


def test_an_edited_template_or_a_changed_setting_is_compiled_again() -> None:
    def render(templates: dict[str, str], *, keep_newline: bool = False) -> str:
        return _environment(templates, keep_newline=keep_newline).get_template("t").render(x=1)

    assert render({"t": "one {{ x }}\n"}) == "one 1"
    assert render({"t": "two {{ x }}\n"}) == "two 1"  # the text's checksum differs
    # The same text under a setting that changes the compiled code: not the old code.
    assert render({"t": "two {{ x }}\n"}, keep_newline=True) == "two 1\n"
    assert render({"t": "two {{ x }}\n"}) == "two 1"
    assert len(list(cache_folder().iterdir())) == 2  # one file per setting, not per text


def test_a_damaged_or_vanished_cache_compiles_as_before() -> None:
    assert _environment({"t": "{{ x }}!"}).get_template("t").render(x=2) == "2!"
    [cached] = cache_folder().iterdir()
    cached.write_bytes(cached.read_bytes()[:20])  # cut short (a full disk, a crash)
    assert _environment({"t": "{{ x }}!"}).get_template("t").render(x=3) == "3!"
    cached.write_bytes(b"not a cache file at all")
    assert _environment({"t": "{{ x }}!"}).get_template("t").render(x=4) == "4!"
    # A whole header, then a value marshal reads but that is not compiled code: a number
    # failed at every render, a string would have been run as source (review 2026-11-28).
    for planted in (42, "print('run from the cache')"):
        assert _environment({"t": "{{ x }}!"}).get_template("t").render(x=6) == "6!"
        header = io.BytesIO(cached.read_bytes())
        header.seek(len(bc_magic))
        pickle.load(header)  # the template's checksum
        cached.write_bytes(header.getvalue()[: header.tell()] + marshal.dumps(planted))
        assert _environment({"t": "{{ x }}!"}).get_template("t").render(x=7) == "7!"
    gone = _environment({"t": "{{ x }}?"})
    shutil.rmtree(cache_folder())  # nothing can be read or written: compiled, no error
    assert gone.get_template("t").render(x=5) == "5?"


def test_a_cache_folder_others_could_write_to_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = Environment()
    monkeypatch.setenv("LAUTEX_HOME", str(tmp_path / "new" / "home"))
    assert cache_folder() == tmp_path / "new" / "home" / "template-cache"
    made = template_cache(env)
    assert made is not None
    for folder in (cache_folder(), cache_folder().parent, cache_folder().parent.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700  # made private, whatever the umask
    cache_folder().chmod(0o777)  # anyone could plant code there
    assert template_cache(env) is None
    cache_folder().rmdir()
    cache_folder().write_text("a file where the folder goes")
    assert template_cache(env) is None
    monkeypatch.delenv("LAUTEX_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_folder() == tmp_path / "xdg" / "lautex" / "templates"


# Runs `python -m lautex_registry ARGS...` as `lautex` runs, and writes whether the cycle
# collector was on once the command was done and how many start-up objects it left frozen.
_COLLECTOR = """
import atexit, gc, sys
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write(f"{gc.isenabled()} {gc.get_freeze_count()}"))
from lautex_registry.__main__ import main
sys.argv[0] = "lautex"
main()
"""


def test_the_garbage_collector_is_off_for_start_up_and_on_for_the_work(
    cli: Cli, tmp_path: Path
) -> None:
    listing = tmp_path / "collector.txt"
    done = as_admin(cli, _COLLECTOR, listing, "whoami", "--format", "json")
    assert done.returncode == 0, done.stderr
    enabled, frozen = listing.read_text().split()
    # A long job (the retention run, an import) collects its garbage as any process does;
    # what start-up made is kept out of the collector's walks.
    assert enabled == "True"
    assert int(frozen) > 10_000


def test_opening_a_register_imports_no_migration(cli: Cli, tmp_path: Path) -> None:
    # The ledger is compared with the migrations' names; their statements are for `migrate`.
    modules, _ = imported(cli, tmp_path, "status", "--format", "json")
    assert "lautex_registry.platform.migrations" in modules
    assert loaded(modules, ("lautex_registry.platform.migrations.",)) == []


def test_a_lazy_pattern_matches_as_the_compiled_one_from_its_first_use() -> None:
    from lautex_registry.platform.characters import lazy_pattern

    source = r"(?P<word>[a-zäö]+)-(?P<number>[0-9]+)"
    lazy, compiled = lazy_pattern(source, re.IGNORECASE), re.compile(source, re.IGNORECASE)
    text = "Äijälä-12 and ohman-7"
    assert lazy.search(text).groupdict() == compiled.search(text).groupdict()  # type: ignore[union-attr]
    assert lazy.findall(text) == compiled.findall(text)
    assert lazy.sub(r"\g<number>", text) == compiled.sub(r"\g<number>", text)
    assert (lazy.pattern, lazy.flags) == (compiled.pattern, compiled.flags)
    assert lazy.fullmatch("x-1") is not None and lazy.match("-1") is None
