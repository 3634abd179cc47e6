"""The backup policy through the command line: what a user types from the README."""

import json
import os
import subprocess
import sys
from pathlib import Path

from pyrage import x25519

from lautex_registry.platform.settings import default_settings_text
from lautex_registry.platform.sqlite import sqlite3
from tests.conftest import Cli
from tests.helpers import (
    EMAIL,
    add_quinta,
    assert_one_line_error,
    every_table,
    lautex_env,
    needles,
)


def settings_with(tmp_path: Path, *changes: tuple[str, str]) -> Path:
    text = default_settings_text()
    for old, new in changes:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "register.toml"
    path.write_text(text, encoding="utf-8")
    return path


def encrypted_policy(cli: Cli, tmp_path: Path) -> Path:
    """Settings with one age recipient; the identity file (mode 0600) is returned."""
    key = x25519.Identity.generate()
    recipient = f'recipients = ["{key.to_public()}"]'
    cli.ok(
        "settings", "load", "--yes", str(settings_with(tmp_path, ("recipients = []", recipient)))
    )
    identity = tmp_path / "keys" / "lautex-backup.key"
    identity.parent.mkdir()
    identity.write_text(f"# created: 2026-11-25\n# public key: {key.to_public()}\n{key}\n")
    identity.chmod(0o600)
    return identity


def nightly(cli: Cli, *extra: str, user: str = "bot") -> dict[str, object]:
    result = cli.ok("backup", "--format", "json", *extra, user=user)
    record: dict[str, object] = json.loads(result.stdout)
    return record


def test_the_readme_setup_makes_an_encrypted_verified_copy_that_lists_and_verifies(
    cli: Cli, tmp_path: Path
) -> None:
    add_quinta(cli)
    identity = encrypted_policy(cli, tmp_path)
    made = nightly(cli)  # the cron line, as the system account
    path = Path(str(made["path"]))
    assert path.parent == cli.db.parent / "backups" and path.name.endswith(".db.age")
    assert made["encrypted"] is True and made["verified"] is True
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert path.stat().st_mode & 0o777 == 0o600
    assert all(needle not in path.read_bytes() for needle in needles())
    (row,) = json.loads(cli.ok("backup", "list", "-f", "json", user="auditor").stdout)
    assert (row["location"], row["file"], row["encrypted"]) == (
        str(path.parent.resolve()), path.name, True,
    )  # fmt: skip
    assert row["verified_at"] and row["sha256"] == made["sha256"]
    checked = json.loads(
        cli.ok("backup", "verify", "--identity", str(identity), "-f", "json").stdout
    )
    assert checked["ok"] and checked["customers"] == 1 and checked["sha256_recorded"]
    missing = cli.run("backup", "verify")
    assert_one_line_error(missing, 2, "is encrypted: give --identity")
    secret = identity.read_text().splitlines()[-1]
    refused = cli.run("backup", "verify", "--identity", secret)
    assert_one_line_error(refused, 2, "never the key")
    assert secret[15:] not in refused.output
    with cli.connect() as conn:
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log")]
    assert {"backup", "backup verify"} <= set(actions)


def test_restore_with_the_wrong_identity_exits_5_and_changes_nothing(
    cli: Cli, tmp_path: Path
) -> None:
    customer = add_quinta(cli)
    encrypted_policy(cli, tmp_path)
    path = str(nightly(cli)["path"])
    cli.ok("erase", str(customer), "--yes", user="clerk")
    wrong = tmp_path / "other.key"
    wrong.write_text(f"{x25519.Identity.generate()}\n")
    with cli.connect() as conn:
        before = every_table(conn)
    register_bytes = cli.db.read_bytes()
    result = cli.run("restore", path, "--identity", str(wrong), "--yes")
    assert_one_line_error(result, 5, "encrypted to other keys")
    with cli.connect() as conn:
        assert every_table(conn) == before
    assert cli.db.read_bytes() == register_bytes
    leftovers = [p.name for p in cli.db.parent.iterdir() if "partial" in p.name
                 or "decrypted" in p.name or "restoring" in p.name]  # fmt: skip
    assert leftovers == []
    assert_one_line_error(cli.run("restore", path, "--yes"), 2, "is encrypted")


def test_an_encrypted_restore_with_the_identity_on_stdin_erases_again_whoever_was_erased(
    cli: Cli, tmp_path: Path
) -> None:
    customer = add_quinta(cli)
    keeper = add_quinta(cli, email="keeper@example.fi", last="Pysyvä", phone="040 111 2222")
    identity = encrypted_policy(cli, tmp_path)
    path = str(nightly(cli)["path"])
    cli.ok("erase", str(customer), "--yes", user="clerk")
    done = cli.ok("restore", path, "--identity", "-", "--yes", "-f", "json",
                  input=identity.read_text())  # fmt: skip
    assert json.loads(done.stdout)["replayed_customers"] == [customer]
    with cli.connect() as conn:
        assert [r[0] for r in conn.execute("SELECT id FROM customers")] == [keeper]
        assert EMAIL not in json.dumps(every_table(conn), default=str)


