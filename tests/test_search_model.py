"""A model of `customer search`: whatever clerks, imports and jobs did to the register,
`find_customers` gives the first `limit` customers of a brute-force reference in Finnish
name order, says whether more matched, and counts them unless it stopped early.

The register is tiny, so the thresholds that make a big register search differently are
drawn small: the walk in name order and the probes of the trigram index
(docs/rules.md §3, "dense searches", "which trigrams a search reads") and the placement
of names in name order (`platform/search_order.py`). Names come from small pools, so that
matches cluster in name order as a common surname does, and every name is written
through the register's own services, never raw SQL.
"""

import csv
import io
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar
from unittest.mock import patch

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from lautex_registry.erasure import cleanup
from lautex_registry.erasure.erase import carry_out, erase_customers
from lautex_registry.erasure.plan import ANONYMISE, ERASE
from lautex_registry.erasure.retention import INACTIVE_CUSTOMERS
from lautex_registry.platform import audit, journal, search_order
from lautex_registry.platform.clock import today
from lautex_registry.platform.collation import sort_key
from lautex_registry.platform.db import connect, transaction
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records import customers
from lautex_registry.records.importing.run import import_customers
from lautex_registry.records.organisations import add_organisation
from tests.conftest import RegisterTemplate

ACTOR = audit.Actor(2, "clerk")


def place_names(conn: sqlite3.Connection) -> int:
    """Place new and renamed customers in name order, as the nightly run does: every one,
    a batch per transaction (platform/search_order.py)."""
    placed = 0
    while True:
        with transaction(conn):
            done = search_order.place_names(conn)
        if not done:
            return placed
        placed += done


# --- the pools names are drawn from -----------------------------------------------------------

FIRST_NAMES = ("Matti", "Aino", "Väinö", "Eino", "Jörn")
LAST_NAMES = ("Virtanen", "Virtanen2", "Korhonen", "Aho", "Äijälä", "Ylönen", "de Wit", "Åström")
ORGANISATIONS = ("Virtanen Oy", "Aho & Äijälä Ky", "Åström de Wit Ab")
DOMAINS = ("example.fi", "aho.fi", "virtanen.com")
# Every word the names, organisations and email addresses are made of: a clerk types a
# piece of one.
WORDS = sorted(
    {
        word
        for text in (*FIRST_NAMES, *LAST_NAMES, *ORGANISATIONS, *DOMAINS)
        for word in text.replace(".", " ").split()
    }
)

first_name = st.sampled_from(FIRST_NAMES)
last_name = st.builds(
    lambda name, suffix: name + suffix,
    st.sampled_from(LAST_NAMES),
    st.sampled_from(("", "", "", "1", "9")),  # `Aho` and `Aho9`: neighbours in name order
)
organisation = st.sampled_from((None, None, *ORGANISATIONS))
email_domain = st.sampled_from((None, *DOMAINS))  # None: no email address
person = st.tuples(first_name, last_name, email_domain, organisation)

# What a clerk types instead of a letter: itself, upper or lower case, accent added or
# dropped (the search folds them all alike: `aijala` finds `Äijälä`).
_ACCENTS = {"a": "ä", "o": "ö", "e": "é", "ä": "a", "ö": "o", "å": "a", "Ä": "A", "Å": "A"}
_SPELLINGS: tuple[Callable[[str], str], ...] = (
    lambda ch: ch,
    str.upper,
    lambda ch: _ACCENTS.get(ch, ch),
    str.lower,
)


def _typed(word: str, start: int, length: int, spelling: list[int]) -> str:
    """1-8 letters of `word` from `start`, each spelt as `spelling` says."""
    piece = word[start % len(word) :][:length]
    return "".join(_SPELLINGS[how](ch) for ch, how in zip(piece, spelling, strict=False))


