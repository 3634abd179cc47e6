"""`lautex shell` run in-process: lines give the CLI's output, statuses, refusals and audit
rows; completion offers commands, options, closed sets and customer references.

The same shell driven through a real pseudo-terminal (prompt, TAB, Ctrl-C, history file)
is in tests/test_shell_terminal.py.
"""

import json
import os
import stat
import sys
from pathlib import Path
from typing import cast

import pytest
import typer

from lautex_registry.cli.app import app
from lautex_registry.cli.commands import shell
from lautex_registry.platform.db import connect
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records.lookup import customer_references
from tests.conftest import PASSWORD, Cli
from tests.helpers import add_aino, add_customer


def _session(cli: Cli, monkeypatch: pytest.MonkeyPatch, user: str = "clerk") -> shell.Session:
    """A shell's session as `lautex shell` starts it for `user`."""
    monkeypatch.setenv("LAUTEX_TOKEN", cli.tokens[user])
    ctx = typer.main.get_command(app).make_context("lautex", ["shell"])
    return shell.Session(cast(typer.Context, ctx), cli.tokens[user], user)


def _audit(cli: Cli, action: str) -> list[tuple[str, str]]:
    with cli.connect() as conn:
        rows = conn.execute(
            "SELECT username, details_json FROM audit_log WHERE action = ? ORDER BY id", (action,)
        )
        return [(row[0], row[1]) for row in rows]


def test_piped_lines_give_the_clis_output_and_the_last_non_zero_status(cli: Cli) -> None:
    aino = add_aino(cli)
    alone = [cli.ok("customer", "show", str(aino), "-f", "json", user="clerk").stdout]
    alone.append(cli.ok("status", "-f", "json", user="clerk").stdout)
    missing = cli.run("customer", "show", "999", user="clerk")
    lines = f"customer show {aino} -f json\ncustomer show 999\n\nstatus -f json\n"
    piped = cli.run("shell", user="clerk", input=lines)
    # A failure in the middle is not hidden by the success after it.
    assert piped.exit_code == missing.exit_code == 3
    assert piped.stdout == "".join(alone)
    assert piped.stderr == missing.stderr == "error: customer: no customer with id 999\n"
    # Each `customer show` that showed someone is audited as the CLI's, for the clerk.
    shows = _audit(cli, "customer show")
    assert shows == [("clerk", '{"format": "json"}')] * 2


def test_every_command_is_checked_and_a_script_of_successes_exits_0(cli: Cli) -> None:
    refused = cli.run("shell", user="auditor", input="customer add --first-name X\nwhoami\n")
    assert refused.exit_code == 5
    assert refused.stderr == "error: the auditor role may not run `lautex customer add`\n"
    assert refused.stdout == "username\tauditor\nfull_name\tAuditor User\nrole\tauditor\n"
    assert cli.run("shell", user="auditor", input="whoami\nstatus\n").exit_code == 0


def test_a_shell_needs_a_login_as_every_command_does(cli: Cli) -> None:
    for session_file in (cli.home / "sessions").glob("*.token"):
        session_file.unlink()  # the template's admin logged out
    result = cli.run("shell", user=None, input="status\n")
    assert result.exit_code == cli.run("status", user=None).exit_code == 5
    assert result.stderr.startswith("error: not logged in: run `lautex login`")
    assert result.stdout == ""


def test_lines_the_shell_refuses_and_lines_it_cannot_read(cli: Cli) -> None:
    before = (cli.db.read_bytes(), _audit(cli, "login"))
    result = cli.run(
        "shell",
        user="clerk",
        input='customer search "aino\nlogin admin\nshell\n--db other.db status\n-q\n',
    )
    assert result.stderr.splitlines() == [
        "error: line: no closing quotation",
        "error: login: the shell runs as the user logged in when it started: type `exit`, "
        "then `lautex login`",
        "error: shell: this is a shell already",
        "error: db: a shell works on one register: start `lautex --db PATH shell`",
        "error: Missing command. (see --help)",  # `-q` alone: what `lautex -q` says
    ]
    assert result.exit_code == 2 and result.stdout == ""
    assert (cli.db.read_bytes(), _audit(cli, "login")) == before


def test_exit_ends_a_script_and_logout_ends_the_shell(cli: Cli) -> None:
    result = cli.run("shell", user="clerk", input="whoami -f json\nexit\nwhoami\n")
    assert result.exit_code == 0 and result.stdout.count('"username"') == 1
    # Logged in with a session: `logout` ends it, and the shell with it.
    cli.ok("login", "clerk", "--password-stdin", user=None, input=PASSWORD + "\n")
    result = cli.run("shell", user=None, input="logout\nwhoami\n")
    assert result.exit_code == 0 and result.stderr == "logged out\n" and result.stdout == ""
    assert not list((cli.home / "sessions").glob("*.token"))
    assert cli.run("whoami", user=None).exit_code == 5


