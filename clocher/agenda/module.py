"""The agenda's entry in the module registry."""

from django.utils.translation import gettext_lazy as _

from clocher.core.modules import Module, registry
from clocher.notifications.categories import register_event_categories

from .feed import coming_events
from .taxonomy import category_choices

registry.register(
    Module(
        name="agenda",
        label=_("Agenda"),
        icon="calendar",
        description=_("Les événements culturels, sportifs et associatifs près de chez vous."),
        resident_url_name="agenda:home",
        staff_url_name="backoffice:events",
        url_namespaces=("agenda",),
        feed=coming_events,
        order=20,
    )
)

# The events topic of notifications can be narrowed to some of these categories.
register_event_categories("agenda", category_choices)