piece = st.builds(
    _typed,
    st.sampled_from(WORDS),
    st.integers(0, 12),
    st.integers(1, 8),
    st.lists(st.integers(0, len(_SPELLINGS) - 1), min_size=8, max_size=8),
)
# A word with `@` is read through the email key (docs/rules.md §3, "the search index"):
# the end of an address's part before the `@` (`SearchModel._email`: the names, then a
# serial number) and the start of its domain.
email_piece = st.builds(
    "{}{}@{}".format,
    st.sampled_from(("", "", "n", "o", "aho", "virtanen")),
    st.sampled_from(("", "1", "2", "3", "11")),
    st.sampled_from(("", "aho", "example.f", "virt")),
)
search_text = st.one_of(
    piece,
    st.builds("{} {}".format, piece, piece),
    email_piece,
    st.sampled_from(("xyzzy", "qq", "Virtasen", "ahoo")),  # matches nothing
)
# The thresholds of a big register's search paths, drawn for a register of a few dozen
# names (docs/rules.md §3): DENSE_MATCHES 0 or 3 walks names in order, WALK_CHECK 1 may
# give up the walk at any row, PROBE_ROWS 1 or 2 extrapolates every trigram's rows.
search_paths = st.fixed_dictionaries(
    {
        "DENSE_MATCHES": st.sampled_from((0, 3, 10_000)),
        "WALK_CHECK": st.sampled_from((1, 50)),
        "PROBE_ROWS": st.sampled_from((1, 2, 100)),
    }
)
search = st.tuples(search_text, st.integers(1, 6), search_paths)


# --- the reference ---------------------------------------------------------------------------


def reference(conn: sqlite3.Connection, text: str) -> list[int]:
    """Every customer whose search text holds every folded word, by brute force, in the
    order of the stored name keys (NULL first, as SQLite sorts them), then id."""
    words = customers.fold_for_search(text).split()
    rows = conn.execute(
        "SELECT id, search_text FROM customers ORDER BY sort_last_name, sort_first_name, id"
    )
    return [int(i) for i, held in rows if held is not None and all(w in held for w in words)]


def check_search(conn: sqlite3.Connection, text: str, limit: int, paths: dict[str, int]) -> None:
    """`find_customers` shows the first `limit` matches of the reference (every column as
    `customer list` shows it), tells whether more matched, and their exact count unless
    it stopped early (then only that more matched)."""
    thresholds: dict[str, Any] = dict(paths)
    with patch.multiple(customers, **thresholds):
        found = customers.find_customers(conn, text, limit=limit)
    matches = reference(conn, text)
    listed = {row["id"]: row for row in customers.list_customers(conn)}
    where = f"search {text!r}, limit {limit}, {paths}: {len(matches)} match"
    assert [row["id"] for row in found.rows] == matches[:limit], where
    assert found.rows == [listed[i] for i in matches[:limit]], where
    assert found.more == (len(matches) > limit), where
    assert found.total == len(matches) or (found.total is None and found.more), where


def check_name_keys(conn: sqlite3.Connection) -> None:
    """The stored keys are the names' Finnish keys: the reference's order is the list's."""
    rows = conn.execute(
        "SELECT id, first_name, last_name, sort_first_name, sort_last_name FROM customers"
    )
    for customer_id, first, last, sort_first, sort_last in rows:
        assert (sort_first, sort_last) == (sort_key(first), sort_key(last)), customer_id


def check_places(conn: sqlite3.Connection) -> None:
    """Placed buckets never go down in name order, a nameless customer has none, and each
    customer's row of the index is under its rowid (docs/rules.md §3, "The search index
    in name order")."""
    rows = conn.execute(
        "SELECT name_bucket, sort_last_name, search_rowid, id FROM customers "
        "ORDER BY sort_last_name, sort_first_name, id"
    ).fetchall()
    placed = [row[0] for row in rows if row[0] is not None and row[0] != search_order.UNPLACED]
    assert placed == sorted(placed)
    assert all(row[0] is None for row in rows if row[1] is None)
    assert all(row[2] == (row[0] or 0) * search_order.ROWID_STEP + row[3] for row in rows)


# --- the model -------------------------------------------------------------------------------


