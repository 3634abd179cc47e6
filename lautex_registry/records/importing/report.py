"""What an import found: counts and problems with their lines."""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lautex_registry.platform.errors import Message, t

if TYPE_CHECKING:
    from lautex_registry.records.suppression import Restoration


@dataclass(frozen=True)
class Problem:
    line: int
    # A Message: the clerk reads it in the interface's language, the JSON report in English.
    reason: str | Message


@dataclass
class ImportReport:
    rows: int = 0
    stored: int = 0
    valid: int = 0
    invalid: list[Problem] = field(default_factory=list)
    duplicates: list[Problem] = field(default_factory=list)
    organisations_created: int = 0
    # GDPR Art. 21(3): erased objectors' objections put back on stored rows.
    restored: list["Restoration"] = field(default_factory=list)
    dry_run: bool = False
    skip_invalid: bool = False
    ignored_columns: tuple[str, ...] = ()  # left out with --ignore-extra
    run_id: int | None = None  # the import run the rows were stored in
    run_stored: int = 0  # the customers the run stored in all (a resumed run: before too)

    @property
    def failed(self) -> bool:
        """True when bad rows stop the import (nothing is written); a dry run of such a file
        fails as well, so a script can check a file before importing it."""
        return bool(self.invalid) and not self.skip_invalid

    @property
    def problems(self) -> list[Problem]:
        return sorted([*self.invalid, *self.duplicates], key=lambda p: p.line)

    def summary(self) -> Message:
        """One sentence with the counts and the outcome (docs/translating.md: whole
        sentences, so each outcome is its own template)."""
        if self.dry_run and self.failed:
            outcome = t("dry run: the import would fail: fix the rows above or use --skip-invalid")
        elif self.dry_run:
            outcome = t("dry run: nothing written; {valid} customers would be stored",
                        valid=self.valid)  # fmt: skip
        elif self.failed:
            outcome = t("nothing written: fix the rows above or use --skip-invalid")
        else:
            outcome = self._stored_outcome()
        return t(
            "{rows} rows read, {valid} valid, {invalid} invalid, {duplicates} duplicates "
            "skipped; {outcome}",
            rows=self.rows,
            valid=self.valid,
            invalid=len(self.invalid),
            duplicates=len(self.duplicates),
            outcome=outcome,
        )

    def _stored_outcome(self) -> Message:
        stored, organisations = self.stored, self.organisations_created
        run, in_all = self.run_id, self.run_stored
        if organisations and run is not None:
            return t("{stored} customers stored, {organisations} organisations created "
                     "(import run {run} finished, {in_all} in all)", stored=stored,
                     organisations=organisations, run=run, in_all=in_all)  # fmt: skip
        if organisations:
            return t("{stored} customers stored, {organisations} organisations created",
                     stored=stored, organisations=organisations)  # fmt: skip
        if run is not None:
            return t("{stored} customers stored (import run {run} finished, {in_all} in all)",
                     stored=stored, run=run, in_all=in_all)  # fmt: skip
        return t("{stored} customers stored", stored=stored)

    def as_json(self) -> dict[str, object]:
        """The counts and every problem, for `customer import -f json`."""
        return {
            "rows": self.rows,
            "valid": self.valid,
            "invalid": len(self.invalid),
            "duplicates": len(self.duplicates),
            "stored": self.stored,
            "organisations_created": self.organisations_created,
            "dry_run": self.dry_run,
            "failed": self.failed,
            "run": self.run_id,
            "run_stored": self.run_stored,
            "ignored_columns": list(self.ignored_columns),
            "problems": [
                {"line": p.line, "kind": kind, "reason": str(p.reason)}
                for kind, p in sorted(
                    [
                        *(("invalid", p) for p in self.invalid),
                        *(("duplicate", p) for p in self.duplicates),
                    ],
                    key=lambda item: item[1].line,
                )
            ],
        }
