"""The audit trail: attributed, append-only, hash-chained, without personal values."""

import json
import subprocess

import pytest

from lautex_registry.platform.sqlite import sqlite3
from tests.conftest import Cli

RESTORE_DELETE_TRIGGER = """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
           BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"""


def sqlite3_shell(cli: Cli, script: str) -> None:
    subprocess.run(["sqlite3", str(cli.db), script], check=True)


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
         f"DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE id >= {head_id};"
         + RESTORE_DELETE_TRIGGER],
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


def test_a_trail_emptied_behind_its_triggers_is_broken(cli: Cli) -> None:
    sqlite3_shell(cli, "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log;"
                  + RESTORE_DELETE_TRIGGER)  # fmt: skip
    result = cli.run("audit", "verify", "--format", "json")
    assert result.exit_code == 4
    report = json.loads(result.stdout)
    assert report["intact"] is False and report["rows"] == 0
    assert result.stderr == (
        "error: the audit trail is broken at row 1: "
        "the trail is empty: it starts with the rows of the register's `init`\n"
    )


@pytest.mark.parametrize(
    ("script", "problem"),
    [
        ("DROP TRIGGER audit_log_no_update;",
         "the append-only trigger audit_log_no_update has been dropped"),
        ("DROP TRIGGER audit_log_no_delete; CREATE TRIGGER audit_log_no_delete BEFORE DELETE "
         "ON audit_log BEGIN SELECT 1; END;",
         "the append-only trigger audit_log_no_delete has been changed"),
        ("CREATE TRIGGER audit_log_blank AFTER INSERT ON audit_log BEGIN SELECT 1; END;",
         "an unknown trigger audit_log_blank acts on the audit trail"),
    ],
)  # fmt: skip
def test_a_dropped_or_changed_append_only_trigger_breaks_the_trail(
    cli: Cli, script: str, problem: str
) -> None:
    sqlite3_shell(cli, script)
    result = cli.run("audit", "verify")
    assert result.exit_code == 4
    assert result.stderr == f"error: the audit trail is broken: {problem}\n"


def test_a_row_dated_before_the_previous_one_breaks_the_trail(cli: Cli) -> None:
    from lautex_registry.platform.audit import _row_hash

    conn = cli.connect()
    last = conn.execute("SELECT id, at, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    earlier = "2020-01-01T00:00:00Z"
    row = (earlier, None, "mallory", "user add", "user", "9", "{}", last["hash"])
    with conn:
        conn.execute(
            "INSERT INTO audit_log (at, user_id, username, action, entity, entity_id, "
            "details_json, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                *row,
                _row_hash(last["hash"], earlier, None, "mallory", "user add", "user", "9", "{}"),
            ),
        )
    conn.close()
    result = cli.run("audit", "verify")
    assert result.exit_code == 4
    assert result.stderr == (
        f"error: the audit trail is broken at row {last['id'] + 1}: its time {earlier} is "
        f"before the previous row's ({last['at']})\n"
    )


def test_a_clock_stepped_back_does_not_break_the_trail(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from lautex_registry.platform import clock

    real = clock.real_now
    cli.ok("user", "token", "bot")
    monkeypatch.setattr(clock, "real_now", lambda: real() - timedelta(hours=3))
    cli.ok("user", "token", "bot")
    times = [str(row["at"]) for row in audit_rows(cli)]
    assert times == sorted(times)
    assert "intact" in cli.ok("audit", "verify").stderr