class SearchModel(RuleBasedStateMachine):
    """A register written by clerks, imports, erasures and jobs, and searched as it goes.

    The model knows only which customers can still be renamed (active) or erased
    (anonymised too); what matches is read from the register by `reference`."""

    template: ClassVar[Path]  # an empty initialised register (conftest's register_template)
    workspace: ClassVar[Path]

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(dir=self.workspace))
        shutil.copy2(self.template, self.folder / "lautex.db")
        self.conn = connect(self.folder / "lautex.db")
        self.active: list[int] = []
        self.anonymised: list[int] = []
        self.watched: list[tuple[str, int, dict[str, int]]] = []
        self.emails = 0
        self.patches: list[Any] = []

    def teardown(self) -> None:
        for started in reversed(self.patches):
            started.stop()
        self.conn.close()
        shutil.rmtree(self.folder)

    @initialize(
        bucket=st.sampled_from((1, 2, 64)),
        spacing=st.sampled_from((1, 2, 1024)),
        people=st.lists(person, min_size=3, max_size=12),
        watched=st.lists(search, min_size=2, max_size=4),
    )
    def start(
        self,
        bucket: int,
        spacing: int,
        people: list[tuple[str, str, str | None, str | None]],
        watched: list[tuple[str, int, dict[str, int]]],
    ) -> None:
        """The placement's bucket sizes drawn small (SPACING 1: a split finds no free
        number), the organisations the people represent, and the first people."""
        started = patch.multiple(search_order, TARGET=bucket, LARGEST=2 * bucket, SPACING=spacing)
        started.start()
        self.patches.append(started)
        with transaction(self.conn):
            for name in ORGANISATIONS:
                add_organisation(self.conn, ACTOR, name)
        for first, last, domain, org in people:
            self.add(first, last, domain, org)
        self.watched = watched

    def _email(self, first: str, last: str, domain: str | None) -> str | None:
        """An address made of the person's names (so a name is found in it too), one
        customer's own."""
        if domain is None:
            return None
        self.emails += 1
        local = customers.fold_for_search(f"{first}.{last}").replace(" ", "")
        return f"{local}{self.emails}@{domain}"

    @rule(first=first_name, last=last_name, domain=email_domain, org=organisation)
    def add(self, first: str, last: str, domain: str | None, org: str | None) -> None:
        fields = {"first_name": first, "last_name": last, "source": "partner",
                  "email": self._email(first, last, domain), "org": org}  # fmt: skip
        with transaction(self.conn):
            written = customers.add_customer(self.conn, ACTOR, fields)
        self.active.append(written.customer_id)

    @rule(people=st.lists(person, min_size=1, max_size=6))
    def import_file(self, people: list[tuple[str, str, str | None, str | None]]) -> None:
        """`customer import` of a small file: its rows are written in batches, with the
        name keys given (not computed by the triggers)."""
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(["first_name", "last_name", "email", "org", "source"])
        for first, last, domain, org in people:
            writer.writerow([first, last, self._email(first, last, domain) or "", org or "",
                             "partner"])  # fmt: skip
        newest = self.conn.execute("SELECT coalesce(max(id), 0) FROM customers").fetchone()[0]
        import_customers(self.conn, ACTOR, io.BytesIO(text.getvalue().encode()))
        added = self.conn.execute("SELECT id FROM customers WHERE id > ? ORDER BY id", (newest,))
        self.active.extend(int(row[0]) for row in added)

    @precondition(lambda self: self.active)
    @rule(
        pick=st.integers(0, 99),
        names=st.sampled_from(("first", "last", "both")),
        first=first_name,
        last=last_name,
        email=st.sampled_from(("keep", "new", "clear")),
        org=st.one_of(st.just("keep"), organisation),
    )
    def rename(
        self, pick: int, names: str, first: str, last: str, email: str, org: str | None
    ) -> None:
        """`customer edit` of the name, sometimes of the email and organisation too."""
        people = self.active
        customer_id = people[pick % len(people)]
        given: dict[str, str | None] = {}
        clear: list[str] = []
        if names != "last":
            given["first_name"] = first
        if names != "first":
            given["last_name"] = last
        if email == "new":
            given["email"] = self._email(first, last, DOMAINS[pick % len(DOMAINS)])
        elif email == "clear":
            clear.append("email")
        if org is None:
            clear.append("org")
        elif org != "keep":
            given["org"] = org
        with transaction(self.conn):
            customers.edit_customer(self.conn, ACTOR, str(customer_id), given, clear)

    @precondition(lambda self: self.active)
    @rule(pick=st.integers(0, 99))
    def anonymise(self, pick: int) -> None:
        """`anonymise`: the names and search text go, the row stays."""
        people = self.active
        customer_id = people[pick % len(people)]
        self.active.remove(customer_id)
        carry_out(self.conn, ACTOR, customer_id, ANONYMISE, today())
        self.anonymised.append(customer_id)

    @precondition(lambda self: self.active + self.anonymised)
    @rule(pick=st.integers(0, 99))
    def erase(self, pick: int) -> None:
        """`erase` of an active or an anonymised customer: the row goes."""
        people = self.active + self.anonymised
        customer_id = people[pick % len(people)]
        carry_out(self.conn, ACTOR, customer_id, ERASE, today())
        for kept in (self.active, self.anonymised):
            if customer_id in kept:
                kept.remove(customer_id)

    @precondition(lambda self: self.active)
    @rule(picks=st.lists(st.integers(0, 99), min_size=1, max_size=4), bulk=st.booleans())
    def retention_batch(self, picks: list[int], bulk: bool) -> None:
        """A batch of the retention job's anonymisation of inactive customers
        (`retention._people`): one transaction, the index entries only marked deleted
        when `bulk`, then the clean-up that merges the index."""
        people = self.active
        ids = sorted({people[pick % len(people)] for pick in picks})
        with transaction(self.conn):
            if bulk:
                cleanup.mark_deletions(self.conn)
            _outcomes, entries = erase_customers(
                self.conn, ACTOR, ids, ANONYMISE, today(),
                action="retention run", rule=INACTIVE_CUSTOMERS,
            )  # fmt: skip
            if bulk:
                cleanup.delete_in_place(self.conn)
            journal.append_and_record(self.conn, journal.database_file(self.conn), entries)
        cleanup.physical_cleanup(self.conn)
        self.active = [customer_id for customer_id in self.active if customer_id not in ids]
        self.anonymised.extend(ids)

    @rule()
    def place(self) -> None:
        place_names(self.conn)

    @rule()
    def rebuild_index(self) -> None:
        """What `restore` does to a register copy before it trusts it: the search index
        made anew from the customers (docs/rules.md §5)."""
        cleanup.rebuild_search_index(self.conn)

    @rule(searched=search)
    def search(self, searched: tuple[str, int, dict[str, int]]) -> None:
        check_search(self.conn, *searched)

    @invariant()
    def watched_searches_give_the_reference(self) -> None:
        """The searches drawn at the start, after every step: the last step's state too."""
        check_name_keys(self.conn)
        check_places(self.conn)
        for text, limit, paths in self.watched:
            check_search(self.conn, text, limit, paths)


