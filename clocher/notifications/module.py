"""Notifications in the module registry: not a module a collectivity turns off (every resident has
preferences and an inbox), but the registry is how "download my data" learns what it holds."""

from django.utils.translation import gettext_lazy as _

from clocher.core.modules import Module, registry

from .selectors import personal_data

registry.register(
    Module(
        name="notifications",
        label=_("Notifications"),
        icon="bell",
        description=_("Ce que vous suivez, et les notifications reçues."),
        personal_data=personal_data,
        switchable=False,
        order=95,
    )
)
