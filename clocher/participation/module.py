"""Participation's entry in the module registry: staff pages, and what it keeps about a person."""

from django.utils.translation import gettext_lazy as _

from clocher.core.modules import Module, registry

from . import selectors
from .feed import participation_feed

registry.register(
    Module(
        name="participation",
        label=_("Participation"),
        icon="check-square",
        description=_("Sondages, consultations et budgets participatifs, réservés aux habitants vérifiés."),
        resident_url_name="participation:home",
        staff_url_name="backoffice:polls",
        feed=participation_feed,
        url_namespaces=("participation", "polls", "consultations", "budgets"),
        order=40,
        personal_data=selectors.personal_data,
    )
)
