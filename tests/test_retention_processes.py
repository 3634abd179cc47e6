"""The retention job as cron runs it: real processes, a clerk working beside it, kill -9.

The job's batches are made observable with LAUTEX_RETENTION_BATCH (people per
batch) and LAUTEX_RETENTION_PAUSE (seconds each batch waits before committing).
Each test is bounded to a few seconds.
"""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from lautex_registry.platform import collation
from lautex_registry.platform.sqlite import sqlite3
from tests.conftest import Cli
from tests.helpers import lautex_env

DUE = "2020-01-01"  # last activity long past the 3-year period on 2026-11-25


def seed_due_customers(db: Path, count: int) -> list[int]:
    """Customers inactive since 2020, each with a consent and an objection (plain SQL setup)."""
    conn = sqlite3.connect(db)
    collation.register(conn)  # the triggers put each name in Finnish order
    with conn:
        ids = []
        for n in range(count):
            cursor = conn.execute(
                """INSERT INTO customers (first_name, last_name, email, phone, source, language,
                       search_text, state, created_at, updated_at, last_activity)
                   VALUES ('Vanha', ?, ?, ?, 'web-store', 'fi', ?, 'active', ?, ?, ?)""",
                (
                    f"Asiakas{n}",
                    f"vanha{n}@example.fi",
                    f"+3584012{n:05d}",
                    f"vanha asiakas{n}",
                    "2019-05-01T10:00:00Z",
                    "2019-05-01T10:00:00Z",
                    DUE,
                ),
            )
            customer = int(cursor.lastrowid or 0)
            ids.append(customer)
            conn.execute(
                "INSERT INTO consents (customer_id, channel, status, recorded_on, source) "
                "VALUES (?, 'email', 'given', '2019-05-01', 'web form')",
                (customer,),
            )
            conn.execute(
                "INSERT INTO objections (customer_id, purpose, received_on, channel) "
                "VALUES (?, 'market-research', '2019-06-01', 'email')",
                (customer,),
            )
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return ids


def start_job(cli: Cli, batch: int, pause: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "lautex_registry", "retention", "run", "--yes", "--format", "json"],
        env=lautex_env(
            cli, "bot", LAUTEX_RETENTION_BATCH=str(batch), LAUTEX_RETENTION_PAUSE=str(pause)
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def count_anonymised(db: Path) -> int:
    conn = sqlite3.connect(db, timeout=5)
    try:
        return int(
            conn.execute("SELECT count(*) FROM customers WHERE state = 'anonymised'").fetchone()[0]
        )
    finally:
        conn.close()


def time_one_command(cli: Cli) -> float:
    """Seconds one `lautex` process takes on this machine now: jobs are stretched to it,
    so that a loaded machine cannot finish the job before the other process starts."""
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "lautex_registry", "whoami"], env=lautex_env(cli, "clerk"),
        capture_output=True, timeout=30, check=True,
    )  # fmt: skip
    return time.monotonic() - started


def wait_for(condition: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.02)
    raise AssertionError("timed out waiting")


