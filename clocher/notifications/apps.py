from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """What each resident follows, and the messages that reach them: web push, e-mail, inbox (issue 8)."""

    name = "clocher.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from . import module  # noqa: F401  # registers what "download my data" needs
