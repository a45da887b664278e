"""The news's entry in the module registry."""

from django.utils.translation import gettext_lazy as _

from clocher.core.modules import Module, registry

registry.register(
    Module(
        name="news",
        label=_("Actualités"),
        icon="newspaper",
        description=_("Les actualités, travaux, comptes rendus du conseil et bulletins, et les alertes."),
        url_namespaces=("news",),
        order=5,
    )
)
