"""`lautex shell` driven through a real pseudo-terminal, as a clerk types at it.

One shell process for the module (its start-up is paid once, as the clerk's is), logged
in as the clerk with a session; a second short one for `--no-history` and Ctrl-D, and a
pipe for scripts. The pseudo-terminal is the shell's controlling terminal, so Ctrl-C is
a real SIGINT and TAB goes through GNU readline.
"""

import fcntl
import json
import os
import pty
import re
import select
import shutil
import stat
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lautex_registry.platform.sqlite import sqlite3
from tests.conftest import PASSWORD, TODAY, RegisterTemplate
from tests.helpers import sigint_as_a_shell_gives_it

PROMPT = re.compile(rb"lautex lautex\.db \[(\d+)\]> ")
WAIT = 120  # seconds: a loaded 2-core machine is slow, never wrong


def _lautex(*args: str) -> list[str]:
    return [sys.executable, "-m", "lautex_registry", *args]


def _controlling_terminal() -> None:
    """In the child: a session of its own with the pseudo-terminal as its terminal."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    sigint_as_a_shell_gives_it()


class Terminal:
    """A `lautex shell` at a 24x100 pseudo-terminal."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        leader, follower = pty.openpty()
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
        self.child = subprocess.Popen(
            _lautex("shell", *args),
            stdin=follower,
            stdout=follower,
            stderr=follower,
            env=env,
            close_fds=True,
            preexec_fn=_controlling_terminal,
        )
        os.close(follower)
        self.leader = leader
        self.seen = b""
        self.status = int(self.expect(PROMPT)[1])

    def expect(self, pattern: re.Pattern[bytes]) -> re.Match[bytes]:
        """Read until `pattern` shows; what came before it is `self.before`."""
        deadline = time.monotonic() + WAIT
        while (found := pattern.search(self.seen)) is None:
            ready, _, _ = select.select([self.leader], [], [], deadline - time.monotonic())
            assert ready, f"waited for {pattern.pattern!r}; the screen shows {self.seen!r}"
            self.seen += os.read(self.leader, 65536)
        self.before = self.seen[: found.start()].decode().replace("\r\n", "\n")
        self.seen = self.seen[found.end() :]
        return found

    def type(self, keys: str) -> None:
        os.write(self.leader, keys.encode())

    def run(self, line: str) -> str:
        """Type a line and Enter; what the command printed (its echo left out)."""
        self.type(line + "\r")
        self.status = int(self.expect(PROMPT)[1])
        echo, _, output = self.before.partition("\n")
        assert echo.endswith(line), echo
        return output

    def end(self) -> int:
        self.type("\x04")  # Ctrl-D
        code = self.child.wait(timeout=WAIT)
        os.close(self.leader)
        return code


