"""Which register lautex uses: --db > $LAUTEX_DB > the config file > data/lautex.db."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.helpers import assert_one_line_error


def _lautex(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """A real process started from `cwd`, as a clerk starting lautex from another folder."""
    environment = {k: v for k, v in os.environ.items() if k != "LAUTEX_DB"}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "lautex_registry", *args], cwd=cwd, env=environment,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_the_config_file_names_the_register_from_any_folder(cli: Cli, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    token = cli.tokens["clerk"]
    missing = _lautex(elsewhere, "whoami", LAUTEX_TOKEN=token)
    config = tmp_path / "config" / "lautex" / "config.toml"
    assert missing.returncode == 3 and missing.stdout == ""
    assert missing.stderr == (
        f"error: no register at data/lautex.db (the default: no --db, no $LAUTEX_DB, no `db` "
        f"in {config}): run `lautex init` to create one here, or name yours with --db PATH, "
        "LAUTEX_DB=PATH or `lautex --db PATH config --save`\n"
    )
    assert not (elsewhere / "data").exists()  # nothing created on the way
    saved = _lautex(elsewhere, "--db", str(cli.db), "config", "--save")
    assert saved.returncode == 0, saved.stderr
    assert config.read_text().endswith(f"db = {json.dumps(str(cli.db.resolve()))}\n")
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    found = _lautex(elsewhere, "whoami", "-f", "json", LAUTEX_TOKEN=token)
    assert json.loads(found.stdout)["username"] == "clerk"
    shown = json.loads(_lautex(elsewhere, "config", "-f", "json").stdout)
    assert shown == {
        "register": str(cli.db.resolve()), "exists": True, "from": "config",
        "config_file": str(config), "config_file_exists": True,
    }  # fmt: skip
    # $LAUTEX_DB wins over the file, --db over both.
    other = tmp_path / "other.db"
    by_env = json.loads(_lautex(elsewhere, "config", "-f", "json", LAUTEX_DB=str(other)).stdout)
    assert (by_env["register"], by_env["from"], by_env["exists"]) == (
        str(other),
        "LAUTEX_DB",
        False,
    )
    by_option = _lautex(elsewhere, "--db", "x.db", "config", "-f", "json", LAUTEX_DB=str(other))
    assert json.loads(by_option.stdout)["from"] == "--db"
    # A register the file names but that has gone: said so, with how to correct it.
    config.write_text(f"db = {json.dumps(str(tmp_path / 'moved.db'))}\n")
    gone = _lautex(elsewhere, "whoami", LAUTEX_TOKEN=token)
    assert gone.returncode == 3
    assert f"no register at {tmp_path / 'moved.db'} (`db` in {config}): correct it" in gone.stderr
    assert not (tmp_path / "moved.db").exists()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("db = data/x.db\n", "is not valid TOML"),
        ('db = "data/x.db"\n', "db must be an absolute path"),
        ('database = "/x.db"\n', "unknown setting 'database'"),
        ("db = 3\n", "db must be a path in quotes"),
    ],
)
def test_a_bad_config_file_is_one_line_naming_it(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, fragment: str
) -> None:
    config = tmp_path / "config" / "lautex" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(text)
    monkeypatch.delenv("LAUTEX_DB")
    assert_one_line_error(cli.run("whoami"), 2, f"config: {config}", fragment)
    assert cli.run("--db", str(cli.db), "whoami").exit_code == 0  # --db does not read it


def test_config_save_refuses_a_path_with_no_register(cli: Cli, tmp_path: Path) -> None:
    result = cli.run("--db", str(tmp_path / "none.db"), "config", "--save", user=None)
    assert_one_line_error(result, 3, "db: no register at")
    assert not (tmp_path / "config" / "lautex" / "config.toml").exists()
