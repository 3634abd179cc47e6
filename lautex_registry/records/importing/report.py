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

    @property
    def failed(self) -> bool:
        """True when bad rows stopped the import (nothing was written)."""
        return bool(self.invalid) and not self.skip_invalid and not self.dry_run

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
        if self.dry_run:
            outcome = "dry run: nothing written"
        elif self.failed:
            outcome = "nothing written: fix the rows above or use --skip-invalid"
        else:
            outcome = f"{self.stored} customers stored"
            if self.organisations_created:
                outcome += f", {self.organisations_created} organisations created"
        return f"{', '.join(parts)}; {outcome}"
