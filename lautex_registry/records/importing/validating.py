"""Validating records into INSERT parameters; a pool of processes for large files."""

import gc
import os
import select
import shutil
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from lautex_registry.platform import validation
from lautex_registry.platform.errors import InvalidInput, Message, t
from lautex_registry.platform.escaping import GUARD, as_written
from lautex_registry.records import customers
from lautex_registry.records.importing.reading import Chunk, Text, records

# The file size from which the rows are validated in a pool of processes. Starting the
# pool costs about a second; on the shared 2-core machine the pool lost to validating
# in-process at 1.1 MB (10,000 rows) and won narrowly from 3.3 MB (30,000 rows) on
# (benchmarks/README.md, import_sizes.py).
PARALLEL_MIN_BYTES = 3_000_000

# Positions in customers.INSERT_SQL's parameters.
ORG_SLOT = customers.INSERT_COLUMNS.index("organisation_id")
EMAIL_SLOT = customers.INSERT_COLUMNS.index("email")
SEARCH_SLOT = customers.INSERT_COLUMNS.index("search_text")
# The email key follows the search text it is made from (storing.py rewrites both).
assert customers.INSERT_COLUMNS.index("search_email_key") == SEARCH_SLOT + 1
# After the INSERT parameters: the organisation's business ID, or None.
BUSINESS_ID_SLOT = len(customers.INSERT_COLUMNS)


@dataclass(frozen=True)
class RowContext:
    """What every row needs besides its own cells; sent once per chunk to a worker."""

    header: tuple[str | None, ...]  # each column's field; None for a column left out
    default_source: str | None
    created_at: str
    last_activity: str
    delimiter: str = ","


# line, insert params or None, problem (a Message: shown in the clerk's language, English
# in the JSON report)
Checked = tuple[int, tuple[Any, ...] | None, str | Message | None]


_UNKNOWN = object()


class RepeatedValues:
    """The checks of platform.validation that depend on the value alone, each value
    checked once per chunk: a file repeats its first names, cities, postal codes and
    sources thousands of times. A value checked again would give the same result (the
    functions read nothing else), and one that fails is not remembered: its row is
    checked again in full and fails the same way. Kept for one chunk only, so no
    personal data outlives the chunk's own rows in memory.
    """

    def __init__(self) -> None:
        self.known: dict[tuple[Any, ...], Any] = {}

    def required_text(
        self, text: str | None, field: str, *, max_length: int = validation.NAME_MAX
    ) -> str:
        key = ("required", text, field, max_length)
        value = self.known.get(key, _UNKNOWN)
        if value is _UNKNOWN:
            value = self.known[key] = validation.required_text(text, field, max_length=max_length)
        return str(value)

    def optional_text(
        self, text: str | None, field: str, *, max_length: int = validation.NAME_MAX
    ) -> str | None:
        key = ("optional", text, field, max_length)
        value = self.known.get(key, _UNKNOWN)
        if value is _UNKNOWN:
            value = self.known[key] = validation.optional_text(text, field, max_length=max_length)
        return None if value is None else str(value)

    def country(self, text: str, field: str = "country") -> str:
        key = ("country", text, field)
        value = self.known.get(key, _UNKNOWN)
        if value is _UNKNOWN:
            value = self.known[key] = validation.country(text, field)
        return str(value)

    def postal_code(self, text: str, country_code: str = "FI", field: str = "postal_code") -> str:
        key = ("postal_code", text, country_code, field)
        value = self.known.get(key, _UNKNOWN)
        if value is _UNKNOWN:
            value = self.known[key] = validation.postal_code(text, country_code, field)
        return str(value)

    def choice(self, text: str, allowed: tuple[str, ...], field: str) -> str:
        key = ("choice", text, allowed, field)
        value = self.known.get(key, _UNKNOWN)
        if value is _UNKNOWN:
            value = self.known[key] = validation.choice(text, allowed, field)
        return str(value)


