"""Settings: loaded at init, put in force with `settings load`, refused when unusable."""

import json
import tomllib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lautex_registry.platform.settings import default_settings_text
from lautex_registry.setup.settings_in_force import NEWER_SECTIONS
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
    result = cli.ok("settings", "load", "--yes", str(path))
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
    result = cli.run("settings", "load", "--yes", str(path))
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
    result = cli.run("settings", "load", "--yes", str(path))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "cookies_en" in result.stderr
    assert cli.ok("settings", "show", "--format", "json").stdout == before


def test_a_file_that_is_not_toml_is_one_line(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "junk.toml"
    path.write_text("[retention\nvoucher_years = ", encoding="utf-8")
    result = cli.run("settings", "load", "--yes", str(path))
    assert result.exit_code == 2
    assert "not valid TOML" in result.stderr and result.stderr.count("\n") == 1
    assert cli.run("settings", "load", "--yes", str(tmp_path / "missing.toml")).exit_code == 3


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


SECTIONS = ("controller", "register", "retention", "backup", "supervisory_authority", "statement")


def without_sections(tmp_path: Path, left_out: set[str], first_line: str = "") -> Path:
    """The default settings file with whole sections (and their [[subtables]]) left out."""
    kept, keep = [first_line], True
    for line in default_settings_text().splitlines():
        if line.startswith("["):
            keep = line.strip("[]").split(".")[0] not in left_out
        if keep:
            kept.append(line)
    path = tmp_path / "partial.toml"
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return path


def audit_rows(cli: Cli) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = json.loads(cli.ok("audit", "list", "-f", "json").stdout)
    return rows


@settings(max_examples=8, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(left_out=st.sets(st.sampled_from(SECTIONS), min_size=1))
def test_a_file_that_leaves_out_a_section_is_refused_naming_it(
    cli: Cli, tmp_path: Path, left_out: set[str]
) -> None:
    before = cli.ok("settings", "show", "--format", "json").stdout
    trail = len(audit_rows(cli))
    result = cli.run("settings", "load", "--yes", str(without_sections(tmp_path, left_out)))
    # A file with no [backup] is one from before there was one: it takes the default.
    expected = left_out - set(NEWER_SECTIONS)
    if not expected:
        assert result.exit_code == 0 and "no [backup] section" in result.stderr
        return
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: settings: ") and result.stderr.count("\n") == 1
    named = result.stderr.split("does not name ")[-1].split(":")[0]
    if len(left_out) < len(SECTIONS):
        assert set(named.split(", ")) == expected
    assert "reset_to_defaults = true" in result.stderr
    assert cli.ok("settings", "show", "--format", "json").stdout == before
    assert len(audit_rows(cli)) == trail  # no load was recorded


def test_an_empty_file_is_refused_and_every_setting_stays(cli: Cli, tmp_path: Path) -> None:
    changed = settings_file(tmp_path, 'name = "Oy Lautex Ab"', 'name = "Oy Lautex Puu Ab"')
    cli.ok("settings", "load", "--yes", str(changed))
    before = cli.ok("settings", "show", "--format", "json").stdout
    empty = tmp_path / "empty.toml"
    empty.write_text("", encoding="utf-8")
    result = cli.run("settings", "load", "--yes", str(empty))
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: settings: {empty} is empty: loading replaces every section, so name them "
        "all, or put `reset_to_defaults = true` at the top to reset the missing ones to the "
        "built-in defaults\n"
    )
    assert cli.ok("settings", "show", "--format", "json").stdout == before
    assert "Oy Lautex Puu Ab" in before


def test_a_file_that_says_reset_to_defaults_resets_what_it_leaves_out(
    cli: Cli, tmp_path: Path
) -> None:
    changed = settings_file(tmp_path, 'name = "Oy Lautex Ab"', 'name = "Oy Lautex Puu Ab"')
    cli.ok("settings", "load", "--yes", str(changed))
    partial = tmp_path / "five.toml"
    defaults = tomllib.loads(default_settings_text())
    retention = {**defaults["retention"], "customer_inactive_years": 5}
    lines = [f"{key} = {json.dumps(value)}" for key, value in retention.items()]
    partial.write_text("reset_to_defaults = true\n[retention]\n" + "\n".join(lines) + "\n")
    result = cli.ok("settings", "load", "--yes", str(partial))
    assert "reset to the built-in defaults: controller, register, backup, supervisory_authority, " \
        "statement" in result.stderr  # fmt: skip
    shown = json.loads(cli.ok("settings", "show", "--format", "json").stdout)
    assert shown == {**defaults, "retention": retention}
    assert policy(cli)["inactive-customers"].startswith("5 years")
    load = [row for row in audit_rows(cli) if row["action"] == "settings load"][-1]
    assert load["details"] == {
        "sections": sorted(SECTIONS),
        "reset_to_defaults": [
            "backup",
            "controller",
            "register",
            "statement",
            "supervisory_authority",
        ],
    }
    # An empty file that says so puts the built-in defaults back in force as a whole.
    empty = tmp_path / "defaults.toml"
    empty.write_text("reset_to_defaults = true\n", encoding="utf-8")
    cli.ok("settings", "load", "--yes", str(empty))
    assert json.loads(cli.ok("settings", "show", "--format", "json").stdout) == defaults


def test_reset_to_defaults_is_true_or_false(cli: Cli, tmp_path: Path) -> None:
    path = without_sections(tmp_path, {"controller"}, 'reset_to_defaults = "yes"')
    result = cli.run("settings", "load", "--yes", str(path))
    assert result.exit_code == 2
    assert result.stderr == "error: reset_to_defaults: true or false, not 'yes'\n"
