from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgendaConfig(AppConfig):
    name = "clocher.agenda"
    label = "agenda"
    verbose_name = _("Agenda")

    def ready(self) -> None:
        from . import module  # noqa: F401  # registers the module
