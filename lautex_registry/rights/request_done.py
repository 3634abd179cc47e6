"""What shows a data subject request carried out, and the command that carries it out.

`request close --outcome completed` tells the person their right was honoured
(GDPR Art. 12(3)); the register backs that only with a trace of the work: the
export or letter recorded for the request, the person erased or anonymised, the
rectification, restriction or objection recorded with the request.
"""

from typing import Any

from lautex_registry.platform.errors import Refused, t
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records.customer_state import ANONYMISED_STATES, WITH_HOLDS


def _count_rows(conn: sqlite3.Connection, sql: str, *params: Any) -> int:
    return int(conn.execute(sql, params).fetchone()[0])


def _has_documents(conn: sqlite3.Connection, request_id: int, kinds: tuple[str, ...]) -> bool:
    return bool(
        _count_rows(
            conn,
            f"SELECT count(*) FROM documents WHERE request_id = ? "
            f"AND kind IN ({','.join('?' * len(kinds))})",
            request_id,
            *kinds,
        )
    )


def _subject_state(conn: sqlite3.Connection, row: sqlite3.Row) -> str | None:
    found = conn.execute(
        "SELECT state FROM customers WHERE id = ?", (row["customer_id"],)
    ).fetchone()
    return None if found is None else str(found["state"])


def erased_or_anonymised(conn: sqlite3.Connection, row: sqlite3.Row) -> bool:
    """Whether the person a request is about has been erased or anonymised."""
    if row["subject_erased_on"] is not None:
        return True
    return _subject_state(conn, row) in ANONYMISED_STATES


def refuse_completed_while_held(conn: sqlite3.Connection, row: sqlite3.Row) -> None:
    """GDPR Art. 12(4), 17(3)(b): an erasure request whose person is anonymised with holds
    was partly refused, since billing data stays until the holds end; "completed" (and its
    letter, "we have erased your data") would be untrue, whatever was done outside."""
    if row["kind"] != "erasure" or _subject_state(conn, row) != WITH_HOLDS:
        return
    rid, customer = row["id"], row["customer_id"]
    raise Refused(
        t(
            "request {rid}: customer {customer} is anonymised with holds (billing "
            "data is kept until the holds end), so the erasure is not complete: "
            "run `lautex erase {customer} --request {rid}`, which closes it as "
            "partially-refused with the holds as reasons, or close it with "
            "--outcome partially-refused --reason TEXT",
            rid=rid,
            customer=customer,
        )
    )


def _recorded_with(conn: sqlite3.Connection, request_id: int, *tables: str) -> bool:
    return any(
        _count_rows(conn, f"SELECT count(*) FROM {table} WHERE request_id = ?", request_id)
        for table in tables
    )


def shown_done(conn: sqlite3.Connection, row: sqlite3.Row) -> bool:
    """True when the register itself shows the request carried out."""
    rid, kind = int(row["id"]), str(row["kind"])
    if row["customer_id"] is None and row["subject_erased_on"] is None:
        return _has_documents(conn, rid, ("no-data-letter",))
    if kind in ("access", "portability"):
        return _has_documents(conn, rid, ("access-export", "portability-export"))
    if kind == "erasure":
        return erased_or_anonymised(conn, row)
    if kind == "rectification":
        return _recorded_with(conn, rid, "supplements", "notices") or bool(
            _count_rows(
                conn,
                "SELECT count(*) FROM audit_log WHERE action = 'rectify' "
                "AND json_extract(details_json, '$.request_id') = ?",
                rid,
            )
        )
    if kind == "restriction":
        return _recorded_with(conn, rid, "restrictions")
    return _recorded_with(conn, rid, "objections")


def how_to_do(row: sqlite3.Row) -> str:
    """The command that carries out a request of this kind for this person."""
    rid, customer = row["id"], row["customer_id"]
    if customer is None:
        return f"lautex request letter {rid} --type no-data"
    commands = {
        "access": f"lautex export {customer} --request {rid} --format html --output FILE",
        "portability": (
            f"lautex export {customer} --portability --request {rid} --format json --output FILE"
        ),
        "erasure": f"lautex erase {customer} --request {rid}",
        "rectification": (
            f"lautex rectify {customer} --set FIELD=VALUE --reason TEXT --request {rid}"
        ),
        "restriction": f"lautex restrict {customer} --reason TEXT --request {rid}",
        "objection": (
            f"lautex object {customer} --purpose PURPOSE --received DATE --channel CHANNEL "
            f"--request {rid}"
        ),
        "publication-ban": (
            f"lautex publication-ban {customer} --received DATE --channel CHANNEL --request {rid}"
        ),
    }
    return commands[str(row["kind"])]