@pytest.fixture(scope="module")
def clerks_register(
    register_template: RegisterTemplate, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """A copy of the test register with one customer and the clerk logged in."""
    folder = tmp_path_factory.mktemp("shell")
    shutil.copy2(register_template.path, folder / "lautex.db")
    shutil.copytree(register_template.home, folder / "home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAUTEX_")}
    env.update(
        LAUTEX_DB=str(folder / "lautex.db"),
        LAUTEX_HOME=str(folder / "home"),
        LAUTEX_TODAY=TODAY,
        XDG_CONFIG_HOME=str(folder / "config"),
        TERM="dumb",  # readline edits and completes; no colours or bracketed paste
        LAUTEX_PAGER="",
    )
    added = subprocess.run(
        _lautex(
            "customer", "add", "--first-name", "Aino", "--last-name", "Äijälä",
            "--email", "aino.aijala@example.fi", "--source", "web-store",
        ),
        env=dict(env, LAUTEX_TOKEN=register_template.tokens["admin"]),
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    login = ["login", "clerk", "--password-stdin"]
    subprocess.run(_lautex(*login), env=env, input=PASSWORD + "\n", text=True, check=True)
    return env


@pytest.fixture(scope="module")
def terminal(clerks_register: dict[str, str]) -> Iterator[Terminal]:
    shell = Terminal(clerks_register)
    yield shell
    shell.end()


def _shows_by_clerk(env: dict[str, str]) -> int:
    with sqlite3.connect(env["LAUTEX_DB"]) as conn:
        query = "SELECT count(*) FROM audit_log WHERE action = 'customer show' AND username = ?"
        return int(conn.execute(query, ("clerk",)).fetchone()[0])


def test_the_prompt_shows_each_commands_exit_status(terminal: Terminal) -> None:
    assert "error: customer: no customer with id 999" in terminal.run("customer show 999")
    assert terminal.status == 3
    assert "Clerk User" in terminal.run("whoami")
    assert terminal.status == 0
    refused = terminal.run("user list")  # the clerk's role may not
    assert refused.strip() == "error: the clerk role may not run `lautex user list`"
    assert terminal.status == 5


def test_a_customer_lookup_prints_what_the_cli_prints_and_is_audited(
    terminal: Terminal, clerks_register: dict[str, str]
) -> None:
    before = _shows_by_clerk(clerks_register)
    shown = terminal.run("customer show 1 -f json")
    assert terminal.status == 0
    alone = subprocess.run(
        _lautex("customer", "show", "1", "-f", "json"),
        env=clerks_register,
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown == alone.stdout and json.loads(shown)["customer"]["last_name"] == "Äijälä"
    # One audit row for each, the shell's attributed to the clerk as the process's is.
    assert _shows_by_clerk(clerks_register) == before + 2


def test_tab_completes_commands_and_customer_references(terminal: Terminal) -> None:
    terminal.type("whoa\t")
    terminal.expect(re.compile(rb"whoami "))
    terminal.type("-f json\r")
    terminal.status = int(terminal.expect(PROMPT)[1])
    assert json.loads(terminal.before.partition("\n")[2])["username"] == "clerk"
    terminal.type("customer show aino\t")
    terminal.expect(re.compile(rb"aino\.aijala@example\.fi "))
    terminal.type("-f json\r")
    terminal.status = int(terminal.expect(PROMPT)[1])
    assert terminal.status == 0 and '"Äijälä"' in terminal.before


def test_ctrl_c_drops_the_line_or_stops_the_command_and_returns_to_the_prompt(
    terminal: Terminal,
) -> None:
    terminal.run("whoami")
    terminal.type("customer show 99")
    terminal.expect(re.compile(rb"customer show 99"))
    _ctrl_c(terminal)
    assert int(terminal.expect(PROMPT)[1]) == 0  # nothing ran: the status stays
    # At the confirmation of an irreversible command: interrupted, nothing erased.
    terminal.type("erase 1\r")
    terminal.expect(re.compile(rb"\[y/N\] \(k/E\): "))
    _ctrl_c(terminal)
    terminal.status = int(terminal.expect(PROMPT)[1])
    assert terminal.status == 130 and "error: interrupted" in terminal.before
    assert terminal.run("customer show 1 -f json").startswith("{")


def _ctrl_c(terminal: Terminal) -> None:
    """Ctrl-C as a person presses it: a moment after the last key. (A SIGINT that lands
    while readline is still handling a key is seen only at the next key, a race of
    Python's readline module that keys typed in the same instant can hit.)"""
    time.sleep(0.5)
    terminal.type("\x03")


def test_the_history_file_is_the_clerks_alone(
    terminal: Terminal, clerks_register: dict[str, str]
) -> None:
    terminal.run("status")
    history = Path(clerks_register["LAUTEX_HOME"]) / "history"
    assert stat.S_IMODE(history.stat().st_mode) == 0o600
    assert "status" in history.read_text().splitlines()


def test_no_history_and_ctrl_d_ending_with_the_last_status(
    clerks_register: dict[str, str], tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(Path(clerks_register["LAUTEX_HOME"]) / "sessions", home / "sessions")
    home.chmod(0o700)
    shell = Terminal(dict(clerks_register, LAUTEX_HOME=str(home)), "--no-history")
    shell.run("customer show 999")
    assert shell.end() == 3
    assert not (home / "history").exists()


def test_commands_piped_in_run_without_a_prompt(clerks_register: dict[str, str]) -> None:
    piped = subprocess.run(
        _lautex("shell"),
        env=clerks_register,
        input="whoami -f json\ncustomer show 999\nstatus -f json\n",
        capture_output=True,
        text=True,
    )
    assert piped.returncode == 3  # the last non-zero status
    assert "lautex [" not in piped.stdout and "> " not in piped.stdout
    first, second = piped.stdout.split("}\n{", 1)
    assert json.loads(first + "}")["username"] == "clerk" and "customers" in "{" + second
    assert piped.stderr == "error: customer: no customer with id 999\n"
