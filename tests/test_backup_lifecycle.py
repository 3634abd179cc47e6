"""Backups the register made stay in its keeping: every copy it wrote expires, whatever
restore, folder change or kill came in between; only the roles the README names make them."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pyrage import x25519

from lautex_registry.erasure.backups import private_scratch, sweep_scratch
from lautex_registry.platform import clock
from lautex_registry.platform.settings import default_settings_text
from tests.conftest import Cli, roll_back_migrations
from tests.helpers import EMAIL, add_quinta, assert_one_line_error, lautex_env, needles

ROOT = Path(__file__).parent.parent


def at(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    """The real clock (clock.py's test seam) and the business date at `moment`."""
    monkeypatch.setattr(clock, "real_now", lambda: moment)
    monkeypatch.setenv("LAUTEX_TODAY", moment.date().isoformat())


def load_settings(cli: Cli, tmp_path: Path, *changes: tuple[str, str]) -> None:
    text = default_settings_text()
    for old, new in changes:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "register.toml"
    path.write_text(text, encoding="utf-8")
    cli.ok("settings", "load", "--yes", str(path))


def age_key(cli: Cli, tmp_path: Path) -> Path:
    key = x25519.Identity.generate()
    load_settings(cli, tmp_path, ("recipients = []", f'recipients = ["{key.to_public()}"]'))
    identity = tmp_path / "age.key"
    identity.write_text(f"{key}\n")
    identity.chmod(0o600)
    return identity


def files_holding_personal_data(*folders: Path) -> list[Path]:
    found = []
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                if any(needle in data for needle in needles()):
                    found.append(path)
    return found


def policy_rows(cli: Cli) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = json.loads(cli.ok("backup", "list", "-f", "json").stdout)
    return rows


# --- SSH recipients ------------------------------------------------------------------------


@pytest.fixture
def ssh_keys(tmp_path: Path) -> Iterator[dict[str, Path]]:
    if shutil.which("ssh-keygen") is None:
        pytest.skip("ssh-keygen is not installed")
    keys = {}
    for kind, extra in (("ed25519", []), ("rsa", ["-b", "2048"])):
        path = tmp_path / f"id_{kind}"
        subprocess.run(
            ["ssh-keygen", "-q", "-t", kind, *extra, "-N", "", "-C", "", "-f", str(path)],
            check=True,
        )
        keys[kind] = path
    yield keys


@pytest.mark.parametrize("kind", ["ed25519", "rsa"])
def test_a_copy_encrypted_to_an_ssh_key_verifies_and_restores_with_the_ssh_private_key(
    cli: Cli, tmp_path: Path, ssh_keys: dict[str, Path], kind: str
) -> None:
    customer = add_quinta(cli)
    public = Path(f"{ssh_keys[kind]}.pub").read_text().strip()
    load_settings(cli, tmp_path, ("recipients = []", f"recipients = [{json.dumps(public)}]"))
    made = json.loads(cli.ok("backup", "-f", "json", user="bot").stdout)
    assert made["encrypted"] and EMAIL.encode() not in Path(made["path"]).read_bytes()
    checked = json.loads(
        cli.ok("backup", "verify", "--identity", str(ssh_keys[kind]), "-f", "json").stdout
    )
    assert checked["ok"] and checked["customers"] == 1
    cli.ok("erase", str(customer), "--yes", user="clerk")
    key_on_stdin = ssh_keys[kind].read_text()
    done = cli.ok("restore", made["path"], "--identity", "-", "--yes", "-f", "json",
                  input=key_on_stdin)  # fmt: skip
    assert json.loads(done.stdout)["replayed_customers"] == [customer]


def test_a_passphrase_protected_ssh_key_is_refused_in_one_line(
    cli: Cli, tmp_path: Path, ssh_keys: dict[str, Path]
) -> None:
    public = Path(f"{ssh_keys['ed25519']}.pub").read_text().strip()
    load_settings(cli, tmp_path, ("recipients = []", f"recipients = [{json.dumps(public)}]"))
    cli.ok("backup", user="bot")
    protected = tmp_path / "protected"
    shutil.copy(ssh_keys["ed25519"], protected)
    subprocess.run(["ssh-keygen", "-q", "-p", "-N", "secret", "-f", str(protected)], check=True)
    result = cli.run("backup", "verify", "--identity", str(protected))
    assert_one_line_error(result, 2, "identity:", "passphrase")
    assert "secret" not in result.stderr


# --- plain scratch files left by a killed process --------------------------------------------


def scratch_files(cli: Cli) -> list[Path]:
    return sorted(p for p in cli.db.parent.iterdir() if p.name.endswith(".lautex-partial"))


def pad_register(cli: Cli) -> None:
    """Enough customers that a copy takes a moment to make, check and encrypt."""
    add_quinta(cli)
    with cli.connect() as conn:
        template = conn.execute("SELECT * FROM customers LIMIT 1").fetchone()
        # Not the id, nor the index's rowid that the id and the name's place make (migration 20).
        columns = [d for d in template.keys() if d not in ("id", "search_rowid")]  # noqa: SIM118
        values = [template[c] for c in columns]
        email = columns.index("email")
        for start in range(0, 60000, 5000):
            conn.executemany(
                f"INSERT INTO customers ({', '.join(columns)}) VALUES "
                f"({', '.join('?' * len(columns))})",
                [
                    [*values[:email], f"padding{n}@example.fi", *values[email + 1 :]]
                    for n in range(start, start + 5000)
                ],
            )


def kill_backup_mid_copy(cli: Cli, partial_files: Callable[[], list[Path]]) -> list[Path]:
    """Run `lautex backup` and SIGKILL it once `partial_files` shows a growing file; the
    files the killed run left."""
    env = lautex_env(cli, "bot")
    command = [sys.executable, "-m", "lautex_registry", "backup"]
    for _ in range(20):
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            left = partial_files()
            if left and left[0].stat().st_size > 4096:
                process.send_signal(signal.SIGKILL)
                break
            time.sleep(0.002)
        process.wait(timeout=60)
        if process.returncode == -signal.SIGKILL and partial_files():
            break
    assert process.returncode == -signal.SIGKILL, "the backup finished before it was killed"
    return partial_files()


def run_backup(cli: Cli) -> None:
    command = [sys.executable, "-m", "lautex_registry", "backup"]
    env = lautex_env(cli, "bot")
    subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True, timeout=300)


