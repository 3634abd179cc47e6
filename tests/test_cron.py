"""What a crontab needs: the system role's invoice list, --fail-if-any, the token in a file,
and an error that tells the job's owner what to do (README "Retention", "Cron")."""

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import Cli
from tests.helpers import add_aino, add_order_on, assert_one_line_error, dump, lautex_env


def _cron(cli: Cli, token_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = lautex_env(cli, "bot", LAUTEX_TOKEN_FILE=str(token_file))
    env.pop("LAUTEX_TOKEN")
    return subprocess.run(
        [sys.executable, "-m", "lautex_registry", *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _token_file(tmp_path: Path, token: str, mode: int = 0o600) -> Path:
    path = tmp_path / "bot.token"
    path.write_text(token + "\n")
    path.chmod(mode)
    return path


def test_invoice_list_overdue_fail_if_any_as_the_system_role(cli: Cli, tmp_path: Path) -> None:
    add_order_on(cli, add_aino(cli), "T-1001", "2026-10-01")
    token = _token_file(tmp_path, cli.tokens["bot"])
    quiet = _cron(cli, token, "invoice", "list", "--overdue", "--fail-if-any", "-f", "jsonl")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    cli.ok("invoice", "add", "T-1001", "--number", "2026-0457", "--issued", "2026-11-01",
           "--due", "2026-11-15", user="clerk")  # fmt: skip
    overdue = _cron(cli, token, "invoice", "list", "--overdue", "--fail-if-any", "-f", "jsonl")
    assert overdue.returncode == 4
    assert [json.loads(x)["number"] for x in overdue.stdout.splitlines()] == ["2026-0457"]
    assert overdue.stderr == ("error: 1 invoice(s) overdue: remind, collect or write them off\n")
    cli.ok("invoice", "pay", "2026-0457", "--date", "2026-11-20", user="clerk")
    after = _cron(cli, token, "invoice", "list", "--overdue", "--fail-if-any")
    assert after.returncode == 0
    with cli.connect() as conn:
        actors = {r[0] for r in conn.execute(
            "SELECT u.username FROM audit_log a JOIN users u ON u.id = a.user_id "
            "WHERE a.action = 'invoice list'")}  # fmt: skip
    assert actors == {"bot"}  # the job's lists are audited as the job's


def test_the_token_file_must_be_the_owners_alone(cli: Cli, tmp_path: Path) -> None:
    token = _token_file(tmp_path, cli.tokens["bot"], 0o644)
    before = dump(cli)
    result = _cron(cli, token, "invoice", "list")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (
        f"error: LAUTEX_TOKEN_FILE: {token} may be read by others (mode 0644): "
        f"`chmod 600 {token}` and issue a new token (`lautex user token NAME`)\n"
    )
    token.chmod(0o640)
    assert _cron(cli, token, "whoami").returncode == 2
    token.chmod(0o600)
    assert json.loads(_cron(cli, token, "whoami", "-f", "json").stdout)["username"] == "bot"
    assert dump(cli) == before
    missing = _cron(cli, tmp_path / "nowhere.token", "whoami")
    assert (missing.returncode, missing.stderr) == (
        2, f"error: LAUTEX_TOKEN_FILE: no file at {tmp_path / 'nowhere.token'}\n",
    )  # fmt: skip


def test_a_token_file_that_is_a_folder_is_refused_in_one_line(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "tokens"
    folder.mkdir(mode=0o700)
    before = dump(cli)
    result = _cron(cli, folder, "status")
    assert (result.returncode, result.stdout, result.stderr) == (
        2, "", f"error: LAUTEX_TOKEN_FILE: {folder} is not a regular file\n",
    )  # fmt: skip
    assert dump(cli) == before


def test_a_bad_service_token_says_what_a_cron_job_can_do(cli: Cli, tmp_path: Path) -> None:
    token = _token_file(tmp_path, cli.tokens["bot"])
    cli.ok("user", "revoke-token", "bot")
    result = _cron(cli, token, "invoice", "list", "--overdue", "--fail-if-any")
    assert result.returncode == 5
    assert result.stderr.count("\n") == 1 and "lautex login" not in result.stderr
    assert "`lautex user token USERNAME` and puts it in LAUTEX_TOKEN_FILE" in result.stderr
    by_env = cli.run("whoami", user="bot")  # LAUTEX_TOKEN: the same advice, naming it
    assert_one_line_error(by_env, 5, "service token in LAUTEX_TOKEN is not valid")
    assert "lautex login" not in by_env.stderr
