"""README "Input rules" and "Conventions": a path or a file that cannot be used is one short
line naming it, the exit code of the table, and the register unchanged; an error line
quotes at most an excerpt of a bad value."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lautex_registry.records import status
from tests.conftest import Cli
from tests.helpers import iterdump

LONG = "q" * 3000  # longer than any file name a file system takes (255 bytes)
NAME = "q" * 200  # as long as a name may be
HETU = "131052-308T"  # the Population Register Centre's published example
DEFAULT_SETTINGS = Path(__file__).parent.parent / "lautex_registry" / "defaults" / "register.toml"
# An error line: "error: ", a field, a 20-character excerpt with its quotes and "...",
# and a reason; never the whole value.
SHORT_LINE = 160


def lautex(cli: Cli, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The real `lautex` in its own process, logged in as admin."""
    env = {**os.environ, "LAUTEX_TOKEN": cli.tokens["admin"]}
    return subprocess.run(
        [sys.executable, "-m", "lautex_registry", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def dump(cli: Cli) -> list[str]:
    with cli.connect() as conn:
        return list(iterdump(conn))


def assert_short_refusal(stderr: str, *fragments: str) -> None:
    assert stderr.startswith("error: ") and stderr.count("\n") == 1, stderr
    assert len(stderr) < SHORT_LINE, stderr
    for fragment in fragments:
        assert fragment in stderr, stderr


# --- paths too long, links that loop ---------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [("customer", "import", LONG),
     ("settings", "load", LONG),
     ("export", "1", "-f", "json", "-o", LONG),
     ("backup", LONG),
     ("statement", "-o", LONG),
     ("labels", "-f", "csv", "-o", LONG),
     ("restore", LONG, "--dry-run"),
     ("--db", LONG, "status")],
    ids=lambda args: " ".join(a for a in args if a != LONG),
)  # fmt: skip
def test_a_path_too_long_is_a_short_usage_error_on_every_command(
    cli: Cli, args: tuple[str, ...]
) -> None:
    cli.ok("customer", "add", "--first-name", "Aino", "--last-name", "Äijälä", "--source",
           "web-store")  # fmt: skip
    before = dump(cli)
    result = lautex(cli, *args)
    assert result.returncode == 2, result.stderr
    assert_short_refusal(result.stderr, "'qqqqqqqqqqqqqqqqqqqq...' is too long for the file system")
    assert dump(cli) == before


@pytest.mark.parametrize(
    ("args", "field"),
    [(("customer", "import", "loop1"), "file"), (("settings", "load", "loop1"), "settings")],
)
def test_a_symbolic_link_loop_is_called_one(
    cli: Cli, tmp_path: Path, args: tuple[str, ...], field: str
) -> None:
    (tmp_path / "loop1").symlink_to("loop2")
    (tmp_path / "loop2").symlink_to("loop1")
    before = dump(cli)
    result = lautex(cli, *args)
    assert result.returncode == 2, result.stderr
    assert_short_refusal(result.stderr, f"{field}: 'loop1' is a symbolic link loop")
    assert dump(cli) == before


def test_an_unexpected_error_is_one_bounded_line(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    def a_bug(*_args: object) -> None:
        raise RuntimeError("a message as long as a page\n" + "x" * 5000)

    monkeypatch.setattr(status, "register_status", a_bug)
    result = cli.run("status")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: unexpected RuntimeError: 'a message as long")
    assert result.stderr.count("\n") == 1 and len(result.stderr) < 400, result.stderr
    assert result.stderr.rstrip().endswith("(set LAUTEX_DEBUG=1 for the traceback)")


# --- what is read: a regular file, of a sane size ----------------------------------------------


@pytest.mark.parametrize(
    ("args", "field"),
    [(("customer", "import", "/dev/zero"), "file"),
     (("settings", "load", "/dev/zero"), "settings"),
     (("customer", "import", "/dev/null"), "file")],
)  # fmt: skip
def test_a_device_is_not_read(cli: Cli, args: tuple[str, ...], field: str) -> None:
    before = dump(cli)
    result = lautex(cli, *args, timeout=30)
    assert result.returncode == 2, result.stderr
    assert_short_refusal(result.stderr, f"{field}: '/dev/", "is not a regular file")
    assert dump(cli) == before


def test_an_import_of_one_endless_line_stops_at_the_header(cli: Cli, tmp_path: Path) -> None:
    csv_file = tmp_path / "one-line.csv"
    csv_file.write_bytes(b"first_name," * 2_000_000)  # 22 MB with no line break
    before = dump(cli)
    result = lautex(cli, "customer", "import", str(csv_file))
    assert result.returncode == 2, result.stderr
    assert_short_refusal(result.stderr, "header: the first line is longer than 10000 characters")
    assert dump(cli) == before


def test_a_settings_file_over_a_mebibyte_is_not_loaded(cli: Cli, tmp_path: Path) -> None:
    huge = tmp_path / "register.toml"
    huge.write_text(DEFAULT_SETTINGS.read_text("utf-8") + "# " + "x" * 1_100_000 + "\n", "utf-8")
    before = dump(cli)
    result = lautex(cli, "settings", "load", "--yes", "register.toml")
    assert result.returncode == 2, result.stderr
    assert_short_refusal(result.stderr, "settings: 'register.toml' is larger than 1024 KiB")
    assert dump(cli) == before


def test_a_bad_byte_is_reported_on_its_own_line(cli: Cli, tmp_path: Path) -> None:
    rows = [f"Aino{n},Äijälä,aino{n}@example.fi,web-store".encode() for n in range(2, 22)]
    rows[14] += b"\xff"  # line 16 of the file, the header being line 1
    data = b"first_name,last_name,email,source\n" + b"\n".join(rows) + b"\n"
    (tmp_path / "bad.csv").write_bytes(data)
    before = dump(cli)
    result = lautex(cli, "customer", "import", "bad.csv")
    assert result.returncode == 2, result.stderr
    assert_short_refusal(result.stderr, "file: not UTF-8 text on line 16")
    assert dump(cli) == before
    (tmp_path / "bad.csv").write_bytes(b"first_name,last_name\xff,source\n" + b"\n".join(rows))
    result = lautex(cli, "customer", "import", "bad.csv")
    assert_short_refusal(result.stderr, "file: not UTF-8 text on line 1 ")


# --- error lines quote an excerpt ---------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [("order", "show", LONG),
     ("invoice", "pay", LONG, "--date", "2026-11-24"),
     ("settings", "load", f"x/{LONG}"),
     ("customer", "show", f"{LONG}@example.fi"),
     ("customer", "add", "--first-name", "A", "--last-name", "B", "--source", "web-store",
      "--org", NAME),
     ("disclose", "1", "--to", NAME, "--purpose", "billing", "--fields", "name")],
    ids=lambda args: " ".join(a[:12] for a in args),
)  # fmt: skip
def test_error_lines_quote_at_most_an_excerpt_of_the_value(cli: Cli, args: tuple[str, ...]) -> None:
    cli.ok("customer", "add", "--first-name", "Aino", "--last-name", "Äijälä", "--source",
           "web-store")  # fmt: skip
    result = cli.run(*args)
    assert result.exit_code in (2, 3), result.output
    assert_short_refusal(result.stderr, "qq...'")
    assert "q" * 21 not in result.stderr