def test_a_backup_killed_mid_copy_leaves_a_plain_scratch_that_the_next_run_removes(
    cli: Cli, tmp_path: Path
) -> None:
    pad_register(cli)
    age_key(cli, tmp_path)
    left = kill_backup_mid_copy(
        cli, lambda: [p for p in scratch_files(cli) if ".backup." in p.name]
    )
    assert left[0].name.startswith(".lautex.db.backup.")
    # Nobody's lock holds it any more; the next nightly run removes it before anything else.
    run_backup(cli)
    assert scratch_files(cli) == []


def test_an_unencrypted_copy_killed_mid_write_is_removed_by_the_next_run(cli: Cli) -> None:
    # Without recipients the copy is written in the clear straight into the backup folder,
    # under a hidden temporary name that no rotation or retention period would ever reach.
    pad_register(cli)
    folder = cli.db.parent / "backups"

    def partial_copies() -> list[Path]:
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.iterdir() if p.name.endswith(".lautex-partial"))

    left = kill_backup_mid_copy(cli, partial_copies)
    assert left[0].name.startswith(".lautex-") and left[0].stat().st_size > 4096
    run_backup(cli)
    assert partial_copies() == []
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []
    assert len(list(folder.glob("lautex-*.db"))) == 1


def test_the_sweep_removes_only_this_registers_unheld_scratch_files_of_ours(cli: Cli) -> None:
    folder = cli.db.parent
    stale = folder / ".lautex.db.verifying.0123abcd.lautex-partial"
    stale.write_bytes(b"plain personal data")
    stale_wal = folder / ".lautex.db.decrypted.0123abcd.lautex-partial-wal"
    stale_wal.write_bytes(b"wal")
    # A file and its rollback journal, both left: both go, whichever the folder lists first.
    stale_pair = folder / ".lautex.db.backup.aaaabbbb.lautex-partial"
    stale_pair.write_bytes(b"plain personal data")
    stale_journal = folder / ".lautex.db.backup.aaaabbbb.lautex-partial-journal"
    stale_journal.write_bytes(b"journal")
    other_register = folder / ".other.db.backup.0123abcd.lautex-partial"
    other_register.write_bytes(b"not ours")
    not_scratch = folder / ".lautex.db.backup.notahex!.lautex-partial"
    not_scratch.write_bytes(b"not ours")
    target = folder / "precious.txt"
    target.write_bytes(b"precious")
    link = folder / ".lautex.db.backup.fedcba98.lautex-partial"
    link.symlink_to(target)
    with private_scratch(cli.db, "decrypted") as running:
        running.temp.write_bytes(b"in use")
        assert sweep_scratch(cli.db) == 4
        assert running.temp.exists()  # held by a running command: left alone
    assert not running.temp.exists()  # removed by its own command when done
    assert not stale.exists() and not stale_wal.exists()
    assert not stale_pair.exists() and not stale_journal.exists()
    assert other_register.exists() and not_scratch.exists() and link.is_symlink()
    assert target.read_bytes() == b"precious"


