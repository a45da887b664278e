"""Associations and businesses in the module registry: not a module a collectivity turns off, but
the registry is how "download my data" learns what it holds about a person."""

from django.utils.translation import gettext_lazy as _

from clocher.core.modules import Module, registry

from .selectors import personal_data

registry.register(
    Module(
        name="organisations",
        label=_("Associations et entreprises"),
        icon="users",
        description=_("Les comptes des associations et des entreprises, qui proposent des contenus."),
        personal_data=personal_data,
        switchable=False,
        order=90,
    )
)
