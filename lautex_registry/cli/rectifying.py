"""What `rectify`, `restrict` and `request certificate` show: notices owed, the certificate."""

from typing import TYPE_CHECKING, Any

from lautex_registry.cli.output import (
    HUMAN_FORMATS,
    Format,
    emit_document,
    emit_rows,
    report_restorations,
    say,
    warn,
)

if TYPE_CHECKING:
    from pathlib import Path

    from lautex_registry.rights.letters import RequestDocument
    from lautex_registry.rights.rectification import RectificationResult

NOTICE_COLUMNS = ("id", "kind", "addressee_kind", "addressee", "fields", "created_on")


def emit_certificate(certificate: "RequestDocument", output: "Path | None") -> None:
    if output is not None:
        say(f"wrote the refusal certificate ({certificate.language}) to {output}")
    else:
        emit_document(certificate.text)


def emit_notices(notices: list[dict[str, Any]], fmt: Format) -> None:
    if not notices:
        say("no source or recipient to notify")
        if fmt not in HUMAN_FORMATS:
            emit_rows([], fmt, NOTICE_COLUMNS)  # scripts get an empty list, not nothing
        return
    warn(f"{len(notices)} pending notice(s): tell each one, then `lautex notice sent ID`")
    for notice in notices:
        fields = ", ".join(notice["fields"]) or "all data"
        warn(f"  notify {notice['addressee_kind']} {notice['addressee']} ({fields})")
    emit_rows(notices, fmt, NOTICE_COLUMNS)


def report_rectification(
    result: "RectificationResult", request_id: int | None, fmt: Format
) -> None:
    if result.changed or result.supplement_id is None:
        say(f"corrected: {', '.join(result.changed) or 'nothing (the values were already so)'}")
    if result.supplement_id is not None:
        say("added the supplementary statement (GDPR Art. 16)")
    if result.partially_refused:
        say(
            f"NOT changed on issued invoices {', '.join(result.kept_invoices)} "
            f"({', '.join(result.kept_fields)}): an invoice is an accounting voucher kept as "
            "issued (Accounting Act 1336/1997 ch. 2 sec. 10); recorded as a partial refusal"
        )
    if request_id is not None:
        say(f"request {request_id} closed: {result.request_outcome}")
        if result.partially_refused:
            say(f"give the person the certificate: lautex request certificate {request_id}")
    emit_notices(result.notices, fmt)
    report_restorations(result.restored)  # an erased objector's objections are back
