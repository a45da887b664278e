"""Which categories a resident may choose at a point, and which collectivity handles a report.

A category belongs to one collectivity's catalogue and says at which level the matter is handled
(its competence). Routing only ever looks at the commune that contains the point and its parents:
a category of another commune, EPCI or département is never offered and never accepted there.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from clocher.territories.lookup import commune_at
from clocher.territories.models import Portal, Territory
from clocher.territories.selectors import is_in_portal, is_module_enabled
from clocher.territories.services import ActionRefused

from .models import Competence, ReportCategory


class ReportRefused(ActionRefused):
    """A report or a handling step the rules refuse; str(exc) is a French sentence, `field` the
    form field it is about (None for the whole form)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def commune_in_portal(portal: Portal, lat: float, lon: float) -> Territory:
    """The commune at the point, with its EPCI and département loaded.

    Refuses (ReportRefused) a point in no known commune or in a commune outside the portal (both
    get the same sentence, the resident cannot do anything different about either), and a point
    in a commune that has the reports module off.
    """
    commune = commune_at(lat, lon)
    if commune is None or not is_in_portal(portal, commune):
        raise ReportRefused(_("Ce lieu est hors du territoire de ce portail."), "location")
    # The commune where the problem is decides, whoever handles the category there: a commune
    # that switched reports off has told its residents to call the mairie instead. Every way in
    # (the form, Open311) comes through here.
    if not is_module_enabled(portal, commune, "reports"):
        raise ReportRefused(
            _("%(name)s ne reçoit pas de signalements par ce service : contactez directement la mairie.")
            % {"name": commune.name},
            "location",
        )
    return commune


def _offered(commune: Territory) -> Q:
    # Each level offers only the categories it handles itself: a département's catalogue entry
    # marked "commune" would route to a commune that never chose it.
    offered = Q(territory_id=commune.pk, competence=Competence.COMMUNE)
    if commune.epci_id is not None:
        offered |= Q(territory_id=commune.epci_id, competence=Competence.EPCI)
    if commune.departement_id is not None:
        offered |= Q(territory_id=commune.departement_id, competence=Competence.DEPARTEMENT)
    return offered


def categories_at(portal: Portal, lat: float, lon: float) -> list[ReportCategory]:
    """The active categories a resident may choose at this point: those of the commune there, of
    its EPCI and of its département, each handled at its own level. Commune first, then EPCI, then
    département, each in its catalogue order.

    Refuses (ReportRefused) a point outside the portal or in no commune.
    """
    commune = commune_in_portal(portal, lat, lon)
    rank = {commune.pk: 0, commune.epci_id: 1, commune.departement_id: 2}
    found = list(
        ReportCategory.objects.filter(_offered(commune), is_active=True)
        .select_related("territory").defer("territory__boundary")
    )
    return sorted(found, key=lambda c: (rank.get(c.territory_id, 3), c.position, c.name, c.pk))


def responsible_for(category: ReportCategory, commune: Territory) -> Territory:
    """The collectivity that handles a report of this category in this commune.

    competence commune → the commune itself, epci → the commune's EPCI, departement → its
    département. Refuses (ReportRefused) an inactive category, and a category whose own
    collectivity is not that one (another commune's catalogue, a commune with no EPCI...).
    """
    if category.competence == Competence.COMMUNE:
        handler: Territory | None = commune
    elif category.competence == Competence.EPCI:
        handler = commune.epci
    else:
        handler = commune.departement
    if not category.is_active or handler is None or handler.pk != category.territory_id:
        raise ReportRefused(
            _("Cette catégorie de signalement n'est pas proposée à cet endroit."), "category"
        )
    return handler
