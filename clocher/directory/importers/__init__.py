"""Importers of places from open data: DATAtourisme JSON-LD objects and a documented CSV.

Each importer turns its records into the fields of a place, then hands them to
`services.upsert_imported_place`, which validates, stores and tells whether the place was created,
updated or unchanged. A record that cannot become a place is rejected with its reason in the report;
nothing in a record may crash the run.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from clocher.territories.models import Territory, TerritoryKind

from ..services import PlaceRejected, upsert_imported_place

logger = logging.getLogger(__name__)

# Fields a record may lose, with a warning, rather than the whole place being refused: a tourist
# office's mistyped phone number should not hide the restaurant.
OPTIONAL_FIELDS = (
    "phone", "email", "website", "opening_hours", "description", "street", "postcode", "city",
    "wheelchair", "pets_allowed", "languages", "translations",
)


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


# When codes collide (76 is Occitanie and Seine-Maritime), the smaller territory is meant.
_KIND_PREFERENCE = (TerritoryKind.COMMUNE, TerritoryKind.EPCI, TerritoryKind.DEPARTEMENT, TerritoryKind.REGION)


def find_territory(code: str) -> Territory:
    """The territory of an INSEE code or SIREN; ImportFailed when there is none."""
    found = {t.kind: t for t in Territory.objects.filter(code=code.strip()).defer("boundary")}
    for kind in _KIND_PREFERENCE:
        if kind in found:
            return found[kind]
    raise ImportFailed(_("Aucun territoire de code « %(code)s ».") % {"code": code})


def find_commune(code: str | None) -> Territory | None:
    if not code:
        return None
    return Territory.objects.filter(kind=TerritoryKind.COMMUNE, code=code).defer("boundary").first()


def store(
    report: ImportReport,
    where: str,
    *,
    territory: Territory,
    source: str,
    external_id: str,
    data: Mapping[str, Any],
    categories: list[str],
) -> str | None:
    """Upserts one record and counts the outcome in the report; returns it, or None when rejected.

    An optional field the rules refuse is dropped with a warning and the record tried again; a
    refused name, location or category rejects the record.
    """
    fields = dict(data)
    while True:
        try:
            with transaction.atomic():
                _place, outcome = upsert_imported_place(
                    territory=territory, source=source, external_id=external_id,
                    data=fields, categories=categories,
                )
        except PlaceRejected as error:
            if error.field in OPTIONAL_FIELDS and error.field in fields:
                report.warn(where, _("%(field)s ignoré : %(reason)s") % {"field": error.field, "reason": error.message})
                del fields[error.field]
                continue
            reason = error.message
            if error.field:
                reason = f"{error.field} : {reason}"
            report.reject(where, reason)
            return None
        except DatabaseError as error:
            # A value the database refuses (PostgreSQL is stricter than SQLite on some text):
            # the savepoint above keeps the rest of the run going.
            logger.warning("Import of %s refused by the database: %s", where, error)
            report.reject(where, _("refusé par la base de données : %(error)s") % {"error": str(error)[:200]})
            return None
        report.count(outcome)
        return outcome
