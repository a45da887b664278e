"""The directory's entry in the module registry."""

from django.utils.translation import gettext_lazy as _

from clocher.core.modules import Module, registry

from .feed import near_you

registry.register(
    Module(
        name="directory",
        label=_("Lieux"),
        icon="map-pin",
        description=_("Restaurants, hébergements, marchés, producteurs, services publics et contacts utiles."),
        resident_url_name="directory:places",
        url_namespaces=("directory",),
        feed=near_you,
        order=10,
    )
)
