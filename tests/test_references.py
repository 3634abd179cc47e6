"""Every reference in the code points at a document a new maintainer can open.

The domain rules are in docs/rules.md and the privacy statement's promises in
docs/privacy-statement.md; comments cite those (or stand on their own), never a
document or ticket that is not in the repository.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEARCHED = ("lautex_registry", "tests", "benchmarks")
SUFFIXES = {".py", ".j2", ".toml", ".md"}

UNREACHABLE = {
    "the design document": re.compile(r"DESIGN §"),
    "a ticket": re.compile(r"\bissue [0-9]", re.IGNORECASE),
    "a bare statement promise": re.compile(r"(?<![\w/.-])statement P[0-9]", re.IGNORECASE),
}
CITED_DOC = re.compile(r"\bdocs/[\w./-]+\.md\b")
RULE = re.compile(r"docs/rules\.md §(\d+)")
PROMISE = re.compile(r"docs/privacy-statement\.md (P\d+)")


def sources() -> list[Path]:
    here = Path(__file__).resolve()
    return sorted(
        path
        for folder in SEARCHED
        for path in (ROOT / folder).rglob("*")
        if path.suffix in SUFFIXES and path.is_file() and path != here
    )


def lines_matching(pattern: re.Pattern[str]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sources()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]


@pytest.mark.parametrize("what", sorted(UNREACHABLE))
def test_no_reference_to_a_document_outside_the_repository(what: str) -> None:
    assert lines_matching(UNREACHABLE[what]) == []


def test_every_cited_document_exists() -> None:
    cited = {match for line in lines_matching(CITED_DOC) for match in CITED_DOC.findall(line)}
    assert cited, "the code cites docs/rules.md and docs/privacy-statement.md"
    assert sorted(doc for doc in cited if not (ROOT / doc).is_file()) == []


def test_every_cited_rule_and_promise_is_in_its_document() -> None:
    rules = (ROOT / "docs/rules.md").read_text(encoding="utf-8")
    promises = (ROOT / "docs/privacy-statement.md").read_text(encoding="utf-8")
    cited_rules = {m for line in lines_matching(RULE) for m in RULE.findall(line)}
    cited_promises = {m for line in lines_matching(PROMISE) for m in PROMISE.findall(line)}
    assert sorted(n for n in cited_rules if f"## §{n} " not in rules) == []
    assert sorted(p for p in cited_promises if f"| {p} |" not in promises) == []
