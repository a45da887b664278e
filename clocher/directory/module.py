"""The directory's entry in the module registry."""

from django.utils.translation import gettext_lazy as _

from clocher.core.modules import Module, registry

registry.register(
    Module(
        name="directory",
        label=_("Lieux"),
        icon="map-pin",
        description=_("Restaurants, hébergements, marchés, producteurs, services publics et contacts utiles."),
        resident_url_name="directory:places",
        url_namespaces=("directory",),
        order=10,
    )
)