def test_a_duplicate_order_number_is_quoted_as_an_excerpt(cli: Cli) -> None:
    number = "T-" + "7" * 38  # the longest number an order may have
    cli.ok("customer", "add", "--first-name", "Aino", "--last-name", "Äijälä", "--source",
           "web-store")  # fmt: skip
    order = ("order", "add", "1", "--number", number, "--date", "2026-11-20", "--channel",
             "web-store", "--line", "Lauta;1;2.50")  # fmt: skip
    cli.ok(*order)
    result = cli.run(*order)
    assert result.exit_code == 6, result.output
    assert_short_refusal(result.stderr, f"number: an order numbered '{number[:20]}...'")


# --- settings values follow the free-text rules ------------------------------------------------


@pytest.mark.parametrize(
    ("person", "reason"),
    [(f"Hannu\\u001b[2J {HETU}", "control character ESC at position 6"),
     (f"Hannu {HETU}", "looks like a Finnish personal identity code")],
)  # fmt: skip
def test_a_settings_text_follows_the_free_text_rules(
    cli: Cli, tmp_path: Path, person: str, reason: str
) -> None:
    text = DEFAULT_SETTINGS.read_text("utf-8").replace(
        'contact_person = "Hannu Piispa"', f'contact_person = "{person}"'
    )
    (tmp_path / "register.toml").write_text(text, "utf-8")
    before = dump(cli)
    result = cli.run("settings", "load", "--yes", "register.toml")
    assert result.exit_code == 2, result.output
    assert_short_refusal(result.stderr, f"controller.contact_person: {reason}")
    assert HETU not in result.stderr
    assert dump(cli) == before
    assert HETU not in cli.ok("statement").stdout


# --- request close --done-outside: a statement that may span lines -----------------------------


def test_done_outside_keeps_its_line_breaks_as_the_readme_says(cli: Cli) -> None:
    cli.ok("customer", "add", "--first-name", "Aino", "--last-name", "Äijälä", "--source",
           "web-store")  # fmt: skip
    request = cli.ok("request", "add", "1", "--kind", "objection", "--channel", "phone",
                     user="clerk").stdout.strip()  # fmt: skip
    said = "Told her on the phone.\r\nA letter followed on 2026-11-24."
    cli.ok("request", "close", request, "--outcome", "completed", "--done-outside", said,
           user="clerk")  # fmt: skip
    shown = json.loads(cli.ok("request", "show", request, "-f", "json", user="clerk").stdout)
    assert shown["done_outside"] == said.replace("\r\n", "\n")
    readme = (Path(__file__).parent.parent / "README.md").read_text("utf-8")
    rules = readme.split("## Input rules", 1)[1].split("\n## ", 1)[0]
    multi_line = rules.split("A line break", 1)[1].split("everything else is one line", 1)[0]
    assert "`--done-outside`" in multi_line


# --- a folder that takes no new file ---------------------------------------------------------


@pytest.mark.parametrize("path", ["/proc/x.db", "/sys/x.db"])
def test_a_backup_into_a_pseudo_file_system_is_refused_by_the_environment(
    cli: Cli, path: str
) -> None:
    result = lautex(cli, "backup", path)
    assert result.returncode == 7, result.stderr
    assert result.stderr.startswith("error: environment: ")
    assert f"backup: cannot write {path}" in result.stderr
    assert result.stderr.count("\n") == 1
