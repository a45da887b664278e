"""A starting service catalogue, so that a collectivity joining the portal can take reports at once.

Each level gets the matters it usually handles in France: the commune its street lights, communal
roads, cleanliness, green spaces, street furniture and graffiti; the intercommunality waste
collection (a compulsory EPCI competence) and water; the département its roads and their bridges.
Staff rename, add or switch categories off afterwards; installing again adds what is missing and
changes nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from clocher.territories.models import Territory, TerritoryKind

from .models import Competence, ReportCategory


@dataclass(frozen=True)
class Entry:
    code: str
    name: Promise
    description: Promise
    keywords: str = ""


CATALOGUE: dict[str, list[Entry]] = {
    TerritoryKind.COMMUNE: [
        Entry("eclairage-public", _("Éclairage public"), _("Lampadaire éteint, clignotant ou allumé en plein jour."),
              "lampadaire lumière ampoule"),
        Entry("voirie-communale", _("Voirie communale"), _("Nid-de-poule, trottoir abîmé, bouche d'égout, rue de la commune."),
              "trou nid-de-poule route trottoir"),
        Entry("proprete", _("Propreté"), _("Dépôt sauvage, encombrants, déjections, verre cassé."),
              "déchets sale ordures dépôt"),
        Entry("espaces-verts", _("Espaces verts"), _("Arbre dangereux, branche tombée, haie à tailler dans un espace public."),
              "arbre branche parc jardin"),
        Entry("mobilier-urbain", _("Mobilier urbain"), _("Banc, barrière, panneau, jeu pour enfants cassé."),
              "banc panneau barrière jeu"),
        Entry("tags", _("Tags et graffitis"), _("Tag ou affichage sauvage sur un bâtiment ou un équipement public."),
              "graffiti tag affiche"),
    ],
    TerritoryKind.EPCI: [
        Entry("collecte-dechets", _("Collecte des déchets"), _("Bac non collecté, conteneur plein ou abîmé, point d'apport volontaire."),
              "poubelle bac conteneur tri"),
        Entry("eau-assainissement", _("Eau et assainissement"), _("Fuite d'eau sur la voie publique, égout bouché, odeurs."),
              "fuite eau égout"),
    ],
    TerritoryKind.DEPARTEMENT: [
        Entry("route-departementale", _("Route départementale"), _("Chaussée dégradée, signalisation, fossé, sur une route départementale (D…)."),
              "route départementale chaussée"),
        Entry("ouvrage-art", _("Pont et ouvrage d'art"), _("Pont, mur de soutènement ou parapet d'une route départementale."),
              "pont parapet"),
    ],
}

COMPETENCE_OF_KIND: dict[str, str] = {
    TerritoryKind.COMMUNE: Competence.COMMUNE,
    TerritoryKind.EPCI: Competence.EPCI,
    TerritoryKind.DEPARTEMENT: Competence.DEPARTEMENT,
}


@transaction.atomic
def install_default_catalogue(territory: Territory) -> int:
    """Adds the starting categories of the territory's level that it does not have yet (by code);
    returns how many were added. A région has none: it handles no reports."""
    entries = CATALOGUE.get(territory.kind, [])
    existing = set(ReportCategory.objects.filter(territory=territory).values_list("code", flat=True))
    added = [
        ReportCategory(
            territory=territory, code=entry.code, name=str(entry.name), description=str(entry.description),
            competence=COMPETENCE_OF_KIND[territory.kind], keywords=entry.keywords, position=position,
        )
        for position, entry in enumerate(entries)
        if entry.code not in existing
    ]
    ReportCategory.objects.bulk_create(added)
    return len(added)
