"""`clocher import SOURCE ...`: load open data into Clocher, one sub-command per kind of source.

    clocher import territories [--data-dir DIR]     the official geography of all France (COG)
    clocher import boundaries FILE.geojson          commune or département boundaries
    clocher import datatourisme PATH... [--territory CODE]   places from DATAtourisme objects
    clocher import places-csv FILE --territory CODE          places from a CSV (docs/imports.md)
    clocher import ics FILE_OR_URL --territory CODE          events from an iCalendar file or URL
    clocher import openagenda PATH_OR_URL --territory CODE   events from an OpenAgenda v2 response
    clocher import datatourisme-events PATH... [--territory CODE]   events from DATAtourisme objects
    clocher import due                                       enqueue the sources due for a sync
    clocher import pabulib FILE.pb --territory CODE [--title T]   a participatory budget to inspect

A new source is one entry in SOURCES: a help line, its arguments and the function that runs it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from clocher.agenda.importers.datatourisme import import_datatourisme_events
from clocher.agenda.importers.ics import import_ics
from clocher.agenda.importers.openagenda import import_openagenda
from clocher.directory.importers import ImportFailed, ImportReport, find_territory
from clocher.directory.importers.csv_places import import_places_csv
from clocher.directory.importers.datatourisme import import_datatourisme
from clocher.imports.services import enqueue_due_sources, safe_fetch
from clocher.participation.budget_results import ImportRefused, import_pb
from clocher.participation.pabulib import MAX_BYTES as MAX_PB_BYTES
from clocher.territories.geography import (
    GeographyError,
    default_data_dir,
    import_boundaries,
    import_territories,
)
from clocher.territories.models import TerritoryKind


@dataclass(frozen=True)
class Source:
    help: str
    add_arguments: Callable[[CommandParser], None]
    run: Callable[[BaseCommand, dict[str, Any], bool], None]


def _territories_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "--data-dir", type=Path, default=None,
        help=f"Dossier des fichiers JSON du découpage administratif (par défaut {default_data_dir()}).",
    )


def _run_territories(command: BaseCommand, options: dict[str, Any], progress: bool) -> None:
    summary = import_territories(options["data_dir"], progress=progress)
    for line in summary.lines():
        command.stdout.write(line)
    command.stdout.write(f"Durée : {summary.seconds:.1f} s")


BOUNDARY_KINDS = {
    "communes": (TerritoryKind.COMMUNE, TerritoryKind.DEPARTEMENT),
    "epci": (TerritoryKind.EPCI,),
    "regions": (TerritoryKind.REGION,),
}


def _boundaries_arguments(parser: CommandParser) -> None:
    parser.add_argument("file", type=Path, help="Fichier GeoJSON dont chaque élément porte un « code » officiel.")
    parser.add_argument(
        "--kind", choices=sorted(BOUNDARY_KINDS), default="communes",
        help="À quels territoires les codes renvoient : communes et départements (par défaut), "
        "intercommunalités (SIREN) ou régions (leurs codes recouvrent ceux des départements).",
    )


def _run_boundaries(command: BaseCommand, options: dict[str, Any], progress: bool) -> None:
    summary = import_boundaries(options["file"], kinds=BOUNDARY_KINDS[options["kind"]], progress=progress)
    for line in summary.lines():
        command.stdout.write(line)
    command.stdout.write(f"Durée : {summary.seconds:.1f} s")


def _write_report(command: BaseCommand, report: ImportReport) -> None:
    for line in report.lines():
        command.stdout.write(line)


def _datatourisme_arguments(parser: CommandParser) -> None:
    parser.add_argument("paths", type=Path, nargs="+", help="Fichiers JSON ou dossiers d'objets DATAtourisme.")
    parser.add_argument(
        "--territory", default=None,
        help="Code INSEE ou SIREN du territoire qui publie (par défaut : le département de chaque lieu).",
    )


def _run_datatourisme(command: BaseCommand, options: dict[str, Any], progress: bool) -> None:
    try:
        report = import_datatourisme(options["paths"], territory_code=options["territory"], progress=progress)
    except ImportFailed as error:
        raise CommandError(str(error)) from error
    _write_report(command, report)


def _places_csv_arguments(parser: CommandParser) -> None:
    parser.add_argument("file", type=Path, help="Fichier CSV (UTF-8, « ; » ou « , »), colonnes dans docs/imports.md.")
    parser.add_argument("--territory", required=True, help="Code INSEE ou SIREN du territoire qui publie.")
    parser.add_argument(
        # Not dest="source": that names the sub-command.
        "--source", dest="source_name", default=None, help="Nom de la source (par défaut « csv:CODE » du territoire).",
    )


def _run_places_csv(command: BaseCommand, options: dict[str, Any], progress: bool) -> None:
    try:
        report = import_places_csv(options["file"], territory_code=options["territory"], source=options["source_name"])
    except ImportFailed as error:
        raise CommandError(str(error)) from error
    _write_report(command, report)


def _events_location_arguments(parser: CommandParser) -> None:
    parser.add_argument("location", help="Chemin d'un fichier ou adresse http(s).")
    parser.add_argument("--territory", required=True, help="Code INSEE ou SIREN du territoire qui publie.")
    parser.add_argument(
        "--source", dest="source_name", default=None,
        help="Nom de la source, 40 caractères au plus (par défaut : voir docs/imports.md).",
    )


def _run_ics(command: BaseCommand, options: dict[str, Any], progress: bool) -> None:
    try:
        report = import_ics(
            options["location"], territory_code=options["territory"], source=options["source_name"],
            fetch=safe_fetch,
        )
    except ImportFailed as error:
        raise CommandError(str(error)) from error
    _write_report(command, report)


def _run_openagenda(command: BaseCommand, options: dict[str, Any], progress: bool) -> None:
    try:
        report = import_openagenda(
            options["location"], territory_code=options["territory"], source=options["source_name"],
            fetch=safe_fetch,
        )
    except ImportFailed as error:
        raise CommandError(str(error)) from error
    _write_report(command, report)


def _datatourisme_events_arguments(parser: CommandParser) -> None:
    parser.add_argument("paths", type=Path, nargs="+", help="Fichiers JSON ou dossiers d'objets DATAtourisme.")
    parser.add_argument(
        "--territory", default=None,
        help="Code INSEE ou SIREN du territoire qui publie (par défaut : le département de chaque événement).",
    )


def _run_datatourisme_events(command: BaseCommand, options: dict[str, Any], progress: bool) -> None:
    try:
        report = import_datatourisme_events(options["paths"], territory_code=options["territory"])
    except ImportFailed as error:
        raise CommandError(str(error)) from error
    _write_report(command, report)


def _due_arguments(parser: CommandParser) -> None:
    pass


def _run_due(command: BaseCommand, options: dict[str, Any], progress: bool) -> None:
    ids = enqueue_due_sources()
    command.stdout.write(_("Sources à synchroniser : %(n)d") % {"n": len(ids)})
    for source_id in ids:
        command.stdout.write(f"  → {source_id}")


def _pabulib_arguments(parser: CommandParser) -> None:
    parser.add_argument("file", type=Path, help="Fichier Pabulib (.pb).")
    parser.add_argument("--territory", required=True, help="Code INSEE ou SIREN du territoire qui organise le budget.")
    parser.add_argument("--title", default="", help="Titre du budget (par défaut : la description, le lieu et l'édition du fichier).")


def _run_pabulib(command: BaseCommand, options: dict[str, Any], progress: bool) -> None:
    try:
        territory = find_territory(options["territory"])
        path: Path = options["file"]
        if not path.is_file():
            raise ImportRefused(_("Fichier introuvable : %(path)s") % {"path": path})
        if path.stat().st_size > MAX_PB_BYTES:
            raise ImportRefused(_("%(path)s est trop gros pour un fichier Pabulib.") % {"path": path})
        imported = import_pb(path.read_bytes(), territory, title=options["title"])
    except (ImportFailed, ImportRefused) as error:
        raise CommandError(str(error)) from error
    budget = imported.budget
    command.stdout.write(
        _("Budget n° %(pk)s « %(title)s » (brouillon) pour %(territory)s : %(projects)s projets, %(ballots)s bulletins.")
        % {"pk": budget.pk, "title": budget.title, "territory": territory.name,
           "projects": imported.projects, "ballots": imported.ballots}
    )


SOURCES: dict[str, Source] = {
    "territories": Source(
        "Le découpage administratif de toute la France (régions, départements, EPCI, communes).",
        _territories_arguments, _run_territories,
    ),
    "boundaries": Source(
        "Les contours des communes ou d'un département, depuis un fichier GeoJSON.",
        _boundaries_arguments, _run_boundaries,
    ),
    "datatourisme": Source(
        "Des lieux depuis des objets DATAtourisme (JSON-LD, un objet par fichier).",
        _datatourisme_arguments, _run_datatourisme,
    ),
    "places-csv": Source(
        "Des lieux depuis un fichier CSV aux colonnes documentées (docs/imports.md).",
        _places_csv_arguments, _run_places_csv,
    ),
    "ics": Source(
        "Des événements depuis un calendrier iCalendar (.ics), fichier ou adresse http(s).",
        _events_location_arguments, _run_ics,
    ),
    "openagenda": Source(
        "Des événements depuis une réponse de l'API OpenAgenda v2 (fichier JSON ou adresse http(s)).",
        _events_location_arguments, _run_openagenda,
    ),
    "datatourisme-events": Source(
        "Des événements depuis des objets DATAtourisme (JSON-LD, un objet par fichier).",
        _datatourisme_events_arguments, _run_datatourisme_events,
    ),
    "pabulib": Source(
        "Un budget participatif depuis un fichier Pabulib (.pb), en brouillon, pour l'examiner et le dépouiller.",
        _pabulib_arguments, _run_pabulib,
    ),
    "due": Source(
        "Met en file la synchronisation de chaque source dont l'intervalle est écoulé (à lancer par cron).",
        _due_arguments, _run_due,
    ),
}


class Command(BaseCommand):
    help = "Importe des données ouvertes. Voir « clocher import SOURCE --help »."

    def add_arguments(self, parser: CommandParser) -> None:
        subparsers = parser.add_subparsers(dest="source", required=True, metavar="SOURCE")
        for name, source in SOURCES.items():
            sub = subparsers.add_parser(
                name, help=source.help, description=source.help,
                formatter_class=argparse.RawDescriptionHelpFormatter,
            )
            sub.add_argument(
                "--no-progress", action="store_true",
                help="Pas de barre de progression (elle ne s'affiche déjà que dans un terminal).",
            )
            source.add_arguments(sub)

    def handle(self, *args: Any, **options: Any) -> None:
        source = SOURCES[options["source"]]
        progress = not options.get("no_progress") and self.stderr.isatty()
        try:
            source.run(self, options, progress)
        except GeographyError as error:
            raise CommandError(str(error)) from error
