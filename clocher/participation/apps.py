from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipationConfig(AppConfig):
    """Polls, consultations and participatory budgets (issue 7)."""

    name = "clocher.participation"
    label = "participation"
    verbose_name = _("Participation")

    def ready(self) -> None:
        from . import module  # noqa: F401  # registers the module
