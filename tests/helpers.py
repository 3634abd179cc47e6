"""Helpers the test modules share, one of each: test modules import from here and conftest only."""

import html
import json
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any, TypeVar

import pytest

from lautex_registry.platform.db import connect
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.statement import privacy_info
from tests.conftest import TODAY, Cli, RegisterTemplate


def info_for(cli: Cli, lang: str) -> dict[str, Any]:
    conn = connect(cli.db)
    try:
        return privacy_info.art15_information(conn, lang)
    finally:
        conn.close()


REASON = "Nimenmuutoksesta ei ole esitetty virallista selvitystä."


def refused(cli: Cli) -> tuple[int, str]:
    customer_id = add_aino(cli)
    request_id = request(cli, str(customer_id), "rectification", "--note",
                         "Pyytää muuttamaan sukunimen Virtaseksi")  # fmt: skip
    result = cli.ok("rectify", str(customer_id), "--refuse", "--reason", REASON,
                    "--request", str(request_id), user="clerk")  # fmt: skip
    return request_id, result.stdout


def iterdump(conn: sqlite3.Connection) -> Iterator[str]:
    """The schema and every row of every table, shadow tables of the search index included.

    The standard library's `Connection.iterdump` in a stable order; pysqlite3, which the
    register runs on (docs/rules.md §3), has none.
    """
    schema = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name"
    ).fetchall()
    for kind, name, sql in schema:
        yield sql
        if kind == "table" and not sql.upper().startswith("CREATE VIRTUAL TABLE"):
            quoted = name.replace('"', '""')
            rows = conn.execute(f'SELECT * FROM "{quoted}"').fetchall()
            yield from sorted(f'INSERT INTO "{quoted}" VALUES{tuple(row)!r}' for row in rows)


def dump(cli: Cli) -> list[str]:
    """Every row of the register, to show that a failed command changed nothing."""
    with cli.connect() as conn:
        return list(iterdump(conn))


def add_customer(cli: Cli, *args: str, user: str = "clerk") -> int:
    result = cli.ok("customer", "add", *args, user=user)
    return int(result.stdout.strip())


def add_aino(cli: Cli, *extra: str) -> int:
    return add_customer(
        cli,
        "--first-name", "Aino", "--last-name", "Äijälä", "--email", "Aino.Aijala@Example.fi",
        "--phone", "040 123 4567", "--street", "Kuusitie 3 B 12", "--postal-code", "00100",
        "--city", "Helsinki", "--source", "web-store", *extra,
    )  # fmt: skip


def insert_org(cli: Cli, name: str = "Puutalo Oy", business_id: str | None = "1572860-0") -> None:
    with cli.connect() as conn:
        conn.execute(
            "INSERT INTO organisations (name, business_id, created_at) VALUES (?, ?, ?)",
            (name, business_id, "2026-01-01T00:00:00Z"),
        )