def test_a_failed_encrypted_backup_leaves_no_plain_scratch(cli: Cli, tmp_path: Path) -> None:
    add_quinta(cli)
    age_key(cli, tmp_path)
    cli.ok("backup", user="bot")
    # The same second's name is taken: the copy fails after the plain scratch was made.
    with cli.connect() as conn:
        (name,) = conn.execute("SELECT file_name FROM backups").fetchone()
    stamp = datetime.strptime(name, "lautex-%Y%m%dT%H%M%SZ.db.age").replace(tzinfo=UTC)
    with pytest.MonkeyPatch.context() as patch:
        at(patch, stamp)
        assert cli.run("backup", user="bot").exit_code == 6
    assert scratch_files(cli) == []


# --- every copy the tool made expires ---------------------------------------------------------


def test_an_erased_person_is_gone_from_every_copy_the_tool_made_once_the_period_passes(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer = add_quinta(cli)
    at(monkeypatch, datetime(2026, 8, 10, 1, 30, tzinfo=UTC))
    roll_back_migrations(cli.db)
    cli.ok("migrate")  # the safety copy beside the register
    (safety,) = cli.db.parent.glob("*.before-v*.bak")
    elsewhere = tmp_path / "by-hand"
    elsewhere.mkdir()
    cli.ok("backup", str(elsewhere / "before-erasing.db"))
    cli.ok("backup", user="bot")
    share = tmp_path / "share"
    share.mkdir()
    cli.ok("backup", "--to", str(share), "--allow-plain")
    with cli.connect() as conn:
        recorded = {r[0] for r in conn.execute("SELECT file_name FROM backups")}
    assert {safety.name, "before-erasing.db"} <= recorded
    at(monkeypatch, datetime(2026, 8, 12, 9, 0, tzinfo=UTC))
    cli.ok("erase", str(customer), "--yes", user="clerk")
    assert len(files_holding_personal_data(cli.db.parent, elsewhere, share)) == 4
    # A file put where a recorded copy was is not ours: never deleted.
    at(monkeypatch, datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    stranger = elsewhere / "before-erasing.db"
    stranger.unlink()
    cli.ok("backup", str(stranger))  # a second copy by hand, same name, its own hash
    at(monkeypatch, datetime(2026, 11, 25, 12, 0, tzinfo=UTC))  # 107 days after the first
    shown = json.loads(cli.ok("retention", "show", "--as-of", "2026-11-25", "-f", "json").stdout)
    (row,) = [r for r in shown if r["policy"] == "backups"]
    assert row["due"] == 4  # the nightly, the off-site, the one by hand, the safety copy
    done = json.loads(
        cli.ok(
            "retention", "run", "--yes", "--as-of", "2026-11-25", "-f", "json", user="bot"
        ).stdout
    )
    # The first copy by hand was replaced by the second: that file is not the one recorded.
    assert done["counts"]["backups"] == 3 and done["backups_changed"] == 1
    assert not safety.exists()
    assert files_holding_personal_data(cli.db.parent, elsewhere, share) == []
    assert stranger.exists()  # the second copy by hand has its own, later period


def test_a_copy_by_hand_that_was_replaced_is_never_deleted(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at(monkeypatch, datetime(2026, 8, 10, 1, 30, tzinfo=UTC))
    copy = tmp_path / "copy.db"
    cli.ok("backup", str(copy))
    copy.unlink()
    copy.write_bytes(b"someone else's file now")
    at(monkeypatch, datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
    done = json.loads(
        cli.ok(
            "retention", "run", "--yes", "--as-of", "2026-11-25", "-f", "json", user="bot"
        ).stdout
    )
    assert done["backups_changed"] == 1 and done["counts"]["backups"] == 0
    assert copy.read_bytes() == b"someone else's file now"


def test_a_restore_keeps_the_off_site_folders_so_their_copies_still_expire(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_quinta(cli)
    at(monkeypatch, datetime(2026, 8, 10, 1, 30, tzinfo=UTC))
    made = json.loads(cli.ok("backup", "-f", "json", user="bot").stdout)
    share = tmp_path / "share"
    share.mkdir()
    cli.ok("backup", "--to", str(share), "--allow-plain")
    cli.ok("restore", made["path"], "--yes")
    locations = {r["location"] for r in policy_rows(cli)}
    assert str(share.resolve()) in locations
    at(monkeypatch, datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
    cli.ok("retention", "run", "--yes", "--as-of", "2026-11-25", user="bot")
    assert list(share.glob("lautex-*")) == []


def test_copies_in_a_folder_the_settings_no_longer_name_still_expire(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_quinta(cli)
    at(monkeypatch, datetime(2026, 8, 10, 1, 30, tzinfo=UTC))
    old = Path(json.loads(cli.ok("backup", "-f", "json", user="bot").stdout)["path"])
    load_settings(cli, tmp_path, ('directory = "backups"', 'directory = "elsewhere"'))
    at(monkeypatch, datetime(2026, 8, 11, 1, 30, tzinfo=UTC))
    new = Path(json.loads(cli.ok("backup", "-f", "json", user="bot").stdout)["path"])
    assert new.parent.name == "elsewhere" and old.exists()
    assert {r["file"] for r in policy_rows(cli)} == {old.name, new.name}
    at(monkeypatch, datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
    cli.ok("retention", "run", "--yes", "--as-of", "2026-11-25", user="bot")
    assert not old.exists() and not new.exists()


def test_verify_marks_the_copy_it_checked_not_its_off_site_twin(cli: Cli, tmp_path: Path) -> None:
    cli.ok("backup", user="bot")
    share = tmp_path / "share"
    share.mkdir()
    cli.ok("backup", "--to", str(share), "--allow-plain")
    with cli.connect() as conn:
        conn.execute("UPDATE backups SET verified_at = NULL")
    (local,) = (cli.db.parent / "backups").glob("lautex-*")
    cli.ok("backup", "verify", str(local))
    rows = {r["location"]: r["verified_at"] for r in policy_rows(cli)}
    assert rows[str(local.parent.resolve())] is not None
    assert rows[str(share.resolve())] is None


def test_backup_list_skips_an_off_site_folder_that_is_no_longer_a_folder(
    cli: Cli, tmp_path: Path
) -> None:
    cli.ok("backup", user="bot")
    share = tmp_path / "share"
    share.mkdir()
    cli.ok("backup", "--to", str(share), "--allow-plain")
    shutil.rmtree(share)
    share.write_text("a file where the share was mounted")
    result = cli.ok("backup", "list", "-f", "json")
    assert len(json.loads(result.stdout)) == 1
    assert "skipped" in result.stderr and str(share) in result.stderr


# --- who may make which copy ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "allowed"),
    [
        (("backup",), {"admin", "bot"}),
        (("backup", "--to", "SHARE", "--allow-plain"), {"admin", "bot"}),
        (("backup", "COPY"), {"admin"}),
        (("backup", "-"), {"admin"}),
        (("backup", "verify"), {"admin"}),
        (("backup", "list"), {"admin", "auditor", "bot"}),
    ],
)
def test_each_form_of_backup_is_allowed_to_the_roles_the_readme_names(
    cli: Cli,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    allowed: set[str],
) -> None:
    at(monkeypatch, datetime(2026, 11, 25, 1, 30, tzinfo=UTC))
    cli.ok("backup", user="admin")  # a copy to verify and to send off site
    for second, user in enumerate(("admin", "clerk", "auditor", "bot"), start=1):
        at(monkeypatch, datetime(2026, 11, 25, 1, 30, second, tzinfo=UTC))
        share = tmp_path / f"share-{user}"
        share.mkdir()
        real = [
            a.replace("SHARE", str(share)).replace("COPY", str(tmp_path / f"{user}.db"))
            for a in args
        ]
        if args == ("backup", "-"):
            env = lautex_env(cli, user)
            ran = subprocess.run([sys.executable, "-m", "lautex_registry", *real], env=env,
                                 cwd=ROOT, capture_output=True, timeout=120)  # fmt: skip
            code, stderr = ran.returncode, ran.stderr.decode()
        else:
            result = cli.run(*real, user=user)
            code, stderr = result.exit_code, result.stderr
        if user in allowed:
            assert code == 0, (user, stderr)
        else:
            assert code == 5 and "may not run" in stderr, (user, code, stderr)


# --- settings from before backups, inputs that are no file ------------------------------------


def test_a_settings_file_from_before_backups_loads_with_the_default_backup_section(
    cli: Cli, tmp_path: Path
) -> None:
    text = default_settings_text()
    start = text.index("\n[backup]\n")
    end = text.index("\n[supervisory_authority]\n")
    old = tmp_path / "old.toml"
    old.write_text(text[:start] + text[end:], encoding="utf-8")
    assert "\n[backup]\n" not in old.read_text()
    result = cli.ok("settings", "load", "--yes", str(old))
    assert "no [backup] section" in result.stderr
    shown = json.loads(cli.ok("settings", "show").stdout)
    assert shown["backup"]["directory"] == "backups" and shown["backup"]["recipients"] == []


@pytest.mark.parametrize("where", ["folder", "/dev/null"])
def test_verify_or_restore_of_something_that_is_no_regular_file_is_exit_2(
    cli: Cli, tmp_path: Path, where: str
) -> None:
    path = str(tmp_path) if where == "folder" else where
    assert_one_line_error(cli.run("backup", "verify", path), 2, "backup:")
    assert_one_line_error(cli.run("restore", path, "--yes"), 2, "backup:")


def test_a_fresh_restore_with_a_wrong_identity_creates_nothing(cli: Cli, tmp_path: Path) -> None:
    add_quinta(cli)
    age_key(cli, tmp_path)
    made = json.loads(cli.ok("backup", "-f", "json", user="bot").stdout)
    wrong = tmp_path / "wrong.key"
    wrong.write_text(f"{x25519.Identity.generate()}\n")
    new_machine = tmp_path / "new-machine" / "data"
    env = {**os.environ, "LAUTEX_DB": str(new_machine / "lautex.db"),
           "LAUTEX_HOME": str(tmp_path / "home2"), "LAUTEX_TOKEN": ""}  # fmt: skip
    ran = subprocess.run(
        [sys.executable, "-m", "lautex_registry", "restore", made["path"], "--identity",
         str(wrong), "--yes"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert ran.returncode == 5, ran.stderr
    assert "other keys" in ran.stderr
    assert not new_machine.parent.exists()
