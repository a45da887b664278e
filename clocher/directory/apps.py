from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "clocher.directory"
    label = "directory"
    verbose_name = _("Annuaire des lieux")

    def ready(self) -> None:
        from . import module  # noqa: F401  # registers the module
