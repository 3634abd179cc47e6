"""`--limit` and `--fields` on `marketing list` and `backup list`; help into a closed pipe;
`-q` with `--yes` silences an irreversible command's preview."""

import json
import shutil
from pathlib import Path

from lautex_registry.cli.commands import backup, marketing
from lautex_registry.marketing import lists
from tests.conftest import Cli
from tests.helpers import add_person, assert_one_line_error, give_consent, invoiced
from tests.test_output_rules import _closed_pipe


def test_the_fields_in_help_are_the_lists_own(cli: Cli) -> None:
    assert marketing.BASE_FIELDS == lists.BASE_COLUMNS
    assert marketing.CHANNEL_FIELDS == lists.CHANNEL_COLUMNS
    cli.ok("backup", "-f", "json")
    (row,) = json.loads(cli.ok("backup", "list", "-f", "json").stdout)
    assert set(row) == set(backup.BACKUP_FIELDS)


def _three_consenting(cli: Cli) -> list[int]:
    ids = []
    for n in range(3):
        customer = add_person(cli, f"Väinö{n}", "Öhman", email=f"v{n}@example.fi")
        give_consent(cli, customer)
        ids.append(customer)
    return ids


def test_marketing_list_limit_and_fields(cli: Cli) -> None:
    ids = _three_consenting(cli)
    base = ("marketing", "list", "--purpose", "direct-advertising", "--channel", "email")
    result = cli.ok(*base, "--limit", "2", "--fields", "id,email", "-f", "json", user="clerk")
    assert json.loads(result.stdout) == [
        {"id": ids[0], "email": "v0@example.fi"}, {"id": ids[1], "email": "v1@example.fi"},
    ]  # fmt: skip
    assert "2 of 3 shown; use --limit" in result.stderr
    every = json.loads(cli.ok(*base, "--fields", "all", "-f", "json", user="clerk").stdout)
    assert list(every[0]) == [*lists.BASE_COLUMNS, "email"]
    with cli.connect() as conn:
        details = json.loads(
            conn.execute(
                "SELECT details_json FROM audit_log WHERE action = 'marketing list' ORDER BY id"
            ).fetchone()[0]
        )
    assert details["rows"] == 2 and details["fields"] == ["id", "email"]  # what was handed out
    # A list by email never carries the postal address (another channel's contact data).
    refused = cli.run(*base, "--fields", "id,street", user="clerk")
    assert_one_line_error(refused, 2, "fields: no field 'street'; fields: id, first_name")
    assert "--fields" in cli.ok("marketing", "list", "-h").stdout


def test_backup_list_limit_and_fields(cli: Cli) -> None:
    made = Path(str(json.loads(cli.ok("backup", "-f", "json").stdout)["path"]))
    # An older copy beside it (the rotation keeps one copy by default): listed, unrecorded.
    shutil.copyfile(made, made.with_name("lautex-20261126T020000Z.db"))
    result = cli.ok("backup", "list", "--limit", "1", "--fields", "file,bytes", "-f", "json")
    (row,) = json.loads(result.stdout)
    assert list(row) == ["file", "bytes"] and row["file"].endswith(".db")
    assert "1 of 2 shown; use --limit" in result.stderr
    bad = cli.run("backup", "list", "--fields", "path")
    assert_one_line_error(bad, 2, "fields: no field 'path'; fields: location, file")


def test_help_into_a_closed_pipe_exits_141_quietly(cli: Cli) -> None:
    for args in (("-h",), ("customer", "-h"), ("customer", "import", "-h")):
        child = _closed_pipe(cli, *args)
        assert (child.returncode, child.stderr) == (141, b""), args


def test_quiet_silences_the_preview_under_yes_but_not_the_errors(cli: Cli, tmp_path: Path) -> None:
    invoiced(cli)
    off = ("invoice", "write-off", "2026-0457", "--date", "2026-11-25")
    shown = cli.ok(*off, "--dry-run", user="clerk")
    assert "invoice write-off" in shown.stderr  # the preview, without -q
    done = cli.ok("-q", *off, "--yes", user="clerk")
    assert done.stderr == ""
    again = cli.run("-q", *off, "--yes", user="clerk")
    assert again.exit_code != 0 and again.stderr.startswith("error: ")
    # Without --yes, somebody confirms: -q keeps what they confirm (here refused: no terminal).
    asked = cli.run("-q", "settings", "load", str(tmp_path / "none.toml"))
    assert asked.stderr.startswith("error: ")
