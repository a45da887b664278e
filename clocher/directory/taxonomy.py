"""The one taxonomy of places: each category has a slug (stored, used in URLs and the API), a label
and a group for the filters. Differences between territories are data (which places exist), never
categories of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Category:
    slug: str
    label: Promise
    group: Promise


EAT = _("Se restaurer")
SLEEP = _("Se loger")
VISIT = _("Visiter, sortir")
BUY = _("Acheter local")
SERVICES = _("Services publics et santé")

CATEGORIES: tuple[Category, ...] = (
    Category("restaurant", _("Restaurant"), EAT),
    Category("cafe-bar", _("Café, bar"), EAT),
    Category("hotel", _("Hôtel"), SLEEP),
    Category("gite", _("Gîte, meublé de tourisme"), SLEEP),
    Category("chambre-hotes", _("Chambre d'hôtes"), SLEEP),
    Category("camping", _("Camping"), SLEEP),
    Category("heritage", _("Patrimoine culturel"), VISIT),
    Category("museum", _("Musée"), VISIT),
    Category("cinema", _("Cinéma"), VISIT),
    Category("culture", _("Lieu culturel, salle de spectacle"), VISIT),
    Category("leisure-sport", _("Loisirs et sport"), VISIT),
    Category("nature", _("Site naturel"), VISIT),
    Category("producer", _("Producteur local"), BUY),
    Category("market", _("Marché"), BUY),
    Category("shop", _("Commerce"), BUY),
    Category("wine", _("Cave, vins et spiritueux"), BUY),
    Category("public-service", _("Service public"), SERVICES),
    Category("mairie", _("Mairie"), SERVICES),
    Category("health", _("Santé"), SERVICES),
    Category("tourist-office", _("Office de tourisme"), SERVICES),
)

BY_SLUG: dict[str, Category] = {c.slug: c for c in CATEGORIES}
CATEGORY_CHOICES = [(c.slug, c.label) for c in CATEGORIES]


def is_category(slug: str) -> bool:
    return slug in BY_SLUG