def test_verify_exits_4_for_a_cut_copy_and_for_an_altered_one(cli: Cli, tmp_path: Path) -> None:
    add_quinta(cli)
    path = Path(str(nightly(cli)["path"]))  # no recipients: a plain copy on this machine
    assert json.loads(cli.ok("backup", "verify", "-f", "json").stdout)["customers"] == 1
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 4096])
    assert_one_line_error(cli.run("backup", "verify", str(path)), 4, "not what was recorded")
    carried = tmp_path / "carried.db"
    carried.write_bytes(data[: len(data) // 2])
    assert_one_line_error(cli.run("backup", "verify", str(carried)), 4, "backup verify")


def test_an_unencrypted_copy_goes_off_site_only_with_allow_plain(cli: Cli, tmp_path: Path) -> None:
    add_quinta(cli)
    nightly(cli)
    share = tmp_path / "share"
    share.mkdir()
    refused = cli.run("backup", "--to", str(share), user="bot")
    assert_one_line_error(refused, 4, "is not encrypted", "--allow-plain")
    assert list(share.iterdir()) == []
    done = json.loads(cli.ok("backup", "--to", str(share), "--allow-plain", "-f", "json").stdout)
    assert done["copied"] and Path(done["path"]).parent == share
    assert_one_line_error(cli.run("backup", "--to", str(tmp_path / "gone")), 2, "not a folder")
    local = cli.db.parent / "backups"
    assert_one_line_error(cli.run("backup", "--to", str(local)), 2, "local backup folder")
    rows = json.loads(cli.ok("backup", "list", "-f", "json").stdout)
    folders = [str(local.resolve()), str(share.resolve())]
    assert sorted(r["location"] for r in rows) == sorted(folders)


def test_settings_that_cannot_work_are_refused_when_loaded(cli: Cli, tmp_path: Path) -> None:
    short = settings_with(tmp_path, ("backup_days = 100", "backup_days = 60"))
    assert_one_line_error(
        cli.run("settings", "load", "--yes", str(short)), 2, "backup_days", "at least 93"
    )
    bad = settings_with(tmp_path, ("recipients = []", 'recipients = ["age1nope"]'))
    assert_one_line_error(cli.run("settings", "load", "--yes", str(bad)), 2, "backup.recipients[0]")
    zero = settings_with(tmp_path, ("daily = 7", "daily = 0"))
    assert_one_line_error(cli.run("settings", "load", "--yes", str(zero)), 2, "backup.daily")


def test_the_nightly_cron_line_runs_as_a_real_process_with_a_system_token(
    cli: Cli, tmp_path: Path
) -> None:
    add_quinta(cli)
    env = lautex_env(cli, "bot")
    cron = [sys.executable, "-m", "lautex_registry", "backup", "--format", "json"]
    first = subprocess.run(cron, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    made = json.loads(first.stdout)
    assert "NOT encrypted" in first.stderr  # the settings have no recipients yet
    assert os.stat(made["path"]).st_mode & 0o777 == 0o600
    with sqlite3.connect(made["path"]) as copy:
        assert copy.execute("SELECT count(*) FROM customers").fetchone()[0] == 1
    clerk = subprocess.run(cron, env=lautex_env(cli, "clerk"), capture_output=True, text=True,
                           timeout=120)  # fmt: skip
    assert clerk.returncode == 5


def test_a_new_machine_is_restored_from_an_encrypted_copy_and_its_journal(
    cli: Cli, tmp_path: Path
) -> None:
    customer = add_quinta(cli)
    keeper = add_quinta(cli, email="keeper@example.fi", last="Pysyvä", phone="040 111 2222")
    identity = encrypted_policy(cli, tmp_path)
    copy = Path(str(nightly(cli)["path"]))
    cli.ok("erase", str(customer), "--yes", user="clerk")  # after the copy: in the journal only
    share = tmp_path / "share"
    share.mkdir()
    offsite = json.loads(cli.ok("backup", "--to", str(share), "-f", "json", user="bot").stdout)
    assert offsite["journal"] == str(share / "lautex.erasure-journal")
    # The old machine is lost; the share and the key (kept elsewhere) are what is left.
    new = tmp_path / "new-machine" / "data" / "lautex.db"
    new.parent.mkdir(parents=True)
    Path(f"{new}.erasure-journal").write_bytes((share / "lautex.erasure-journal").read_bytes())
    carried = share / copy.name
    wrong = tmp_path / "other.key"
    wrong.write_text(f"{x25519.Identity.generate()}\n")
    refused = cli.run("--db", str(new), "restore", str(carried), "--identity", str(wrong),
                      "--yes", user=None)  # fmt: skip
    assert refused.exit_code == 5
    assert refused.stderr.splitlines()[-1].endswith("the copy was encrypted to other keys")
    assert sorted(p.name for p in new.parent.iterdir()) == ["lautex.db.erasure-journal"]
    done = cli.ok("--db", str(new), "restore", str(carried), "--identity", str(identity),
                  "--yes", "-f", "json", user=None)  # fmt: skip
    assert json.loads(done.stdout)["replayed_customers"] == [customer]
    assert new.stat().st_mode & 0o777 == 0o600
    shown = cli.ok("--db", str(new), "customer", "list", "-f", "json", user="clerk")
    assert [c["id"] for c in json.loads(shown.stdout)] == [keeper]
    assert all(needle not in new.read_bytes() for needle in needles())
    again = cli.run("--db", str(new), "restore", str(carried), "--identity", str(identity),
                    "--yes", user="clerk")  # fmt: skip
    assert again.exit_code == 5  # a register is there now: restoring over it needs an admin
