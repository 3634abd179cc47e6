"""One vocabulary of options (README "Conventions"): one spelling per idea, closed sets
refused while the command line is read, and the confirmation of irreversible commands."""

import os
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.main import get_command

from lautex_registry.cli import params, prompts
from lautex_registry.cli.app import app
from lautex_registry.platform import documents, permissions
from lautex_registry.platform.errors import Declined, InvalidInput
from lautex_registry.records import customer_state, customers, objections, orders, recipients
from lautex_registry.rights import letters, notices, requests
from tests.conftest import TODAY, Cli
from tests.helpers import add_aino, dump, invoiced, lautex_env

ROOT = get_command(app)


def walk(command: Any = ROOT, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """Every command the user can type, with its click object, hidden ones included."""
    subcommands = getattr(command, "commands", None)
    if subcommands is None:
        yield " ".join(path), command
        return
    for name, sub in subcommands.items():
        yield from walk(sub, (*path, name))


COMMANDS = dict(walk())
OPTIONS = [
    (name, param)
    for name, command in COMMANDS.items()
    for param in command.params
    if param.param_type_name == "option" and param.name != "help"
]


def test_every_closed_set_of_the_command_line_is_the_services_own() -> None:
    assert params.DOCUMENT_LANGUAGES == documents.LANGUAGES
    assert params.PERSON_LANGUAGES == customers.LANGUAGES
    assert params.CHANNELS == objections.CHANNELS
    assert params.REQUEST_KINDS == requests.KINDS
    assert params.REQUEST_OUTCOMES == requests.OUTCOMES
    assert params.LETTER_TYPES == letters.LETTER_TYPES
    assert params.SOURCES == customers.SOURCES
    assert params.CUSTOMER_STATES == customer_state.STATES
    assert params.ROLES == permissions.ROLES
    assert params.ORDER_CHANNELS == orders.CHANNELS
    assert tuple(customers._LIST_ORDER) == params.CUSTOMER_SORTS
    assert params.NOTICE_METHODS == notices.METHODS
    assert params.RECIPIENT_KINDS == recipients.KINDS
    assert params.OBJECTION_PURPOSES == objections.PURPOSES
    assert params.LIST_PURPOSES == objections.LIST_PURPOSES
    assert params.CONSENT_STATUSES == objections.CONSENT_STATUSES
    from lautex_registry.marketing.lists import CHANNELS as MARKETING_CHANNELS

    assert params.MARKETING_CHANNELS == MARKETING_CHANNELS
    assert tuple(params.LetterFormat) == documents.FORMATS


def test_one_flag_is_declared_alike_on_every_command() -> None:
    """The same long flag has the same short form everywhere (`--format` is always `-f`)."""
    spellings: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    where: dict[tuple[str, tuple[str, ...]], str] = {}
    for name, param in OPTIONS:
        for flag in param.opts:
            if flag.startswith("--"):
                shape = tuple(sorted(param.opts))  # a --no- pair's second flag aside
                spellings[flag].add(shape)
                where[(flag, shape)] = name
    mixed = {
        flag: {where[(flag, shape)]: shape for shape in shapes}
        for flag, shapes in spellings.items()
        if len(shapes) > 1
    }
    assert mixed == {}


# The spellings an idea must not take: one name per idea (README "Conventions").
SYNONYMS = {
    "--format": {"--fmt", "--output-format", "--as", "--type-of-output"},
    "--lang": {"--locale", "--document-language"},
    "--yes": {"--assume-yes", "--force-yes", "--no-confirm", "--confirm"},
    "--dry-run": {"--dryrun", "--simulate", "--check-only", "--preview"},
    "--received": {"--received-on", "--on", "--date-received"},
    "--channel": {"--via", "--medium", "--method-of-contact"},
    "--output": {"--out", "--output-file", "--to-file"},
    "--request": {"--request-id", "--req"},
}


def test_no_command_spells_an_idea_differently() -> None:
    flags = {flag: name for name, param in OPTIONS for flag in param.opts}
    used = {
        flag: flags[flag]
        for alternatives in SYNONYMS.values()
        for flag in alternatives
        if flag in flags
    }
    assert used == {}
    # A command does not say "anonymize" and the data "anonymised": one spelling (with s).
    assert [name for name in COMMANDS if "anonymiz" in name] == []
    assert "anonymise" in COMMANDS


def _choices(param: Any) -> tuple[str, ...]:
    metavar = param.metavar or param.display_type(typer.Context(ROOT))
    return tuple(metavar.strip("<>").split("|"))


def test_lang_is_a_documents_language_and_language_the_persons() -> None:
    """`--lang/-l` (fi, sv, en) is the language a document is written in; `--language` (fi, en,
    sv) is the language stored with the person, on the commands that store it."""
    for name, param in OPTIONS:
        if "--lang" in param.opts:
            assert param.opts == ["--lang", "-l"], name
            assert _choices(param) == params.DOCUMENT_LANGUAGES, name
        if "--language" in param.opts:
            assert name in {"customer add", "customer edit", "request add"}, name
            assert _choices(param) == params.PERSON_LANGUAGES, name
    langs = {name for name, param in OPTIONS if "--lang" in param.opts}
    assert {"export", "statement", "processing-record", "request letter"} <= langs
    assert "request certificate" in langs


def test_every_format_is_dash_f_and_a_choice_listed_in_help() -> None:
    formats = {name: param for name, param in OPTIONS if "--format" in param.opts}
    assert {"export", "statement", "processing-record", "labels", "marketing list"} <= set(formats)
    for name, param in formats.items():
        assert param.opts == ["--format", "-f"], name
        assert len(_choices(param)) >= 2, name


def test_object_and_request_add_take_the_same_channels(cli: Cli) -> None:
    channel = {
        name: _choices(param)
        for name, param in OPTIONS
        if "--channel" in param.opts and name in {"object", "publication-ban", "request add"}
    }
    assert set(channel.values()) == {params.CHANNELS} and len(channel) == 3
    customer = add_aino(cli)
    cli.ok("request", "add", str(customer), "--kind", "access", "--channel", "phone", user="clerk")
    cli.ok("object", str(customer), "--purpose", "direct-advertising", "--channel", "phone",
           user="clerk")  # fmt: skip
    with cli.connect() as conn:
        [request_on] = conn.execute("SELECT received_on FROM requests").fetchone()
        [objection_on] = conn.execute("SELECT received_on FROM objections").fetchone()
    # --received defaults to today on both.
    assert request_on == objection_on == TODAY


def _choice_options() -> list[tuple[str, str, tuple[str, ...]]]:
    found = []
    for name, param in OPTIONS:
        metavar = param.metavar or ""
        shown = metavar or param.display_type(typer.Context(ROOT))
        if shown.startswith("<") and "|" in shown and param.opts[0] != "--help":
            found.append((name, param.opts[0], _choices(param)))
    return found


CHOICE_OPTIONS = _choice_options()


def test_the_closed_sets_found_include_every_kind_of_choice() -> None:
    found = {(name, flag) for name, flag, _ in CHOICE_OPTIONS}
    for expected in [
        ("request add", "--kind"), ("request add", "--channel"), ("object", "--channel"),
        ("object", "--purpose"), ("customer add", "--source"), ("user add", "--role"),
        ("request close", "--outcome"), ("notice sent", "--method"), ("customer list", "--format"),
        ("export", "--format"), ("labels", "--format"), ("marketing list", "--channel"),
    ]:  # fmt: skip
        assert expected in found


@pytest.mark.parametrize(("command", "flag", "values"), CHOICE_OPTIONS, ids=lambda x: str(x))
def test_a_value_outside_a_closed_set_is_refused_before_the_register_is_opened(
    tmp_path: Path, command: str, flag: str, values: tuple[str, ...]
) -> None:
    from typer.testing import CliRunner

    missing = tmp_path / "no-such-folder" / "lautex.db"
    result = CliRunner().invoke(
        app, ["--db", str(missing), *command.split(), flag, "nonsense"], env={"LAUTEX_TOKEN": ""}
    )
    assert result.exit_code == 2, result.output
    field = result.stderr.removeprefix("error: ").split(":")[0]
    assert result.stderr == (
        f"error: {field}: must be one of {', '.join(values)} (got 'nonsense')\n"
    ), result.stderr
    assert not missing.parent.exists()
    shown = CliRunner().invoke(app, [*command.split(), "-h"], env={"COLUMNS": "500"}).stdout
    assert "<" + "|".join(values) + ">" in shown  # listed in -h


def test_choices_ignore_case_and_surrounding_space(cli: Cli) -> None:
    assert cli.ok("statement", "-l", "EN", "-f", " HTML").stdout.lstrip().startswith("<")


def test_the_old_spelling_anonymize_still_runs_anonymise_but_is_not_listed(cli: Cli) -> None:
    customer = add_aino(cli)
    result = cli.ok("anonymize", str(customer), "--yes", user="clerk")
    assert f"customer {customer} anonymised" in result.stderr
    with cli.connect() as conn:
        [action] = conn.execute(
            "SELECT action FROM audit_log WHERE action LIKE 'anonymi%' ORDER BY id DESC"
        ).fetchone()
    assert action == "anonymise"
    listed = cli.ok("--help").stdout
    assert "anonymise" in listed and "anonymize" not in listed


# --- confirmations ---------------------------------------------------------------------------


def _settings_file(tmp_path: Path) -> Path:
    path = tmp_path / "register.toml"
    text = (Path(documents.__file__).parents[1] / "defaults" / "register.toml").read_text("utf-8")
    path.write_text(text.replace("retention", "retention", 1), "utf-8")
    return path


def _irreversible(cli: Cli, tmp_path: Path) -> dict[str, list[str]]:
    """Each irreversible command, ready to run on this register (README "Conventions")."""
    customer = invoiced(cli)
    other = add_aino(cli, "--email", "toinen@example.fi")
    backup = tmp_path / "copy.db"
    cli.ok("backup", str(backup))
    return {
        "erase": ["erase", str(other)],
        "anonymise": ["anonymise", str(customer)],
        "restore": ["restore", str(backup)],
        "retention run": ["retention", "run"],
        "invoice write-off": ["invoice", "write-off", "2026-0457", "--date", "2026-11-25"],
        "settings load": ["settings", "load", str(_settings_file(tmp_path))],
    }


IRREVERSIBLE = ("erase", "anonymise", "restore", "retention run", "invoice write-off",
                "settings load")  # fmt: skip


@pytest.mark.parametrize("command", IRREVERSIBLE)
def test_an_irreversible_command_without_a_terminal_needs_yes_and_dry_run_changes_nothing(
    cli: Cli, tmp_path: Path, command: str
) -> None:
    args = _irreversible(cli, tmp_path)[command]
    before = dump(cli)
    refused = cli.run(*args)
    assert refused.exit_code == 2, refused.output
    assert refused.stderr.endswith(
        "error: refusing to go on without confirmation: add --yes (or --dry-run to see what "
        "it does)\n"
    )
    assert dump(cli) == before
    rehearsed = cli.run(*args, "--dry-run")
    assert rehearsed.exit_code == 0, rehearsed.output
    assert "dry run: nothing was changed" in rehearsed.stderr
    assert dump(cli) == before
    done = cli.run(*args, "--yes")
    assert done.exit_code == 0, done.output
    if command != "settings load":  # the same settings again: only the audit row is new
        assert dump(cli) != before


def test_every_irreversible_command_has_dry_run_and_yes() -> None:
    for name in IRREVERSIBLE:
        flags = {flag for param in COMMANDS[name].params for flag in param.opts}
        assert {"--yes", "--dry-run"} <= flags, name
    assert "--yes" not in {
        flag for param in COMMANDS["user disable"].params if not param.hidden for flag in param.opts
    }


def test_invoice_write_off_shows_what_it_will_do(cli: Cli) -> None:
    invoiced(cli)
    result = cli.ok("invoice", "write-off", "2026-0457", "--date", "2026-11-25", "--dry-run")
    for shown in ("2026-0457", "Äijälä", "open", "2026-11-25"):
        assert shown in result.stderr
    with cli.connect() as conn:
        [state] = conn.execute("SELECT state FROM invoices").fetchone()
    assert state == "open"


@pytest.mark.parametrize("answer", ["y", "yes", "k", "kyllä", "K", "Kyllä", " kylla "])
def test_yes_in_english_or_finnish(monkeypatch: pytest.MonkeyPatch, answer: str) -> None:
    monkeypatch.setattr(typer, "prompt", lambda *a, **k: answer)
    assert prompts.ask_yes_no("Go?") is True


@pytest.mark.parametrize("answer", ["n", "no", "e", "ei", "EI", ""])
def test_no_in_english_or_finnish(monkeypatch: pytest.MonkeyPatch, answer: str) -> None:
    monkeypatch.setattr(typer, "prompt", lambda *a, **k: answer)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    with pytest.raises(Declined, match="nothing changed"):
        prompts.confirm_or_abort("Go?", assume_yes=False)


def test_an_unclear_answer_is_asked_again(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = iter(["joo?", "kyllä"])
    monkeypatch.setattr(typer, "prompt", lambda *a, **k: next(answers))
    assert prompts.ask_yes_no("Go?") is True
    assert "k, kyllä" in capsys.readouterr().err


def test_no_terminal_and_no_yes_is_invalid_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    with pytest.raises(InvalidInput, match="add --yes"):
        prompts.confirm_or_abort("Go?", assume_yes=False)


def _write_off_at_a_terminal(cli: Cli, answer: bytes) -> tuple[int, str]:
    terminal, their_end = os.openpty()
    child = subprocess.Popen(
        [sys.executable, "-m", "lautex_registry", "invoice", "write-off", "2026-0457", "--date",
         "2026-11-25"],
        stdin=their_end, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=lautex_env(cli, "clerk"),
    )  # fmt: skip
    os.close(their_end)
    assert child.stderr is not None
    asked = b""
    deadline = time.monotonic() + 60
    while b"(k/E)" not in asked and time.monotonic() < deadline:
        asked += os.read(child.stderr.fileno(), 4096)
    assert b"Write off invoice 2026-0457 for good? [y/N] (k/E)" in asked
    assert b"2026-0457" in asked.split(b"Write off")[0]  # shown before the question
    os.write(terminal, answer)
    _out, err = child.communicate(timeout=60)
    os.close(terminal)
    return child.returncode, (asked + err).decode()


def _invoice_state(cli: Cli) -> str:
    with cli.connect() as conn:
        [state] = conn.execute("SELECT state FROM invoices").fetchone()
    return str(state)


def test_kylla_at_a_real_terminal_writes_the_invoice_off(cli: Cli) -> None:
    invoiced(cli)
    code, err = _write_off_at_a_terminal(cli, "kyllä\n".encode())
    assert code == 0, err
    assert "invoice 2026-0457 is written off" in err
    assert _invoice_state(cli) == "written-off"


def test_ei_at_a_real_terminal_declines_exit_8_nothing_changed(cli: Cli) -> None:
    invoiced(cli)
    before = dump(cli)
    code, err = _write_off_at_a_terminal(cli, b"ei\n")
    assert code == 8, err
    assert err.rstrip().endswith("error: declined at the prompt: nothing changed")
    assert _invoice_state(cli) == "open" and dump(cli) == before
