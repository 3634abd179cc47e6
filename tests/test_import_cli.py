"""`customer import` and `settings load` through the CLI: encodings, Finnish headers, --map,
--ignore-extra, `-` for standard input, `-f json`, and clerks working during an import."""

import json
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import Cli
from tests.helpers import assert_one_line_error, dump, lautex_env

EXCEL = (
    "Etunimi;Sukunimi;Sähköposti;Puhelin;Yritys;Lähde\r\n"
    "Aino;Äijälä;aino@example.fi;040 123 4567;Puutalo Oy;web-store\r\n"
    "Bertil;Åström;bertil@example.fi;;;partner\r\n"
    "Jörö;Öhman;joro@example.fi;;;partner\r\n"
)


def lautex(
    cli: Cli, *args: str, data: bytes = b"", user: str = "clerk"
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "lautex_registry", *args],
        input=data, capture_output=True, env=lautex_env(cli, user), timeout=300,
    )  # fmt: skip


def names(cli: Cli) -> list[str]:
    with cli.connect() as conn:
        return [r[0] for r in conn.execute("SELECT last_name FROM customers ORDER BY id")]


def test_a_finnish_excel_file_needs_and_takes_its_encoding(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "asiakkaat.csv"
    path.write_bytes(EXCEL.encode("cp1252"))
    before = dump(cli)
    refused = cli.run("customer", "import", str(path), user="clerk")
    assert_one_line_error(refused, 2, "file: not UTF-8 text on line 1", "--encoding cp1252")
    assert dump(cli) == before
    result = cli.ok("customer", "import", str(path), "--encoding", "cp1252", user="clerk")
    assert "3 customers stored, 1 organisations created" in result.stderr
    assert names(cli) == ["Äijälä", "Åström", "Öhman"]


def test_a_bad_byte_on_line_3_is_reported_on_line_3(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        b"first_name;last_name;source\nAino;Aalto;partner\nEero;\xc4ij\xe4l\xe4;partner\n"
    )
    result = cli.run("customer", "import", str(path), user="clerk")
    assert_one_line_error(result, 2, "not UTF-8 text on line 3 (byte 0xc4)", "--encoding cp1252")
    assert_one_line_error(
        cli.run("customer", "import", str(path), "--encoding", "klingon", user="clerk"),
        2, "encoding: unknown encoding 'klingon'",
    )  # fmt: skip


def test_unknown_columns_map_and_ignore_extra(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    path.write_text(
        "Etunimi,Sukunimi,Asiakasnro,Viesti,Lähde\nAino,Äijälä,17,Soita,partner\n",
        encoding="utf-8",
    )
    refused = cli.run("customer", "import", str(path), user="clerk")
    assert_one_line_error(
        refused, 2, "header: unknown column 'Asiakasnro'", "--map 'Asiakasnro=FIELD'",
        "--ignore-extra",
    )  # fmt: skip
    result = cli.ok(
        "customer", "import", str(path), "--map", "Viesti=notes", "--ignore-extra",
        "-f", "json", user="clerk",
    )  # fmt: skip
    report = json.loads(result.stdout)
    assert report["stored"] == 1 and report["ignored_columns"] == ["Asiakasnro"]
    with cli.connect() as conn:
        assert conn.execute("SELECT notes FROM customers").fetchone()[0] == "Soita"
    assert_one_line_error(
        cli.run("customer", "import", str(path), "--map", "Viesti", user="clerk"),
        2, "map: 'Viesti' is not COLUMN=FIELD",
    )  # fmt: skip


def test_json_report_counts_and_problems(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        "first_name,last_name,email,source\nA,B,a@example.fi,partner\nC,D,bad@,partner\n"
        "E,F,A@example.fi,partner\n",
        encoding="utf-8",
    )
    skipped = cli.ok("customer", "import", str(path), "--skip-invalid", "-f", "json", user="clerk")
    first_reason = json.loads(skipped.stdout)["problems"][0]["reason"]
    assert first_reason.startswith("email: ")
    assert json.loads(skipped.stdout) == {
        "rows": 3, "valid": 1, "invalid": 1, "duplicates": 1, "stored": 1,
        "organisations_created": 0, "dry_run": False, "failed": False, "ignored_columns": [],
        "run": 1, "run_stored": 1,
        "problems": [
            {"line": 3, "kind": "invalid", "reason": first_reason},
            {"line": 4, "kind": "duplicate",
             "reason": "email: the same address is on line 2; not imported"},
        ],
    }  # fmt: skip
    failing = cli.run("customer", "import", str(path), "--dry-run", "-f", "json", user="clerk")
    assert failing.exit_code == 2
    report = json.loads(failing.stdout)
    assert report["failed"] and report["dry_run"] and report["stored"] == 0


def test_import_and_settings_load_read_standard_input(cli: Cli, tmp_path: Path) -> None:
    done = lautex(cli, "customer", "import", "-", "--encoding", "cp1252", "-f", "json",
                  data=EXCEL.encode("cp1252"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["stored"] == 3
    assert not (Path.cwd() / "-").exists()
    bad = lautex(cli, "customer", "import", "-", data=b"first_name,last_name,source\nA,\xe4,x\n")
    assert bad.returncode == 2 and b"not UTF-8 text on line 2" in bad.stderr
    settings = json.loads(cli.ok("settings", "show").stdout)
    shown = lautex(cli, "settings", "show", user="admin")
    assert json.loads(shown.stdout) == settings
    from lautex_registry.platform.settings import default_settings_text

    text = default_settings_text().replace("Oy Lautex Ab", "Oy Lautex Stdin Ab", 1)
    loaded = lautex(cli, "settings", "load", "-", "--yes", data=text.encode(), user="admin")
    assert loaded.returncode == 0, loaded.stderr
    assert b"settings from standard input are in force" in loaded.stderr
    assert "Oy Lautex Stdin Ab" in cli.ok("settings", "show").stdout
    broken = lautex(cli, "settings", "load", "-", data=b"[controller\n", user="admin")
    assert broken.returncode == 2 and broken.stderr.count(b"\n") == 1


def test_a_clerk_writes_while_a_large_import_runs(cli: Cli, tmp_path: Path) -> None:
    """The import holds the write lock only for its final store: a clerk's `customer add`
    during the import does not wait for the file to be read (before, exit 6 after 5 s)."""
    rows = "".join(f"E{i};S{i};e{i}@example.fi;040 {i:07d};partner\n" for i in range(100_000))
    path = tmp_path / "big.csv"
    path.write_text("etunimi;sukunimi;sähköposti;puhelin;lähde\n" + rows, encoding="utf-8")
    importer = subprocess.Popen(
        [sys.executable, "-m", "lautex_registry", "customer", "import", str(path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=lautex_env(cli, "clerk"),
    )  # fmt: skip
    try:
        time.sleep(1)  # the import has started reading
        added = lautex(cli, "customer", "add", "--first-name", "Kalle", "--last-name", "Clerk",
                       "--email", "kalle@example.fi", "--source", "customer-service")  # fmt: skip
        still_running = importer.poll() is None
    finally:
        _out, err = importer.communicate(timeout=600)
    assert added.returncode == 0, added.stderr
    assert still_running  # the clerk's write went in while the file was being read
    assert importer.returncode == 0, err
    assert b"100000 customers stored" in err
    with cli.connect() as conn:
        assert conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 100_001
