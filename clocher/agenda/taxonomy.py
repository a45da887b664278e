"""The one list of event categories: what residents filter the agenda by.

Codes are stable (URLs, the API, imports map onto them); labels are translated. Importers map
their source's types onto these codes; an event may have several.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

CATEGORIES: dict[str, Promise] = {
    "culture": _("Culture"),
    "concert": _("Concert et musique"),
    "spectacle": _("Spectacle et théâtre"),
    "exposition": _("Exposition"),
    "cinema": _("Cinéma"),
    "conference": _("Conférence et rencontre"),
    "patrimoine": _("Patrimoine et visite"),
    "sport": _("Sport"),
    "nature": _("Nature et randonnée"),
    "fete": _("Fête et festival"),
    "marche": _("Marché et brocante"),
    "gastronomie": _("Gastronomie"),
    "atelier": _("Atelier et stage"),
    "association": _("Vie associative"),
    "jeunesse": _("Jeunesse et enfance"),
    "seniors": _("Seniors"),
    "citoyennete": _("Vie municipale"),
    "solidarite": _("Solidarité et santé"),
}


def category_label(code: str) -> str:
    """The label of a category code, or the code itself for one no longer in the list."""
    label = CATEGORIES.get(code)
    return str(label) if label is not None else code


def category_choices() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in CATEGORIES.items()]
