from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "clocher.reports"
    label = "reports"
    verbose_name = _("Signalements")

    def ready(self) -> None:
        from . import module  # noqa: F401  # registers the module
