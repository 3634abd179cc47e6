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
from lautex_registry.platform.errors import t

if TYPE_CHECKING:
    from pathlib import Path

    from lautex_registry.rights.letters import RequestDocument
    from lautex_registry.rights.rectification import RectificationResult

NOTICE_COLUMNS = ("id", "kind", "addressee_kind", "addressee", "fields", "created_on")


def emit_certificate(certificate: "RequestDocument", output: "Path | None") -> None:
    if output is not None:
        say(t("wrote the refusal certificate ({language}) to {path}", language=certificate.language,
              path=output))  # fmt: skip
    else:
        emit_document(certificate.text)


def emit_notices(notices: list[dict[str, Any]], fmt: Format) -> None:
    if not notices:
        say(t("no source or recipient to notify"))
        if fmt not in HUMAN_FORMATS:
            emit_rows([], fmt, NOTICE_COLUMNS)  # scripts get an empty list, not nothing
        return
    warn(t("{count} pending notice(s): tell each one, then `lautex notice sent ID`",
           count=len(notices)))  # fmt: skip
    for notice in notices:
        values = {"kind": notice["addressee_kind"], "addressee": notice["addressee"]}
        if notice["fields"]:
            fields = ", ".join(notice["fields"])
            warn(t("  notify {kind} {addressee} ({fields})", fields=fields, **values))
        else:
            warn(t("  notify {kind} {addressee} (all data)", **values))
    emit_rows(notices, fmt, NOTICE_COLUMNS)


def report_rectification(
    result: "RectificationResult", request_id: int | None, fmt: Format
) -> None:
    if result.changed or result.supplement_id is None:
        if result.changed:
            say(t("corrected: {fields}", fields=", ".join(result.changed)))
        else:
            say(t("corrected: nothing (the values were already so)"))
    if result.supplement_id is not None:
        say(t("added the supplementary statement (GDPR Art. 16)"))
    if result.partially_refused:
        say(
            t(
                "NOT changed on issued invoices {invoices} ({fields}): an invoice is an accounting"
                " voucher kept as issued (Accounting Act 1336/1997 ch. 2 sec. 10); recorded as a"
                " partial refusal",
                invoices=", ".join(result.kept_invoices),
                fields=", ".join(result.kept_fields),
            )
        )
    if request_id is not None:
        say(t("request {id} closed: {outcome}", id=request_id, outcome=result.request_outcome))
        if result.partially_refused:
            say(
                t("give the person the certificate: lautex request certificate {id}", id=request_id)
            )
    emit_notices(result.notices, fmt)
    report_restorations(result.restored)  # an erased objector's objections are back