def test_a_user_disabled_meanwhile_is_refused_as_the_cli_refuses(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    session = _session(cli, monkeypatch)
    assert session.run_line("whoami -f json") == 0
    cli.ok("user", "disable", "clerk")
    monkeypatch.setenv("LAUTEX_TOKEN", cli.tokens["clerk"])  # cli.ok restored the admin's
    capsys.readouterr()
    assert session.run_line("status") == 5
    in_shell = capsys.readouterr().err
    alone = cli.run("status", user="clerk")
    assert in_shell == alone.stderr and "disabled" in in_shell and alone.exit_code == 5


def test_another_users_session_is_not_taken_over(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    session = _session(cli, monkeypatch)
    monkeypatch.setenv("LAUTEX_TOKEN", cli.tokens["admin"])  # someone logged in anew
    assert session.run_line("user list") == 5
    assert capsys.readouterr().err == (
        "error: the session changed since this shell started as clerk (a login or a new "
        "token): type `exit` and start `lautex shell` again\n"
    )
    assert session.candidates("customer show 1") == []


def test_at_a_terminal_the_prompt_shows_the_register_and_the_last_status(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Python's input() writes the prompt and reads the line itself when its stream is not
    # the console: the loop a terminal gets (readline, TAB and Ctrl-C are tested in
    # tests/test_shell_terminal.py through a real terminal).
    monkeypatch.setattr(shell, "at_terminal", lambda: True)
    history = Path(os.environ["LAUTEX_HOME"]) / "history"
    history.write_text("customer search aino\n")
    history.chmod(0o644)  # an older file others could read: narrowed, its lines kept
    result = cli.run("shell", user="clerk", input="customer show 999\nwhoami -f json\n")
    assert result.stdout.startswith("lautex lautex.db [0]> lautex lautex.db [3]> {")
    assert result.stdout.endswith("}\nlautex lautex.db [0]> \n")
    assert result.exit_code == 0  # Ctrl-D: the last command's status
    assert stat.S_IMODE(history.stat().st_mode) == 0o600
    assert "customer search aino" in history.read_text().splitlines()
    # The prompt of a shell ended by `exit` after a failure: that failure's status.
    ended = cli.run("shell", user="clerk", input="customer show 999\nexit\n")
    assert ended.exit_code == 3


def test_no_history_writes_no_file(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shell, "at_terminal", lambda: True)
    result = cli.run("shell", "--no-history", user="clerk", input="whoami\n")
    assert result.exit_code == 0
    assert not (Path(os.environ["LAUTEX_HOME"]) / "history").exists()


def test_ctrl_c_drops_the_line_and_interrupts_a_command(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    session = _session(cli, monkeypatch)
    typed: list[object] = [KeyboardInterrupt(), "customer show 999", KeyboardInterrupt()]
    prompts: list[str] = []

    def read(prompt: str) -> str:
        prompts.append(prompt)
        if not typed:
            raise EOFError
        line = typed.pop(0)
        if isinstance(line, BaseException):
            raise line
        return str(line)

    # Ctrl-C between a command's steps (outside the CLI's boundary): status 130.
    monkeypatch.setattr(session, "_same_session", _interrupted)
    assert session.interactive(tmp_path / "history", read=read) == 130
    assert prompts == [f"lautex lautex.db [{code}]> " for code in (0, 0, 130, 130)]


def _interrupted() -> bool:
    raise KeyboardInterrupt


def test_completion_of_commands_options_and_closed_sets(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = _session(cli, monkeypatch)
    assert session.candidates("cu") == ["customer"]
    assert "shell" not in session.candidates("") and "login" not in session.candidates("")
    assert "whoami" in session.candidates("")
    assert session.candidates("customer s") == ["show", "search"]
    assert session.candidates("customer show --f") == ["--format"]
    assert session.candidates("customer show 1 --format j") == ["json", "jsonl"]
    assert session.candidates("request add 1 --channel ") == [
        "letter", "email", "phone", "counter", "web",
    ]  # fmt: skip
    assert session.candidates('request add 1 --channel "l') == ["letter"]
    assert session.candidates('customer search "\\') == []  # no quote closes it: words
    # The completer readline calls: whole words, each with its space.
    readline = shell._set_up_readline(session, None)
    assert readline.get_completer()("", 0) == "demo "


def test_completion_of_customer_references_is_permitted_bounded_and_audited(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in range(1, 13):
        add_customer(
            cli, "--first-name", "Aino", "--last-name", "Äijälä", "--email",
            f"aino{number}@example.fi", "--source", "web-store",
        )  # fmt: skip
    cli.ok("restrict", "11", "--reason", "accuracy contested")
    session = _session(cli, monkeypatch)
    assert session.candidates("customer show 1") == ["1", "10", "12"]  # 11 is restricted
    assert session.candidates("erase AINO1") == [
        "aino10@example.fi", "aino12@example.fi", "aino1@example.fi",
    ]  # fmt: skip
    assert session.candidates("customer show ") == []  # nothing for nothing typed
    assert session.candidates("customer show %") == []
    audited = _audit(cli, "shell completion")
    assert [name for name, _ in audited] == ["clerk", "clerk"]
    assert json.loads(audited[0][1]) == {"rows": 3}
    # A role that may not search customers is offered none.
    assert _session(cli, monkeypatch, "bot").candidates("customer show 1") == []


def test_customer_references_are_looked_up_by_index_never_by_a_scan(cli: Cli) -> None:
    add_aino(cli)
    statements: list[str] = []
    conn = connect(cli.db)
    conn.set_trace_callback(statements.append)
    assert customer_references(conn, "aino.", 5) == ["Aino.Aijala@example.fi"]
    assert customer_references(conn, "1", 5) == ["1"]
    assert customer_references(conn, "07", 5) == customer_references(conn, "", 5) == []
    conn.set_trace_callback(None)
    plain = sqlite3.connect(cli.db)
    for statement in statements:
        plan = " ".join(row[3] for row in plain.execute(f"EXPLAIN QUERY PLAN {statement}"))
        assert "SCAN" not in plan and plan.startswith("SEARCH customers"), (statement, plan)


def test_quitting_the_pager_leaves_stdout_to_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    from lautex_registry.cli import output

    # A pager that quits at once (the clerk pressed q): the list stops there, and stdout
    # stays where it was, so the shell's next prompt and output still show. Only a closed
    # stdout sends what is left to /dev/null.
    monkeypatch.setattr(output, "_stdout_is_terminal", lambda: True)
    monkeypatch.setenv("LAUTEX_PAGER", "true")
    monkeypatch.setenv("LINES", "5")
    stdout = sys.stdout.fileno()
    before = os.fstat(stdout)
    rows = ({"n": number} for number in range(100_000))
    assert output.emit_rows(rows, output.Format.tsv) < 100_000
    after = os.fstat(stdout)
    assert (after.st_dev, after.st_ino) == (before.st_dev, before.st_ino)


def test_an_old_spelling_and_global_options_on_a_line(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    session = _session(cli, monkeypatch, "admin")
    assert session.run_line("anonymize 999 --dry-run") == 3  # runs `anonymise`
    assert session.run_line("--no-pager -q whoami -f json") == 0
    assert session.run_line("-q --db=other.db status") == 2
    out = capsys.readouterr()
    assert json.loads(out.out)["username"] == "admin"
    assert out.err.splitlines()[-1] == (
        "error: db: a shell works on one register: start `lautex --db PATH shell`"
    )


def test_the_global_options_of_the_shell_hold_for_every_line(cli: Cli) -> None:
    lines = "customer add --first-name Eino --last-name Öhman --source web-store\nwhoami\n"
    result = cli.run("--db", str(cli.db), "-q", "--no-pager", "shell", user="clerk", input=lines)
    # -q: no `added customer` message on stderr, the data (the new id) on stdout.
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout.startswith("1\nusername\tclerk\n")


def test_a_register_gone_or_a_session_ended_meanwhile_is_the_commands_to_refuse(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    session = _session(cli, monkeypatch)
    monkeypatch.delenv("LAUTEX_TOKEN")
    for session_file in (cli.home / "sessions").glob("*.token"):
        session_file.unlink()
    assert session.run_line("status") == 5
    assert capsys.readouterr().err.startswith("error: not logged in: run `lautex login`")
    cli.db.rename(cli.db.with_name("moved.db"))
    assert session.run_line("status") == 3
    assert capsys.readouterr().err.startswith(f"error: no register at {cli.db}")
    assert session.candidates("customer show 1") == []


def test_a_history_file_that_cannot_be_kept_stops_the_shell_before_any_command(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(shell, "at_terminal", lambda: True)
    history = Path(os.environ["LAUTEX_HOME"]) / "history"
    history.symlink_to(tmp_path / "elsewhere")  # never written through
    result = cli.run("shell", user="clerk", input="customer add --first-name X\n")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("error: ") and len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "elsewhere").exists()
    assert cli.run("shell", "--no-history", user="clerk", input="whoami\n").exit_code == 0
