from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NewsConfig(AppConfig):
    name = "clocher.news"
    label = "news"
    verbose_name = _("Actualités et alertes")

    def ready(self) -> None:
        from . import module  # noqa: F401  # registers the module
