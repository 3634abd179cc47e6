"""The README's examples of the clerk's sections run as written on a fresh demo register,
after the Quick start (`lautex demo`, `export LAUTEX_DB=data/demo.db`).

Each fenced `sh` block of those sections runs in one bash, in order, through a `lautex`
on PATH; a command whose comment says `exit N` must exit N, every other must exit 0.
That `lautex` runs each command in a child forked from one process that imported the
package once (tests/lautex_server.py): the same main(), streams, environment and exit
code as a new process, without a second of start-up per command.
The admin's and the other sections (accounts, erasure and backups, retention, the demo
itself, benchmarks) need a terminal, other folders or a cron job and are left out.
The files the import examples read are the clerk's own; the test makes them from the
README's example CSV: `uudet.csv` as it is, `excel.csv` saved as Windows-1252,
`crm.csv` with a column to map and one to ignore, and a `some-export` command printing it.
"""

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.lautex_server import client_script

README = Path(__file__).parent.parent / "README.md"
CLERK_SECTIONS = (
    "## The register:",
    "## Data subject requests",
    "## Rectification",
    "## Marketing",
    "## The privacy statement",
)
LEFT_OUT = ("### Demo and status", "### Benchmarks")
_EXPECTED_EXIT = re.compile(r"^(?P<command>.*[^\s\\])\s+#(?P<comment>.*\bexit (?P<code>\d+)\b.*)$")


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n## ", start + 3)
    return text[start : end if end > 0 else None]


def _without(text: str, heading: str) -> str:
    if heading not in text:
        return text
    start = text.index(heading)
    end = text.find("\n### ", start + 4)
    return text[:start] + (text[end:] if end > 0 else "")


def clerk_examples(text: str) -> list[str]:
    """The `sh` blocks of the clerk's sections, in the README's order."""
    blocks = []
    for heading in CLERK_SECTIONS:
        section = _section(text, heading)
        for left_out in LEFT_OUT:
            section = _without(section, left_out)
        blocks += re.findall(r"```sh\n(.*?)```", section, re.S)
    return blocks


def _checked(block: str) -> str:
    """`cmd  # ... exit 4` becomes `cmd || test $? -eq 4`: the documented code is expected."""
    lines = []
    for line in block.splitlines():
        expected = _EXPECTED_EXIT.match(line)
        if expected:
            line = f"{expected['command']} || test $? -eq {expected['code']}"
        lines.append(line)
    return "\n".join(lines)


def _csv_example(text: str) -> str:
    blocks: list[str] = re.findall(r"```csv\n(.*?)```", _section(text, "## The register:"), re.S)
    return blocks[0]


def _start_server(socket: str, env: dict[str, str], work: Path) -> subprocess.Popen[str]:
    """The `lautex` the examples run: a fork server (tests/lautex_server.py) that saves
    each command the interpreter's start-up, which is most of this test's time."""
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.lautex_server", socket],
        cwd=work, env={**env, "PYTHONPATH": str(README.parent)},
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert server.stdout is not None and server.stdout.readline() == "ready\n"
    return server


def _stop(server: subprocess.Popen[str]) -> None:
    server.terminate()
    try:
        server.wait(timeout=60)  # it waits for its children: their CPU time is the test run's
    except subprocess.TimeoutExpired:
        server.kill()  # a command stuck on its input: the test has failed already
        server.wait()


def test_the_readme_has_examples_for_every_clerk_section() -> None:
    text = README.read_text(encoding="utf-8")
    blocks = clerk_examples(text)
    assert len(blocks) >= len(CLERK_SECTIONS)
    assert any("lautex order add" in b for b in blocks)
    assert "lautex demo" not in "".join(blocks)  # the Quick start's, not re-run


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_clerks_examples_run_as_written_on_the_demo(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    text = README.read_text(encoding="utf-8")
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAUTEX_")}
    env.update(
        PATH=f"{bin_folder}{os.pathsep}{env['PATH']}",
        LAUTEX_HOME=str(tmp_path / "home"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        # The business date is the day the examples run (`date +%F` in one of them).
        TZ="UTC",
        LAUTEX_TODAY=time.strftime("%Y-%m-%d", time.gmtime()),
    )
    work = tmp_path / "work"
    work.mkdir()
    socket = f"lautex-readme-{os.getpid()}-{uuid.uuid4().hex}"
    server = _start_server(socket, env, work)
    request.addfinalizer(lambda: _stop(server))
    (bin_folder / "lautex").write_text(client_script(socket))
    (bin_folder / "lautex").chmod(0o700)
    example = _csv_example(text)
    (work / "uudet.csv").write_text(example, encoding="utf-8")
    (work / "excel.csv").write_text(example.replace("@", ".excel@"), encoding="cp1252")
    header, *rows = example.splitlines()
    crm = [f"{header};Asiakas;Sisäinen", *(f"{r.replace('@', '.crm@')};VIP;x" for r in rows)]
    (work / "crm.csv").write_text("\n".join(crm) + "\n", encoding="utf-8")
    export = bin_folder / "some-export"
    export.write_text(f"#!/bin/sh\nexec cat '{work / 'stdin.csv'}'\n")
    export.chmod(0o700)
    (work / "stdin.csv").write_text(example.replace("@", ".stdin@"), encoding="utf-8")

    def bash(script: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "--norc", "--noprofile", "-c", script], cwd=work, env=env,
            capture_output=True, text=True, timeout=1800, check=False,
        )  # fmt: skip

    quick = bash("lautex demo >/dev/null && export LAUTEX_DB=data/demo.db && lautex status")
    assert quick.returncode == 0, quick.stderr
    script = "\n".join(_checked(block) for block in clerk_examples(text))
    trap = "trap 'echo \"FAILED($?): $BASH_COMMAND\" >&2' ERR\nexport LAUTEX_DB=data/demo.db\n"
    result = bash(trap + script)
    failed = [line for line in result.stderr.splitlines() if line.startswith("FAILED(")]
    assert failed == [], result.stderr[-4000:]
    assert result.returncode == 0
