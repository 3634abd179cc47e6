"""The audit trail: attributed, append-only, hash-chained, without personal values."""

import json
import sqlite3
import subprocess

import pytest

from tests.conftest import Cli


def audit_rows(cli: Cli) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = json.loads(cli.ok("audit", "list", "--format", "json").stdout)
    return rows


def test_every_change_is_attributed(cli: Cli) -> None:
    cli.ok(
        "user",
        "add",
        "maija",
        "--full-name",
        "Maija Äijälä",
        "--role",
        "clerk",
        "--password-stdin",
        input="another long password\n",
    )
    last = audit_rows(cli)[-1]
    assert last["user"] == "admin"
    assert last["action"] == "user add"
    assert last["details"] == {"role": "clerk"}
    assert "Äijälä" not in json.dumps(audit_rows(cli), ensure_ascii=False)


def test_audit_list_filters(cli: Cli) -> None:
    rows = json.loads(
        cli.ok("audit", "list", "--user", "admin", "--action", "user", "--format", "json").stdout
    )
    assert rows and all(r["user"] == "admin" and r["action"].startswith("user") for r in rows)
    assert json.loads(cli.ok("audit", "list", "--since", "2999-01-01", "-f", "json").stdout) == []


def test_a_clerk_may_not_read_the_audit_trail_but_an_auditor_may(cli: Cli) -> None:
    assert cli.run("audit", "list", user="clerk").exit_code == 5
    assert cli.run("audit", "list", user="auditor").exit_code == 0


def test_the_table_rejects_update_and_delete(cli: Cli) -> None:
    conn = cli.connect()
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE audit_log SET action = 'x' WHERE id = 1")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM audit_log WHERE id = 1")


def test_verify_passes_then_fails_after_an_edit_with_the_sqlite3_shell(cli: Cli) -> None:
    assert "intact" in cli.ok("audit", "verify").stderr
    tamper = (
        "DROP TRIGGER audit_log_no_update;"
        'UPDATE audit_log SET details_json = \'{"role": "admin"}\' WHERE id = 3;'
    )
    subprocess.run(["sqlite3", str(cli.db), tamper], check=True)
    result = cli.run("audit", "verify")
    assert result.exit_code == 4
    assert result.stderr == (
        "error: the audit trail is broken at row 3: its content does not match its hash\n"
    )


def test_verify_finds_a_deleted_row(cli: Cli) -> None:
    subprocess.run(
        [
            "sqlite3",
            str(cli.db),
            "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE id = 2;",
        ],
        check=True,
    )
    result = cli.run("audit", "verify", "--format", "json")
    assert result.exit_code == 4
    assert json.loads(result.stdout)["first_broken_id"] == 3


def test_a_recorded_head_finds_the_newest_rows_cut_off(cli: Cli) -> None:
    verified = json.loads(cli.ok("audit", "verify", "--format", "json").stdout)
    head = verified["head"]
    head_id = int(head.split(":")[0])
    assert verified["intact"] and head_id == verified["rows"]
    cli.ok("user", "token", "bot")  # the trail moves on; the old head stays where it was
    assert cli.ok("audit", "verify", "--anchor", head).exit_code == 0
    subprocess.run(
        ["sqlite3", str(cli.db),
         f"DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE id >= {head_id};"],
        check=True,
    )  # fmt: skip
    assert cli.ok("audit", "verify").exit_code == 0  # from the inside, a shorter chain is whole
    result = cli.run("audit", "verify", "--anchor", head)
    assert result.exit_code == 4
    assert result.stderr == (
        f"error: the audit trail is broken at row {head_id}: "
        "the recorded head row is gone: the trail was cut short\n"
    )


def test_a_malformed_anchor_is_one_line(cli: Cli) -> None:
    result = cli.run("audit", "verify", "--anchor", "12:not-a-hash")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: anchor:")
