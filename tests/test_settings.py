"""Settings: loaded at init, put in force with `settings load`, refused when unusable."""

import json
from pathlib import Path

from lautex_registry.settings import default_settings_text
from tests.conftest import Cli


def settings_file(tmp_path: Path, old: str, new: str) -> Path:
    text = default_settings_text()
    assert old in text
    path = tmp_path / "changed.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def policy(cli: Cli) -> dict[str, str]:
    rows = json.loads(cli.ok("retention", "show", "--format", "json").stdout)
    return {row["policy"]: row["period"] for row in rows}


def test_an_admin_puts_a_new_retention_period_in_force(cli: Cli, tmp_path: Path) -> None:
    path = settings_file(tmp_path, "customer_inactive_years = 3", "customer_inactive_years = 5")
    assert policy(cli)["inactive-customers"].startswith("3 years")
    result = cli.ok("settings", "load", str(path))
    assert "are in force" in result.stderr
    assert policy(cli)["inactive-customers"].startswith("5 years")
    assert "5 years" in cli.ok("statement", "--lang", "en").stdout
    shown = json.loads(cli.ok("settings", "show", "--format", "json").stdout)
    assert shown["retention"]["customer_inactive_years"] == 5
    last = json.loads(cli.ok("audit", "list", "--action", "settings", "-f", "json").stdout)[-1]
    assert last["action"] == "settings load" and "retention" in last["details"]["sections"]


def test_settings_below_a_legal_floor_are_refused_and_nothing_changes(
    cli: Cli, tmp_path: Path
) -> None:
    path = settings_file(tmp_path, "voucher_years = 6", "voucher_years = 2")
    before = cli.ok("settings", "show", "--format", "json").stdout
    result = cli.run("settings", "load", str(path))
    assert result.exit_code == 2
    assert result.stderr == (
        "error: retention.voucher_years: at least 6 years "
        "(Accounting Act 1336/1997 ch. 2 sec. 10)\n"
    )
    assert cli.ok("settings", "show", "--format", "json").stdout == before


def test_a_statement_text_left_empty_is_refused(cli: Cli, tmp_path: Path) -> None:
    text = default_settings_text()
    start = text.index('cookies_en = "') + len('cookies_en = "')
    path = tmp_path / "broken.toml"
    path.write_text(text[:start] + text[text.index('"', start) :], encoding="utf-8")
    before = cli.ok("settings", "show", "--format", "json").stdout
    result = cli.run("settings", "load", str(path))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "cookies_en" in result.stderr
    assert cli.ok("settings", "show", "--format", "json").stdout == before


def test_a_file_that_is_not_toml_is_one_line(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "junk.toml"
    path.write_text("[retention\nvoucher_years = ", encoding="utf-8")
    result = cli.run("settings", "load", str(path))
    assert result.exit_code == 2
    assert "not valid TOML" in result.stderr and result.stderr.count("\n") == 1
    assert cli.run("settings", "load", str(tmp_path / "missing.toml")).exit_code == 3


def test_init_refuses_unusable_settings_and_leaves_no_file(cli: Cli, tmp_path: Path) -> None:
    path = settings_file(tmp_path, "claim_lapse_years = 3", "claim_lapse_years = 1")
    target = tmp_path / "fresh.db"
    result = cli.init(target, "--settings", str(path))
    assert result.exit_code == 2
    assert "claim_lapse_years" in result.stderr
    assert not target.exists()


def test_init_loads_data_register_toml_from_the_working_directory(cli: Cli, tmp_path: Path) -> None:
    path = settings_file(tmp_path, "customer_inactive_years = 3", "customer_inactive_years = 4")
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "register.toml").write_text(path.read_text("utf-8"), encoding="utf-8")
    target = tmp_path / "fresh.db"
    result = cli.init(target)
    assert result.exit_code == 0, result.output
    assert "settings from data/register.toml" in result.stderr
