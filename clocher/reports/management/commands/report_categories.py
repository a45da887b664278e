"""`clocher report_categories CODE...`: give collectivities the starting catalogue of report categories.

    clocher report_categories 32 200066926 32013     the Gers, the Grand Auch, Auch

Codes are INSEE codes (communes, départements) or SIREN (EPCI). Running it again adds only what is
missing (clocher.reports.catalogue).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clocher.reports.catalogue import install_default_catalogue
from clocher.territories.models import Territory, TerritoryKind

KINDS = (TerritoryKind.COMMUNE, TerritoryKind.EPCI, TerritoryKind.DEPARTEMENT)


class Command(BaseCommand):
    help = "Installe les catégories de signalement de départ pour des collectivités (codes INSEE ou SIREN)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("codes", nargs="+", help="Codes INSEE (communes, départements) ou SIREN (EPCI).")

    def handle(self, *args: Any, **options: Any) -> None:
        for code in options["codes"]:
            # Codes repeat across kinds (76 is a région and a département): the smallest handling
            # level is meant, as for imports.
            territory = None
            for kind in KINDS:
                territory = Territory.objects.filter(kind=kind, code=code.strip()).defer("boundary").first()
                if territory is not None:
                    break
            if territory is None:
                raise CommandError(f"Aucune commune, intercommunalité ou département de code {code}.")
            added = install_default_catalogue(territory)
            self.stdout.write(f"{territory.name} : {added} catégorie(s) ajoutée(s).")
