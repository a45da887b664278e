"""The reports' entry in the module registry."""

from django.utils.translation import gettext_lazy as _

from clocher.core.modules import Module, registry

registry.register(
    Module(
        name="reports",
        label=_("Signalements"),
        icon="alert-triangle",
        description=_("Signalez un problème sur l'espace public : éclairage, voirie, déchets…"),
        resident_url_name="reports:home",
        staff_url_name="backoffice:reports",
        url_namespaces=("reports",),
        order=30,
    )
)
