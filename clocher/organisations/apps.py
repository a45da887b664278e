from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganisationsConfig(AppConfig):
    name = "clocher.organisations"
    label = "organisations"
    verbose_name = _("Associations et entreprises")

    def ready(self) -> None:
        from . import module  # noqa: F401  # registers what "download my data" needs