def validate_chunk(chunk: Chunk, context: RowContext) -> list[Checked]:
    """Validate records into INSERT parameters; organisation_id holds the org text for now."""
    results: list[Checked] = []
    width = len(context.header)
    repeated = RepeatedValues()
    for line, record in chunk:
        if len(record) != width:
            found = len(record)
            results.append(
                (line, None, t("expected {width} fields, found {found}", width=width, found=found))
            )
            continue
        # A cell the register guarded against spreadsheet formulas reads back as stored.
        fields: dict[str, str | None] = {
            name: as_written(cell) if cell.startswith(GUARD) else cell
            for name, cell in zip(context.header, record, strict=True)
            if name is not None
        }
        if context.default_source and not (fields.get("source") or "").strip():
            fields["source"] = context.default_source
        business_id = (fields.pop("business_id", None) or "").strip() or None
        try:
            clean = customers.validate_fields(fields, repeated)
            if business_id is not None:
                business_id = validation.business_id(business_id)
        except InvalidInput as exc:
            results.append((line, None, exc.message))
            continue
        org = clean["org"]
        # The org's name as written folds the same as its stored name; an id is looked up later.
        org_name = org if org and not org.isdigit() else None
        values = customers.row_for_insert(
            clean, None, org_name, context.created_at, context.last_activity
        )
        if org:
            values = (*values[:ORG_SLOT], org, *values[ORG_SLOT + 1 :])
        results.append((line, (*values, business_id), None))
    return results


def validate_text(text: Text, context: RowContext) -> list[Checked]:
    """Parse and validate the raw text of whole records (a worker's task).

    The cyclic garbage collector is paused meanwhile: the chunk's thousands of short-lived
    strings and tuples would set it off again and again (about 10% of the time), and
    they form no cycles; reference counting frees them.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        return validate_chunk(records(text, context.delimiter), context)
    finally:
        if paused:
            gc.enable()


def validate_serially(texts: Iterable[Text], context: RowContext) -> Iterator[list[Checked]]:
    for text in texts:
        yield validate_text(text, context)


def validate_in_parallel(
    texts: Iterable[Text], context: RowContext, workers: int
) -> Iterator[list[Checked]]:
    """Results in file order, with at most two chunks per worker in flight (bounded memory)."""
    import multiprocessing
    from multiprocessing.util import get_temp_dir

    # forkserver: a forked copy of a process with threads (a progress bar) can deadlock.
    mp_context = multiprocessing.get_context("forkserver")
    # Workers fork from a server that has imported the validators once.
    mp_context.set_forkserver_preload([__name__])
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=mp_context,
        initializer=die_with_the_importer,
        initargs=(os.getpid(), get_temp_dir()),
    ) as pool:
        pending: deque[Future[list[Checked]]] = deque()
        for text in texts:
            pending.append(pool.submit(validate_text, text, context))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def die_with_the_importer(importer_pid: int, socket_folder: str) -> None:
    """A worker's start: it ends when the import that started it ends, however that ends.

    A killed import (kill -9, a closed terminal) cannot stop its pool, and its workers
    would wait for work forever: they hold the pool's pipes and the fork server's
    lifeline, so neither they nor the fork server ever see it go. A watchdog thread
    waits for the importer's exit, removes the socket folder it can no longer remove
    itself, and ends the worker; the fork server and the resource tracker then follow.
    """
    _signal_when_the_parent_dies()
    watchdog = threading.Thread(
        target=_end_with, args=(importer_pid, socket_folder), name="importer-watchdog"
    )
    watchdog.daemon = True
    watchdog.start()


def _signal_when_the_parent_dies() -> None:
    """Linux: SIGKILL when the fork server, the worker's parent, is killed."""
    if not sys.platform.startswith("linux"):
        return  # pragma: no cover - the watchdog alone elsewhere
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def _end_with(importer_pid: int, socket_folder: str) -> None:
    _wait_for_exit(importer_pid)
    shutil.rmtree(socket_folder, ignore_errors=True)
    os._exit(1)


def _wait_for_exit(pid: int) -> None:
    """Return when the process has ended: at once through a pidfd (Linux 5.3+), else by polling."""
    try:
        handle = os.pidfd_open(pid)
    except (AttributeError, OSError):  # no pidfd here, or the process is gone already
        while _running(pid):
            time.sleep(0.2)
        return
    select.select([handle], [], [])  # a pidfd turns readable when its process exits


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - the pid was reused by another user
        return False
    return True


def pool_socket_fits() -> bool:
    """Whether the pool's fork server can listen at $TMPDIR/pymp-XXXXXXXX/listener-XXXXXXXX:
    a Unix socket's path holds at most 107 bytes (Linux), so under a deeper $TMPDIR the
    pool cannot start and the file is validated in this process instead."""
    import tempfile

    return len(os.fsencode(tempfile.gettempdir())) + len("/pymp-12345678/listener-12345678") <= 107


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1