def show(cli: Cli, ref: str) -> dict:  # type: ignore[type-arg]
    result = cli.ok("customer", "show", ref, "--format", "json", user="clerk")
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def sigint_as_a_shell_gives_it() -> None:
    """`preexec_fn` for a child a test sends Ctrl-C: SIGINT at its default disposition.

    pytest-xdist's workers ignore SIGINT, and an ignored signal stays ignored across
    exec; Python then installs no KeyboardInterrupt handler, and the child never sees
    the Ctrl-C. The tests passed only when an earlier test in the same worker had put a
    handler in place (the README's test command failed 4 such tests in one of 3 runs).
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def both_languages(
    cli: Cli, no_locale: pytest.MonkeyPatch, *args: str, user: str = "admin"
) -> tuple[tuple[int, str], tuple[int, str]]:
    """(exit code, stderr) of the same command under LAUTEX_LANG=fi and under LANG=C."""
    no_locale.setenv("LAUTEX_LANG", "fi")
    finnish = cli.run(*args, user=user)
    no_locale.delenv("LAUTEX_LANG")
    no_locale.setenv("LANG", "C")
    english = cli.run(*args, user=user)
    return (finnish.exit_code, finnish.stderr), (english.exit_code, english.stderr)


def assert_one_line_error(result, code: int, *fragments: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == code, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: ")
    for fragment in fragments:
        assert fragment in result.stderr


BILLING_PARTNER = "Laskutuspalvelu Oy"


def add_reseller_customer(cli: Cli) -> int:
    """A customer whose data came from a reseller (the source to notify on rectification)."""
    return add_customer(
        cli,
        "--first-name", "Eero", "--last-name", "Öhman", "--email", "eero.ohman@example.fi",
        "--phone", "040 111 2222", "--street", "Koivukuja 5", "--postal-code", "03100",
        "--city", "Nummela", "--source", "reseller", "--source-detail", "Rautakauppa Åström Oy",
    )  # fmt: skip


def disclose(cli: Cli, customer: str, *args: str, user: str = "clerk") -> int:
    return int(cli.ok("disclose", customer, *args, user=user).stdout.strip())


def billing_partner(cli: Cli) -> int:
    return add_recipient(cli, BILLING_PARTNER, "billing")


def disclosure_rows(cli: Cli) -> list[dict]:  # type: ignore[type-arg]
    with cli.connect() as conn:
        return [dict(r) for r in conn.execute("SELECT * FROM disclosures ORDER BY id")]


EMAIL = "qzx.unique-erasure@example.fi"


PHONE_TYPED = "040 765 4321"


PHONE = "+358407654321"


SURNAME = "Zwyrtkiewicz"


STREET = "Xylofonikuja 99"


def add_quinta(
    cli: Cli, *extra: str, email: str = EMAIL, last: str = SURNAME, phone: str = PHONE_TYPED
) -> int:
    street = STREET if email == EMAIL else "Muu katu 1"
    result = cli.ok(
        "customer", "add", "--first-name", "Quinta", "--last-name", last, "--email", email,
        "--phone", phone, "--street", street, "--postal-code", "00100",
        "--city", "Helsinki", "--source", "web-store", *extra, user="clerk",
    )  # fmt: skip
    return int(result.stdout.strip())


def add_order_on(cli: Cli, customer: int, number: str, day: str = "2026-11-20") -> None:
    cli.ok(
        "order", "add", str(customer), "--number", number, "--date", day,
        "--channel", "web-store", "--line", "Birch plank;2;12.50", user="clerk",
    )  # fmt: skip


def add_invoice(cli: Cli, order: str, number: str, issued: str, due: str) -> None:
    cli.ok("invoice", "add", order, "--number", number, "--issued", issued, "--due", due,
           user="clerk")  # fmt: skip


def erasure_request(cli: Cli, customer: int) -> int:
    result = cli.ok(
        "request", "add", str(customer), "--kind", "erasure", "--channel", "email",
        "--language", "en", "--note", f"Please forget me, {SURNAME}", user="clerk",
    )  # fmt: skip
    return int(result.stdout.strip())


def every_table(conn: sqlite3.Connection) -> dict[str, list[tuple[Any, ...]]]:
    tables = conn.execute(
        "SELECT name, sql LIKE '%WITHOUT ROWID' FROM sqlite_master WHERE type = 'table' "
        "ORDER BY name"
    ).fetchall()

    def order(table: str, without_rowid: bool) -> str:
        # A WITHOUT ROWID table (a full-text index's shadow tables) has its key first.
        return "1, 2" if without_rowid else "rowid"

    return {
        t: [tuple(r) for r in conn.execute(f'SELECT * FROM "{t}" ORDER BY {order(t, w)}')]
        for t, w in tables
    }


def needles() -> list[bytes]:
    words = [EMAIL, PHONE, "407654321", SURNAME, SURNAME.lower(), STREET]
    return [w.encode() for w in words]


def assert_no_trace_in_tables(cli: Cli, conn: sqlite3.Connection | None = None) -> None:
    """Walk every table and column: no value contains any of the erased strings."""
    if conn is None:
        with cli.connect() as own:
            return assert_no_trace_in_tables(cli, own)
    if True:
        for table, rows in every_table(conn).items():
            for row in rows:
                for value in row:
                    text = value if isinstance(value, str) else str(value)
                    for needle in needles():
                        assert needle.decode().lower() not in text.lower(), (table, row)


def assert_no_trace_in_files(*paths: Path) -> None:
    for path in paths:
        if not path.exists():
            continue
        data = path.read_bytes()
        for needle in needles():
            assert needle not in data, f"{needle!r} found in {path.name}"


def invoiced(cli: Cli, number: str = "2026-0457", due: str = "2026-11-30") -> int:
    insert_org(cli)
    customer_id = add_aino(cli, "--org", "Puutalo Oy")
    add_order(cli, str(customer_id))
    cli.ok("invoice", "add", "T-1001", "--number", number, "--issued", "2026-11-20",
           "--due", due, user="clerk")  # fmt: skip
    return customer_id


T = TypeVar("T")


def build_once(
    template: RegisterTemplate,
    tmp_path_factory: pytest.TempPathFactory,
    build: Callable[[Cli], T],
) -> tuple[Path, T]:
    """Run `build` on a copy of the template register once; tests copy the result.

    For module-scoped fixtures: a scenario built with dozens of commands is made once,
    and each test still gets its own copy of the file.
    """
    folder = tmp_path_factory.mktemp("scenario")
    db = folder / "lautex.db"
    shutil.copy2(template.path, db)
    home = folder / "home"
    shutil.copytree(template.home, home)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        patch.setenv("LAUTEX_DB", str(db))
        patch.setenv("LAUTEX_HOME", str(home))
        patch.setenv("LAUTEX_TODAY", TODAY)
        patch.delenv("LAUTEX_TOKEN", raising=False)
        built = build(Cli(db, home, template.tokens))
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db, built


def add_person(
    cli: Cli,
    first: str,
    last: str,
    *,
    email: str | None = None,
    phone: str | None = None,
    org: str | None = None,
    street: str | None = "Koivukuja 3 B 12",
    postal_code: str | None = "00100",
    city: str | None = "Helsinki",
    country: str | None = None,
) -> int:
    """`customer add` as the clerk; returns the new id."""
    args = ["customer", "add", "--first-name", first, "--last-name", last, "--source", "web-store"]
    for option, value in (
        ("--email", email),
        ("--phone", phone),
        ("--org", org),
        ("--street", street),
        ("--postal-code", postal_code),
        ("--city", city),
        ("--country", country),
    ):
        if value is not None:
            args += [option, value]
    return int(cli.ok(*args, user="clerk").stdout.strip())


def add_org(cli: Cli, name: str) -> int:
    return int(cli.ok("org", "add", name, user="clerk").stdout.strip())


def object_to(cli: Cli, customer: int | str, *purposes: str, received: str = "2026-11-20") -> None:
    args = ["object", str(customer)]
    for purpose in purposes:
        args += ["--purpose", purpose]
    cli.ok(*args, "--received", received, "--channel", "email", user="clerk")


def ban(cli: Cli, customer: int | str) -> None:
    cli.ok(
        "publication-ban", str(customer), "--received", "2026-11-20", "--channel",
        "counter", user="clerk",
    )  # fmt: skip


def give_consent(cli: Cli, customer: int, channel: str = "email", status: str = "given") -> None:
    cli.ok(
        "consent", str(customer), f"--{channel}-marketing", status, "--date", "2026-11-01",
        "--source", "web store checkbox", user="clerk",
    )  # fmt: skip


def add_marketing_order(cli: Cli, customer: int, number: str, date: str = "2026-06-01") -> None:
    cli.ok(
        "order", "add", str(customer), "--number", number, "--date", date, "--channel",
        "web-store", "--line", "Birch plank 2 m;10;12.50", user="clerk",
    )  # fmt: skip


def marketing_list(cli: Cli, *args: str, user: str = "clerk") -> list[dict[str, Any]]:
    result = cli.ok("marketing", "list", *args, "--format", "json", user=user)
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def listed_ids(cli: Cli, *args: str, user: str = "clerk") -> set[int]:
    return {int(row["id"]) for row in marketing_list(cli, *args, user=user)}


def add_order(cli: Cli, customer: str, number: str = "T-1001", *extra: str) -> None:
    cli.ok(
        "order", "add", customer, "--number", number, "--date", "2026-11-20",
        "--channel", "web-store", "--line", "Koivulauta 2 m;10;12.50",
        "--line", "Ruuvit; 100 kpl;1;4,90", *extra, user="clerk",
    )  # fmt: skip


def add_recipient(cli: Cli, name: str, purpose: str, country: str = "FI", *extra: str) -> int:
    result = cli.ok(
        "recipient", "add", name, "--kind", "processor", "--purpose", purpose,
        "--country", country, *extra,
    )  # fmt: skip
    return int(result.stdout.strip())


def request(cli: Cli, customer: str, kind: str = "rectification", *extra: str) -> int:
    result = cli.ok("request", "add", customer, "--kind", kind, "--channel", "email", *extra,
                    user="clerk")  # fmt: skip
    return int(result.stdout.strip())


def request_row(cli: Cli, request_id: int) -> dict:  # type: ignore[type-arg]
    with cli.connect() as conn:
        return dict(conn.execute("SELECT * FROM requests WHERE id = ?", (request_id,)).fetchone())


def lautex_env(cli: Cli, user: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        LAUTEX_DB=str(cli.db),
        LAUTEX_HOME=str(cli.home),
        LAUTEX_TOKEN=cli.tokens[user],
        LAUTEX_TODAY="2026-11-25",
        **extra,
    )
    return env


def markdown_sections(text: str) -> list[tuple[str, str]]:
    """(heading, body) for every `## ` heading of a Markdown document."""
    sections: list[tuple[str, str]] = []
    for line in text.splitlines():
        if line.startswith("## "):
            sections.append((line[3:].strip(), ""))
        elif sections:
            heading, body = sections[-1]
            sections[-1] = (heading, body + line + "\n")
    return sections


def dummy_args(command: Any) -> list[str]:
    """Values for a command's required parameters that parse (customer 1, the first of a
    closed set), for tests that run every command of the CLI's own tree."""
    from enum import Enum

    args: list[str] = []
    for param in command.params:
        if not param.required:
            continue
        annotation = param.type_descriptor.annotation
        is_enum = isinstance(annotation, type) and issubclass(annotation, Enum)
        value = str(next(iter(annotation)).value) if is_enum else "1"
        if (param.metavar or "").startswith("<"):  # a closed set (cli/params.py choice_option)
            value = param.metavar.strip("<>").split("|")[0]
        if param.param_type_name == "argument":
            args.extend([value] * (param.nargs if param.nargs > 0 else 1))
        else:
            args.extend([param.opts[0], value])
    return args


def pdf_words(path: Path | str) -> list[tuple[float, float, float, float, str]]:
    """Every word of a PDF's first page with its box in mm (left, top, right, bottom), as
    pdftotext finds them; the test is skipped where poppler-utils is not installed."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    done = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(path), "-"],
                          check=True, capture_output=True, text=True)  # fmt: skip
    mm = 25.4 / 72
    return [
        (float(x1) * mm, float(y1) * mm, float(x2) * mm, float(y2) * mm, html.unescape(word))
        for x1, y1, x2, y2, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
            done.stdout,
        )
    ]


def age_copy(plain: Path, folder: Path) -> tuple[Path, Path]:
    """`plain` encrypted as the nightly backup names its copies, and the identity file
    (mode 0600) that opens it: (copy, identity)."""
    import pyrage
    from pyrage import x25519

    key = x25519.Identity.generate()
    identity = folder / "backup.key"
    identity.write_text(f"{key}\n")
    identity.chmod(0o600)
    copy = folder / "lautex-20261127T013000Z.db.age"
    copy.write_bytes(pyrage.encrypt(plain.read_bytes(), [key.to_public()]))
    return copy, identity
