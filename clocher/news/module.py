"""The news's entry in the module registry: its pages, its part of the home feed and the alert banner."""

from django.utils.translation import gettext_lazy as _

from clocher.core.modules import Module, registry

from .feed import alert_banner, news_feed
from .proposals import personal_data

registry.register(
    Module(
        name="news",
        label=_("Actualités"),
        icon="newspaper",
        description=_("Les actualités, travaux, comptes rendus du conseil et bulletins, et les alertes."),
        resident_url_name="news:home",
        staff_url_name="backoffice:news",
        feed=news_feed,
        banner=alert_banner,
        url_namespaces=("news",),
        personal_data=personal_data,
        order=5,
    )
)