def test_a_clerk_works_beside_the_job_and_nothing_is_lost(cli: Cli) -> None:
    seeded = seed_due_customers(cli.db, 250)
    clerk = lautex_env(cli, "clerk")
    # The job must outlast the clerk's first two commands however loaded the machine is:
    # its 25 batches take six times as long as one command.
    job = start_job(cli, batch=10, pause=max(0.1, 6 * time_one_command(cli) / 25))
    wait_for(lambda: count_anonymised(cli.db) >= 10)

    added: list[int] = []
    overlapped = False
    for n in range(3):
        result = subprocess.run(
            [sys.executable, "-m", "lautex_registry", "customer", "add", "--first-name", "Uusi",
             "--last-name", f"Asiakas{n}", "--email", f"uusi{n}@example.fi",
             "--source", "web-store"],
            env=clerk, capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        added.append(int(result.stdout.strip()))
        order = subprocess.run(
            [sys.executable, "-m", "lautex_registry", "order", "add", str(added[-1]),
             "--number", f"U-{n}", "--date", "2026-11-25", "--channel", "web-store",
             "--line", "Plank;1;10"],
            env=clerk, capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert order.returncode == 0, order.stderr
        overlapped = overlapped or job.poll() is None

    out, err = job.communicate(timeout=60)
    assert job.returncode == 0, err
    assert overlapped, "the clerk's commands should have run while the job was running"
    assert err == ""
    assert json.loads(out)["counts"]["inactive-customers"] == len(seeded)
    with sqlite3.connect(cli.db) as conn:
        states = dict(conn.execute("SELECT id, state FROM customers").fetchall())
        assert all(states[c] == "anonymised" for c in seeded)
        assert all(states[c] == "active" for c in added)
        orders = conn.execute("SELECT number, customer_id FROM orders ORDER BY number").fetchall()
        assert orders == [(f"U-{n}", added[n]) for n in range(3)]


def test_kill_9_in_the_middle_of_a_batch_leaves_no_one_half_anonymised(cli: Cli) -> None:
    seeded = seed_due_customers(cli.db, 60)
    job = start_job(cli, batch=10, pause=0.6)
    wait_for(lambda: count_anonymised(cli.db) >= 10)
    time.sleep(0.2)  # inside the second batch: its people are changed but not committed
    job.send_signal(signal.SIGKILL)
    job.wait(timeout=10)

    with sqlite3.connect(cli.db) as conn:
        conn.row_factory = sqlite3.Row
        runs = [tuple(r) for r in conn.execute("SELECT state FROM retention_runs")]
        assert runs == [("running",)]
        done = 0
        for customer in seeded:
            row = conn.execute("SELECT * FROM customers WHERE id = ?", (customer,)).fetchone()
            consents = conn.execute(
                "SELECT count(*) FROM consents WHERE customer_id = ?", (customer,)
            ).fetchone()[0]
            objections = conn.execute(
                "SELECT count(*) FROM objections WHERE customer_id = ?", (customer,)
            ).fetchone()[0]
            if row["state"] == "anonymised":
                done += 1
                assert (row["email"], row["phone"], row["search_text"]) == (None, None, None)
                assert (consents, objections) == (0, 0)
            else:
                assert row["state"] == "active"
                assert row["email"] is not None and row["search_text"] is not None
                assert (consents, objections) == (1, 1)
        assert 10 <= done < len(seeded) and done % 10 == 0  # whole batches only
        assert conn.execute("SELECT count(*) FROM suppression").fetchone()[0] == done

    rerun = start_job(cli, batch=10, pause=0)
    out, err = rerun.communicate(timeout=60)
    assert rerun.returncode == 0, err
    assert json.loads(out)["counts"]["inactive-customers"] == len(seeded) - done
    assert count_anonymised(cli.db) == len(seeded)
    with sqlite3.connect(cli.db) as conn:
        runs = conn.execute("SELECT state FROM retention_runs ORDER BY id").fetchall()
        assert runs == [("failed",), ("finished",)]
        assert conn.execute("SELECT count(*) FROM suppression").fetchone()[0] == len(seeded)


def test_a_second_run_started_meanwhile_exits_6_at_once(cli: Cli) -> None:
    seed_due_customers(cli.db, 30)
    job = start_job(cli, batch=10, pause=max(0.5, 3 * time_one_command(cli)))
    wait_for(lambda: count_anonymised(cli.db) >= 10)

    second = subprocess.run(
        [sys.executable, "-m", "lautex_registry", "retention", "run", "--yes"],
        env=lautex_env(cli, "bot"), capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    # At once: it did not wait for the running job's batches to end.
    assert job.poll() is None
    assert second.returncode == 6
    assert second.stdout == ""
    assert "another retention run is in progress" in second.stderr
    job.communicate(timeout=60)
    assert job.returncode == 0