def test_search_gives_the_first_rows_of_the_brute_force_reference(
    register_template: RegisterTemplate, tmp_path: Path
) -> None:
    machine = type(
        "SearchModelOfATestRegister",
        (SearchModel,),
        {"template": register_template.path, "workspace": tmp_path},
    )
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=120,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


def test_the_customer_the_owed_merge_indexed_again_can_change(
    register_template: RegisterTemplate, tmp_path: Path
) -> None:
    """A retention batch marks its deletions, the clean-up makes the owed merge (which
    used to index the first customer with a search text again, after which FTS5 corrupted
    the index at that customer's next change in place), then a clerk renames that
    customer: the index stays whole and the search finds what the reference finds."""
    shutil.copy2(register_template.path, tmp_path / "lautex.db")
    conn = connect(tmp_path / "lautex.db")
    try:
        ids = []
        for first, last in (("Aino", "Aho"), ("Matti", "Virtanen"), ("Eino", "Korhonen")):
            with transaction(conn):
                fields = {"first_name": first, "last_name": last, "source": "partner"}
                ids.append(customers.add_customer(conn, ACTOR, fields).customer_id)
        with transaction(conn):
            cleanup.mark_deletions(conn)
            erase_customers(conn, ACTOR, ids[:1], ANONYMISE, today(),
                            action="retention run", rule=INACTIVE_CUSTOMERS)  # fmt: skip
            cleanup.delete_in_place(conn)
        cleanup.physical_cleanup(conn)  # indexes Matti Virtanen (ids[1]) again
        with transaction(conn):
            customers.edit_customer(conn, ACTOR, str(ids[1]), {"last_name": "Ylönen"})
        conn.execute(f"INSERT INTO {cleanup.INDEX}({cleanup.INDEX}) VALUES('integrity-check')")
        for text in ("ino", "matti", "virtanen", "ylonen"):
            found = customers.find_customers(conn, text)
            assert [row["id"] for row in found.rows] == reference(conn, text), text
    finally:
        conn.close()
