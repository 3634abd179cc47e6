"""Import runs: `customer import` stores in batches; --runs, --resume, --undo; erasure
takes a customer's link to its run with it."""

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from lautex_registry.cli.commands.customer import IMPORT_BATCH_ROWS
from lautex_registry.platform import collation
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records.importing import runs
from tests.conftest import Cli, roll_back_migrations
from tests.helpers import add_order, assert_one_line_error, dump, sigint_as_a_shell_gives_it

HEADER = "first_name;last_name;org;email;source\n"


def rows(count: int, start: int = 0, org: str = "") -> str:
    return "".join(
        f"Väinö{i};Öhman;{org};v{i}@example.fi;partner\n" for i in range(start, start + count)
    )


def write(tmp_path: Path, text: str, name: str = "c.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + text, encoding="utf-8")
    return path


def run_rows(cli: Cli) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = json.loads(
        cli.ok("customer", "import", "--runs", "-f", "json").stdout
    )
    return listed


def register_rows(cli: Cli) -> list[str]:
    """The register's rows a person would see, without the log of what was done (the audit
    log and the runs themselves) and the search index's internal segments."""
    skipped = ("audit_log", "import_run", "sqlite_sequence", "customer_search")
    return [
        line
        for line in dump(cli)
        if not any(f'INSERT INTO "{name}' in line for name in skipped)
        and not line.startswith("DELETE FROM")
    ]


def test_the_batch_size_in_help_is_the_records_one() -> None:
    assert IMPORT_BATCH_ROWS == runs.BATCH_ROWS


def test_an_import_stores_in_batches_of_one_run(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path, rows(5, org="Uusi Oy"))
    result = cli.ok("customer", "import", str(path), "--batch-rows", "2", user="clerk")
    assert "5 customers stored, 1 organisations created (import run 1 finished" in result.stderr
    [run] = run_rows(cli)
    assert run["id"] == 1 and run["state"] == "finished" and run["batches"] == 3
    assert run["stored"] == 5 and run["last_line"] == 6 and run["finished_at"]
    with cli.connect() as conn:
        linked = conn.execute("SELECT count(*) FROM import_run_customers WHERE run_id = 1")
        assert linked.fetchone()[0] == 5
        batches = [
            json.loads(r[0])
            for r in conn.execute(
                "SELECT details_json FROM audit_log WHERE action = 'customer import' ORDER BY id"
            )
        ]
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log ORDER BY id")]
    # One audit row a batch, each its own transaction: first and last id of what it stored.
    assert [(b["stored"], b["last_id"] - b["first_id"] + 1) for b in batches] == [
        (2, 2), (2, 2), (1, 1),
    ]  # fmt: skip
    assert "customer import started" in actions and "customer import finished" in actions
    # No personal data in the run: counts, times, options and a hash.
    assert "Öhman" not in json.dumps(run) and "example.fi" not in json.dumps(run)


def test_runs_list_as_tsv_with_a_limit(cli: Cli, tmp_path: Path) -> None:
    cli.ok("customer", "import", str(write(tmp_path, rows(2))), user="clerk")
    cli.ok("customer", "import", str(write(tmp_path, rows(2, 10), "d.csv")), user="clerk")
    listed = cli.ok("customer", "import", "--runs", "--limit", "1")
    header, first = listed.stdout.splitlines()
    assert header.split("\t")[:3] == ["id", "state", "started_at"]
    assert first.split("\t")[:2] == ["2", "finished"]
    assert "1 of 2 shown; use --limit" in listed.stderr


def test_the_modes_do_not_mix(cli: Cli, tmp_path: Path) -> None:
    path = str(write(tmp_path, rows(1)))
    assert_one_line_error(cli.run("customer", "import", "--runs", path), 2, "file: --runs")
    assert_one_line_error(cli.run("customer", "import", "--undo", "1", "--runs"), 2, "runs:")
    assert_one_line_error(cli.run("customer", "import"), 2, "file: give the CSV file")
    assert_one_line_error(
        cli.run("customer", "import", "--resume", "1", "--encoding", "cp1252", path),
        2, "resume: the run reads its file with the options it was started with",
    )  # fmt: skip
    assert_one_line_error(cli.run("customer", "import", "--resume", "9", path), 3, "run: no")


def test_a_finished_run_is_not_resumed(cli: Cli, tmp_path: Path) -> None:
    path = str(write(tmp_path, rows(2)))
    cli.ok("customer", "import", path, user="clerk")
    before = dump(cli)
    result = cli.run("customer", "import", "--resume", "1", path, user="clerk")
    assert_one_line_error(result, 4, "run: import run 1 is finished: there is nothing to resume")
    assert dump(cli) == before


def _unfinished_run(cli: Cli, tmp_path: Path, count: int, batch: int, stop_after: int) -> Path:
    """A run left unfinished after `stop_after` batches, as a crash leaves it: the rows of
    its later batches are taken back out, and the run says where it stopped."""
    path = write(tmp_path, rows(count, org="Uusi Oy"))
    cli.ok("customer", "import", str(path), "--batch-rows", str(batch), user="clerk")
    with cli.connect() as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        kept = stop_after * batch
        conn.execute(
            "DELETE FROM customers WHERE id IN (SELECT customer_id FROM import_run_customers "
            "ORDER BY customer_id LIMIT -1 OFFSET ?)",
            (kept,),
        )
        conn.execute(
            "UPDATE import_runs SET state = 'running', finished_at = NULL, stored = ?, "
            "batches = ?, last_line = ?",
            (kept, stop_after, kept + 1),
        )
    return path


def test_resume_stores_the_rest_once(cli: Cli, tmp_path: Path) -> None:
    path = _unfinished_run(cli, tmp_path, 7, 2, 2)
    other = write(tmp_path, rows(7, 1), "other.csv")
    before = dump(cli)
    result = cli.run("customer", "import", "--resume", "1", str(other), user="clerk")
    assert_one_line_error(result, 2, "file: not the file import run 1 read (its SHA-256 differs)")
    assert dump(cli) == before
    done = cli.ok("customer", "import", "--resume", "1", str(path), "-f", "json", user="clerk")
    report = json.loads(done.stdout)
    assert report["stored"] == 3 and report["run_stored"] == 7 and report["duplicates"] == 0
    with cli.connect() as conn:
        emails = [r[0] for r in conn.execute("SELECT email FROM customers ORDER BY id")]
        orgs = conn.execute("SELECT count(*) FROM organisations").fetchone()[0]
    assert emails == [f"v{i}@example.fi" for i in range(7)]
    assert orgs == 1  # created by the first batch, found again by the rest
    [run] = run_rows(cli)
    assert run["state"] == "finished" and run["stored"] == 7


def test_undo_leaves_the_register_as_before(cli: Cli, tmp_path: Path) -> None:
    before = register_rows(cli)
    cli.ok("customer", "import", str(write(tmp_path, rows(5, org="Uusi Oy"))),
           "--batch-rows", "2", user="clerk")  # fmt: skip
    refused = cli.run("customer", "import", "--undo", "1", user="clerk")
    # Irreversible: it shows what it would remove, and needs --yes without a terminal.
    assert refused.exit_code == 2 and "add --yes" in refused.stderr
    planned = cli.ok("customer", "import", "--undo", "1", "--dry-run", user="clerk")
    assert "dry run: nothing was changed" in planned.stderr and "5" in planned.stderr
    as_json = cli.ok("customer", "import", "--undo", "1", "--dry-run", "-f", "json", user="clerk")
    assert json.loads(as_json.stdout) == {
        "run": 1, "customers": 5, "organisations": 1, "dry_run": True,
    }  # fmt: skip
    done = cli.ok("customer", "import", "--undo", "1", "--yes", user="clerk")
    assert "import run 1 undone: 5 customers and 1 organisations removed" in done.stderr
    assert register_rows(cli) == before
    [run] = run_rows(cli)
    assert run["state"] == "undone" and run["removed"] == 5 and run["undone_at"]
    assert cli.ok("customer", "search", "Öhman", "-f", "json").stdout.strip() == "[]"
    again = cli.run("customer", "import", "--undo", "1", "--yes", user="clerk")
    assert_one_line_error(again, 4, "run: import run 1 is already undone")


def test_undo_keeps_an_organisation_a_clerk_has_changed(cli: Cli, tmp_path: Path) -> None:
    text = rows(1, org="Uusi Firma Oy") + rows(1, 1, org="Toinen Oy") + rows(1, 2, org="Kolmas Oy")
    cli.ok("customer", "import", str(write(tmp_path, text)), user="clerk")
    orgs = {o["name"]: o["id"] for o in json.loads(cli.ok("org", "list", "-f", "json").stdout)}
    cli.ok("org", "prohibit-marketing", str(orgs["Uusi Firma Oy"]), user="clerk")
    # Prohibited and lifted again: the row is as it was, the clerk's work is in the log.
    cli.ok("org", "prohibit-marketing", str(orgs["Toinen Oy"]), user="clerk")
    cli.ok("org", "prohibit-marketing", str(orgs["Toinen Oy"]), "--withdraw", user="clerk")
    done = cli.ok("customer", "import", "--undo", "1", "--yes", "-f", "json", user="clerk")
    kept = sorted([orgs["Uusi Firma Oy"], orgs["Toinen Oy"]])
    assert json.loads(done.stdout) == {
        "run": 1, "customers_removed": 3, "organisations_removed": 1, "customers_kept": [],
        "organisations_kept": kept,
    }  # fmt: skip
    assert f"2 organisations kept, changed by a clerk since the import: {kept[0]}, {kept[1]}" in (
        done.stderr
    )
    left = {o["name"]: o for o in json.loads(cli.ok("org", "list", "-f", "json").stdout)}
    assert "Kolmas Oy" not in left and left["Uusi Firma Oy"]["marketing_prohibited_on"]
    assert "Toinen Oy" in left


def test_undo_of_an_unfinished_run(cli: Cli, tmp_path: Path) -> None:
    before = register_rows(cli)
    _unfinished_run(cli, tmp_path, 7, 2, 2)
    done = cli.ok("customer", "import", "--undo", "1", "--yes", "-f", "json", user="clerk")
    assert json.loads(done.stdout) == {
        "run": 1, "customers_removed": 4, "organisations_removed": 1, "customers_kept": [],
        "organisations_kept": [],
    }  # fmt: skip
    assert register_rows(cli) == before


def test_undo_keeps_the_clerks_work(cli: Cli, tmp_path: Path) -> None:
    cli.ok("customer", "import", str(write(tmp_path, rows(4))), user="clerk")
    add_order(cli, "2")
    cli.ok("customer", "edit", "3", "--phone", "040 111 2222", user="clerk")
    before = dump(cli)
    result = cli.run("customer", "import", "--undo", "1", "--yes", user="clerk")
    assert_one_line_error(
        result, 4, "run: customers of import run 1 have been changed or referred to since",
        "changed 1", "orders 1", "nothing removed",
    )  # fmt: skip
    assert dump(cli) == before


def test_erasure_takes_the_link_to_the_run(cli: Cli, tmp_path: Path) -> None:
    cli.ok("customer", "import", str(write(tmp_path, rows(2))), user="clerk")
    export = json.loads(cli.ok("export", "1", "-f", "json", user="clerk").stdout)
    assert export["data"]["import_run_customers"] == [{"customer_id": 1, "run_id": 1, "changed": 0}]
    cli.ok("erase", "1", "--yes", user="clerk")
    with cli.connect() as conn:
        links = [r[0] for r in conn.execute("SELECT customer_id FROM import_run_customers")]
    assert links == [2]


def test_an_import_storing_now_keeps_another_out(cli: Cli, tmp_path: Path) -> None:
    lock = os.open(f"{cli.db}{runs.LOCK_SUFFIX}", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = cli.run("customer", "import", str(write(tmp_path, rows(2))), user="clerk")
        undo = cli.run("customer", "import", "--undo", "1", "--yes", user="clerk")
    finally:
        os.close(lock)
    assert_one_line_error(result, 6, "another `customer import` is storing")
    assert_one_line_error(undo, 6, "another `customer import` is storing")
    assert run_rows(cli) == []


# --- real processes: a kill, Ctrl-C ----------------------------------------------------------


def _start(cli: Cli, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, LAUTEX_DB=str(cli.db), LAUTEX_TOKEN=cli.tokens["clerk"])
    return subprocess.Popen(
        [sys.executable, "-m", "lautex_registry", "customer", "import", *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=sigint_as_a_shell_gives_it,
    )  # fmt: skip


def _stop_after_a_batch(cli: Cli, importer: subprocess.Popen[str], sig: int) -> None:
    """Wait until some batches are in (but not all), then send `sig`."""
    deadline = time.monotonic() + 120
    while True:
        assert importer.poll() is None, importer.communicate()
        assert time.monotonic() < deadline, "no batch was stored"
        try:
            conn = sqlite3.connect(cli.db, timeout=5)
            row = conn.execute("SELECT stored FROM import_runs").fetchone()
            conn.close()
        except sqlite3.OperationalError:
            row = None  # not migrated yet, or busy: try again
        if row is not None and row[0] > 0:
            importer.send_signal(sig)
            return
        time.sleep(0.01)


COUNT = 20_000


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    return write(tmp_path, rows(COUNT), "big.csv")


def test_a_killed_import_is_resumed_then_undone(cli: Cli, big_file: Path) -> None:
    before = register_rows(cli)
    importer = _start(cli, str(big_file), "--batch-rows", "20")
    _stop_after_a_batch(cli, importer, signal.SIGKILL)
    importer.wait(timeout=60)
    [run] = run_rows(cli)
    assert run["state"] == "running" and 0 < run["stored"] < COUNT
    with cli.connect() as conn:
        assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == run["stored"]
    cli.ok("customer", "import", "--resume", "1", str(big_file), user="clerk")
    with cli.connect() as conn:
        emails = [r[0] for r in conn.execute("SELECT email FROM customers ORDER BY id")]
    assert emails == [f"v{i}@example.fi" for i in range(COUNT)]  # each row once, in order
    assert run_rows(cli)[0]["state"] == "finished"
    cli.ok("customer", "import", "--undo", "1", "--yes", user="clerk")
    assert register_rows(cli) == before


def test_ctrl_c_leaves_the_run_unfinished_and_says_what_next(cli: Cli, big_file: Path) -> None:
    importer = _start(cli, str(big_file), "--batch-rows", "20")
    _stop_after_a_batch(cli, importer, signal.SIGINT)
    _out, err = importer.communicate(timeout=60)
    assert importer.returncode == 130, err
    [run] = run_rows(cli)
    assert run["state"] == "running" and 0 < run["stored"] < COUNT
    assert f"run 1 is unfinished with {run['stored']} customers stored" in err
    assert "lautex customer import --resume 1 FILE" in err
    assert "lautex customer import --undo 1 --yes" in err
    assert "Traceback" not in err


# --- a store that stops half-way, in-process (the real signals are above) -------------------


def _stop_at_batch(monkeypatch: pytest.MonkeyPatch, number: int, error: BaseException) -> None:
    """The store stops when it comes to batch `number` (Ctrl-C or the disk, as it happens)."""
    recorded = runs.record_batch
    calls = []

    def record(*args: object) -> None:
        calls.append(args)
        if len(calls) == number:
            raise error
        recorded(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(runs, "record_batch", record)


@pytest.mark.parametrize(
    ("error", "code", "cause"),
    [
        (KeyboardInterrupt(), 130, "interrupted"),
        (sqlite3.OperationalError("database or disk is full"), 7, "environment: the disk is full"),
    ],
)
def test_a_store_stopped_half_way_keeps_its_batches_with_the_run(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException, code: int,
    cause: str,
) -> None:  # fmt: skip
    path = write(tmp_path, rows(5))
    _stop_at_batch(monkeypatch, 2, error)
    result = cli.run("customer", "import", str(path), "--batch-rows", "2", user="clerk")
    assert_one_line_error(
        result, code, f"import: {cause}", "run 1 is unfinished with 2 customers stored",
        "`lautex customer import --resume 1 FILE`", "`lautex customer import --undo 1 --yes`",
    )  # fmt: skip
    [run] = run_rows(cli)
    assert run["state"] == "running" and run["stored"] == 2 and run["last_line"] == 3
    with cli.connect() as conn:  # the failed batch rolled back alone
        assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 2
    done = cli.ok("customer", "import", "--resume", "1", str(path), "--batch-rows", "2",
                  user="clerk")  # fmt: skip
    assert "3 customers stored (import run 1 finished, 5 in all)" in done.stderr


def test_a_batch_skips_an_email_a_clerk_stored_meanwhile(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between two batches a clerk adds a customer with an address of a later line: that
    line becomes a duplicate, the rest goes in."""
    from lautex_registry.records.importing.storing import Staging

    write_lock = Staging._write_lock
    calls = []

    def take_lock(self: Staging, transaction: object) -> object:
        calls.append(transaction)
        if len(calls) == 3:  # 1: the run starts, 2: the first batch, 3: the second
            other = sqlite3.connect(cli.db)
            other.execute("UPDATE customers SET email = 'v4@example.fi' WHERE id = 1")
            other.commit()
            other.close()
        return write_lock(self, transaction)  # type: ignore[arg-type]

    monkeypatch.setattr(Staging, "_write_lock", take_lock)
    path = write(tmp_path, rows(6))
    result = cli.ok("customer", "import", str(path), "--batch-rows", "2", "-f", "json",
                    user="clerk")  # fmt: skip
    report = json.loads(result.stdout)
    assert report["stored"] == 5 and report["duplicates"] == 1
    assert report["problems"] == [{
        "line": 6, "kind": "duplicate",
        "reason": "email: customer 1 already has this email address; not imported",
    }]  # fmt: skip


def test_a_run_killed_after_its_last_batch_is_finished_by_resume(cli: Cli, tmp_path: Path) -> None:
    path = _unfinished_run(cli, tmp_path, 4, 2, 2)  # every row in, not yet marked finished
    done = cli.ok("customer", "import", "--resume", "1", str(path), user="clerk")
    assert "0 customers stored (import run 1 finished, 4 in all)" in done.stderr
    assert run_rows(cli)[0]["state"] == "finished"


def test_undo_keeps_a_customer_a_clerk_changes_between_batches(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli.ok("customer", "import", str(write(tmp_path, rows(5))), user="clerk")
    kept_ids = runs._kept_ids
    calls = []

    def clerk_meanwhile(conn: sqlite3.Connection, ids: list[int]) -> list[int]:
        calls.append(ids)
        if len(calls) == 2:  # after the first batch: a clerk edits the whole second one
            conn.execute("UPDATE customers SET notes = 'soitettu' WHERE id IN (3, 4)")
        return kept_ids(conn, ids)

    monkeypatch.setattr(runs, "_kept_ids", clerk_meanwhile)
    result = cli.ok("customer", "import", "--undo", "1", "--yes", "--batch-rows", "2",
                    "-f", "json", user="clerk")  # fmt: skip
    assert json.loads(result.stdout) == {
        "run": 1, "customers_removed": 3, "organisations_removed": 0, "customers_kept": [3, 4],
        "organisations_kept": [],
    }  # fmt: skip
    assert "import run 1: 2 customers kept, changed or referred to by a clerk while the " \
        "undo ran: 3, 4" in result.stderr  # fmt: skip
    left = json.loads(cli.ok("customer", "search", "Öhman", "-f", "json").stdout)
    assert sorted((c["id"], c["notes"]) for c in left) == [(3, "soitettu"), (4, "soitettu")]
    [run] = run_rows(cli)
    assert run["state"] == "undone" and run["removed"] == 3  # nothing stuck half undone


def test_an_undo_stopped_half_way_is_finished_by_the_next(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli.ok("customer", "import", str(write(tmp_path, rows(5))), user="clerk")
    kept_ids = runs._kept_ids

    def crash_on_second_batch(conn: sqlite3.Connection, ids: list[int]) -> list[int]:
        if ids[0] != 1:
            raise KeyboardInterrupt  # Ctrl-C or a kill after the first batch committed
        return kept_ids(conn, ids)

    with monkeypatch.context() as patched:
        patched.setattr(runs, "_kept_ids", crash_on_second_batch)
        stopped = cli.run("customer", "import", "--undo", "1", "--yes", "--batch-rows", "2",
                          user="clerk")  # fmt: skip
    assert stopped.exit_code != 0
    [run] = run_rows(cli)
    assert run["state"] == "finished" and run["removed"] == 2
    cli.ok("customer", "edit", "5", "--notes", "soitettu", user="clerk")
    planned = cli.ok("customer", "import", "--undo", "1", "--dry-run", user="clerk")
    assert "dry run: nothing was changed" in planned.stderr
    done = cli.ok("customer", "import", "--undo", "1", "--yes", user="clerk")
    assert "1 customer kept, changed or referred to by a clerk while the undo ran: 5" in (
        done.stderr
    )
    left = json.loads(cli.ok("customer", "search", "Öhman", "-f", "json").stdout)
    assert [c["id"] for c in left] == [5]
    assert run_rows(cli)[0]["state"] == "undone"


def test_an_import_into_a_register_in_memory_needs_no_lock_file(cli: Cli) -> None:
    from lautex_registry.platform import audit
    from lautex_registry.records.importing.report import ImportReport
    from lautex_registry.records.importing.storing import store_validated
    from lautex_registry.records.importing.validating import RowContext, validate_chunk

    disk = sqlite3.connect(cli.db)
    memory = sqlite3.connect(":memory:", isolation_level=None)
    collation.register(memory)  # as db.connect does for every register
    disk.backup(memory)
    disk.close()
    memory.execute("PRAGMA foreign_keys = ON")
    context = RowContext(("first_name", "last_name", "email", "source"), None,
                         "2026-11-27T10:00:00Z", "2026-11-27", ",")  # fmt: skip
    chunk = [(2, ["Väinö", "Öhman", "v@example.fi", "partner"])]
    report = store_validated(memory, audit.Actor(1, "admin"), [validate_chunk(chunk, context)],
                             ImportReport())  # fmt: skip
    assert report.stored == 1 and report.run_id == 1
    assert not Path(f"{cli.db}{runs.LOCK_SUFFIX}").exists()


def test_a_batch_compares_a_clerks_new_email_in_full_unicode(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A clerk adds STRAßE@... between two batches: the file's strasse@... on a later line
    is the same address (case folding), though the NOCASE index does not see it."""
    from lautex_registry.records.importing.storing import Staging

    write_lock = Staging._write_lock
    calls = []

    def take_lock(self: Staging, transaction: object) -> object:
        calls.append(transaction)
        if len(calls) == 3:  # 1: the run starts, 2: the first batch, 3: the second
            other = cli.connect()
            other.execute(
                "INSERT INTO customers (first_name, last_name, email, country, source, language, "
                "state, created_at, updated_at, last_activity) VALUES ('K', 'Clerk', "
                "'STRAßE@example.fi', 'FI', 'partner', 'fi', 'active', 'x', 'x', '2026-11-27')"
            )
            other.commit()
            other.close()
        return write_lock(self, transaction)  # type: ignore[arg-type]

    monkeypatch.setattr(Staging, "_write_lock", take_lock)
    path = write(tmp_path, rows(4) + "Sara;Strasse;;strasse@example.fi;partner\n")
    result = cli.ok("customer", "import", str(path), "--batch-rows", "2", "-f", "json",
                    user="clerk")  # fmt: skip
    report = json.loads(result.stdout)
    assert report["stored"] == 4
    assert [(p["line"], p["kind"]) for p in report["problems"]] == [(6, "duplicate")]
    assert "already has this email address" in report["problems"][0]["reason"]


def _erased_objector(cli: Cli, tmp_path: Path) -> tuple[Path, list[tuple[Any, ...]]]:
    """An objector erased (their objection kept as keyed hashes), and a file with their
    email again; the suppression records as they are before the import."""
    person = cli.ok("customer", "add", "--first-name", "Aino", "--last-name", "Äijälä",
                    "--email", "aino@example.fi", "--source", "web-store",
                    user="clerk").stdout.strip()  # fmt: skip
    cli.ok("object", person, "--purpose", "direct-marketing", "--channel", "email", user="clerk")
    cli.ok("erase", person, "--yes", user="admin")
    with sqlite3.connect(cli.db) as conn:
        kept = conn.execute("SELECT * FROM suppression ORDER BY id").fetchall()
    assert kept
    return write(tmp_path, "Aino;Äijälä;;aino@example.fi;partner\n"), kept


def test_undo_removes_an_objection_the_import_itself_restored(cli: Cli, tmp_path: Path) -> None:
    path, suppression = _erased_objector(cli, tmp_path)
    before = register_rows(cli)
    imported = cli.ok("customer", "import", str(path), user="clerk")
    assert "objection restored: direct-marketing" in imported.stderr
    planned = cli.ok("customer", "import", "--undo", "1", "--dry-run", "-f", "json", user="clerk")
    assert json.loads(planned.stdout)["customers"] == 1
    cli.ok("customer", "import", "--undo", "1", "--yes", user="clerk")
    assert register_rows(cli) == before
    with sqlite3.connect(cli.db) as conn:  # the erased person's objection, as it was
        assert conn.execute("SELECT * FROM suppression ORDER BY id").fetchall() == suppression
    again = cli.ok("customer", "import", str(path), user="clerk")
    assert "objection restored: direct-marketing" in again.stderr


def test_undo_keeps_a_restored_objection_a_clerk_has_worked_on(cli: Cli, tmp_path: Path) -> None:
    path, _ = _erased_objector(cli, tmp_path)
    cli.ok("customer", "import", str(path), user="clerk")
    [customer] = json.loads(cli.ok("customer", "search", "Äijälä", "-f", "json").stdout)
    cli.ok("object", str(customer["id"]), "--purpose", "direct-marketing", "--withdraw",
           "--channel", "email", user="clerk")  # fmt: skip
    before = dump(cli)
    refused = cli.run("customer", "import", "--undo", "1", "--yes", user="clerk")
    assert_one_line_error(refused, 4, "objections 1", "nothing removed")
    assert dump(cli) == before


# --- migration 19 stores every customer's sort keys ----------------------------------------


def test_a_run_imported_before_migration_19_can_still_be_undone(cli: Cli, tmp_path: Path) -> None:
    """Storing the keys updates every customer row; an imported customer nobody touched
    must not count as changed, or `--undo` of an older run would be refused."""
    path = write(tmp_path, rows(3))
    cli.ok("customer", "import", str(path), user="clerk")
    roll_back_migrations(cli.db, to=18)  # the register as release 18 left it
    cli.ok("migrate")
    with cli.connect() as conn:
        assert conn.execute("SELECT sum(changed) FROM import_run_customers").fetchone()[0] == 0
        trigger = conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'import_run_customer_changed'"
        ).fetchone()
    assert trigger is not None  # set aside while the keys were written, then back
    cli.ok("customer", "import", "--undo", "1", "--yes", user="clerk")


def test_an_unfinished_run_from_before_migration_19_is_resumed_then_undone(
    cli: Cli, tmp_path: Path
) -> None:
    path = _unfinished_run(cli, tmp_path, 7, 2, 2)  # a crash left it at 4 of 7
    roll_back_migrations(cli.db, to=18)
    cli.ok("migrate")
    done = cli.ok("customer", "import", "--resume", "1", str(path), "-f", "json", user="clerk")
    assert json.loads(done.stdout)["run_stored"] == 7
    undone = cli.ok("customer", "import", "--undo", "1", "--yes", "-f", "json", user="clerk")
    assert json.loads(undone.stdout)["customers_kept"] == []


def test_a_ctrl_c_during_a_batch_is_raised_after_it(tmp_path: Path) -> None:
    """Ctrl-C while a batch runs (SQLite may be calling finnish() for the sort-key
    trigger, where sqlite3 would turn KeyboardInterrupt into "user-defined function raised
    exception"): the batch completes, and the interrupt comes out as itself after it."""
    from lautex_registry.platform import db, migrations

    conn = db.connect(tmp_path / "r.db", create=True)
    with db.transaction(conn):
        migrations.apply_pending(conn)
    with pytest.raises(KeyboardInterrupt), db.batches_interrupted_between():
        with db.transaction(conn):
            signal.raise_signal(signal.SIGINT)  # pressed inside the batch: only marked
            conn.execute(
                "INSERT INTO customers (first_name, last_name, country, source, language, "
                "search_text, state, created_at, updated_at, last_activity) VALUES "
                "('Aino', 'Äijälä', 'FI', 'partner', 'fi', 'aino aijala', 'active', 'x', 'x', "
                "'2026-01-01')"
            )
        db.let_others_write(0.0)
    assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 1
    db.let_others_write(0.0)  # raised once: nothing left over for the next job
    conn.close()
