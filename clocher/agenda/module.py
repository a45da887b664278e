"""The agenda's entry in the module registry."""

from django.utils.translation import gettext_lazy as _

from clocher.core.modules import Module, registry

registry.register(
    Module(
        name="agenda",
        label=_("Agenda"),
        icon="calendar",
        description=_("Les événements culturels, sportifs et associatifs près de chez vous."),
        url_namespaces=("agenda",),
        order=20,
    )
)
