"""What an import found: counts and problems with their lines."""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lautex_registry.records.suppression import Restoration


@dataclass(frozen=True)
class Problem:
    line: int
    reason: str


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

    def summary(self) -> str:
        parts = [
            f"{self.rows} rows read",
            f"{self.valid} valid",
            f"{len(self.invalid)} invalid",
            f"{len(self.duplicates)} duplicates skipped",
        ]
        if self.dry_run and self.failed:
            outcome = "dry run: the import would fail: fix the rows above or use --skip-invalid"
        elif self.dry_run:
            outcome = f"dry run: nothing written; {self.valid} customers would be stored"
        elif self.failed:
            outcome = "nothing written: fix the rows above or use --skip-invalid"
        else:
            outcome = f"{self.stored} customers stored"
            if self.organisations_created:
                outcome += f", {self.organisations_created} organisations created"
            if self.run_id is not None:
                outcome += f" (import run {self.run_id} finished, {self.run_stored} in all)"
        return f"{', '.join(parts)}; {outcome}"

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
                {"line": p.line, "kind": kind, "reason": p.reason}
                for kind, p in sorted(
                    [
                        *(("invalid", p) for p in self.invalid),
                        *(("duplicate", p) for p in self.duplicates),
                    ],
                    key=lambda item: item[1].line,
                )
            ],
        }
