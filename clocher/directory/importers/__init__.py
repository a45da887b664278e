"""Importers of places from open data: DATAtourisme JSON-LD objects and a documented CSV.

Each importer turns its records into the fields of a place, then hands them to
`services.upsert_imported_place`, which validates, stores and tells whether the place was created,
updated or unchanged. A record that cannot become a place is rejected with its reason in the report;
nothing in a record may crash the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _


class RecordRejected(Exception):
    """A record that cannot become a place; the message (French) says why."""


@dataclass
class ImportReport:
    """What one run did: counts, and the reason of each rejection, record by record."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def reject(self, where: str, reason: str) -> None:
        self.rejected.append((where, reason))

    def warn(self, where: str, message: str) -> None:
        self.warnings.append((where, message))

    def lines(self) -> list[str]:
        lines = [
            _("Créés : %(n)d") % {"n": self.created},
            _("Mis à jour : %(n)d") % {"n": self.updated},
            _("Inchangés : %(n)d") % {"n": self.unchanged},
            _("Rejetés : %(n)d") % {"n": len(self.rejected)},
        ]
        lines += [f"  ✗ {where} : {reason}" for where, reason in self.rejected]
        if self.warnings:
            lines.append(_("Avertissements : %(n)d") % {"n": len(self.warnings)})
            lines += [f"  ! {where} : {message}" for where, message in self.warnings]
        return lines


class ImportFailed(Exception):
    """The run itself cannot start (unknown territory, missing path, unreadable file as a whole)."""
